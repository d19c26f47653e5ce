"""The check report for GitHub Actions: ``::error`` workflow commands that annotate the
golden files in a pull request, the text report folded into the log, and a Markdown job
summary appended to the file named by ``$GITHUB_STEP_SUMMARY``. Chosen by default when
``GITHUB_ACTIONS=true``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, ClassVar

from legacy_harness.check.formats.text import render_text
from legacy_harness.check.model import CheckReport, ErrorKind, PolicyKind
from legacy_harness.display import shown
from legacy_harness.outcomes import CaseStatus, ExitCode
from legacy_harness.report.cases import DEFAULT_MAX_CASES

__all__ = [
    "MAX_ANNOTATIONS",
    "GitHubReporter",
    "annotation",
    "annotation_lines",
    "escape_data",
    "escape_property",
    "render_markdown",
]

#: Workflow-command annotations per run; GitHub shows only the first few anyway.
MAX_ANNOTATIONS = 50
#: Details listed under one policy annotation.
DETAILS_SHOWN = 20
#: Diffs folded into the job summary.
SUMMARY_DIFFS = 20

_ERROR_TITLES = {
    ErrorKind.MISSING_TARGET: "target disappeared",
    ErrorKind.NOT_REPLAYABLE: "not replayable",
}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner requires."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), escaped as the runner requires."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(path: str | None, line: int, title: str, message: str) -> str:
    """One ``::error`` command, on ``path:line`` when a path is given."""
    props = []
    if path:
        props.append(f"file={escape_property(path)}")
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::error {','.join(props)}::{escape_data(message)}"


def annotation_lines(report: CheckReport) -> list[str]:
    """An annotation per failing case and per policy failure, capped at MAX_ANNOTATIONS."""
    lines: list[str] = []
    for case in report.cases:
        if case.status in (CaseStatus.CHANGED, CaseStatus.UNSTABLE):
            what = "behaviour changed" if case.status == CaseStatus.CHANGED else "unstable"
            title = f"legacy-harness: {what}: {case.name}"
            lines.append(annotation(shown(case.path), 1, title, case.diff))
        elif case.status == CaseStatus.ERROR:
            kind = case.error_kind
            what = _ERROR_TITLES.get(kind, "unusable master") if kind else "unusable master"
            title = f"legacy-harness: {what}: {case.name}"
            lines.append(annotation(shown(case.path), 1, title, case.error or ""))
    for failure in report.policy:
        path = shown(failure.path) if failure.path else None
        message = failure.message
        if failure.details:
            listed = [
                shown(d) if failure.kind == PolicyKind.UNREVIEWED else d
                for d in failure.details[:DETAILS_SHOWN]
            ]
            message += "\n" + "\n".join(listed)
        lines.append(annotation(path, failure.line, f"legacy-harness: {failure.kind}", message))
    if len(lines) > MAX_ANNOTATIONS:
        rest = len(lines) - MAX_ANNOTATIONS
        lines = lines[:MAX_ANNOTATIONS]
        lines.append(f"::error title=legacy-harness::{rest} more failures; see the job summary")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: CheckReport) -> str:
    """The job summary: verdict, a row per target, the policy failures, the first diffs."""
    mark = "✅" if report.exit_code == ExitCode.SAME else "❌"
    lines = [
        f"## {mark} legacy-harness check: {report.verdict}",
        "",
        "| target | cases | same | changed | errors | not replayable | unreviewed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    grouped = report.by_target()
    for entry in report.summary.targets:
        counts = entry.counts
        # a case that cannot be replayed is an error of the run, shown in a column of its own
        unreplayable = sum(c.error_kind == ErrorKind.NOT_REPLAYABLE for c in grouped[entry.target])
        errors = counts[CaseStatus.ERROR] - unreplayable
        unreplayable += counts[CaseStatus.SKIPPED]
        changed = counts[CaseStatus.CHANGED] + counts[CaseStatus.UNSTABLE]
        lines.append(
            f"| `{_cell(entry.target)}` | {entry.total} | {counts[CaseStatus.PASSED]} |"
            f" {changed} | {errors} | {unreplayable} | {entry.unreviewed} |"
        )
    if report.coverage is not None:
        lines += ["", f"Coverage: {report.coverage['percent']:.1f}%"]
    if report.policy:
        lines += ["", "### Policy failures", ""]
        lines += [f"- **{failure.kind}**: {_cell(failure.message)}" for failure in report.policy]
    changed_cases = [
        c for c in report.cases if c.status in (CaseStatus.CHANGED, CaseStatus.UNSTABLE)
    ]
    for case in changed_cases[:SUMMARY_DIFFS]:
        lines += [
            "",
            f"<details><summary>{case.status}: <code>{case.target}</code>"
            f" case-{case.case_id}</summary>",
            "",
            "```",
            case.diff,
            "```",
            "</details>",
        ]
    return "\n".join(lines) + "\n\n"


class GitHubReporter:
    """``--format github``: annotations, the text report folded in a log group (as
    ``max_cases``, ``verbosity`` and ``color`` ask) and a closing line on the stream;
    the Markdown summary appended to ``step_summary`` (default: ``$GITHUB_STEP_SUMMARY``,
    if set)."""

    name: ClassVar[str] = "github"

    def __init__(
        self,
        step_summary: Path | None = None,
        *,
        max_cases: int | None = DEFAULT_MAX_CASES,
        verbosity: int = 0,
        color: bool = False,
    ) -> None:
        self.step_summary = step_summary
        self.max_cases = max_cases
        self.verbosity = verbosity
        self.color = color

    def report(self, report: CheckReport, stream: IO[str]) -> None:
        for line in annotation_lines(report):
            stream.write(line + "\n")
        if self.verbosity >= 0:
            stream.write("::group::legacy-harness check: the report\n")
            stream.write(
                render_text(
                    report, max_cases=self.max_cases, verbosity=self.verbosity, color=self.color
                )
            )
            stream.write("::endgroup::\n")
        stream.write(
            f"legacy-harness check: {report.summary.same} of {report.summary.total} cases"
            f" behave the same, {len(report.policy)} policy failure(s): {report.verdict}\n"
        )
        target = self.step_summary
        if target is None and os.environ.get("GITHUB_STEP_SUMMARY"):
            target = Path(os.environ["GITHUB_STEP_SUMMARY"])
        if target is not None:
            with target.open("a", encoding="utf-8") as summary:
                summary.write(render_markdown(report))
