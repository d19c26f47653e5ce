"""Record and verify statistical masters over a store (the I/O edge of ``masters``).

The reruns of a case are independent, so they are spread over an executor
(``legacy_harness.parallel``): each worker gets a :class:`ReplayJob` (the case, its blobs
and the settings its replays need, with no store behind it) once, and seeds in chunks.
Samples come back in seed order whatever finished first, so the masters and verdicts
are those of a run in this process with the same seeds.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from legacy_harness.compare.invariants import InvariantRules
from legacy_harness.config import Config, load_config
from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.parallel import Executor, LocalExecutor, Progress, gather
from legacy_harness.record.targets import resolve
from legacy_harness.replay import decode_inputs, observed_view, replay
from legacy_harness.stochastic.masters import (
    CURRENT_SEED_OFFSET,
    CaseDistributionResult,
    Distribution,
    Replayer,
    Sample,
    SequentialCase,
    build_distribution,
    canonicalised,
    collect,
    compare_distribution,
    default_runs,
    judge,
    scrubbed,
)
from legacy_harness.stochastic.seeds import seeds_for
from legacy_harness.stochastic.statistics import compute, load_statistics, statistic_specs
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase
from legacy_harness.store.disk import StoredCase, case_blob_names
from legacy_harness.verify import VerifySession

#: Chunks of seeds per job and case: enough to even out unequal run times.
CHUNKS_PER_JOB = 4


@dataclass(frozen=True)
class ReplayJob:
    """One case and all its replays need, so a worker with no store can rerun it."""

    case: GoldenCase
    blobs: dict[str, bytes]
    class_policy: codec.ClassPolicy
    scrubbers: tuple[Any, ...]
    pythonpath: tuple[str, ...]
    root: str
    #: (path glob, invariant) of the target's policy: applied to every run's view.
    invariants: tuple[tuple[str, str], ...] = ()
    #: "pkg.mod:func" of the derived statistics configured for the target (vetted).
    statistics: tuple[str, ...] = ()

    @classmethod
    def of(cls, session: VerifySession, stored: StoredCase) -> ReplayJob:
        """The job of one case; resolving its target here fails early and lets executors
        fingerprint the code the workers must run."""
        case = stored.case
        session.target_of(stored)  # the project's own code only: refused before any worker runs
        names = case_blob_names(case)
        policy = session.policy.for_target(case.target)
        return cls(
            case,
            {name: session.store.read_blob(case.target, name) for name in sorted(names)},
            session.class_policy_for(case.target),
            tuple(policy.scrubbers),
            tuple(str(folder) for folder in session.config.pythonpath),
            str(session.config.root),
            tuple((glob, tol.invariant) for glob, tol in policy.paths if tol.invariant),
            statistic_specs(session.config, case.target),  # config only, never the case
        )

    def replayer(self) -> Replayer:
        """A function seed -> observed view of one fresh replay of the case."""
        for folder in reversed(self.pythonpath):
            if folder not in sys.path:
                sys.path.insert(0, folder)
        case, policy, scrubbers = self.case, self.class_policy, self.scrubbers
        target = resolve(case.target)
        statistics = load_statistics(self.statistics)
        rules = InvariantRules(self.invariants)

        def reader(extra: dict[str, bytes]) -> Any:
            def read(name: str) -> bytes:
                found = extra.get(name, self.blobs.get(name))
                if found is None:
                    raise GoldenFileError(
                        case.target, f"case {case.id} refers to missing blob {name}"
                    )
                return found

            return read

        def run(seed: int) -> dict[str, Any]:
            replayed = replay(
                case,
                reader({}),
                policy,
                target=target,
                restore_random=False,
                root=Path(self.root),
            )
            if replayed.blocked or replayed.mismatches:  # a run the tape cannot answer
                problem = (replayed.blocked or [m.render() for m in replayed.mismatches])[0]
                raise HarnessError(
                    f"{case.target} case-{case.id}, seed {seed}: {problem}; the statistical"
                    " replays need the calls the tape holds (re-record the case)"
                )
            view = scrubbed(
                observed_view(replayed.observation, reader(replayed.blobs), policy), scrubbers
            )
            if statistics and "outcome" in view:  # the raw outcome, before any invariant
                inputs = decode_inputs(case, reader({}), policy)
                view["statistics"] = compute(statistics, inputs, view["outcome"])
            return dict(canonicalised(view, rules))

        return run


def replay_seeds(jobs: Sequence[ReplayJob], item: tuple[int, Sequence[int]]) -> list[Sample]:
    """Worker side: replay case ``jobs[i]`` once per seed of ``item = (i, seeds)``."""
    index, seeds = item
    return collect(jobs[index].replayer(), seeds)


def replayer(session: VerifySession, stored: StoredCase) -> Replayer:
    """A function seed -> observed view of one fresh replay of ``stored``, in-process."""
    return ReplayJob.of(session, stored).replayer()


def _split(seeds: Sequence[int], parts: int) -> list[list[int]]:
    size = math.ceil(len(seeds) / max(1, parts))
    return [list(seeds[i : i + size]) for i in range(0, len(seeds), size)]


def replay_many(
    executor: Executor,
    jobs: Sequence[ReplayJob],
    seed_lists: Sequence[Sequence[int]],
    progress: Progress | None = None,
) -> list[list[Sample]]:
    """Samples of every case for its seeds, in seed order; one map over all of them
    (``progress`` hears of each finished chunk of seeds)."""
    items = [
        (index, chunk)
        for index, seeds in enumerate(seed_lists)
        for chunk in _split(seeds, executor.jobs * CHUNKS_PER_JOB)
    ]
    chunks = gather(executor, replay_seeds, items, tuple(jobs), progress=progress)
    samples: list[list[Sample]] = [[] for _ in jobs]
    for (index, _), chunk_samples in zip(items, chunks, strict=True):
        samples[index].extend(chunk_samples)
    return samples


@dataclass
class RecordedDistribution:
    stored: StoredCase
    distribution: Distribution
    written: bool


def _cases(session: VerifySession, targets: Sequence[str] | None) -> list[StoredCase]:
    cases = []
    for item in session.store.iter_cases(list(targets) if targets else None):
        if isinstance(item, GoldenFileError):
            raise item
        cases.append(item)
    return cases


def record_distributions(
    targets: Sequence[str] | None = None,
    *,
    runs: int = 100,
    seed: int = 0,
    config: Config | None = None,
    session: VerifySession | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> list[RecordedDistribution]:
    """Replay each case ``runs`` times with distinct seeds; keep a master where results vary.

    A case whose results do not vary with the seed stays an exact master only. The
    reruns go to ``executor`` (default: this process); the masters do not depend on it.
    """
    session = session or VerifySession.open(config or load_config())
    cases = [stored for stored in _cases(session, targets) if stored.case.replayable]
    seeds = seeds_for(seed, runs)
    jobs = [ReplayJob.of(session, stored) for stored in cases]
    samples = replay_many(executor or LocalExecutor(1), jobs, [seeds] * len(jobs), progress)
    recorded = []
    for stored, case_samples in zip(cases, samples, strict=True):
        distribution = build_distribution(case_samples, seeds)
        written = any(name not in distribution.unstable for name in distribution.varying)
        if written:
            blobs: dict[str, bytes] = {}
            tree = distribution.to_tree(blobs)
            case = stored.case
            old = {
                name: session.store.read_blob(case.target, name) for name in case_blob_names(case)
            }
            session.store.write(
                replace(case, distribution=tree, blobs={**old, **blobs}), overwrite=True
            )
        recorded.append(RecordedDistribution(stored, distribution, written))
    return recorded


def verify_distributions(
    session: VerifySession,
    targets: Sequence[str] | None = None,
    *,
    runs: int | None = None,
    seed: int = 0,
    alpha: float = 0.01,
    sequential: bool = False,
    executor: Executor | None = None,
    cases: Sequence[StoredCase] | None = None,
    progress: Progress | None = None,
) -> list[CaseDistributionResult]:
    """Test every case that has a statistical master; Holm across all of them.

    ``runs`` fresh runs per case (default: planned for a 1-sd shift at power 0.9); with
    ``sequential`` it caps the runs of the sequential test (default: its design's).
    ``cases`` (already loaded) replaces reading ``targets`` from the store: the gate
    passes the cases its run covers, so Holm's family is exactly that run.
    """
    executor = executor or LocalExecutor(1)
    masters = []
    for stored in cases if cases is not None else _cases(session, targets):
        tree = stored.case.distribution
        if tree is not None:
            masters.append(
                (stored, Distribution.from_tree(tree, session.blob_reader(stored.case.target)))
            )
    results = []
    if sequential:
        for stored, master in masters:
            job = ReplayJob.of(session, stored)
            results.append(_sequential(executor, job, stored, master, runs, seed, alpha))
    else:
        leaves = sum(len(m.varying) for _, m in masters)
        seed_lists = [
            seeds_for(seed + CURRENT_SEED_OFFSET, runs or default_runs(master, alpha, leaves))
            for _, master in masters
        ]
        jobs = [ReplayJob.of(session, stored) for stored, _ in masters]
        samples = replay_many(executor, jobs, seed_lists, progress)
        for (stored, master), seeds, case_samples in zip(masters, seed_lists, samples, strict=True):
            current = build_distribution(case_samples, seeds)
            results.append(compare_distribution(stored, master, current))
    judge(results, alpha)
    return results


def _sequential(
    executor: Executor,
    job: ReplayJob,
    stored: StoredCase,
    master: Distribution,
    runs: int | None,
    seed: int,
    alpha: float,
) -> CaseDistributionResult:
    """Feed runs to the sequential tests in seed order until they decide.

    ``executor.jobs`` runs are in flight at a time; those still running at the decision
    are dropped, so the decision and the runs it used match a run in this process.
    """
    tests = SequentialCase(master, alpha)
    seeds = seeds_for(seed + CURRENT_SEED_OFFSET, runs or tests.max_runs)
    samples: list[Sample] = []
    waiting: dict[int, Sample] = {}
    results = executor.map_unordered(replay_seeds, ((0, [s]) for s in seeds), (job,))
    try:
        for index, (sample,) in results:
            waiting[index] = sample
            while len(samples) in waiting and tests.decision == "continue":
                sample = waiting.pop(len(samples))
                samples.append(sample)
                tests.feed(sample)
            if tests.decision != "continue":
                break
    finally:
        results.close()
    used = seeds[: len(samples)]
    result = compare_distribution(stored, master, build_distribution(samples, used))
    result.sequential = "inconclusive" if tests.decision == "continue" else tests.decision
    return result


def failed(result: CaseDistributionResult, alpha: float) -> bool:
    if result.sequential is not None:
        return result.sequential == "reject" or bool(result.missing)
    return bool(result.failed(alpha) or result.missing)
