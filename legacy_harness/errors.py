"""Exceptions of legacy-harness.

Every error a user can cause carries a one-line message that names the thing at fault
and says how to fix it, so the CLI can print ``str(error)`` and nothing else.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class: a problem the user can fix (bad input, bad configuration)."""


class TargetError(HarnessError):
    """A target spec that does not parse or does not resolve."""


class CodecError(HarnessError):
    """A value that cannot be encoded, or a golden tree that cannot be decoded."""


class GoldenFileError(HarnessError):
    """A golden file that is unreadable, malformed, or refers to something forbidden."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


class ConfigError(HarnessError):
    """Bad configuration in pyproject.toml or on the command line."""
