"""The project's vocabularies: exit codes and the status words written to files and JSON.

One enum per vocabulary, so a command, a report and a test speak of the same thing by
the same name. Members are ``str`` (or ``int``) so the values in golden files, JSON
reports and exit statuses are exactly the strings and numbers they always were.
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = [
    "BoundaryMode",
    "CaseStatus",
    "DifferenceKind",
    "ErrorKind",
    "ExitCode",
    "InteractionKind",
    "MasterStatus",
    "MutantStatus",
    "PolicyKind",
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


class InteractionKind(Vocabulary):
    """Whether a boundary call read the world (answered on replay) or wrote it (compared);
    written as ``kind`` in every tape entry."""

    READ = "read"
    WRITE = "write"


class BoundaryMode(Vocabulary):
    """A boundary channel's mode (``record.boundaries.Mode``): record lets the real call
    happen and tapes it; replay answers from the tape."""

    RECORD = "record"
    REPLAY = "replay"


class MutantStatus(Vocabulary):
    """What running one mutant showed (``mutate``'s JSON and ``mutation.json``)."""

    KILLED = "killed"  #: some case behaved differently
    TIMEOUT = "timeout"  #: some case ran past the limit: counted as killed
    SURVIVED = "survived"  #: every case behaved the same: a hole in the net
    EQUIVALENT = "equivalent"  #: same bytecode as the original: no input can tell
    DUPLICATE = "duplicate"  #: same bytecode as an earlier mutant: counted once
    UNKILLED = "unkilled"  #: survived every search characterize made: presumed equivalent
    INVALID = "invalid"  #: does not compile or fit the original's closure
    SKIPPED = "skipped"  #: not on a changed line (``--changed``)


class ErrorKind(Vocabulary):
    """Why a master could not be used (``CaseCheck.error_kind``)."""

    LOAD = "load"  #: the golden file does not load (bad JSON, bad field, forbidden class)
    MISSING_TARGET = "missing-target"  #: the recorded target no longer exists
    NOT_REPLAYABLE = "not-replayable"  #: the case holds values that could not be recorded
    REPLAY = "replay"  #: replaying or comparing failed


class PolicyKind(Vocabulary):
    """Which policy of the gate failed (``PolicyFailure.kind``)."""

    UNREVIEWED = "unreviewed"
    SECRET = "secret"
    COVERAGE = "coverage"
    DOCS = "docs"
    MUTATION = "mutation"
