"""The ``legacy-harness`` command line: parses, delegates, sets exit codes.

Exit codes: 0 success (every case behaves the same); 1 behaviour changed (or, for
``record``, the recorded program failed); 2 usage, configuration or golden-file errors.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legacy_harness import __version__
from legacy_harness.cli.support import (
    open_session,
    positive_int,
    shown,
    store_option,
    target_option,
    targets_argument,
)
from legacy_harness.config import Config, add_pythonpath, load_config
from legacy_harness.display import indent
from legacy_harness.errors import HarnessError, UsageError

if TYPE_CHECKING:
    from legacy_harness.verify import CaseResult

EXIT_OK, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2

#: Commands implemented next to the feature they drive. Each module defines
#: ``add_arguments(parser)`` and ``run(args, config) -> int`` (the exit code), and
#: ``DESCRIPTION``; it is imported only when its command runs or help is shown.
COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module under legacy_harness, one-line help)
    "coverage": ("cli.coverage", "line and branch coverage of each target by its golden masters"),
    "characterize": ("cli.characterize", "generate cases for the code the golden masters miss"),
    "minimize": ("cli.minimize", "keep the fewest cases that preserve coverage and outcome kinds"),
    "mutate": ("cli.mutate", "mutation testing: which small changes would the masters miss"),
    "check": ("cli.check", "the CI gate: verify every master in parallel and enforce policies"),
    "review": ("cli.review", "walk changed and unreviewed cases: diff, then accept, reject, skip"),
    "approve": ("cli.approve", "mark cases reviewed; changed masters take today's behaviour"),
    "refactor": ("cli.refactor", "apply a refactoring helper; --verify proves it keeps behaviour"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The full parser; commands other than ``selected`` get their options only when
    ``selected`` is None, so running one command never imports the others' modules."""
    parser = _Parser(
        prog="legacy-harness",
        description="Characterization testing for legacy code: record golden masters of real calls,"
        " replay them against today's code, and compare with tolerances.",
        epilog="Exit codes: 0 every case behaves the same; 1 behaviour changed; "
        "2 usage, configuration or golden-file errors; 3 policy failures (check).",
    )
    parser.add_argument("--version", action="version", version=f"legacy-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    record = commands.add_parser(
        "record",
        help="run a script or module and record calls of the named targets",
        description="Run a program with the named targets captured and write golden masters."
        " Usage: legacy-harness record --target MOD:QUALNAME [...] -- SCRIPT [ARGS...]"
        " or -- -m MODULE [ARGS...]",
    )
    target_option(
        record,
        "a function or method to record, e.g. billing:compute_invoice or shop:Cart.checkout (repeatable)",
    )
    store_option(record)
    record.add_argument(
        "--max-cases", type=positive_int, metavar="N", help="cap on cases kept per target"
    )
    record.add_argument(
        "--mode", choices=("new", "all"), default="new",
        help="new: keep existing masters, add new ones (default); all: replace masters with today's behaviour",
    )  # fmt: skip
    record.add_argument(
        "--runs",
        type=positive_int,
        default=1,
        metavar="N",
        help="after recording, replay each case N times with distinct seeds: results that vary"
        " become statistical masters (samples per leaf); strings that never repeat are reported"
        " with the scrubber lines to add",
    )
    record.add_argument(
        "--seed", type=int, default=0, help="base seed of the --runs replays (default 0)"
    )
    record.add_argument(
        "--boundary",
        action="append",
        default=[],
        metavar="NAME",
        help="tape the calls' interactions with a boundary, answered from the tape on replay"
        " (repeatable; adds to boundaries = [...] in [tool.legacy_harness]): clock, uuid,"
        " sqlite3, http, files, dbapi:MODULE.connect or MODULE:QUALNAME",
    )

    verify = commands.add_parser(
        "verify",
        help="replay every recorded call against today's code and compare",
        description="Replay golden masters against the current code and report, per target,"
        " how many cases still behave the same, with a diff for each that does not.",
        epilog="Exit codes: 0 every case behaves the same; 1 some behaviour changed or is unstable;"
        " 2 usage, configuration or golden-file errors.",
    )
    targets_argument(verify)
    store_option(verify)
    verify.add_argument(
        "--runs",
        type=positive_int,
        default=1,
        metavar="N",
        help="exact masters: replay each case N times and report fields that differ between runs"
        " as unstable; with --stochastic: fresh runs per statistical master (default: planned)",
    )
    verify.add_argument(
        "--stochastic",
        action="store_true",
        help="check cases that have a statistical master (record --runs) against fresh seeds",
    )
    verify.add_argument(
        "--alpha",
        type=float,
        help="family-wise false-alarm rate (default: [tool.legacy_harness.stochastic] alpha, or 0.01)",
    )
    verify.add_argument(
        "--seed", type=int, default=0, help="base seed of the fresh runs (default 0)"
    )
    verify.add_argument(
        "--sequential",
        action="store_true",
        help="with --stochastic: Wald's SPRT, stop when the answer is clear",
    )
    verify.add_argument(
        "--hashseed",
        type=int,
        metavar="N",
        help="replay in a subprocess with PYTHONHASHSEED=N (set iteration order is fixed at start-up)",
    )
    verify.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="replay in a subprocess with BLAS/OpenMP thread counts pinned to N (summation order)",
    )
    verify.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    verify.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    verify.add_argument(
        "--max-diffs", type=positive_int, default=20, metavar="N", help="differences shown per case"
    )

    import importlib

    for name, (module_name, summary) in COMMANDS.items():
        if selected is not None and name != selected:
            commands.add_parser(name, help=summary)
            continue
        module = importlib.import_module(f"legacy_harness.{module_name}")
        command = commands.add_parser(
            name, help=summary, description=getattr(module, "DESCRIPTION", summary)
        )
        module.add_arguments(command)
    return parser


# -- record ---------------------------------------------------------------------------


def _split_program(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    if "--" not in argv:
        return list(argv), []
    index = list(argv).index("--")
    return list(argv[:index]), list(argv[index + 1 :])


def _run_program(program: list[str]) -> int:
    """Run ``SCRIPT ARGS`` or ``-m MODULE ARGS`` in this process, as python would."""
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
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None and sys.path and sys.path[0] != saved_path0:
            sys.path.pop(0)
    return 0


def cmd_record(args: argparse.Namespace, program: list[str], config: Config) -> int:
    from legacy_harness.record.boundaries import BoundarySet
    from legacy_harness.record.recorder import Recorder

    if not program:
        raise UsageError(
            "legacy-harness record: nothing to run; add '-- SCRIPT [ARGS...]' or '-- -m MODULE [ARGS...]'"
        )
    add_pythonpath(config)
    if program[0] != "-m":
        script_dir = str(Path(program[0]).resolve().parent)
        if script_dir not in sys.path:
            sys.path.insert(0, script_dir)
    recorder = Recorder(
        args.target,
        config.store,
        max_cases=args.max_cases or config.max_cases,
        mode=args.mode,
        boundaries=BoundarySet.from_config(config.table, args.boundary),
    )
    recorder.start()
    try:
        status = _run_program(program)
    finally:
        summary = recorder.stop()
    print(summary.render(), file=sys.stderr)
    if args.runs > 1:
        _record_distributions(
            config, [str(t.target) for t in summary.targets], args.runs, args.seed
        )
    return EXIT_CHANGED if status else EXIT_OK


def _record_distributions(config: Config, targets: list[str], runs: int, seed: int) -> None:
    """``record --runs N``: what varies across seeds becomes a statistical master."""
    from legacy_harness.compare.engine import Difference
    from legacy_harness.compare.unstable import suggest_config
    from legacy_harness.stochastic.planning import plan
    from legacy_harness.stochastic.runner import record_distributions

    recorded = record_distributions(targets, runs=runs, seed=seed, config=config)
    leaves = 0
    for item in recorded:
        case, distribution = item.stored.case, item.distribution
        name = f"{case.target} case-{case.id}"
        varying = [n for n in distribution.varying if n not in distribution.unstable]
        leaves += len(varying)
        if not item.written:
            print(f"{name}: same result in {runs} runs (exact master only)", file=sys.stderr)
        else:
            shown = ", ".join(varying[:4]) + (
                f" and {len(varying) - 4} more" if len(varying) > 4 else ""
            )
            print(
                f"{name}: {len(varying)} leaves vary across {runs} seeds ({shown}): statistical master stored",
                file=sys.stderr,
            )
        if distribution.unstable:
            column = distribution.categorical_names.index
            diffs = [
                Difference(leaf, "unstable", str(distribution.categorical[0, column(leaf)]),
                           str(distribution.categorical[1, column(leaf)]))
                for leaf in distribution.unstable
            ]  # fmt: skip
            print(
                f"  never the same twice, not tested: {', '.join(distribution.unstable[:4])}",
                file=sys.stderr,
            )
            suggestion = suggest_config(diffs, target=case.target)
            if suggestion:
                print("  add to pyproject.toml:\n" + indent(suggestion, 4), file=sys.stderr)
    if leaves:
        advice = plan(effect=1.0, alpha=0.01, power=0.9, ref_runs=runs, n_assertions=leaves)
        print(f"advice: {advice}", file=sys.stderr)


# -- verify ---------------------------------------------------------------------------


def _unstable_text(result: CaseResult) -> str:
    from legacy_harness.report.render import render_text

    lines = [
        f"UNSTABLE {result.target} case-{result.case_id}: these fields differ between runs of the same code"
    ]
    lines.append(indent(render_text(result.differences, limit=5)))
    if result.suggestion:
        lines.append("  add to pyproject.toml:")
        lines.append(indent(result.suggestion, 4))
    return "\n".join(lines)


def cmd_verify(args: argparse.Namespace, config: Config) -> int:
    from legacy_harness.report.render import render_text, supports_color, to_data
    from legacy_harness.verify import (
        CHANGED,
        ERROR,
        PASSED,
        SKIPPED,
        UNSTABLE,
        exit_code,
        iter_results,
        tally,
    )

    if (args.hashseed is not None or args.threads) and not os.environ.get(_PINNED):
        return _verify_pinned(args)
    session = open_session(config, "verify")
    if args.stochastic:
        results = _verify_stochastic(args, session)
    else:
        results = list(iter_results(session, args.targets or None, runs=args.runs))
    if args.targets and not results:
        raise UsageError(
            f"legacy-harness verify: no cases for {', '.join(args.targets)} in {session.store.root}"
        )
    code = exit_code(results)
    if args.format == "json":
        document = {
            "exit_code": code,
            "store": str(session.store.root),
            "cases": [
                {
                    "target": r.target, "id": r.case_id, "path": str(r.path), "status": r.status,
                    "error": r.error, "differences": to_data(r.differences), "suggestion": r.suggestion,
                    "explanation": r.explanation,
                }
                for r in results
            ],
        }  # fmt: skip
        print(json.dumps(document, indent=2, default=str))
        return code
    color = args.color == "always" or (args.color == "auto" and supports_color(sys.stdout))
    labels = {
        PASSED: "same",
        CHANGED: "changed",
        UNSTABLE: "unstable",
        ERROR: "errors",
        SKIPPED: "not replayable",
    }
    tallies = tally(results)
    width = max((len(t.target) for t in tallies), default=0)
    for entry in tallies:
        parts = [
            f"{entry.counts[s]} {labels[s]}"
            for s in (PASSED, CHANGED, UNSTABLE, ERROR, SKIPPED)
            if entry.counts.get(s)
        ]
        print(f"{entry.target.ljust(width)}  {entry.total} cases: {', '.join(parts)}")
    for result in results:
        if result.status == CHANGED:
            print(f"\nCHANGED {result.target} case-{result.case_id} ({shown(result.path)})")
            if result.explanation:
                print(indent(result.explanation))
            else:
                print(indent(render_text(result.differences, limit=args.max_diffs, color=color)))
        elif result.status == UNSTABLE:
            print()
            print(_unstable_text(result))
        elif result.status == ERROR:
            print(f"\nERROR {result.error}")
        elif result.status == SKIPPED:
            print(f"\nSKIPPED {result.target} case-{result.case_id}: {result.error}")
    total = len(results)
    same = sum(r.status == PASSED for r in results)
    verdict = {
        0: "every case behaves the same",
        1: "behaviour changed",
        2: "some golden files could not be used",
    }
    if code == 1 and not any(r.status == CHANGED for r in results):
        verdict[1] = "some fields differ between runs of the same code; add the suggested lines"
    print(f"\n{same} of {total} cases behave the same: {verdict[code]}")
    return code


_PINNED = "LEGACY_HARNESS_PINNED"
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS",
)  # fmt: skip


def _verify_pinned(args: argparse.Namespace) -> int:
    """Re-run verify in a subprocess whose hash seed and BLAS threads are fixed at start-up."""
    import subprocess

    env = {**os.environ, _PINNED: "1"}
    if args.hashseed is not None:
        env["PYTHONHASHSEED"] = str(args.hashseed)
    if args.threads:
        env.update({name: str(args.threads) for name in _THREAD_VARIABLES})
    pinned = ", ".join(
        part
        for part in (
            f"PYTHONHASHSEED={args.hashseed}" if args.hashseed is not None else "",
            f"{args.threads} BLAS thread(s)" if args.threads else "",
        )
        if part
    )
    print(f"replaying in a subprocess with {pinned}", file=sys.stderr)
    command = [sys.executable, "-m", "legacy_harness", "verify", *args.argv]
    return subprocess.run(command, env=env).returncode


def _verify_stochastic(args: argparse.Namespace, session: Any) -> list[CaseResult]:
    """Statistical masters against fresh seeds; every other case exactly."""
    from legacy_harness.stochastic.runner import failed, verify_distributions
    from legacy_harness.verify import CHANGED, PASSED, CaseResult, iter_results

    if args.alpha is None:
        settings = session.config.table.get("stochastic", {})
        args.alpha = settings.get("alpha", 0.01) if isinstance(settings, dict) else 0.01
    if not isinstance(args.alpha, (int, float)) or not 0 < args.alpha < 1:
        raise UsageError(f"legacy-harness verify: --alpha {args.alpha} must be between 0 and 1")
    runs = args.runs if args.runs > 1 else None
    tested = verify_distributions(
        session,
        args.targets or None,
        runs=runs,
        seed=args.seed,
        alpha=args.alpha,
        sequential=args.sequential,
    )
    results = []
    for item in tested:
        case = item.stored.case
        status = CHANGED if failed(item, args.alpha) else PASSED
        explanation = item.render(args.alpha)
        if item.sequential:
            explanation = (
                f"sequential test: {item.sequential} after {item.current.runs} runs\n" + explanation
            )
        results.append(
            CaseResult(case.target, case.id, item.stored.path, status, explanation=explanation)
        )
    statistical = {(r.target, r.case_id) for r in results}
    exact = [
        r
        for r in iter_results(session, args.targets or None)
        if (r.target, r.case_id) not in statistical
    ]
    return exact + results


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options, program = _split_program(argv)
    selected = next((word for word in options if not word.startswith("-")), None)
    parser = build_parser(selected)
    try:
        args = parser.parse_args(options)
        args.argv = options[1:]
        if args.command is None:
            parser.print_help()
            return EXIT_ERROR
        config = load_config().with_store(getattr(args, "store", None))
        if args.command == "record":
            return cmd_record(args, program, config)
        if program:
            raise UsageError(f"legacy-harness {args.command}: unexpected '-- {' '.join(program)}'")
        if args.command == "verify":
            return cmd_verify(args, config)
        if args.command in COMMANDS:
            import importlib

            module = importlib.import_module(f"legacy_harness.{COMMANDS[args.command][0]}")
            return int(module.run(args, config))
        raise UsageError(f"legacy-harness: unknown command {args.command!r}")
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
