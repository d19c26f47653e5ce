"""``legacy-harness minimize``: drop cases that add no coverage and no outcome kind."""

from __future__ import annotations

import argparse
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import known_targets, open_session, store_option, targets_argument
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode


class MinimizeCommand:
    """``minimize [TARGET ...]``: fewer cases, the same net."""

    name: ClassVar[str] = "minimize"
    help: ClassVar[str] = "keep the fewest cases that preserve coverage and outcome kinds"
    description: ClassVar[str] = (
        "Keep the smallest set of cases per target that preserves the arcs the store covers"
        " and every distinct outcome kind (each exception type, each effect shape); report"
        " the counts and the coverage before and after."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        targets_argument(parser)
        store_option(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be removed, remove nothing"
        )
        parser.add_argument(
            "--keep-boundary", action="store_true",
            help="also keep the boundary cases characterize recorded (they catch off-by-one changes)",
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.widen.measure import measure_coverage
        from legacy_harness.widen.minimize import apply, plan

        session = open_session(config, "minimize")
        targets = known_targets(session, args.targets or None, "minimize")
        before = {e.target: e for e in measure_coverage(session, targets).targets}
        plans = [plan(session, target, keep_boundary=args.keep_boundary) for target in targets]
        for minimize_plan in plans:
            if not args.dry_run:
                apply(session, minimize_plan)
        after = {e.target: e for e in measure_coverage(session, targets).targets}
        for minimize_plan in plans:
            old, new = before[minimize_plan.target], after[minimize_plan.target]
            verb = "would keep" if args.dry_run else "kept"
            print(
                f"{minimize_plan.target}: {verb} {minimize_plan.after} of {minimize_plan.before} cases;"
                f" {minimize_plan.arcs} arcs, {len(minimize_plan.kinds)} outcome kinds;"
                f" coverage {old.percent:.1f}% -> {new.percent:.1f}%"
            )
            for error in minimize_plan.errors:
                print(f"  kept, not judged: {error}")
            if args.dry_run:
                for stored in minimize_plan.drop:
                    print(
                        f"  would remove {stored.path.name} ({stored.case.meta.get('origin', '?')})"
                    )
        if args.dry_run:
            print("dry run: nothing removed")
        return ExitCode.SAME


COMMAND: Command = MinimizeCommand()
