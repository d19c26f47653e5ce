"""``legacy-harness coverage``: what the golden masters reach of each target's code."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    known_targets,
    open_session,
    output_options,
    percent,
    store_option,
    targets_argument,
)
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode

#: How the text report names each file coverage.py wrote.
_REPORTS = {"html": "HTML report", "xml": "Cobertura XML report", "lcov": "LCOV report"}


class CoverageCommand:
    """``coverage [TARGET ...]``: exit 1 when ``--fail-under`` is not met."""

    name: ClassVar[str] = "coverage"
    help: ClassVar[str] = "line and branch coverage of each target by its golden masters"
    description: ClassVar[str] = (
        "Replay the golden masters under coverage.py with branch measurement and report, per"
        " target, the line and branch coverage of the target's own code, with the uncovered"
        " lines and branches and their source. coverage.py's own reporters also write HTML,"
        " Cobertura XML and LCOV for CI services."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        targets_argument(parser)
        store_option(parser)
        parser.add_argument("--html", metavar="DIR", help="also write coverage.py's HTML report")
        parser.add_argument(
            "--xml", metavar="PATH",
            help="also write a Cobertura XML report (coverage.py's), as GitLab and Azure read it",
        )  # fmt: skip
        parser.add_argument(
            "--lcov", metavar="PATH", help="also write an LCOV report (coverage.py's)"
        )
        parser.add_argument(
            "--fail-under", type=percent, metavar="PCT",
            help="exit 1 when the total (line+branch) coverage is below PCT",
        )  # fmt: skip
        parser.add_argument(
            "--no-missing", action="store_true", help="only the figures, not the uncovered code"
        )
        output_options(parser)

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.schema import envelope
        from legacy_harness.widen.measure import measure_coverage, render

        output = args.output
        session = open_session(config, "coverage")
        targets = known_targets(session, args.targets or None, "coverage", args.exclude)
        reports = {
            kind: Path(value).resolve()
            for kind, value in (("html", args.html), ("xml", args.xml), ("lcov", args.lcov))
            if value
        }
        with output.progress("replaying golden masters") as progress:
            result = measure_coverage(
                session,
                targets,
                html=reports.get("html"),
                xml=reports.get("xml"),
                lcov=reports.get("lcov"),
                progress=progress.update,
            )
        failed = args.fail_under is not None and result.percent < args.fail_under
        code = ExitCode.CHANGED if failed else ExitCode.SAME
        if output.format == "json":
            output.json(
                {
                    **envelope(self.name, code),
                    "percent": result.percent,
                    "fail_under": args.fail_under,
                    "targets": [asdict(entry) for entry in result.targets],
                    "reports": {kind: str(path) for kind, path in reports.items()},
                }
            )
            return code
        if not output.quiet:
            limit = max(
                (len(t.missing_lines) + len(t.missing_branches) for t in result.targets), default=0
            )
            text = render(
                result,
                show_missing=not args.no_missing,
                **({"limit": limit} if output.verbose else {}),
            )
            output.echo(text)
        else:
            output.echo(f"total {result.percent:.1f}% over {len(result.targets)} targets", level=-1)
        for kind, path in reports.items():
            output.echo(f"{_REPORTS[kind]}: {path / 'index.html' if kind == 'html' else path}")
        if failed:
            output.echo(
                f"FAIL: total coverage {result.percent:.1f}% is below {args.fail_under:g}%",
                level=-1,
            )
        return code


COMMAND: Command = CoverageCommand()
