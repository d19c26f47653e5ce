"""``python -m legacy_harness`` runs the command line."""

import sys

from .cli import main

sys.exit(main())
