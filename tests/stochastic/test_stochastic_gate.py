"""The gate's split of a statistical case: seed-dependent leaves statistical, others exact."""

from __future__ import annotations

from pathlib import Path

from legacy_harness.compare import Difference
from legacy_harness.outcomes import CaseStatus
from legacy_harness.stochastic.gate import (
    StatisticalVerdict,
    exact_part,
    merge,
    statistical_leaves,
)
from legacy_harness.stochastic.masters import build_distribution
from legacy_harness.verify import CaseResult

RUNS = [
    {
        "outcome.w": float(seed) / 7,
        "outcome.n": 40.0,
        "outcome.scores#mean": float(seed % 3),
        "outcome.scores#max": 9.0,
        "outcome.label": "fit",
    }
    for seed in range(12)
]


def changed(*paths: str) -> CaseResult:
    return CaseResult(
        "m:f",
        "0" * 16,
        Path("case.json"),
        CaseStatus.CHANGED,
        [Difference(path, "value", 1.0, 2.0) for path in paths],
        inputs="f()",
    )


def test_the_statistical_leaves_are_those_that_varied_arrays_by_their_path() -> None:
    master = build_distribution(RUNS, list(range(12)))
    assert statistical_leaves(master) == ["outcome.scores", "outcome.w"]


def test_differences_on_varying_leaves_are_dropped_and_the_rest_stay_exact() -> None:
    master = build_distribution(RUNS, list(range(12)))
    only_random = exact_part(changed("outcome.w", "outcome.scores[3]"), master)
    assert only_random.status == CaseStatus.PASSED and only_random.differences == []
    assert only_random.inputs is None
    mixed = exact_part(changed("outcome.w", "outcome.n", "outcome.label"), master)
    assert mixed.status == CaseStatus.CHANGED
    assert [d.path for d in mixed.differences] == ["outcome.n", "outcome.label"]
    # a leaf whose name only starts like a varying one is not covered by it
    assert exact_part(changed("outcome.weight"), master).status == CaseStatus.CHANGED


def test_a_moved_distribution_makes_a_passing_case_changed_with_its_explanation() -> None:
    verdict = StatisticalVerdict(
        "m:f", "0" * 16, "case.json", True, 0.01, 30, 12, list(range(30)),
        [{"leaf": "outcome.w", "test": "ks", "failed": True}], explanation="outcome.w moved: ks",
    )  # fmt: skip
    result = merge(CaseResult("m:f", "0" * 16, Path("case.json"), CaseStatus.PASSED), verdict)
    assert result.status == CaseStatus.CHANGED
    assert result.explanation == "distribution: outcome.w moved: ks"
    assert verdict.differences()[0]["path"] == "outcome.w"
    assert verdict.to_data()["seeds"] == list(range(30))
    kept = StatisticalVerdict("m:f", "0" * 16, "case.json", False, 0.01, 30, 12, [])
    passed = CaseResult("m:f", "0" * 16, Path("case.json"), CaseStatus.PASSED)
    assert merge(passed, kept).status == CaseStatus.PASSED
