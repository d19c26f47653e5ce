"""The check report for people: a line per target, then what failed and why, then the
verdict; and the progress bar drawn while a long run goes on a terminal."""

from __future__ import annotations

from typing import IO, ClassVar

from legacy_harness.check.model import CaseCheck, CheckReport, ErrorKind, PolicyKind
from legacy_harness.display import indent, shown
from legacy_harness.outcomes import CaseStatus

__all__ = ["ProgressBar", "TextReporter", "error_label"]

#: Details listed under one policy failure before "... and N more".
DETAILS_SHOWN = 10

_ERROR_LABELS = {
    ErrorKind.MISSING_TARGET: "MISSING TARGET",
    ErrorKind.NOT_REPLAYABLE: "NOT REPLAYABLE",
}


def error_label(case: CaseCheck) -> str:
    """``ERROR``, or what kind of error when a person would act on it differently."""
    return _ERROR_LABELS.get(case.error_kind, "ERROR") if case.error_kind else "ERROR"


def _case_lines(case: CaseCheck) -> list[str]:
    lines: list[str] = []
    if case.status in (CaseStatus.CHANGED, CaseStatus.UNSTABLE):
        lines += ["", f"{case.status.value.upper()} {case.name} ({shown(case.path)})"]
        if case.inputs:
            lines.append(f"  inputs: {case.inputs}")
        lines.append(indent(case.diff))
    elif case.status == CaseStatus.ERROR:
        lines += ["", f"{error_label(case)} {case.error}"]
    elif case.status == CaseStatus.SKIPPED:
        lines += ["", f"SKIPPED {case.name}: {case.error}"]
    if case.note:
        lines.append(f"NOTE {case.name}: {case.note}")
    return lines


def render_text(report: CheckReport) -> str:
    """The whole text report, ending with a newline."""
    summary = report.summary
    lines = summary.target_lines()
    for case in report.cases:
        lines += _case_lines(case)
    for failure in report.policy:
        where = (
            f" ({shown(failure.path)}:{failure.line})"
            if failure.kind == PolicyKind.SECRET and failure.path
            else ""
        )
        lines += ["", f"POLICY {failure.kind}{where}: {failure.message}"]
        for detail in failure.details[:DETAILS_SHOWN]:
            lines.append(f"  {shown(detail) if failure.kind == PolicyKind.UNREVIEWED else detail}")
        if len(failure.details) > DETAILS_SHOWN:
            lines.append(f"  ... and {len(failure.details) - DETAILS_SHOWN} more")
    if report.coverage is not None:
        lines += ["", f"coverage: {report.coverage['percent']:.1f}%"]
    rate = summary.total / report.seconds if report.seconds else 0.0
    detail = f" ({report.seconds:.2f}s, {rate:.0f} cases/s, {report.options.jobs} job(s))"
    lines += ["", summary.closing_line(detail)]
    return "\n".join(lines) + "\n"


class TextReporter:
    """``--format text``: the default, for people."""

    name: ClassVar[str] = "text"

    def report(self, report: CheckReport, stream: IO[str]) -> None:
        stream.write(render_text(report))


class ProgressBar:
    """A one-line bar redrawn with carriage returns; only ever used on a terminal."""

    def __init__(self, stream: IO[str], width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // total if total else self.width
        if filled == self.shown and done != total:
            return
        self.shown = filled
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\rchecking [{bar}] {done}/{total} cases")
        self.stream.flush()

    def finish(self) -> None:
        """Wipe the bar so the report starts on a clean line."""
        self.stream.write("\r" + " " * (self.width + 40) + "\r")
        self.stream.flush()
