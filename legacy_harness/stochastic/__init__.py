"""Stochastic characterization: seed control, statistical masters, run planning.

Import from here; the submodules are an implementation detail.
"""

from legacy_harness.stochastic.assertions import (
    StochasticAssertionError,
    Verdict,
    assert_rate,
    assert_same_distribution,
    assert_within_envelope,
    flatten_leaves,
    master_leaves,
    sequential_compare,
)
from legacy_harness.stochastic.histogram import render_histograms
from legacy_harness.stochastic.planning import Plan, plan, plan_rate, power, rate_power
from legacy_harness.stochastic.seeds import SeedReport, seeded, seeds_for
from legacy_harness.stochastic.sequential import (
    BernoulliSequentialTest,
    SequentialDesign,
    SequentialTest,
    WaldSequentialTest,
    sequential_design,
    sprt,
)
from legacy_harness.stochastic.stats import (
    TestResult,
    binomial_test,
    brown_forsythe,
    chi_square_categorical,
    combined_pvalue,
    compare_samples,
    holm,
    holm_reject,
    infer_kind,
    ks_2samp,
    mann_whitney,
    permutation_test,
    two_proportion_exact,
)

__all__ = [
    "BernoulliSequentialTest",
    "Plan",
    "SeedReport",
    "SequentialDesign",
    "SequentialTest",
    "StochasticAssertionError",
    "TestResult",
    "Verdict",
    "WaldSequentialTest",
    "assert_rate",
    "assert_same_distribution",
    "assert_within_envelope",
    "binomial_test",
    "brown_forsythe",
    "chi_square_categorical",
    "combined_pvalue",
    "compare_samples",
    "flatten_leaves",
    "holm",
    "holm_reject",
    "infer_kind",
    "ks_2samp",
    "mann_whitney",
    "master_leaves",
    "permutation_test",
    "plan",
    "plan_rate",
    "power",
    "rate_power",
    "render_histograms",
    "seeded",
    "seeds_for",
    "sequential_compare",
    "sequential_design",
    "sprt",
    "two_proportion_exact",
]
