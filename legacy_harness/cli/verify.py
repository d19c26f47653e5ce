"""``legacy-harness verify``: replay the golden masters against today's code and compare.

Exact masters are replayed once (or ``--runs N`` times, to find fields that differ
between runs of the same code). A case with a statistical master (``record --runs``)
is also judged against fresh seeds, by the engine ``check`` and the pytest items use
(:mod:`legacy_harness.stochastic.gate`): its seed-dependent leaves statistically, the
others exactly; ``--exact`` replays it with its recorded generator states only. ``--hashseed`` and ``--threads`` re-run the command in a subprocess,
because set iteration order and BLAS thread counts are fixed when python starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    exit_code_of,
    known_targets,
    open_session,
    positive_int,
    shown,
    store_option,
    targets_argument,
)
from legacy_harness.config import Config
from legacy_harness.display import indent
from legacy_harness.errors import HarnessError, UsageError
from legacy_harness.outcomes import CaseStatus, ExitCode
from legacy_harness.parallel import add_executor_arguments, executor_from

if TYPE_CHECKING:
    from legacy_harness.report.summary import RunSummary
    from legacy_harness.stochastic.gate import StatisticalVerdict
    from legacy_harness.verify import CaseResult, VerifySession

#: Set in the subprocess of ``--hashseed``/``--threads``, so it does not start another.
PINNED = "LEGACY_HARNESS_PINNED"
#: The thread-count variables of the BLAS and OpenMP builds numpy may use.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS",
)  # fmt: skip


class VerifyCommand:
    """``verify [TARGET ...]``: exit 0 same, 1 changed or unstable, 2 unusable masters."""

    name: ClassVar[str] = "verify"
    help: ClassVar[str] = "replay every recorded call against today's code and compare"
    description: ClassVar[str] = (
        "Replay golden masters against the current code and report, per target,"
        " how many cases still behave the same, with a diff for each that does not."
    )
    epilog: ClassVar[str] = (
        "Exit codes: 0 every case behaves the same; 1 some behaviour changed or is unstable;"
        " 2 usage, configuration or golden-file errors; 5 no case to verify (unless"
        " --allow-empty)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = self.epilog
        targets_argument(parser)
        store_option(parser)
        parser.add_argument(
            "--runs",
            type=positive_int,
            default=1,
            metavar="N",
            help="exact masters: replay each case N times and report fields that differ between runs"
            " as unstable; with --stochastic: fresh runs per statistical master (default: planned)",
        )
        parser.add_argument(
            "--stochastic",
            action="store_true",
            help="--runs N is the fresh runs of statistical masters, not exact replays (cases"
            " with a statistical master are judged against fresh seeds in every mode)",
        )
        parser.add_argument(
            "--exact",
            action="store_true",
            help="judge cases with a statistical master by their exact master only (replayed"
            " with the recorded generator states): a new order of random draws then fails",
        )
        parser.add_argument(
            "--alpha",
            type=float,
            help="family-wise false-alarm rate (default: [tool.legacy_harness.stochastic] alpha, or 0.01)",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="base seed of the fresh runs (default 0)"
        )
        parser.add_argument(
            "--sequential",
            action="store_true",
            help="with --stochastic: a sequential test that stops as soon as the answer is clear"
            " (--runs caps its runs)",
        )
        add_executor_arguments(parser, "the replays (cases, and fresh runs of statistical masters)")
        parser.add_argument(
            "--hashseed",
            type=int,
            metavar="N",
            help="replay in a subprocess with PYTHONHASHSEED=N (set iteration order is fixed at start-up)",
        )
        parser.add_argument(
            "--threads",
            type=positive_int,
            metavar="N",
            help="replay in a subprocess with BLAS/OpenMP thread counts pinned to N (summation order)",
        )
        parser.add_argument(
            "--format", choices=("text", "json"), default="text", help="output format"
        )
        parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")
        parser.add_argument(
            "--allow-empty", action="store_true",
            help="pass when there is no case to verify (default: exit 5, nothing was checked)",
        )  # fmt: skip
        parser.add_argument(
            "--max-diffs",
            type=positive_int,
            default=20,
            metavar="N",
            help="differences shown per case",
        )

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.report.render import to_data
        from legacy_harness.report.summary import summarize

        if (args.hashseed is not None or args.threads) and not os.environ.get(PINNED):
            return verify_pinned(args)
        session = open_session(config, "verify")
        if args.targets or args.exclude:  # patterns: the store's targets they name
            args.targets = known_targets(session, args.targets, "verify", args.exclude)
        if args.exact and (args.stochastic or args.sequential):
            raise UsageError(
                "legacy-harness verify: --exact cannot go with --stochastic or --sequential"
            )
        exact_runs = 1 if args.stochastic else args.runs
        results = verify_exact(args, session, exact_runs)
        verdicts: dict[str, StatisticalVerdict] = {}
        if not args.exact:
            verdicts = judge_stochastic(args, session, results)
        if args.targets and not results:
            raise UsageError(
                f"legacy-harness verify: no cases for {', '.join(args.targets)} in {session.store.root}"
            )
        summary = summarize(results, allow_empty=args.allow_empty)
        code = summary.exit_code
        if args.format == "json":
            document = {
                **summary.to_data(),
                "store": str(session.store.root),
                "cases": [
                    {
                        "target": r.target, "id": r.case_id, "path": str(r.path), "status": r.status,
                        "error": r.error, "differences": to_data(r.differences), "suggestion": r.suggestion,
                        "explanation": r.explanation, "inputs": r.inputs,
                        **({"statistics": verdicts[str(r.path)].to_data()} if str(r.path) in verdicts else {}),
                    }
                    for r in results
                ],
            }  # fmt: skip
            print(json.dumps(document, indent=2, default=str))
            return code
        print(render_text(results, summary, color=_color(args.color), max_diffs=args.max_diffs))
        return code


COMMAND: Command = VerifyCommand()


def _color(choice: str) -> bool:
    from legacy_harness.report.render import supports_color

    return choice == "always" or (choice == "auto" and supports_color(sys.stdout))


def render_text(
    results: list[CaseResult], summary: RunSummary, *, color: bool = False, max_diffs: int = 20
) -> str:
    """The text report: a count line per target, each case that is not the same, a verdict."""
    from legacy_harness.report.render import render_text as render_differences

    lines = summary.target_lines()
    for result in results:
        if result.status == CaseStatus.CHANGED:
            lines.append(f"\nCHANGED {result.target} case-{result.case_id} ({shown(result.path)})")
            if result.inputs:
                lines.append(f"  inputs: {result.inputs}")
            if result.explanation:
                lines.append(indent(result.explanation))
            else:
                lines.append(
                    indent(render_differences(result.differences, limit=max_diffs, color=color))
                )
        elif result.status == CaseStatus.UNSTABLE:
            lines.append("")
            lines.append(unstable_text(result))
        elif result.status == CaseStatus.ERROR:
            lines.append(f"\nERROR {result.error}")
        elif result.status == CaseStatus.SKIPPED:
            lines.append(f"\nSKIPPED {result.target} case-{result.case_id}: {result.error}")
    lines.append("\n" + summary.closing_line())
    return "\n".join(lines)


def unstable_text(result: CaseResult) -> str:
    """A case whose fields differ between runs of the same code, with the lines to add."""
    from legacy_harness.report.render import render_text as render_differences

    lines = [
        f"UNSTABLE {result.target} case-{result.case_id}: these fields differ between runs of the same code"
    ]
    lines.append(indent(render_differences(result.differences, limit=5)))
    if result.suggestion:
        lines.append("  add to pyproject.toml:")
        lines.append(indent(result.suggestion, 4))
    return "\n".join(lines)


def verify_pinned(args: argparse.Namespace) -> ExitCode:
    """Re-run verify in a subprocess whose hash seed and BLAS threads are fixed at start-up."""
    import subprocess

    env = {**os.environ, PINNED: "1"}
    if args.hashseed is not None:
        env["PYTHONHASHSEED"] = str(args.hashseed)
    if args.threads:
        env.update({name: str(args.threads) for name in THREAD_VARIABLES})
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
    return exit_code_of(subprocess.run(command, env=env).returncode)


#: Fewer cases than this are replayed in-process: starting workers would cost more.
PARALLEL_FROM = 40
#: Cases per task sent to a worker.
CHUNK = 20


def verify_exact(args: argparse.Namespace, session: VerifySession, runs: int) -> list[CaseResult]:
    """Every exact case, replayed over the executor of --jobs/--executor, in store order."""
    from legacy_harness.verify import iter_results

    targets = args.targets or None
    paths = _selected_paths(session, targets)
    given = args.jobs or args.executor or args.scheduler or session.config.table.get("executor")
    if len(paths) < PARALLEL_FROM and not given:
        return list(iter_results(session, targets, runs=runs))
    with executor_from(session.config, args) as executor:
        if executor.jobs == 1:
            return list(iter_results(session, targets, runs=runs))
        chunks = [paths[start : start + CHUNK] for start in range(0, len(paths), CHUNK)]
        shared = (session.config, tuple(targets or ()), runs)
        found: dict[int, list[tuple[str, CaseResult | None]]] = {}
        for index, part in executor.map_unordered(verify_chunk, chunks, shared):
            found[index] = part
    results = []
    for index in range(len(chunks)):
        for path, result in found[index]:
            if result is None:  # a verdict that cannot travel between processes: judge it here
                results.extend(_verify_paths(session, targets, runs, [path]))
            else:
                results.append(result)
    return results


def _selected_paths(session: VerifySession, targets: list[str] | None) -> list[str]:
    """The case files iter_results would visit, in its order."""
    from legacy_harness.store.layout import TargetSpec

    wanted = {session.store.target_dir(TargetSpec.parse(t)) for t in targets} if targets else None
    return [
        str(path) for path in session.store.iter_paths() if wanted is None or path.parent in wanted
    ]


def _verify_paths(
    session: VerifySession, targets: list[str] | None, runs: int, paths: list[str]
) -> list[CaseResult]:
    """What iter_results yields for these files (bad files as errors, other targets out)."""
    from pathlib import Path

    from legacy_harness.errors import GoldenFileError
    from legacy_harness.record.boundaries import held
    from legacy_harness.store.layout import TargetSpec
    from legacy_harness.verify import CaseResult, verify_case

    wanted = {str(TargetSpec.parse(t)) for t in targets} if targets else None
    results = []
    with held():
        for name in paths:
            path = Path(name)
            try:
                stored = session.store.load(path)
            except GoldenFileError as error:
                stem = path.stem.removeprefix("case-")
                results.append(CaseResult("?", stem, path, CaseStatus.ERROR, error=str(error)))
                continue
            if wanted is None or stored.case.target in wanted:
                results.append(verify_case(session, stored, runs=runs))
    return results


#: (what the run shares, its session): one session per worker process and run.
_SESSION: tuple[object, VerifySession] | None = None


def verify_chunk(
    shared: tuple[Config, tuple[str, ...], int], paths: list[str]
) -> list[tuple[str, CaseResult | None]]:
    """A worker's part of ``verify --jobs``: the verdicts on ``paths``, each paired with
    its file; None in place of a verdict holding values that do not pickle."""
    import pickle

    from legacy_harness.verify import VerifySession

    global _SESSION
    config, targets, runs = shared
    if _SESSION is None or _SESSION[0] is not shared:
        _SESSION = (shared, VerifySession.open(config))
    out: list[tuple[str, CaseResult | None]] = []
    for path in paths:
        for result in _verify_paths(_SESSION[1], list(targets) or None, runs, [path]):
            try:
                pickle.dumps(result)
            except Exception:  # noqa: BLE001 - any value may refuse to pickle
                out.append((path, None))
                continue
            out.append((path, result))
    return out


def judge_stochastic(
    args: argparse.Namespace, session: VerifySession, results: list[CaseResult]
) -> dict[str, StatisticalVerdict]:
    """Fold the statistical verdicts of the cases that have a statistical master into
    ``results``: fresh runs on the executor, Holm across the run at the project's alpha."""
    from legacy_harness.stochastic.gate import (
        configured_alpha,
        configured_sequential,
        judge_results,
    )
    from legacy_harness.terminal import Progress

    try:
        alpha = configured_alpha(session.config, args.alpha)
    except HarnessError as error:
        raise UsageError(f"legacy-harness verify: {error}") from None
    if not any(result.statistical for result in results):
        return {}
    runs = args.runs if args.stochastic and args.runs > 1 else None
    quiet = args.format == "json" or bool(getattr(args, "quiet", 0))
    with (
        executor_from(session.config, args) as executor,
        Progress.for_terminal("replaying statistical masters", None, quiet=quiet) as bar,
    ):
        return judge_results(
            session,
            results,
            alpha=alpha,
            targets=args.targets or None,
            runs=runs,
            seed=args.seed,
            sequential=args.sequential or configured_sequential(session.config),
            executor=executor,
            progress=bar.update,
        )
