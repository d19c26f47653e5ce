"""Record and verify statistical masters over a store (the I/O edge of ``masters``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from legacy_harness.config import Config, load_config
from legacy_harness.errors import GoldenFileError
from legacy_harness.replay import observed_view, replay
from legacy_harness.stochastic.masters import (
    CaseDistributionResult,
    Distribution,
    Replayer,
    build_distribution,
    collect,
    default_runs,
    judge,
    scrubbed,
    test_case,
)
from legacy_harness.stochastic.seeds import seeds_for
from legacy_harness.store.disk import StoredCase, case_blob_names
from legacy_harness.verify import VerifySession


def replayer(session: VerifySession, stored: StoredCase) -> Replayer:
    """A function seed -> observed view of one fresh replay of ``stored``."""
    case = stored.case
    class_policy = session.class_policy_for(case.target)
    target = session.target_of(stored)
    scrubbers = session.policy.for_target(case.target).scrubbers

    def run(seed: int) -> dict[str, Any]:
        replayed = replay(
            case,
            session.blob_reader(case.target),
            class_policy,
            target=target,
            restore_random=False,
        )
        view = observed_view(
            replayed.observation, session.blob_reader(case.target, replayed.blobs), class_policy
        )
        return scrubbed(view, scrubbers)

    return run


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
) -> list[RecordedDistribution]:
    """Replay each case ``runs`` times with distinct seeds; keep a master where results vary.

    A case whose results do not vary with the seed stays an exact master only.
    """
    session = session or VerifySession.open(config or load_config())
    recorded = []
    seeds = seeds_for(seed, runs)
    for stored in _cases(session, targets):
        if not stored.case.replayable:
            continue
        distribution = build_distribution(collect(replayer(session, stored), seeds), seeds)
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
) -> list[CaseDistributionResult]:
    """Test every case that has a statistical master; Holm across all of them."""
    masters = []
    for stored in _cases(session, targets):
        tree = stored.case.distribution
        if tree is not None:
            masters.append(
                (stored, Distribution.from_tree(tree, session.blob_reader(stored.case.target)))
            )
    leaves = sum(len(m.varying) for _, m in masters)
    results = []
    for stored, master in masters:
        n = runs or default_runs(master, alpha, leaves)
        results.append(
            test_case(
                stored,
                master,
                replayer(session, stored),
                runs=n,
                seed=seed,
                sequential=sequential,
                alpha=alpha,
            )
        )
    judge(results, alpha)
    return results


def failed(result: CaseDistributionResult, alpha: float) -> bool:
    if result.sequential is not None:
        return result.sequential == "reject" or bool(result.missing)
    return bool(result.failed(alpha) or result.missing)
