"""One summary of a run of cases: the counts, the exit code and the words ``verify`` and
``check`` both print.

Both commands judge cases one by one and then say the same three things: how the cases
of each target behaved, which exit code the run ends with, and one closing line for a
person. The rules live here so a status counts the same and an exit code is chosen the
same way whichever command ran; each command adds only what is its own (check: timing,
policies; verify: diffs per case).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from legacy_harness.outcomes import CaseStatus, ExitCode
from legacy_harness.schema import envelope

__all__ = [
    "CHECK_WORDING",
    "LABELS",
    "UNSTABLE_WORDING",
    "VERIFY_WORDING",
    "RunSummary",
    "TargetSummary",
    "Verdict",
    "decide",
    "summarize",
]


class Verdict(Protocol):
    """What the summary reads of one judged case: verify's ``CaseResult`` and check's
    ``CaseCheck`` both qualify. A verdict that also has ``reviewed`` (check's) is counted
    as unreviewed when that is false."""

    @property
    def target(self) -> str: ...

    @property
    def status(self) -> str: ...


#: How a count of each status reads in a per-target line, in the order shown.
LABELS: Mapping[CaseStatus, str] = {
    CaseStatus.PASSED: "same",
    CaseStatus.CHANGED: "changed",
    CaseStatus.UNSTABLE: "unstable",
    CaseStatus.ERROR: "errors",
    CaseStatus.SKIPPED: "not replayable",
}

#: The closing words of ``verify`` per exit code.
VERIFY_WORDING: Mapping[ExitCode, str] = {
    ExitCode.SAME: "every case behaves the same",
    ExitCode.CHANGED: "behaviour changed",
    ExitCode.ERROR: "some golden files could not be used",
    ExitCode.POLICY: "policy failures",
    ExitCode.NO_CASES: "no cases to verify; record some first (legacy-harness record)",
}

#: The closing words of ``check`` per exit code (its pass also vouches for the policies).
CHECK_WORDING: Mapping[ExitCode, str] = {
    ExitCode.SAME: "pass: every case behaves the same and the policies hold",
    ExitCode.CHANGED: "behaviour changed",
    ExitCode.ERROR: "some golden masters cannot be used",
    ExitCode.POLICY: "policy failures",
    ExitCode.NO_CASES: "no cases checked: the store holds no golden files; record some"
    " (legacy-harness record) or pass --allow-empty",
}

#: Said instead of "behaviour changed" when the only changes are fields that vary
#: between runs of the same code: the fix is configuration, not code.
UNSTABLE_WORDING = "some fields differ between runs of the same code; add the suggested lines"


def _zero() -> dict[CaseStatus, int]:
    return dict.fromkeys(CaseStatus, 0)


@dataclass(frozen=True)
class TargetSummary:
    """The cases of one target, counted by status."""

    target: str
    #: Every :class:`CaseStatus`, in declaration order, zeros included.
    counts: Mapping[CaseStatus, int]
    unreviewed: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def parts(self) -> list[str]:
        """``["37 same", "3 changed"]``: the non-zero counts, then unreviewed cases."""
        parts = [f"{count} {LABELS[status]}" for status, count in self.counts.items() if count]
        if self.unreviewed:
            parts.append(f"{self.unreviewed} unreviewed")
        return parts

    def line(self, width: int = 0) -> str:
        """``billing:compute_invoice  40 cases: 37 same, 3 changed`` (target padded to ``width``)."""
        return f"{self.target.ljust(width)}  {self.total} cases: {', '.join(self.parts())}"

    def to_data(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cases": self.total,
            "counts": {status.value: count for status, count in self.counts.items()},
            "unreviewed": self.unreviewed,
        }


@dataclass(frozen=True)
class RunSummary:
    """A whole run: per-target counts, overall counts, exit code and verdict words."""

    targets: tuple[TargetSummary, ...]
    counts: Mapping[CaseStatus, int]
    exit_code: ExitCode
    verdict: str
    #: The command whose run this is (``verify``, ``check``): it heads the JSON document.
    command: str = "verify"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def same(self) -> int:
        return self.counts[CaseStatus.PASSED]

    def target_lines(self) -> list[str]:
        """One line per target, targets aligned in a column."""
        width = max((len(t.target) for t in self.targets), default=0)
        return [entry.line(width) for entry in self.targets]

    def closing_line(self, detail: str = "") -> str:
        """``37 of 40 cases behave the same{detail}: behaviour changed``."""
        return f"{self.same} of {self.total} cases behave the same{detail}: {self.verdict}"

    def to_data(self) -> dict[str, Any]:
        """The summary's part of a JSON document (headed by the envelope every document
        of the project shares); a command adds its own keys to it."""
        return {
            **envelope(self.command, self.exit_code),
            "verdict": self.verdict,
            "counts": {status.value: count for status, count in self.counts.items()},
            "targets": [entry.to_data() for entry in self.targets],
        }


def decide(
    counts: Mapping[CaseStatus, int], *, policy_failures: int = 0, allow_empty: bool = False
) -> ExitCode:
    """The exit code of a run, the first that applies of: ERROR, CHANGED, NO_CASES, POLICY.

    An unusable master outranks a change because it hides what it would have shown; a
    change outranks a policy because behaviour is what the masters guard; a run that
    checked nothing proves nothing, so it fails (as pytest's "no tests collected") unless
    ``allow_empty``. A case that was not replayed (SKIPPED) passes here: a caller that
    must not pass it (``check``) reports it as ERROR.
    """
    if counts.get(CaseStatus.ERROR, 0):
        return ExitCode.ERROR
    if counts.get(CaseStatus.CHANGED, 0) or counts.get(CaseStatus.UNSTABLE, 0):
        return ExitCode.CHANGED
    if not allow_empty and not sum(counts.values()):
        return ExitCode.NO_CASES
    if policy_failures:
        return ExitCode.POLICY
    return ExitCode.SAME


def summarize(
    verdicts: Iterable[Verdict],
    *,
    policy_failures: int = 0,
    allow_empty: bool = False,
    wording: Mapping[ExitCode, str] = VERIFY_WORDING,
    command: str = "verify",
) -> RunSummary:
    """Count ``verdicts`` per target and status and decide the exit code and its words.

    ``wording`` maps every exit code to the closing words (:data:`VERIFY_WORDING`,
    :data:`CHECK_WORDING`); ``command`` names the run in its JSON document. Targets come
    out sorted by name.
    """
    per_target: dict[str, dict[CaseStatus, int]] = {}
    unreviewed: dict[str, int] = {}
    for verdict in verdicts:
        status = CaseStatus(verdict.status)
        counts = per_target.get(verdict.target)
        if counts is None:
            counts = per_target[verdict.target] = _zero()
            unreviewed[verdict.target] = 0
        counts[status] += 1
        if not getattr(verdict, "reviewed", True):
            unreviewed[verdict.target] += 1
    totals = _zero()
    for counts in per_target.values():
        for status, count in counts.items():
            totals[status] += count
    code = decide(totals, policy_failures=policy_failures, allow_empty=allow_empty)
    words = wording[code]
    if code == ExitCode.CHANGED and not totals[CaseStatus.CHANGED]:
        words = UNSTABLE_WORDING
    targets = tuple(
        TargetSummary(name, per_target[name], unreviewed[name]) for name in sorted(per_target)
    )
    return RunSummary(targets, totals, code, words, command)
