"""Exceptions of legacy-harness.

Every error a user can cause carries a one-line message that names the thing at fault
and says how to fix it, so the CLI can print ``str(error)`` and nothing else.
"""

from __future__ import annotations

from typing import Any


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


class UsageError(HarnessError):
    """A command line that does not parse: a wrong flag, value or combination."""


class CallTimeout(BaseException):
    """A guarded call ran past its time limit (a BaseException: legacy ``except
    Exception`` blocks must not swallow it)."""


class ForbiddenIO(BaseException):
    """A guarded call tried to open a file, a socket or a process."""


class StochasticAssertionError(AssertionError):
    """A stochastic assertion failed; ``verdict`` has the details."""

    def __init__(self, verdict: Any) -> None:
        super().__init__(verdict.render())
        self.verdict = verdict


class UnencodableValueWarning(UserWarning):
    """A recorded call held a value the codec cannot store; the case is not replayable."""


class ForeignClassWarning(UserWarning):
    """Recorded cases hold objects of a package outside the project: replay needs it in ``allow``."""


class RefusalError(HarnessError):
    """A helper that cannot prove a change safe refuses with a clear reason."""


class TargetNotFound(RefusalError):
    """The named function or class is not in this file (maybe in another one)."""


class GoldenMismatch(AssertionError):
    """A value differs from its master (or has none); the message is the full report."""


class CaseFailure(Exception):
    """A stored case that changed or could not run; the message is the whole report."""
