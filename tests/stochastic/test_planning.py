"""Run planning: known values, monotonicity, and consistency of plan() with power()."""

from __future__ import annotations

import math

import pytest

from legacy_harness.stochastic import Plan, plan, plan_rate, power, rate_power


def test_known_value_equal_sizes() -> None:
    # 2 (z_{0.995} + z_{0.9})^2 / (3/pi) = 2 * (2.5758 + 1.2816)^2 / 0.9549 = 31.16
    p = plan(1.0, 0.01, 0.9, tests_per_assertion=1)
    assert (p.runs, p.ref_runs) == (32, 32)
    expected = 2 * (2.5758293035489 + 1.2815515655446) ** 2 / (3 / math.pi)
    assert p.runs == math.ceil(expected)


def test_known_value_with_reference_runs() -> None:
    p = plan(1.0, 0.01, 0.9, ref_runs=200)  # Holm over 3 tests: alpha/3 per test
    assert p.ref_runs == 200
    assert p.runs == 21
    assert p.alpha_per_assertion == 0.01
    assert p.alpha_per_test == pytest.approx(0.01 / 3)


def test_plan_is_minimal_for_power() -> None:
    p = plan(0.7, 0.05, 0.8, ref_runs=100, n_assertions=4)
    assert power(0.7, p.runs, p.ref_runs, p.alpha_per_test) >= 0.8
    assert power(0.7, p.runs - 1, p.ref_runs, p.alpha_per_test) < 0.8


@pytest.mark.parametrize("effect", [0.25, 0.5, 1.0, 2.0])
def test_monotone_in_effect_power_alpha_assertions(effect: float) -> None:
    base = plan(effect)
    assert plan(effect * 1.5).runs <= base.runs
    assert plan(effect, power=0.95).runs >= base.runs
    assert plan(effect, alpha=0.05).runs <= base.runs
    assert plan(effect, n_assertions=20).runs >= base.runs


def test_power_function() -> None:
    assert power(1.0, 30, 200, 0.01) > power(1.0, 20, 200, 0.01) > power(0.5, 20, 200, 0.01)
    assert power(0.0, 30, 30, 0.05) == pytest.approx(0.05)
    assert power(1.0, 0, 10, 0.01) == 0.0


def test_too_few_reference_runs_is_explained() -> None:
    with pytest.raises(ValueError, match="record at least"):
        plan(0.5, ref_runs=20)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        plan(0.0)
    with pytest.raises(ValueError):
        plan(1.0, alpha=1.5)
    with pytest.raises(ValueError):
        plan(1.0, power=1.0)


def test_advice_line() -> None:
    p = plan(1.0, 0.01, 0.9, n_assertions=12)
    assert isinstance(p, Plan)
    text = str(p)
    assert text.startswith(f"record {p.ref_runs} reference runs and replay {p.runs} fresh runs")
    assert "1.0-sigma shift with power 0.90 at alpha 0.01 over 12 assertions" in text


def test_rate_plan() -> None:
    p = plan_rate(0.95, 0.90)
    assert 800 <= p.runs <= 950
    assert p.effect == pytest.approx(-0.05)
    assert rate_power(0.95, 0.90, p.runs, p.ref_runs, 0.01) >= 0.9
    assert rate_power(0.95, 0.90, p.runs - 1, p.runs - 1, 0.01) < 0.9
    assert "rate change 0.95 -> 0.9" in str(p)
    assert plan_rate(0.95, 0.90, ref_runs=5000).runs < p.runs


def test_advice_after_too_few_reference_runs_warns_instead_of_raising() -> None:
    from legacy_harness.stochastic.planning import advise

    advised, text = advise(10, 40)
    assert advised is None
    assert text.startswith("warning: 10 reference runs cannot reach power 0.9")
    assert "record at least" in text and "kept and usable" in text
    advised, text = advise(200, 3)
    assert advised is not None and advised.ref_runs == 200
    assert text == f"advice: {advised}"
