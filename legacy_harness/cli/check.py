"""``legacy-harness check``: the command a CI job runs, and its reports.

Text for people (with a progress bar on a terminal), JSON for tools, GitHub workflow
commands plus a job summary for GitHub Actions, and JUnit XML for any CI system.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, ClassVar

from legacy_harness.check.gate import (
    EXIT_CHANGED,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_POLICY,
    MISSING_TARGET,
    SECRET,
    UNREVIEWED,
    CaseCheck,
    CheckReport,
    options_from_config,
    run_check,
)
from legacy_harness.cli.command import Command
from legacy_harness.cli.support import percent, require_store, store_option
from legacy_harness.config import Config
from legacy_harness.display import indent, shown
from legacy_harness.outcomes import ExitCode
from legacy_harness.verify import CHANGED, ERROR, PASSED, SKIPPED, UNSTABLE

DESCRIPTION = (
    "Verify every golden master (in parallel) and enforce the project's policies: the"
    " gate a CI job runs. Fails on changed behaviour, masters that cannot be loaded or"
    " whose target disappeared, cases recorded but not reviewed, golden files that"
    " contain secrets, and coverage below --min-coverage."
)

EPILOG = (
    "Exit codes: 0 pass; 1 behaviour changed; 2 configuration or master errors (a golden"
    " file cannot be loaded, its target disappeared, or it cannot be replayed);"
    " 3 policy failures (coverage below the threshold, unreviewed cases, secrets in golden"
    " files). When several apply, the first of 2, 1, 3 that applies is the exit code. Defaults come from [tool.legacy_harness.check] in pyproject.toml."
)

VERDICTS = {
    EXIT_OK: "pass: every case behaves the same and the policies hold",
    EXIT_CHANGED: "behaviour changed",
    EXIT_ERROR: "some golden masters cannot be used",
    EXIT_POLICY: "policy failures",
}

#: Workflow-command annotations per run; GitHub shows only the first few anyway.
MAX_ANNOTATIONS = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    store_option(parser)
    parser.add_argument(
        "--min-coverage", type=percent, metavar="PCT",
        help="fail (exit 3) when replaying the masters covers less than PCT%% of the targets' code",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", "-j", type=_jobs, metavar="N",
        help="verify in N processes (default: [tool.legacy_harness.check] jobs, or 1; 0 = one per CPU)",
    )  # fmt: skip
    parser.add_argument("--junit-xml", metavar="PATH", help="also write a JUnit XML report to PATH")
    parser.add_argument(
        "--format", choices=("text", "json", "github"), default="text",
        help="text for people; json for tools; github: workflow annotations and a job summary",
    )  # fmt: skip
    parser.add_argument(
        "--allow-unreviewed", action="store_true", default=None,
        help="do not fail on cases recorded but not yet reviewed",
    )  # fmt: skip


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 (one per CPU) or more")
    return value or (os.cpu_count() or 1)


def run(args: argparse.Namespace, config: Config) -> int:
    options = options_from_config(config.table)
    if args.jobs is not None:
        options.jobs = args.jobs
    if args.min_coverage is not None:
        options.min_coverage = args.min_coverage
    if args.allow_unreviewed:
        options.allow_unreviewed = True
    require_store(config, "check")
    progress = ProgressBar(sys.stderr) if args.format == "text" and _isatty(sys.stderr) else None
    report = run_check(config, options, progress)
    if progress:
        progress.finish()
    if args.junit_xml:
        from legacy_harness.check.junit import write_junit

        write_junit(report, Path(args.junit_xml))
    if args.format == "json":
        print(json.dumps(to_document(report), indent=2, default=str))
    elif args.format == "github":
        render_github(report, sys.stdout)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as stream:
                stream.write(render_markdown(report))
    else:
        render_text(report, sys.stdout)
    return report.exit_code


class CheckCommand:
    """``check``: the CI gate, keeping the :class:`~legacy_harness.cli.command.Command` protocol."""

    name: ClassVar[str] = "check"
    help: ClassVar[str] = "the CI gate: verify every master in parallel and enforce policies"
    description: ClassVar[str] = DESCRIPTION

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        return ExitCode(run(args, config))


COMMAND: Command = CheckCommand()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


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
        self.stream.write("\r" + " " * (self.width + 40) + "\r")
        self.stream.flush()


# -- text -----------------------------------------------------------------------------

_LABELS = {
    PASSED: "same",
    CHANGED: "changed",
    UNSTABLE: "unstable",
    ERROR: "errors",
    SKIPPED: "not replayable",
}


def _tally(cases: list[CaseCheck]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.status] = counts.get(case.status, 0) + 1
    return counts


def _error_label(case: CaseCheck) -> str:
    return "MISSING TARGET" if case.error_kind == MISSING_TARGET else "ERROR"


def render_text(report: CheckReport, stream: IO[str]) -> None:
    groups = report.by_target()
    width = max((len(t) for t in groups), default=0)
    for target, cases in groups.items():
        counts = _tally(cases)
        parts = [f"{counts[s]} {_LABELS[s]}" for s in _LABELS if counts.get(s)]
        unreviewed = sum(not c.reviewed for c in cases)
        if unreviewed:
            parts.append(f"{unreviewed} unreviewed")
        print(f"{target.ljust(width)}  {len(cases)} cases: {', '.join(parts)}", file=stream)
    for case in report.cases:
        if case.status in (CHANGED, UNSTABLE):
            print(
                f"\n{case.status.upper()} {case.target} case-{case.case_id} ({shown(case.path)})",
                file=stream,
            )
            print(indent(case.diff), file=stream)
        elif case.status == ERROR:
            print(f"\n{_error_label(case)} {case.error}", file=stream)
        elif case.status == SKIPPED:
            print(f"\nSKIPPED {case.target} case-{case.case_id}: {case.error}", file=stream)
        if case.note:
            print(f"NOTE {case.target} case-{case.case_id}: {case.note}", file=stream)
    for failure in report.policy:
        where = (
            f" ({shown(failure.path)}:{failure.line})"
            if failure.kind == SECRET and failure.path
            else ""
        )
        print(f"\nPOLICY {failure.kind}{where}: {failure.message}", file=stream)
        for detail in failure.details[:10]:
            print(f"  {shown(detail) if failure.kind == UNREVIEWED else detail}", file=stream)
        if len(failure.details) > 10:
            print(f"  ... and {len(failure.details) - 10} more", file=stream)
    if report.coverage is not None:
        print(f"\ncoverage: {report.coverage['percent']:.1f}%", file=stream)
    total = len(report.cases)
    same = report.counts()[PASSED]
    rate = total / report.seconds if report.seconds else 0.0
    print(
        f"\n{same} of {total} cases behave the same ({report.seconds:.2f}s, {rate:.0f} cases/s,"
        f" {report.options.jobs} job(s)): {VERDICTS[report.exit_code]}",
        file=stream,
    )


# -- JSON -----------------------------------------------------------------------------


def to_document(report: CheckReport) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    return {
        "exit_code": report.exit_code,
        "verdict": VERDICTS[report.exit_code],
        "store": report.store,
        "seconds": round(report.seconds, 6),
        "counts": report.counts(),
        "coverage": report.coverage,
        "cases": [
            {
                "target": c.target, "id": c.case_id, "path": c.path, "status": c.status,
                "error": c.error, "error_kind": c.error_kind, "differences": c.differences,
                "note": c.note, "reviewed": c.reviewed,
                "secrets": [
                    {"path": f.path, "kind": f.kind, "excerpt": f.excerpt, "line": line}
                    for f, line in zip(c.secrets, c.secret_lines, strict=True)
                ],
            }
            for c in report.cases
        ],
        "policy": [asdict(failure) for failure in report.policy],
    }  # fmt: skip


# -- GitHub Actions -------------------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner requires."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), escaped as the runner requires."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(path: str | None, line: int, title: str, message: str) -> str:
    props = []
    if path:
        props.append(f"file={escape_property(path)}")
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::error {','.join(props)}::{escape_data(message)}"


def annotation_lines(report: CheckReport) -> list[str]:
    lines: list[str] = []
    for case in report.cases:
        name = f"{case.target} case-{case.case_id}"
        if case.status in (CHANGED, UNSTABLE):
            what = "behaviour changed" if case.status == CHANGED else "unstable"
            lines.append(
                annotation(shown(case.path), 1, f"legacy-harness: {what}: {name}", case.diff)
            )
        elif case.status == ERROR:
            what = "target disappeared" if case.error_kind == MISSING_TARGET else "unusable master"
            lines.append(
                annotation(shown(case.path), 1, f"legacy-harness: {what}: {name}", case.error or "")
            )
    for failure in report.policy:
        path = shown(failure.path) if failure.path else None
        message = failure.message
        if failure.details:
            listed = [shown(d) if failure.kind == UNREVIEWED else d for d in failure.details[:20]]
            message += "\n" + "\n".join(listed)
        lines.append(annotation(path, failure.line, f"legacy-harness: {failure.kind}", message))
    if len(lines) > MAX_ANNOTATIONS:
        rest = len(lines) - MAX_ANNOTATIONS
        lines = lines[:MAX_ANNOTATIONS]
        lines.append(f"::error title=legacy-harness::{rest} more failures; see the job summary")
    return lines


def render_github(report: CheckReport, stream: IO[str]) -> None:
    for line in annotation_lines(report):
        print(line, file=stream)
    counts = report.counts()
    print(
        f"legacy-harness check: {counts[PASSED]} of {len(report.cases)} cases behave the same,"
        f" {len(report.policy)} policy failure(s): {VERDICTS[report.exit_code]}",
        file=stream,
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: CheckReport) -> str:
    """The job summary: verdict, a table per target, the policy failures."""
    mark = "✅" if report.exit_code == EXIT_OK else "❌"
    lines = [
        f"## {mark} legacy-harness check: {VERDICTS[report.exit_code]}",
        "",
        "| target | cases | same | changed | errors | not replayable | unreviewed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target, cases in report.by_target().items():
        counts = _tally(cases)
        unreviewed = sum(not c.reviewed for c in cases)
        lines.append(
            f"| `{_cell(target)}` | {len(cases)} | {counts.get(PASSED, 0)} |"
            f" {counts.get(CHANGED, 0) + counts.get(UNSTABLE, 0)} | {counts.get(ERROR, 0)} |"
            f" {counts.get(SKIPPED, 0)} | {unreviewed} |"
        )
    if report.coverage is not None:
        lines += ["", f"Coverage: {report.coverage['percent']:.1f}%"]
    if report.policy:
        lines += ["", "### Policy failures", ""]
        for failure in report.policy:
            lines.append(f"- **{failure.kind}**: {_cell(failure.message)}")
    changed = [c for c in report.cases if c.status in (CHANGED, UNSTABLE)]
    for case in changed[:20]:
        lines += [
            "",
            f"<details><summary>{case.status}: <code>{case.target}</code> case-{case.case_id}</summary>",
            "",
            "```",
            case.diff,
            "```",
            "</details>",
        ]
    return "\n".join(lines) + "\n\n"


__all__ = [
    "COMMAND",
    "DESCRIPTION",
    "add_arguments",
    "annotation",
    "escape_data",
    "render_markdown",
    "run",
    "to_document",
]
