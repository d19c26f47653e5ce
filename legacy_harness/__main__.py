"""``python -m legacy_harness`` runs the command line."""

import sys

from legacy_harness.cli import main

sys.exit(main())
