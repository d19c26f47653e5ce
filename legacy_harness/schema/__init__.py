"""The shape of every JSON document the command line writes, shipped with the package.

Each command's ``--format json`` document starts with the same envelope (the command,
the tool's version, the schema's version and the exit code) and is described by one
JSON Schema, ``output.schema.json`` beside this module, so a CI script can validate
what it reads and knows which keys to expect. The schema's version changes only when a
key is removed or changes meaning; new keys may appear at any time.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_FILE", "SCHEMA_VERSION", "envelope", "load_schema"]

#: The version of :data:`SCHEMA_FILE` the documents follow (``schema_version`` in each).
SCHEMA_VERSION = 1
#: The JSON Schema (draft 2020-12) of every document, shipped as package data.
SCHEMA_FILE = "output.schema.json"


def envelope(command: str, exit_code: int) -> dict[str, Any]:
    """The keys every document starts with, in the order they are written."""
    from legacy_harness import __version__

    return {
        "command": command,
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "exit_code": int(exit_code),
    }


@lru_cache(maxsize=1)
def _text() -> str:
    return resources.files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the documents, as a fresh dict (callers may change it)."""
    schema: dict[str, Any] = json.loads(_text())
    return schema
