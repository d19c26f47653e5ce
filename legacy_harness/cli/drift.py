"""``legacy-harness drift``: do production inputs still look like the recorded ones?

It runs the program as ``record`` does, with every target that has an input profile in
the store observed, stores nothing, and compares each call's inputs with the profile
kept when the masters were recorded (see :mod:`legacy_harness.drift`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    output_options,
    positive_float,
    require_store,
    store_option,
)
from legacy_harness.config import Config, add_pythonpath
from legacy_harness.errors import HarnessError, UsageError
from legacy_harness.outcomes import ExitCode

__all__ = ["COMMAND", "DriftCommand"]

EPILOG = (
    "Exit codes: 0 no input moved; 1 some input moved (the leaves, their tests and"
    " histograms are printed); 2 usage or configuration errors, no profile in the store,"
    " or the program failed. Thresholds come from [tool.legacy_harness.drift] in"
    " pyproject.toml (alpha, min_psi, min_shift, min_new, small_ints)."
)


class DriftCommand:
    """``drift [--store S] [--target T ...] -- SCRIPT [ARGS...]`` (or ``-- -m MODULE``)."""

    name: ClassVar[str] = "drift"
    help: ClassVar[str] = "run production work observed and compare its inputs with the recorded"
    description: ClassVar[str] = (
        "Run a program with the recorded targets observed but nothing stored, and compare"
        " the inputs of every call with the input profile 'record' kept: per leaf a KS or"
        " chi-square test, an exact test of values never seen before, Holm across all"
        " leaves, with PSI and Wasserstein effect sizes. Usage: legacy-harness drift"
        " [--store DIR] -- SCRIPT [ARGS...] or -- -m MODULE [ARGS...]"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = EPILOG
        store_option(parser)
        parser.add_argument(
            "--target", "-t", action="append", metavar="MOD:QUALNAME",
            help="only this target (repeatable; default: every target with a profile)",
        )  # fmt: skip
        parser.add_argument(
            "--alpha", type=positive_float, metavar="A",
            help="family-wise false-alarm rate, Holm across every test (default 0.05)",
        )  # fmt: skip
        parser.add_argument("--json", metavar="PATH", help="also write the JSON report to PATH")
        output_options(
            parser, ("text", "json"),
            {"text": "histograms of the leaves that moved", "json": "every leaf's tests as data"},
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        """Observe while the program runs; 1 when an input moved, 2 when it failed."""
        from contextlib import nullcontext, redirect_stdout
        from dataclasses import replace

        from legacy_harness.cli.record import run_program
        from legacy_harness.drift import (
            compare_profiles,
            observing,
            render_json,
            render_text,
            settings_from_config,
        )
        from legacy_harness.drift.settings import check_alpha
        from legacy_harness.record.profile import load_profiles

        program: list[str] = args.program
        if not program:
            raise UsageError(
                "legacy-harness drift: nothing to run; add '-- SCRIPT [ARGS...]' or '-- -m MODULE [ARGS...]'"
            )
        settings = settings_from_config(config.table)
        if args.alpha is not None:
            check_alpha(args.alpha, "--alpha")
            settings = replace(settings, alpha=args.alpha)
        require_store(config, "drift")
        add_pythonpath(config)
        if program[0] != "-m":
            script_dir = str(Path(program[0]).resolve().parent)
            if script_dir not in sys.path:
                sys.path.insert(0, script_dir)
        baseline = load_profiles(config.store, args.target)
        missing = sorted(set(args.target or ()) - set(baseline))
        if missing or not baseline:
            named = ", ".join(missing) if missing else "any target"
            raise HarnessError(
                f"legacy-harness drift: no input profile for {named} in {config.store};"
                " record with this version first (legacy-harness record --target MOD:QUALNAME"
                " -- SCRIPT), which keeps one per target"
            )
        # with --format json stdout carries the report alone: the program prints to stderr
        output = args.output
        quiet = redirect_stdout(sys.stderr) if output.format == "json" else nullcontext()
        with observing(baseline) as book, quiet:
            status = run_program(program)
        report = compare_profiles(baseline, book.profiles, settings)
        code = ExitCode.ERROR if status else report.exit_code
        if args.json:
            Path(args.json).write_text(render_json(report), encoding="utf-8")
        if output.format == "json":
            from legacy_harness.drift.report import to_data
            from legacy_harness.schema import envelope

            data = {k: v for k, v in to_data(report).items() if k != "exit_code"}
            output.json({**envelope(self.name, code), **data})
        else:
            sys.stdout.write(render_text(report, " ".join(program)))
        if status:
            print(
                f"error: the program exited with status {status}; the report covers the calls"
                " made before it stopped",
                file=sys.stderr,
            )
        return code


COMMAND: Command = DriftCommand()
