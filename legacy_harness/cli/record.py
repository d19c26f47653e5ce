"""``legacy-harness record``: run a program with named targets captured, write masters.

The program runs in this process, as ``python SCRIPT`` or ``python -m MODULE`` would run
it, so the targets are wrapped where the program calls them. Its output is untouched;
the recording summary goes to stderr. ``--runs N`` then replays each new case with N
seeds and keeps what varies as a statistical master.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from contextlib import nullcontext, redirect_stdout
from pathlib import Path
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    output_options,
    positive_int,
    store_option,
    target_option,
    targets_to_record,
)
from legacy_harness.config import Config, add_pythonpath
from legacy_harness.display import indent
from legacy_harness.errors import UsageError
from legacy_harness.outcomes import DifferenceKind, ExitCode, RecordMode
from legacy_harness.parallel import add_executor_arguments, executor_from


class RecordCommand:
    """``record [--target PATTERN ...] -- SCRIPT [ARGS...]`` (or ``-- -m MODULE``)."""

    name: ClassVar[str] = "record"
    help: ClassVar[str] = "run a script or module and record calls of the named targets"
    description: ClassVar[str] = (
        "Run a program with the named targets captured and write golden masters."
        " Usage: legacy-harness record [--target PATTERN ...] -- SCRIPT [ARGS...]"
        " or -- -m MODULE [ARGS...]; without --target, targets = [...] in"
        " [tool.legacy_harness] says what to record"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        target_option(parser, "what to record")
        store_option(parser)
        parser.add_argument(
            "--max-cases", type=positive_int, metavar="N", help="cap on cases kept per target"
        )
        parser.add_argument(
            "--mode", choices=(RecordMode.NEW.value, RecordMode.ALL.value), default=RecordMode.NEW.value,
            help="new: keep existing masters, add new ones (default); all: replace masters with today's behaviour",
        )  # fmt: skip
        parser.add_argument(
            "--runs",
            type=positive_int,
            default=1,
            metavar="N",
            help="after recording, replay each case N times with distinct seeds: results that vary"
            " become statistical masters (samples per leaf); strings that never repeat are reported"
            " with the scrubber lines to add",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="base seed of the --runs replays (default 0)"
        )
        parser.add_argument(
            "--boundary",
            action="append",
            default=[],
            metavar="NAME",
            help="tape the calls' interactions with a boundary, answered from the tape on replay"
            " (repeatable; adds to boundaries = [...] in [tool.legacy_harness]): clock, uuid,"
            " sqlite3, http, files, dbapi:MODULE.connect or MODULE:QUALNAME",
        )
        add_executor_arguments(parser, "the --runs replays")
        output_options(
            parser, ("text", "json"),
            {"text": "the summary on stderr", "json": "the summary as data on stdout, the"
             " program's own output moved to stderr"},
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        """Record while the program runs; exit 1 when the program itself failed.

        Targets are wrapped as the program imports their modules (see
        :mod:`legacy_harness.record.deferred`): the program imports in its own order, and
        a run that reaches no target never loads the capture machinery. A target that
        does not exist is an error after the summary, naming it."""
        from legacy_harness.record.deferred import DeferredRecording

        program: list[str] = args.program
        if not program:
            raise UsageError(
                "legacy-harness record: nothing to run; add '-- SCRIPT [ARGS...]' or '-- -m MODULE [ARGS...]'"
            )
        add_pythonpath(config)
        if program[0] != "-m":
            script_dir = str(Path(program[0]).resolve().parent)
            if script_dir not in sys.path:
                sys.path.insert(0, script_dir)
        recorder = DeferredRecording(
            targets_to_record(args, config, "record"),
            config.store,
            config=config,
            exclude=[*config.exclude, *args.exclude],
            max_cases=args.max_cases or config.max_cases,
            mode=args.mode,
            boundaries=args.boundary,
        )
        output = args.output
        # with --format json stdout carries the document alone: the program prints to stderr
        moved = redirect_stdout(sys.stderr) if output.format == "json" else nullcontext()
        recorder.start()
        try:
            with moved:
                status = run_program(program)
        finally:
            summary = recorder.stop()
        if not output.quiet or output.format == "json":
            print(summary.render(), file=sys.stderr)
        error = recorder.error()
        if error is not None:
            raise error
        distributions: list[dict[str, object]] = []
        if args.runs > 1:
            distributions = record_distributions(
                config, [str(t.target) for t in summary.targets], args.runs, args.seed, args
            )
        code = ExitCode.CHANGED if status else ExitCode.SAME
        if output.format == "json":
            from legacy_harness.schema import envelope

            output.json(
                {
                    **envelope(self.name, code),
                    "store": str(summary.store),
                    "program_status": status,
                    "targets": [
                        {
                            "target": stats.target,
                            "calls": stats.calls + stats.dropped,
                            "cases": stats.cases,
                            "dropped": stats.dropped,
                            "written": {str(k): v for k, v in stats.outcomes.items()},
                            "problems": list(stats.problems),
                            "undeclared": dict(stats.undeclared),
                        }
                        for stats in summary.targets
                    ],
                    "distributions": distributions,
                }
            )
        return code


COMMAND: Command = RecordCommand()


def run_program(program: list[str]) -> int:
    """Run ``SCRIPT ARGS`` or ``-m MODULE ARGS`` in this process, as python would.

    Returns the program's exit status; its failure is printed as python prints it.
    """
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    try:
        if program[0] == "-m":
            if len(program) < 2:
                raise UsageError(
                    "legacy-harness record: '-m' needs a module name, e.g. -- -m pytest tests/"
                )
            sys.argv = [program[1], *program[2:]]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(program[1], run_name="__main__", alter_sys=True)
        else:
            script = Path(program[0])
            if not script.is_file():
                raise UsageError(f"legacy-harness record: script {program[0]!r} not found")
            sys.argv = [str(script), *program[1:]]
            sys.path.insert(0, str(script.resolve().parent))
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exit:
        code = exit.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except UsageError:
        raise
    except BaseException:  # noqa: BLE001 - report the program's failure as python would
        import traceback

        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None and sys.path and sys.path[0] != saved_path0:
            sys.path.pop(0)
    return 0


def record_distributions(
    config: Config, targets: list[str], runs: int, seed: int, args: argparse.Namespace
) -> list[dict[str, object]]:
    """``record --runs N``: what varies across seeds becomes a statistical master.

    Reports each case on stderr (with a progress line for the replays on a terminal) and
    returns the same as data for ``--format json``."""
    from legacy_harness.compare import Difference
    from legacy_harness.compare.unstable import suggest_config
    from legacy_harness.stochastic.planning import advise
    from legacy_harness.stochastic.runner import record_distributions as record_samples

    output = args.output
    with (
        executor_from(config, args) as executor,
        output.progress(f"replaying with {runs} seeds") as bar,
    ):
        recorded = record_samples(
            targets, runs=runs, seed=seed, config=config, executor=executor, progress=bar.update
        )
    leaves = 0
    data: list[dict[str, object]] = []
    for item in recorded:
        case, distribution = item.stored.case, item.distribution
        name = f"{case.target} case-{case.id}"
        varying = [n for n in distribution.varying if n not in distribution.unstable]
        leaves += len(varying)
        data.append(
            {
                "target": case.target, "id": case.id, "runs": runs, "stored": item.written,
                "varying": varying, "unstable": list(distribution.unstable),
            }
        )  # fmt: skip
        if not item.written:
            print(f"{name}: same result in {runs} runs (exact master only)", file=sys.stderr)
        else:
            listed = ", ".join(varying[:4]) + (
                f" and {len(varying) - 4} more" if len(varying) > 4 else ""
            )
            print(
                f"{name}: {len(varying)} leaves vary across {runs} seeds ({listed}): statistical master stored",
                file=sys.stderr,
            )
        if distribution.unstable:
            column = distribution.categorical_names.index
            diffs = [
                Difference(leaf, DifferenceKind.UNSTABLE, str(distribution.categorical[0, column(leaf)]),
                           str(distribution.categorical[1, column(leaf)]))
                for leaf in distribution.unstable
            ]  # fmt: skip
            print(
                f"  never the same twice, not tested: {', '.join(distribution.unstable[:4])}",
                file=sys.stderr,
            )
            suggestion = suggest_config(diffs, target=case.target, overrides=config.overrides_key)
            if suggestion:
                print("  add to pyproject.toml:\n" + indent(suggestion, 4), file=sys.stderr)
    if leaves:
        print(advise(runs, leaves)[1], file=sys.stderr)
    return data
