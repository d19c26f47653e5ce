"""``legacy-harness minimize``: drop cases that add no coverage and no outcome kind."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    known_targets,
    open_session,
    output_options,
    shown,
    store_option,
    targets_argument,
)
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode
from legacy_harness.parallel import add_executor_arguments, executor_from

if TYPE_CHECKING:
    from legacy_harness.widen.measure import TargetCoverage
    from legacy_harness.widen.minimize import MinimizePlan


def plan_data(
    minimize_plan: MinimizePlan, before: TargetCoverage, after: TargetCoverage
) -> dict[str, Any]:
    """One target's plan as JSON-ready data: counts, what it keeps, what goes."""
    return {
        "target": minimize_plan.target,
        "before": minimize_plan.before,
        "after": minimize_plan.after,
        "arcs": minimize_plan.arcs,
        "outcome_kinds": list(minimize_plan.kinds),
        "coverage_before": before.percent,
        "coverage_after": after.percent,
        "removed": [
            {
                "id": stored.case.id,
                "path": str(stored.path),
                "origin": stored.case.meta.get("origin"),
            }
            for stored in minimize_plan.drop
        ],
        "errors": list(minimize_plan.errors),
    }


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
        add_executor_arguments(parser, "the case replays that measure what each case covers")
        output_options(parser)

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.schema import envelope
        from legacy_harness.widen.measure import measure_coverage
        from legacy_harness.widen.minimize import apply, plan

        output = args.output
        session = open_session(config, "minimize")
        targets = known_targets(session, args.targets or None, "minimize", args.exclude)
        with output.progress("measuring coverage") as progress:
            measured = measure_coverage(session, targets, progress=progress.update)
        before = {e.target: e for e in measured.targets}
        plans = []
        with (
            executor_from(config, args) as executor,
            output.progress("minimizing targets", len(targets)) as progress,
        ):
            for target in targets:
                plans.append(
                    plan(session, target, keep_boundary=args.keep_boundary, executor=executor)
                )
                progress.advance()
        if not args.dry_run:
            for minimize_plan in plans:
                apply(session, minimize_plan)
        with output.progress("measuring coverage") as progress:
            measured = measure_coverage(session, targets, progress=progress.update)
        after = {e.target: e for e in measured.targets}
        if output.format == "json":
            output.json(
                {
                    **envelope(self.name, ExitCode.SAME),
                    "dry_run": args.dry_run,
                    "targets": [plan_data(p, before[p.target], after[p.target]) for p in plans],
                }
            )
            return ExitCode.SAME
        verb = "would keep" if args.dry_run else "kept"
        for minimize_plan in plans:
            old, new = before[minimize_plan.target], after[minimize_plan.target]
            output.echo(
                f"{minimize_plan.target}: {verb} {minimize_plan.after} of {minimize_plan.before}"
                f" cases; {minimize_plan.arcs} arcs, {len(minimize_plan.kinds)} outcome kinds;"
                f" coverage {old.percent:.1f}% -> {new.percent:.1f}%",
                level=-1,
            )
            for error in minimize_plan.errors:
                output.echo(f"  kept, not judged: {error}")
            if args.dry_run:
                for stored in minimize_plan.drop:
                    origin = stored.case.meta.get("origin", "?")
                    output.echo(f"  would remove {stored.path.name} ({origin})")
            elif output.verbose:
                for stored in minimize_plan.drop:
                    output.echo(f"  removed {shown(stored.path)}", level=1)
        if args.dry_run:
            output.echo("dry run: nothing removed", level=-1)
        return ExitCode.SAME


COMMAND: Command = MinimizeCommand()
