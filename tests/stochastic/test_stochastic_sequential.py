"""Sequential tests: the calibrated design, its truncation, and the reference Wald SPRT."""

from __future__ import annotations

import math

import numpy as np
import pytest

from legacy_harness.stochastic import (
    BernoulliSequentialTest,
    SequentialTest,
    WaldSequentialTest,
    sequential_design,
    sprt,
)

RNG_SEED = 20240601
#: A master so large that its mean (exactly 0) and sd (exactly 1) are as good as known.
UNIT = np.tile([-1.0, 1.0], 50_000) * math.sqrt((100_000 - 1) / 100_000)


def run_many(streams: np.ndarray, **levels: float) -> tuple[np.ndarray, np.ndarray]:
    """(rejected?, runs used) of one SequentialTest per row of ``streams``."""
    decisions, used = [], []
    for stream in streams:
        test = SequentialTest(UNIT, **levels)
        decisions.append(test.update(stream))
        used.append(test.n)
    assert "continue" not in decisions  # truncated: it always decides
    return np.array(decisions) == "reject", np.array(used)


# ----------------------------------------------------------------------------- the design


@pytest.mark.parametrize(
    ("alpha", "beta", "effect", "runs"),
    [
        (0.01, 0.1, 1.0, None),
        (0.05, 0.2, 1.0, 200),
        (1e-4, 0.1, 1.0, None),
        (0.01, 0.05, 2.0, 40),
        (0.001, 0.1, 0.4, None),
    ],
)
def test_design_spends_exactly_alpha_and_beta(
    alpha: float, beta: float, effect: float, runs: int | None
) -> None:
    design = sequential_design(alpha, beta, effect, runs)
    assert design.false_alarm == pytest.approx(alpha, rel=1e-4)
    assert design.power == pytest.approx(1 - beta, rel=1e-4)
    assert design.expected_runs_null < design.max_runs
    assert design.max_runs % design.look_every == 0
    if (alpha, beta, effect) == (0.01, 0.1, 1.0):
        assert design.max_runs == 30 and design.look_every == 1
        assert design.expected_runs_null < 7.1 and design.expected_runs_shift < 9.4
        assert design.expected_runs_shift < 15  # the fixed-sample z-test needs 15
    assert sequential_design(alpha, beta, effect, runs) is design  # cached


def test_a_finite_master_costs_runs_and_too_small_a_master_is_refused() -> None:
    known, estimated = sequential_design(), sequential_design(0.01, 0.1, 1.0, 200)
    assert estimated.upper > known.upper
    assert known.expected_runs_null < estimated.expected_runs_null < 7.6
    assert estimated.expected_runs_shift < 10.2
    with pytest.raises(ValueError, match="a master of 20 runs is too small .* record at least"):
        sequential_design(0.01, 0.1, 1.0, 20)
    with pytest.raises(ValueError, match="the master needs 2 or more runs"):
        sequential_design(0.01, 0.1, 1.0, 1)


def naive_alarm(master: np.ndarray, stream: np.ndarray, alpha: float) -> bool:
    """The decision of a design that takes the master's mean and sd as exact."""
    naive = sequential_design(alpha, 0.1, 1.0)
    z = np.cumsum((stream - master.mean()) / master.std(ddof=1))[: naive.max_runs]
    llr = np.logaddexp(z, -z) - math.log(2) - np.arange(1, z.size + 1) / 2
    hit = (llr >= naive.upper) | (llr <= naive.lower)
    if hit.any():
        return bool(llr[int(np.argmax(hit))] >= naive.upper)
    return bool(llr[-1] >= naive.final)


def test_the_levels_hold_for_a_master_of_60_runs() -> None:
    """Fresh 60-run masters each time: calibrated for them, the false alarms stay at
    alpha; a design that took the master as exact raises far more."""
    rng = np.random.default_rng(RNG_SEED)
    reruns, alpha = 3000, 0.05
    masters = rng.normal(0.0, 1.0, (reruns, 60))
    streams = rng.normal(0.0, 1.0, (reruns, 100))
    pairs = list(zip(masters, streams, strict=True))
    alarms = sum(SequentialTest(m, alpha=alpha).update(s) == "reject" for m, s in pairs)
    se = math.sqrt(alpha * (1 - alpha) / reruns)
    assert abs(alarms / reruns - alpha) < 4 * se
    naive = sum(naive_alarm(m, s, alpha) for m, s in pairs)
    assert naive / reruns > alpha + 4 * se


def test_small_effects_are_looked_at_every_few_runs() -> None:
    design = sequential_design(0.01, 0.1, 0.5)
    assert design.look_every == 4
    # a look every 4 runs costs little against the one-run design scaled by 1/effect^2
    assert design.expected_runs_null < 4.1 * sequential_design(0.01, 0.1, 1.0).expected_runs_null
    rng = np.random.default_rng(RNG_SEED)
    test = SequentialTest(UNIT, effect=0.5)
    test.update(rng.normal(0.0, 1.0, 3))
    assert test.decision == "continue" and test.n == 3  # no look before run 4


def test_simulated_rates_and_runs_match_the_computed_ones() -> None:
    """The recursion and the run-by-run test agree: 4000 simulated reruns per case."""
    rng = np.random.default_rng(RNG_SEED)
    design = sequential_design(0.05, 0.1, 1.0)
    for shift, rate, runs in (
        (0.0, design.false_alarm, design.expected_runs_null),
        (1.0, design.power, design.expected_runs_shift),
    ):
        rejected, used = run_many(rng.normal(shift, 1.0, (4000, design.max_runs)), alpha=0.05)
        se = math.sqrt(rate * (1 - rate) / 4000)
        assert abs(rejected.mean() - rate) < 4 * se
        assert abs(used.mean() - runs) < 4 * used.std() / math.sqrt(4000)
        assert used.max() <= design.max_runs


def test_fewer_runs_than_the_wald_design_on_the_same_streams() -> None:
    rng = np.random.default_rng(RNG_SEED)
    for shift in (0.0, 1.0):
        streams = rng.normal(shift, 1.0, (1500, 200))
        _, used = run_many(streams)
        wald = []
        for stream in streams:
            old = WaldSequentialTest(UNIT)
            old.update(stream)
            wald.append(old.n)
        assert used.mean() < np.mean(wald) - 1.0


def test_bad_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha must be in"):
        SequentialTest(UNIT, alpha=0.0)
    with pytest.raises(ValueError, match="beta must be in"):
        sequential_design(0.5, 0.6, 1.0)
    with pytest.raises(ValueError, match="effect must be a positive number of sds"):
        SequentialTest(UNIT, effect=-1.0)
    with pytest.raises(ValueError, match="at least one finite value"):
        SequentialTest([math.nan])


# ----------------------------------------------------------------------------- feeding runs


def test_sequential_test_accepts_and_rejects() -> None:
    rng = np.random.default_rng(RNG_SEED)
    master = rng.normal(size=200)
    decision, used = sprt(rng.normal(size=200), master)
    assert decision == "accept" and used <= 30
    decision, used = sprt(rng.normal(2.0, size=200), master)
    assert decision == "reject" and used < 10
    decision, used = sprt(rng.normal(-2.0, size=200), master)
    assert decision == "reject"


@pytest.mark.parametrize("effect", [1.0, 0.4])
def test_batch_equals_one_at_a_time(effect: float) -> None:
    rng = np.random.default_rng(RNG_SEED)
    master = rng.normal(size=400)
    for shift in (0.0, 0.6, 1.5):
        stream = rng.normal(shift * effect, size=400)
        batch = SequentialTest(master, effect=effect)
        batch.update(stream)
        single = SequentialTest(master, effect=effect)
        for v in stream:
            if single.update(v) != "continue":
                break
        assert (batch.decision, batch.n, batch.statistic) == (
            single.decision,
            single.n,
            single.statistic,
        )
        look = batch.design.look_every
        assert batch.n % look == 0 or batch.n == batch.max_runs
        assert batch.update([100.0]) == batch.decision  # ignored after a decision


def test_truncation_decides_by_the_likelihood_ratio() -> None:
    design = sequential_design()
    edge = (design.upper + design.lower) / 2  # the last look splits the boundaries
    assert design.lower < edge == design.final < design.upper
    # a steady mean of m keeps log LR = log cosh(n m) - n / 2 between the boundaries for
    # all 30 runs when m is near 1/2; then the last run decides: at m = 0.54 log LR is
    # 0.5, which favours a shift yet stays below the midpoint, so it accepts
    for mean, expected in ((0.52, "accept"), (0.54, "accept"), (0.62, "reject")):
        test = SequentialTest(UNIT)
        decision = test.update(np.full(100, mean))
        assert test.n == design.max_runs
        assert (test.statistic >= edge) == (decision == "reject")
        assert decision == expected


def test_sequential_constant_master() -> None:
    test = SequentialTest([3.0] * 20)
    assert test.update([3.0] * 50) == "accept" and test.n < 10
    assert SequentialTest([3.0] * 20).update([3.0, 3.5]) == "reject"


def test_wald_reference_design_is_kept() -> None:
    rng = np.random.default_rng(RNG_SEED)
    master = rng.normal(size=200)
    test = WaldSequentialTest(master)
    assert test.update(rng.normal(3.0, size=50)) == "reject" and test.n < 10
    assert test.upper == pytest.approx(math.log(0.9 / 0.005))


def test_bernoulli_sequential_test() -> None:
    rng = np.random.default_rng(RNG_SEED)
    ok = BernoulliSequentialTest(0.95, 0.80)
    assert ok.update(rng.random(500) < 0.95) == "accept"
    bad = BernoulliSequentialTest(0.95, 0.80)
    assert bad.update(rng.random(500) < 0.75) == "reject"
    assert bad.n < 200
    with pytest.raises(ValueError):
        BernoulliSequentialTest(0.5, 0.5)
