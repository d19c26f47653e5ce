"""The project's vocabularies: exit codes and the status words written to files and JSON.

One enum per vocabulary, so a command, a report and a test speak of the same thing by
the same name. Members are ``str`` (or ``int``) so the values in golden files, JSON
reports and exit statuses are exactly the strings and numbers they always were.
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = [
    "CaseStatus",
    "DifferenceKind",
    "ExitCode",
    "MasterStatus",
    "RecordMode",
    "Vocabulary",
    "WriteStatus",
]


class ExitCode(IntEnum):
    """What every command returns, as pytest's ``ExitCode`` does for a test run."""

    SAME = 0  #: every case behaves as recorded (or the command did its work)
    CHANGED = 1  #: some behaviour changed
    ERROR = 2  #: usage, configuration or golden-file error
    POLICY = 3  #: behaviour is the same but a policy of the gate failed
    #: nothing was checked (an empty store): an empty run proves nothing, so it does not
    #: pass; the number is pytest's "no tests collected"
    NO_CASES = 5


class Vocabulary(str, Enum):
    """A word written to files and JSON: prints, formats and compares as its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class CaseStatus(Vocabulary):
    """What replaying one stored case showed."""

    PASSED = "passed"
    CHANGED = "changed"
    UNSTABLE = "unstable"
    ERROR = "error"
    SKIPPED = "skipped"


class WriteStatus(Vocabulary):
    """What writing one case did to the store."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"


class MasterStatus(Vocabulary):
    """What one check of the ``golden`` fixture did to its master (plugin summary)."""

    PASSED = "passed"
    CHANGED = "changed"
    CREATED = "created"
    UPDATED = "updated"
    MISSING = "missing"


class RecordMode(Vocabulary):
    """``--golden-record``: none never writes, new creates missing masters, all rewrites."""

    NONE = "none"
    NEW = "new"
    ALL = "all"


class DifferenceKind(Vocabulary):
    """Why a leaf of the observed behaviour differs from the master."""

    VALUE = "value"
    TYPE = "type"
    SHAPE = "shape"
    DTYPE = "dtype"
    MISSING_KEY = "missing key"
    EXTRA_KEY = "extra key"
    LENGTH = "length"
    EXCEPTION_CHANGED = "exception changed"
    OUTPUT_CHANGED = "output changed"
    UNSTABLE = "unstable"
