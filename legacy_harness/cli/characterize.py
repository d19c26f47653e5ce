"""``legacy-harness characterize``: generated cases for what the masters miss."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    open_session,
    output_options,
    positive_float,
    store_option,
    target_option,
)
from legacy_harness.config import Config
from legacy_harness.errors import ConfigError
from legacy_harness.outcomes import ExitCode

if TYPE_CHECKING:
    from legacy_harness.terminal import Progress
    from legacy_harness.widen.characterize import CharacterizeReport
    from legacy_harness.widen.strength import MutationReport


class CharacterizeCommand:
    """``characterize --target MOD:QUALNAME``: record generated cases that add coverage."""

    name: ClassVar[str] = "characterize"
    help: ClassVar[str] = "generate cases for the code the golden masters miss"
    description: ClassVar[str] = (
        "Generate inputs with Hypothesis (strategies from registered strategies, type hints,"
        " recorded values and the constants the target compares against) and record a case,"
        " marked origin: generated, for each input that reaches code the store does not yet"
        " cover, plus boundary cases around the target's comparisons. Then, since coverage is"
        " not strength, hunt the mutants the masters let survive (inputs set where each"
        " comparison flips, inside objects held in self or in arguments) and record each"
        " call that kills one; the net's strength is saved to"
        " <store>/.legacy-harness/mutation.json. Calls that hang or do I/O stop the target"
        " and are reported."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        target_option(parser, "the function or method to characterize (repeatable)")
        store_option(parser)
        parser.add_argument(
            "--max-examples", type=int, default=200, metavar="N",
            help="inputs Hypothesis draws per target (default 200)",
        )  # fmt: skip
        parser.add_argument(
            "--budget", type=positive_float, default=60.0, metavar="SECONDS",
            help="time allowed per target for each phase, coverage then the mutant hunt (default 60)",
        )  # fmt: skip
        parser.add_argument(
            "--timeout", type=positive_float, default=1.0, metavar="SECONDS",
            help="time limit of one call; a target that exceeds it is stopped and reported (default 1)",
        )  # fmt: skip
        parser.add_argument(
            "--seed", type=int, default=0, help="Hypothesis seed (same seed, same cases)"
        )
        parser.add_argument(
            "--strategies", action="append", default=[], metavar="MODULE",
            help="import MODULE first; it registers strategies with legacy_harness.strategies.register",
        )  # fmt: skip
        parser.add_argument(
            "--no-mutants", action="store_true",
            help="stop at coverage: do not hunt the mutants the masters let survive",
        )  # fmt: skip
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be recorded, write nothing"
        )
        output_options(
            parser, ("text", "json"),
            {"text": "a report per target", "json": "the same as data"},
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.record.targets import resolve
        from legacy_harness.terminal import Progress
        from legacy_harness.widen.characterize import characterize
        from legacy_harness.widen.measure import measure_coverage

        if args.max_examples < 1:
            raise ConfigError("legacy-harness characterize: --max-examples must be at least 1")
        session = open_session(config, "characterize")
        for module in args.strategies:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise ConfigError(
                    f"legacy-harness characterize: --strategies {module}: cannot import it ({error})"
                ) from None
        targets = [str(resolve(t).spec) for t in args.target]
        with_cases = [t for t in targets if t in session.store.targets()]
        before = {e.target: e for e in measure_coverage(session, with_cases).targets}
        output = args.output
        text = output.format == "text"
        stopped = False
        reports = []
        for spec in targets:
            bar = Progress.for_terminal(f"characterize {spec}", None, quiet=output.quiet)
            try:
                report = characterize(
                    session,
                    spec,
                    max_examples=args.max_examples,
                    budget=args.budget,
                    timeout=args.timeout,
                    seed=args.seed,
                    write=not args.dry_run,
                    mutants=not args.no_mutants,
                    progress=_stepper(bar, f"characterize {spec}"),
                )
            finally:
                bar.close()
            reports.append(report)
            if text:
                print(report.render())
            stopped = stopped or report.problem is not None
        coverage: list[dict[str, Any]] = []
        if args.dry_run:
            if text:
                print("dry run: nothing written")
        else:
            after = measure_coverage(session, [t for t in targets if t in session.store.targets()])
            for entry in after.targets:
                old = before.get(entry.target)
                coverage.append(
                    {
                        "target": entry.target,
                        "before": old.percent if old else None,
                        "after": entry.percent,
                        "branches_covered": entry.branches_covered,
                        "branches_total": entry.branches_total,
                        "cases": entry.cases,
                    }
                )
                if text:
                    was = f"{old.percent:.1f}%" if old else "no cases"
                    print(
                        f"{entry.target}: coverage {was} -> {entry.percent:.1f}% (branches"
                        f" {entry.branches_covered}/{entry.branches_total}, {entry.cases} cases)"
                    )
            if stopped:
                print("some targets were stopped early; see 'stopped:' above", file=sys.stderr)
            if text:
                print(
                    "review generated cases like recorded ones: they have meta.origin = generated"
                )
        if not text:
            from legacy_harness.schema import envelope

            output.json(
                {
                    **envelope(self.name, ExitCode.SAME),
                    "dry_run": bool(args.dry_run),
                    "targets": [_report_data(report) for report in reports],
                    "coverage": coverage,
                }
            )
        return ExitCode.SAME


def _report_data(report: CharacterizeReport) -> dict[str, Any]:
    """One target's run as JSON-ready data (the mutation reports by their scores)."""

    def score(mutation: MutationReport | None) -> float | None:
        value = mutation.score if mutation is not None else None
        return value if value is not None and math.isfinite(value) else None

    return {
        "target": report.target,
        "examples": report.examples,
        "arcs": {"before": report.baseline_arcs, "after": report.arcs},
        "kept": {
            "new_code": report.new_arc_calls,
            "boundary": report.boundary_calls,
            "mutant_killing": report.mutant_calls,
        },
        "written": {str(k): v for k, v in report.written.items()},
        "strategies": dict(report.strategies),
        "mutation_score": {"before": score(report.before), "after": score(report.after)},
        "mutants": {"hunted": report.mutants_hunted, "killed": report.mutants_killed},
        "problem": report.problem or report.mutant_problem,
        "seconds": round(report.elapsed, 3),
    }


def _stepper(bar: Progress, what: str) -> Callable[[str], None]:
    """Shows each step of a target's run on the progress line."""

    def step(text: str) -> None:
        bar.what = f"{what}: {text}"
        bar.advance(0)

    return step


COMMAND: Command = CharacterizeCommand()
