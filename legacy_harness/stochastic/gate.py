"""Statistical masters in the gate: what ``verify``, ``check`` and the pytest items share.

A case recorded with ``record --runs N`` holds two masters: the exact one (one call,
with the generator states it started from) and a distribution over fresh seeds. A
refactoring that draws the same numbers in another order keeps the distribution but
not the exact values, so where a case has a distribution the gate judges it twice:

* exactly, on every leaf that did not vary between the master's runs (those are
  deterministic, so any change is a change);
* statistically, on every leaf: fresh replays (the number :func:`default_runs` plans,
  or a sequential test), one test per leaf and Holm across the whole run at the
  configured alpha, so a suite's false-alarm rate stays at alpha.

The engine is :func:`legacy_harness.stochastic.runner.verify_distributions` (reruns on
an :class:`~legacy_harness.parallel.Executor`); this module only turns its results
into plain, JSON-ready verdicts the three front ends print the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.compare import Difference
from legacy_harness.config import Config, number, section
from legacy_harness.errors import ConfigError, HarnessError
from legacy_harness.outcomes import CaseStatus
from legacy_harness.parallel import Executor, Progress
from legacy_harness.stochastic.masters import CaseDistributionResult, Distribution
from legacy_harness.store.disk import StoredCase
from legacy_harness.verify import CaseResult, VerifySession

__all__ = [
    "DEFAULT_ALPHA",
    "StatisticalVerdict",
    "configured_alpha",
    "configured_sequential",
    "exact_part",
    "judge_results",
    "judge_statistically",
    "merge",
    "master_of",
    "statistical_leaves",
    "verdict_of",
]

#: Family-wise false-alarm rate when ``[tool.legacy_harness.stochastic] alpha`` is unset.
DEFAULT_ALPHA = 0.01
#: Leaves whose histograms a failing case shows (the JSON holds every test).
SHOWN_LEAVES = 3


def configured_alpha(config: Config, given: float | None = None) -> float:
    """``given`` (a command-line ``--alpha``), else the project's alpha, checked."""
    alpha = (
        given if given is not None else number(config.table, "stochastic", "alpha", DEFAULT_ALPHA)
    )
    if not 0 < alpha < 1:
        where = "--alpha" if given is not None else "[tool.legacy_harness.stochastic] alpha ="
        raise ConfigError(f"{where} {alpha} must be between 0 and 1, e.g. {where} 0.01")
    return float(alpha)


def configured_sequential(config: Config) -> bool:
    """``[tool.legacy_harness.stochastic] sequential``: judge statistical masters with the
    sequential test (fresh runs until it decides) instead of the planned number of runs."""
    return bool(section(config.table, "stochastic").get("sequential", False))


def _finite(value: float) -> float | None:
    """JSON has no NaN: an undefined statistic is null."""
    return float(value) if math.isfinite(value) else None


@dataclass
class StatisticalVerdict:
    """The statistical judgement of one case, as plain data (crosses processes)."""

    target: str
    case_id: str
    path: str
    failed: bool
    alpha: float
    runs: int
    master_runs: int
    seeds: list[int]
    #: One entry per test of a leaf (see :meth:`to_data`).
    leaves: list[dict[str, Any]] = field(default_factory=list)
    #: Leaves in the master but not in today's runs, or the other way round.
    missing: list[str] = field(default_factory=list)
    #: "accept", "reject" or "inconclusive" under ``--sequential``, else None.
    sequential: str | None = None
    #: The verdict for people: which leaves moved, how far, and their histograms.
    explanation: str = ""

    def moved(self) -> list[dict[str, Any]]:
        """The tests that rejected, one entry per test."""
        return [leaf for leaf in self.leaves if leaf["failed"]]

    def differences(self) -> list[dict[str, Any]]:
        """One difference per moved leaf (and per missing leaf), in the shape the
        exact comparison reports, so grouping and annotations read them the same."""
        found: dict[str, dict[str, Any]] = {}
        for leaf in self.moved():
            entry = found.setdefault(
                leaf["leaf"],
                {
                    "path": leaf["leaf"], "kind": "distribution", "expected": None,
                    "actual": None, "abs_err": None, "rel_err": None, "detail": {"tests": []},
                },
            )  # fmt: skip
            entry["detail"]["tests"].append(leaf["test"])
        for name in self.missing:
            found.setdefault(
                name,
                {
                    "path": name, "kind": "distribution", "expected": None, "actual": None,
                    "abs_err": None, "rel_err": None, "detail": {"missing": True},
                },
            )  # fmt: skip
        return list(found.values())

    def to_data(self) -> dict[str, Any]:
        """The JSON form (``statistics`` of a case in every command's document)."""
        return {
            "alpha": self.alpha,
            "runs": self.runs,
            "master_runs": self.master_runs,
            "seeds": list(self.seeds),
            "sequential": self.sequential,
            "failed": self.failed,
            "missing": list(self.missing),
            "leaves": [dict(leaf) for leaf in self.leaves],
        }


def verdict_of(result: CaseDistributionResult, alpha: float) -> StatisticalVerdict:
    """One engine result as a verdict: every leaf test with its Holm-adjusted p-value."""
    from legacy_harness.stochastic.runner import failed

    case = result.stored.case
    leaves = [
        {
            "leaf": test.leaf,
            "test": test.result.name,
            "statistic": _finite(test.result.statistic),
            "p_value": _finite(test.result.pvalue),
            "adjusted_p_value": _finite(test.adjusted),
            "effect_size": _finite(test.result.effect_size),
            "effect": test.result.effect_label,
            "runs": {"master": test.result.n_master, "current": test.result.n_current},
            "failed": bool(test.adjusted <= alpha),
        }
        for test in result.tests
    ]
    explanation = result.render(alpha, shown_leaves=SHOWN_LEAVES)
    if result.sequential:
        explanation = (
            f"sequential test: {result.sequential} after {result.current.runs} runs\n" + explanation
        )
    return StatisticalVerdict(
        case.target,
        case.id,
        str(result.stored.path),
        failed(result, alpha),
        alpha,
        result.current.runs,
        result.master.runs,
        list(result.current.seeds),
        leaves,
        list(result.missing),
        result.sequential,
        explanation,
    )


def judge_statistically(
    session: VerifySession,
    cases: Sequence[StoredCase],
    *,
    alpha: float,
    runs: int | None = None,
    seed: int = 0,
    sequential: bool = False,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> dict[str, StatisticalVerdict]:
    """Verdicts (by case path) of the ``cases`` that hold a statistical master.

    Holm runs across every test of every one of them: the run is the family. Cases
    without a distribution are ignored; a case whose replays fail is left out (its
    exact replay reports the error).
    """
    from legacy_harness.stochastic.runner import verify_distributions

    statistical = [stored for stored in cases if stored.case.distribution is not None]
    if not statistical:
        return {}
    results = verify_distributions(
        session,
        runs=runs,
        seed=seed,
        alpha=alpha,
        sequential=sequential,
        executor=executor,
        cases=statistical,
        progress=progress,
    )
    return {str(result.stored.path): verdict_of(result, alpha) for result in results}


def master_of(session: VerifySession, stored: StoredCase) -> Distribution | None:
    """The case's statistical master, or None when it has none."""
    tree = stored.case.distribution
    if tree is None:
        return None
    try:
        return Distribution.from_tree(tree, session.blob_reader(stored.case.target))
    except (KeyError, TypeError, ValueError) as error:
        raise HarnessError(
            f"{stored.path}: field 'distribution' is malformed ({error}); record it again"
            " with legacy-harness record --runs N"
        ) from None


def statistical_leaves(master: Distribution) -> list[str]:
    """The paths the statistical test judges: leaves that varied across the master's
    runs (a summarised array by its path, without the ``#mean`` suffix)."""
    return sorted({name.split("#", 1)[0] for name in master.varying})


def _covered(path: str, leaves: Sequence[str]) -> bool:
    return any(
        path == leaf or path.startswith((leaf + "[", leaf + ".")) or leaf.startswith(path + "[")
        for leaf in leaves
    )


def exact_part(result: CaseResult, master: Distribution) -> CaseResult:
    """``result`` without the differences on leaves the statistical test judges.

    The exact replay restores the recorded generator states, so a leaf that varies with
    the seed differs as soon as the code draws its numbers in another order, even when
    their distribution is the same. Every other leaf is deterministic and stays exact.
    """
    if result.status != CaseStatus.CHANGED or result.explanation:
        return result
    leaves = statistical_leaves(master)
    kept: list[Difference] = [d for d in result.differences if not _covered(d.path, leaves)]
    result.differences = kept
    if not kept:
        result.status = CaseStatus.PASSED
        result.inputs = None
    return result


def merge(result: CaseResult, verdict: StatisticalVerdict | None) -> CaseResult:
    """The exact part's verdict with the statistical one: changed if either says so."""
    if verdict is None or result.status in (CaseStatus.ERROR, CaseStatus.SKIPPED):
        return result
    if verdict.failed:
        result.status = CaseStatus.CHANGED
        result.explanation = "\n".join(
            part
            for part in (
                result.explanation
                or (_exact_text(result.differences) if result.differences else ""),
                "distribution: " + verdict.explanation,
            )
            if part
        )
    return result


def _exact_text(differences: Sequence[Difference]) -> str:
    from legacy_harness.report.render import render_text

    return "exact leaves:\n" + render_text(list(differences), limit=20)


def judge_results(
    session: VerifySession,
    results: Sequence[CaseResult],
    *,
    alpha: float,
    targets: Sequence[str] | None = None,
    runs: int | None = None,
    seed: int = 0,
    sequential: bool = False,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> dict[str, StatisticalVerdict]:
    """Judge the statistical masters among exact ``results`` (of ``targets``, default
    all) and fold the verdicts into them in place; returns the verdicts by case path."""
    wanted = {
        str(r.path) for r in results if r.status not in (CaseStatus.ERROR, CaseStatus.SKIPPED)
    }
    cases: list[StoredCase] = []
    for item in session.store.iter_cases(list(targets) if targets else None):
        if isinstance(item, StoredCase) and str(item.path) in wanted:
            cases.append(item)
    masters = {str(stored.path): master_of(session, stored) for stored in cases}
    verdicts = judge_statistically(
        session,
        cases,
        alpha=alpha,
        runs=runs,
        seed=seed,
        sequential=sequential,
        executor=executor,
        progress=progress,
    )
    for result in results:
        master = masters.get(str(result.path))
        if master is not None:
            merge(exact_part(result, master), verdicts.get(str(result.path)))
    return verdicts
