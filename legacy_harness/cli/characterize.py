"""``legacy-harness characterize``: generated cases for what the masters miss."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import open_session, positive_float, store_option, target_option
from legacy_harness.config import Config
from legacy_harness.errors import ConfigError, UsageError
from legacy_harness.outcomes import ExitCode

if TYPE_CHECKING:
    from legacy_harness.terminal import Progress


class CharacterizeCommand:
    """``characterize [--target PATTERN ...]``: record generated cases that add coverage."""

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
        target_option(parser, "what to characterize (default also: every target in the store)")
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

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.record.targets import expand
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
        named = args.target or list(config.targets) or session.store.targets()
        if not named:
            raise UsageError(
                "legacy-harness characterize: no targets; pass --target PATTERN, set"
                ' targets = ["module"] in [tool.legacy_harness], or record first'
            )
        exclude = [*config.exclude, *args.exclude]
        targets = [str(spec) for spec in expand(named, exclude, config=config).specs]
        with_cases = [t for t in targets if t in session.store.targets()]
        before = {e.target: e for e in measure_coverage(session, with_cases).targets}
        stopped = False
        for spec in targets:
            bar = Progress.for_terminal(f"characterize {spec}", None)
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
            print(report.render())
            stopped = stopped or report.problem is not None
        if args.dry_run:
            print("dry run: nothing written")
            return ExitCode.SAME
        after = measure_coverage(session, [t for t in targets if t in session.store.targets()])
        for entry in after.targets:
            old = before.get(entry.target)
            was = f"{old.percent:.1f}%" if old else "no cases"
            print(
                f"{entry.target}: coverage {was} -> {entry.percent:.1f}%"
                f" (branches {entry.branches_covered}/{entry.branches_total}, {entry.cases} cases)"
            )
        if stopped:
            print("some targets were stopped early; see 'stopped:' above", file=sys.stderr)
        print("review generated cases like recorded ones: they have meta.origin = generated")
        return ExitCode.SAME


def _stepper(bar: Progress, what: str) -> Callable[[str], None]:
    """Shows each step of a target's run on the progress line."""

    def step(text: str) -> None:
        bar.what = f"{what}: {text}"
        bar.advance(0)

    return step


COMMAND: Command = CharacterizeCommand()
