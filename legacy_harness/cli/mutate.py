"""``legacy-harness mutate``: how many small changes to a target would the masters notice?"""

from __future__ import annotations

import argparse
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    open_session,
    percent,
    positive_float,
    store_option,
    target_option,
)
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode


class MutateCommand:
    """``mutate --target MOD:QUALNAME``: exit 1 when a score is below ``--fail-under``."""

    name: ClassVar[str] = "mutate"
    help: ClassVar[str] = "mutation testing: which small changes would the masters miss"
    description: ClassVar[str] = (
        "Mutation testing on the masters: make each small change to the target (comparison"
        " flips, constants +/-1, and/or swaps, deleted statements), replay every case against"
        " it, and print the score and the surviving mutants with their lines. A survivor is a"
        " hole in the net, or a change no input can observe (an equivalent mutant)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        target_option(parser, "the function or method to mutate (repeatable)")
        store_option(parser)
        parser.add_argument(
            "--timeout", type=positive_float, default=2.0, metavar="SECONDS",
            help="time limit of one replay; a mutant that exceeds it counts as killed (default 2)",
        )  # fmt: skip
        parser.add_argument(
            "--fail-under", type=percent, metavar="PCT",
            help="exit 1 when a target's mutation score is below PCT",
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.record.targets import resolve
        from legacy_harness.widen.mutate import run_mutants

        session = open_session(config, "mutate")
        failed = False
        for spec in args.target:
            target = resolve(spec)
            report = run_mutants(session, str(target.spec), timeout=args.timeout)
            print(report.render(target.function.__code__.co_filename))
            if args.fail_under is not None and report.score < args.fail_under:
                failed = True
        return ExitCode.CHANGED if failed else ExitCode.SAME


COMMAND: Command = MutateCommand()
