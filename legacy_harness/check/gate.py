"""The CI gate: verify every master in parallel, then apply the project's policies.

One run answers two questions: did the behaviour of the characterized code change, and
is the net still sound (see :func:`legacy_harness.report.summary.decide` for the exit
code). Workers each open their own :class:`~legacy_harness.verify.VerifySession` and
verify a chunk of case files, so a case passes or fails for the same reason as under
``legacy-harness verify``; what they send back is plain data (rendered diffs, not live
values), so any recorded value survives the trip between processes. The chunks go over a
:mod:`legacy_harness.parallel` executor: local processes, or a Dask cluster for a large
store; ``--shard K/N`` keeps the cases whose id falls in part K of N, so a CI matrix
splits a store with no coordination (``merge-reports`` joins the parts' reports).

One rule is the gate's own: a case that cannot be replayed is an error, never a pass.
``verify`` reports such a case as skipped; a CI gate that passes with none of its cases
replayed guards nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from legacy_harness.check.model import CaseCheck, CheckOptions, CheckReport, ErrorKind
from legacy_harness.check.policies import apply_policies, docs_policy, find_secrets, measure
from legacy_harness.config import Config
from legacy_harness.errors import GoldenFileError, TargetError, UsageError
from legacy_harness.outcomes import CaseStatus
from legacy_harness.store.disk import StoredCase
from legacy_harness.verify import CaseResult, VerifySession, verify_case

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.parallel import Executor

__all__ = [
    "DIFF_LIMIT",
    "Progress",
    "case_paths",
    "check_chunk",
    "check_path",
    "judge_statistical",
    "parse_shard",
    "run_check",
    "shard_of",
    "verify_all",
]

#: Differences rendered per changed case (the JSON form carries them all).
DIFF_LIMIT = 20

#: Called with (cases done, cases in all) as the run goes.
Progress = Callable[[int, int], None]


def check_path(session: VerifySession, options: CheckOptions, path: Path) -> CaseCheck:
    """Load, verify and scan one case file; every failure becomes a verdict, never an
    exception, so one broken file cannot stop the gate."""
    started = time.perf_counter()
    try:
        stored = session.store.load(path)
    except GoldenFileError as error:
        return CaseCheck(
            _target_from_path(session.store.root, path),
            path.stem.removeprefix("case-"),
            str(path),
            CaseStatus.ERROR,
            error=str(error),
            error_kind=ErrorKind.LOAD,
            seconds=time.perf_counter() - started,
        )
    case = stored.case
    try:
        result = verify_case(session, stored)
        if result.statistical:
            result = _exact_part(session, stored, result)
    except Exception as error:  # noqa: BLE001 - one broken case must not stop the gate
        result = CaseResult(case.target, case.id, path, CaseStatus.ERROR)
        result.error = f"{path}: verifying failed unexpectedly ({type(error).__name__}: {error})"
    checked = CaseCheck(
        case.target,
        case.id,
        str(path),
        CaseStatus(result.status),
        error=result.error,
        note=result.note,
        inputs=result.inputs,
        reviewed="reviewed" in case.meta,
        statistical=result.statistical and result.status in (CaseStatus.PASSED, CaseStatus.CHANGED),
    )
    if checked.status == CaseStatus.SKIPPED:
        reasons = "; ".join(case.meta.get("unencodable", [])) or "values the codec cannot store"
        checked.status = CaseStatus.ERROR
        checked.error_kind = ErrorKind.NOT_REPLAYABLE
        checked.error = f"{path}: not replayable, so nothing was checked: {reasons}"
    elif checked.status == CaseStatus.ERROR:
        checked.error_kind = _error_kind(session, case.target, path)
    if result.differences:
        from legacy_harness.report.render import render_text, to_data

        checked.diff = render_text(result.differences, limit=DIFF_LIMIT)
        checked.differences = to_data(result.differences)
    if options.scan_secrets:
        checked.secrets, checked.secret_lines = find_secrets(
            options.scanner, case, path, session.blob_reader(case.target)
        )
    checked.seconds = time.perf_counter() - started
    return checked


def _exact_part(session: VerifySession, stored: StoredCase, result: CaseResult) -> CaseResult:
    """A case with a statistical master: its seed-dependent leaves are left to the
    statistical pass (:func:`judge_statistical`), every other leaf stays exact."""
    from legacy_harness.stochastic.gate import exact_part, master_of

    master = master_of(session, stored)
    return exact_part(result, master) if master is not None else result


def judge_statistical(
    config: Config,
    cases: list[CaseCheck],
    jobs: int = 1,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> None:
    """Judge the cases with a statistical master that replayed (as ``verify`` does)
    against fresh seeds, with Holm across all of them at the project's alpha: a case
    that moved is CHANGED, with its histograms in ``diff``; every test is in
    ``statistics``. A case whose reruns fail is an error; the others are still judged.

    It runs in this process after the exact pass (Holm needs every test of the run),
    spreading the reruns over ``executor`` (default: ``jobs`` local processes).
    """
    from legacy_harness.parallel import LocalExecutor
    from legacy_harness.stochastic.gate import (
        configured_alpha,
        configured_sequential,
        judge_statistically,
    )

    wanted = [case for case in cases if case.statistical]
    if not wanted:
        return
    alpha = configured_alpha(config)
    sequential = configured_sequential(config)
    session = VerifySession.open(config)
    stored = [session.store.load(Path(case.path)) for case in wanted]

    def heard(done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total or done)

    with nullcontext(executor) if executor is not None else LocalExecutor(jobs) as executor:
        try:
            verdicts = judge_statistically(
                session,
                stored,
                alpha=alpha,
                sequential=sequential,
                executor=executor,
                progress=heard,
            )
        except Exception:  # noqa: BLE001 - find the cases that fail; judge the others
            broken = _unjudgeable(session, wanted, stored, alpha, executor)
            kept = [s for s, c in zip(stored, wanted, strict=True) if c.path not in broken]
            verdicts = judge_statistically(
                session, kept, alpha=alpha, sequential=sequential, executor=executor
            )
    for case in wanted:
        verdict = verdicts.get(case.path)
        if verdict is None:
            continue
        case.statistics = verdict.to_data()
        if verdict.failed:
            case.status = CaseStatus.CHANGED
            case.diff = "\n".join(
                part for part in (case.diff, "distribution: " + verdict.explanation) if part
            )
            case.differences = case.differences + verdict.differences()
            if case.inputs is None:
                from legacy_harness.report.inputs import compact_call

                case.inputs = compact_call(case.target, stored[wanted.index(case)].case.inputs)


def _unjudgeable(
    session: VerifySession,
    cases: list[CaseCheck],
    stored: list[StoredCase],
    alpha: float,
    executor: Executor,
) -> set[str]:
    """Judge each case alone to find those whose reruns fail; mark them errors."""
    from legacy_harness.stochastic.gate import judge_statistically

    broken = set()
    for case, one in zip(cases, stored, strict=True):
        try:
            judge_statistically(session, [one], alpha=alpha, executor=executor, runs=2)
        except Exception as error:  # noqa: BLE001 - one broken case must not stop the gate
            broken.add(case.path)
            case.status = CaseStatus.ERROR
            case.error_kind = ErrorKind.REPLAY
            case.error = (
                f"{case.path}: statistical master not judged: the fresh runs failed"
                f" ({type(error).__name__}: {error})"
            )
    return broken


def _error_kind(session: VerifySession, target: str, path: Path) -> ErrorKind:
    """MISSING_TARGET when the target no longer resolves, else REPLAY."""
    from legacy_harness.record.targets import resolve_stored

    try:
        resolve_stored(target, session.config, case_path=path, store_root=session.store.root)
    except (TargetError, GoldenFileError):
        return ErrorKind.MISSING_TARGET
    except Exception:  # noqa: BLE001 - importing the module failed: a replay error
        pass
    return ErrorKind.REPLAY


def _target_from_path(root: Path, path: Path) -> str:
    try:
        parts = path.parent.relative_to(root).parts
    except ValueError:
        return "?"
    return f"{parts[0]}:{parts[1]}" if len(parts) == 2 else "?"


# -- the workers ----------------------------------------------------------------------

#: (what the run shares, its session): one session per process and run, opened once.
_SESSION: tuple[object, VerifySession] | None = None


def check_chunk(shared: tuple[Config, CheckOptions], paths: Sequence[Path]) -> list[CaseCheck]:
    """Check a chunk of case files (what an executor's worker runs, by name)."""
    global _SESSION
    config, options = shared
    if _SESSION is None or _SESSION[0] is not shared:
        _SESSION = (shared, VerifySession.open(config))
    session = _SESSION[1]
    return [check_path(session, options, Path(path)) for path in paths]


def _chunks(items: list[Path], jobs: int) -> Iterator[list[Path]]:
    size = max(20, min(500, len(items) // (jobs * 8) or 1))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def shard_of(path: Path, count: int) -> int:
    """The shard (0-based, of ``count``) a case file falls in: its id as a number modulo
    ``count``, so every machine splits a store the same way, whatever it lists first."""
    case_id = path.name.removeprefix("case-").removesuffix(".json")
    try:
        number = int(case_id, 16)
    except ValueError:  # not a record-made id: still somewhere, and always the same shard
        number = int.from_bytes(hashlib.sha256(path.name.encode("utf-8")).digest()[:8], "big")
    return number % count


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N), with 1 <= K <= N; UsageError naming the form otherwise."""
    part, _, count = text.partition("/")
    try:
        k, n = int(part), int(count)
    except ValueError:
        k = n = 0
    if not 1 <= k <= n:
        raise UsageError(
            f"--shard {text!r}: give K/N with 1 <= K <= N, e.g. --shard 2/4 (the second of four)"
        )
    return k, n


# -- the run --------------------------------------------------------------------------


def case_paths(config: Config, options: CheckOptions) -> tuple[list[Path], int]:
    """The case files this run checks (its shard's), and how many the store holds."""
    from legacy_harness.store.disk import GoldenStore

    paths = list(GoldenStore(config.store).iter_paths())
    if options.shard is None:
        return paths, len(paths)
    k, n = options.shard
    return [path for path in paths if shard_of(path, n) == k - 1], len(paths)


def verify_all(
    config: Config,
    options: CheckOptions,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> list[CaseCheck]:
    """Verify the store's case files (this shard's) over ``executor`` (by default
    ``options.jobs`` local processes), sorted by path whatever order they finish in."""
    from legacy_harness.parallel import LocalExecutor

    paths, _ = case_paths(config, options)
    total = len(paths)
    if progress:
        progress(0, total)
    if executor is None:  # a small store is checked in-process: a pool costs more
        jobs = max(1, min(options.jobs, (total + 19) // 20 or 1))
        with LocalExecutor(jobs) as local:
            return verify_all(config, options, progress, local)
    done = 0
    results: list[CaseCheck] = []
    chunks = list(_chunks(paths, executor.jobs))
    for _, part in executor.map_unordered(check_chunk, chunks, (config, options)):
        results.extend(part)
        done += len(part)
        if progress:
            progress(done, total)
    results.sort(key=lambda c: c.path)
    return results


def run_check(
    config: Config,
    options: CheckOptions,
    progress: Progress | None = None,
    reruns: Progress | None = None,
    executor: Executor | None = None,
) -> CheckReport:
    """Verify every master (of this shard), judge the statistical ones, measure coverage
    when asked, and apply the policies. ``progress`` hears of cases verified, ``reruns``
    of the chunks of fresh runs of statistical masters (default: ``progress``). A shard
    with no case passes when the store has some: another shard has them."""
    started = time.perf_counter()
    if options.shard is not None and not options.allow_empty:
        _, in_store = case_paths(config, options)
        options = replace(options, allow_empty=in_store > 0)
    cases = verify_all(config, options, progress, executor)
    judge_statistical(config, cases, options.jobs, reruns or progress, executor)
    coverage = measure(config) if options.min_coverage is not None else None
    failures = apply_policies(cases, options, coverage)
    if options.docs is not None:
        from legacy_harness.check.docs import collect_site, page_format, stale_pages

        site = collect_site(config)
        stale = stale_pages(site, options.docs, page_format(options.docs))
        failures += docs_policy(str(options.docs), stale)
    report = CheckReport(
        str(config.store), cases, failures, options, coverage, time.perf_counter() - started
    )
    from legacy_harness.store.disk import GoldenStore

    report.leftovers = [str(path) for path in GoldenStore(config.store).leftovers()]
    return report
