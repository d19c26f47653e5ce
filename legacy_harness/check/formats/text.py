"""The check report for people: a line per target, then what failed and why (identical
differences grouped), the policies, the tally again and the verdict."""

from __future__ import annotations

from typing import IO, ClassVar

from legacy_harness.check.model import CaseCheck, CheckReport, ErrorKind, PolicyKind
from legacy_harness.display import shown
from legacy_harness.outcomes import CaseStatus
from legacy_harness.report.cases import DEFAULT_MAX_CASES, CaseEntry, render_run
from legacy_harness.report.render import paint, paint_report

__all__ = ["TextReporter", "case_entry", "error_label", "leftover_lines", "render_text"]

#: Details listed under one policy failure before "... and N more".
DETAILS_SHOWN = 10
#: Notes of passing cases shown before "... and N more" (``-v`` shows them all).
NOTES_SHOWN = 5

_ERROR_LABELS = {
    ErrorKind.MISSING_TARGET: "MISSING TARGET",
    ErrorKind.NOT_REPLAYABLE: "NOT REPLAYABLE",
}


def error_label(case: CaseCheck) -> str:
    """``ERROR``, or what kind of error when a person would act on it differently."""
    return _ERROR_LABELS.get(case.error_kind, "ERROR") if case.error_kind else "ERROR"


def case_entry(case: CaseCheck, *, color: bool = False) -> CaseEntry | None:
    """How the report shows a case that did not pass (None for one that did)."""
    if case.status in (CaseStatus.CHANGED, CaseStatus.UNSTABLE):
        return CaseEntry(
            case.status.value.upper(),
            case.target,
            case.name,
            shown(case.path),
            body=paint_report(case.diff) if color else case.diff,
            inputs=case.inputs,
            signature=tuple((str(d.get("path")), str(d.get("kind"))) for d in case.differences),
            note=case.note,
            failed=case.status == CaseStatus.CHANGED,
        )
    if case.status == CaseStatus.ERROR:
        return CaseEntry(
            error_label(case), case.target, case.name, message=case.error or "", note=case.note
        )
    if case.status == CaseStatus.SKIPPED:
        return CaseEntry(
            "SKIPPED",
            case.target,
            case.name,
            message=f"{case.name}: {case.error}",
            note=case.note,
            failed=False,
        )
    return None


def _policy_lines(report: CheckReport, verbosity: int, color: bool) -> list[str]:
    lines: list[str] = []
    for failure in report.policy:
        where = (
            f" ({shown(failure.path)}:{failure.line})"
            if failure.kind == PolicyKind.SECRET and failure.path
            else ""
        )
        lines += [
            "",
            f"{paint('warning', 'POLICY', color)} {failure.kind}{where}: {failure.message}",
        ]
        if verbosity < 0:
            continue
        limit = None if verbosity > 0 else DETAILS_SHOWN
        for detail in failure.details[:limit]:
            lines.append(f"  {shown(detail) if failure.kind == PolicyKind.UNREVIEWED else detail}")
        if limit is not None and len(failure.details) > limit:
            lines.append(f"  ... and {len(failure.details) - limit} more")
    return lines


def _notes(report: CheckReport, verbosity: int) -> list[str]:
    """Notes on cases that passed (a failing case shows its own)."""
    notes = [f"NOTE {c.name}: {c.note}" for c in report.cases if c.note and not c.failed]
    if verbosity < 0 or not notes:
        return []
    limit = None if verbosity > 0 else NOTES_SHOWN
    lines = ["", *notes[:limit]]
    if limit is not None and len(notes) > limit:
        lines.append(f"... and {len(notes) - limit} more notes (-v shows them)")
    return lines


def leftover_lines(leftovers: list[str], verbosity: int = 0) -> list[str]:
    """Files killed recordings left: named, not failing the run (nothing reads them)."""
    if not leftovers:
        return []
    lines = [
        "",
        f"LEFTOVER {len(leftovers)} files killed recordings left in the store (.tmp-* files,"
        " blobs no case names); not an error: `legacy-harness record` of their target"
        " deletes them, or delete them by hand",
    ]
    limit = None if verbosity > 0 else DETAILS_SHOWN
    lines += [f"  {shown(path)}" for path in leftovers[:limit]]
    if limit is not None and len(leftovers) > limit:
        lines.append(f"  ... and {len(leftovers) - limit} more")
    return lines


def render_text(
    report: CheckReport,
    *,
    max_cases: int | None = DEFAULT_MAX_CASES,
    verbosity: int = 0,
    color: bool = False,
) -> str:
    """The whole text report, ending with a newline."""
    summary = report.summary
    entries = [e for c in report.cases if (e := case_entry(c, color=color)) is not None]
    sections = _policy_lines(report, verbosity, color) + _notes(report, verbosity)
    if report.coverage is not None:
        sections += ["", f"coverage: {report.coverage['percent']:.1f}%"]
    sections += leftover_lines(report.leftovers, verbosity)
    rate = summary.total / report.seconds if report.seconds else 0.0
    detail = f" ({report.seconds:.2f}s, {rate:.0f} cases/s, {report.options.jobs} job(s))"
    text = render_run(
        summary,
        entries,
        sections=sections,
        detail=detail,
        max_cases=max_cases,
        verbosity=verbosity,
        color=color,
    )
    return text + "\n"


class TextReporter:
    """``--format text``: the default, for people. ``max_cases`` caps the cases shown,
    ``verbosity`` is ``-q`` (-1) to ``-v`` (1), ``color`` adds ANSI colours."""

    name: ClassVar[str] = "text"

    def __init__(
        self,
        *,
        max_cases: int | None = DEFAULT_MAX_CASES,
        verbosity: int = 0,
        color: bool = False,
    ) -> None:
        self.max_cases = max_cases
        self.verbosity = verbosity
        self.color = color

    def report(self, report: CheckReport, stream: IO[str]) -> None:
        text = render_text(
            report, max_cases=self.max_cases, verbosity=self.verbosity, color=self.color
        )
        stream.writelines(text.splitlines(keepends=True))  # as a terminal reads it: by line
