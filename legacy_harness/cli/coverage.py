"""``legacy-harness coverage``: what the golden masters reach of each target's code."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    known_targets,
    open_session,
    percent,
    store_option,
    targets_argument,
)
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode


class CoverageCommand:
    """``coverage [TARGET ...]``: exit 1 when ``--fail-under`` is not met."""

    name: ClassVar[str] = "coverage"
    help: ClassVar[str] = "line and branch coverage of each target by its golden masters"
    description: ClassVar[str] = (
        "Replay the golden masters under coverage.py with branch measurement and report, per"
        " target, the line and branch coverage of the target's own code, with the uncovered"
        " lines and branches and their source."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        targets_argument(parser)
        store_option(parser)
        parser.add_argument("--html", metavar="DIR", help="also write coverage.py's HTML report")
        parser.add_argument(
            "--fail-under", type=percent, metavar="PCT",
            help="exit 1 when the total (line+branch) coverage is below PCT",
        )  # fmt: skip
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument(
            "--no-missing", action="store_true", help="only the figures, not the uncovered code"
        )

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.widen.measure import measure_coverage, render

        session = open_session(config, "coverage")
        targets = known_targets(session, args.targets or None, "coverage")
        html = Path(args.html).resolve() if args.html else None
        result = measure_coverage(session, targets, html=html)
        failed = args.fail_under is not None and result.percent < args.fail_under
        if args.format == "json":
            document = {
                "percent": result.percent,
                "targets": [asdict(entry) for entry in result.targets],
            }
            print(json.dumps(document, indent=2))
        else:
            print(render(result, show_missing=not args.no_missing))
            if html is not None:
                print(f"HTML report: {html / 'index.html'}")
            if failed:
                print(f"FAIL: total coverage {result.percent:.1f}% is below {args.fail_under:g}%")
        return ExitCode.CHANGED if failed else ExitCode.SAME


COMMAND: Command = CoverageCommand()
