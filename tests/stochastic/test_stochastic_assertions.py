"""Stochastic assertions end to end: verdicts, messages, reproducibility, histograms."""

from __future__ import annotations

import random

import numpy as np
import pytest

from legacy_harness.stochastic import (
    StochasticAssertionError,
    Verdict,
    assert_rate,
    assert_same_distribution,
    assert_within_envelope,
    flatten_leaves,
    master_leaves,
    render_histograms,
    seeded,
    sequential_compare,
)

RNG = np.random.default_rng(20240601)
MASTER = RNG.normal(0.0, 1.0, 200)


def simulate() -> dict[str, float]:
    """A stochastic 'legacy' function using three different generators."""
    rng = np.random.default_rng()
    return {
        "loss": float(np.random.normal()),
        "acc": float(rng.random() < 0.9),
        "noise": random.gauss(0.0, 2.0),
    }


def _master_of(fn, n: int = 200, base: int = 10_000) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    rows = []
    for s in range(base, base + n):
        with seeded(s):
            rows.append(flatten_leaves(fn()))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def test_flatten_and_master_leaves() -> None:
    assert flatten_leaves(1.5) == {"value": 1.5}
    assert flatten_leaves([1, 2]) == {"[0]": 1, "[1]": 2}
    assert flatten_leaves({"a": {"b": [np.float64(1.0)]}, "c": 2}) == {"a.b[0]": 1.0, "c": 2}
    assert list(master_leaves(np.zeros((5, 2)))) == ["[0]", "[1]"]
    assert list(master_leaves(np.zeros(5))) == ["value"]


def test_unchanged_function_passes_and_is_reproducible() -> None:
    master = _master_of(simulate)
    verdict = assert_same_distribution(simulate, master, runs=30, seed=1)
    assert isinstance(verdict, Verdict)
    assert verdict.passed and verdict.runs_used == 30 and len(verdict.seeds) == 30
    assert {leaf for leaf, _, _ in verdict.results} == {"loss", "acc", "noise"}
    again = assert_same_distribution(simulate, master, runs=30, seed=1)
    assert [r.pvalue for _, r, _ in again.results] == [r.pvalue for _, r, _ in verdict.results]
    with seeded(verdict.seeds[0]):
        first = simulate()
    assert verdict.samples["loss"][1][0] == first["loss"]
    assert "PASS" in verdict.render()


def test_shifted_leaf_fails_with_a_readable_message() -> None:
    master = _master_of(simulate)

    def regressed() -> dict[str, float]:
        out = simulate()
        out["loss"] += 1.0
        return out

    with pytest.raises(StochasticAssertionError) as info:
        assert_same_distribution(regressed, master, runs=30)
    verdict = info.value.verdict
    assert not verdict.passed
    assert verdict.moved == ["loss"]
    message = str(info.value)
    assert "FAIL" in message and "loss" in message and "<-- moved" in message
    assert "mann-whitney" in message and "histogram of 'loss'" in message
    assert "█" in message and "#" in message
    assert isinstance(info.value, AssertionError)


def test_samples_instead_of_function_and_default_runs() -> None:
    rng = np.random.default_rng(5)
    assert assert_same_distribution(rng.normal(size=40), MASTER).passed
    with pytest.raises(AssertionError):
        assert_same_distribution(rng.normal(0.0, 3.0, size=60), MASTER)
    verdict = assert_same_distribution(lambda: np.random.normal(), MASTER)
    assert verdict.runs_used == 21  # plan(): 1-sigma, power 0.9, 200 reference runs


def test_changed_leaves_fail() -> None:
    with pytest.raises(StochasticAssertionError, match="new leaves"):
        assert_same_distribution(lambda: {"a": 1.0, "b": 2.0}, {"a": MASTER}, runs=5)

    def unstable_shape() -> dict[str, float]:
        return {"a": 1.0} if np.random.random() < 0.5 else {"b": 1.0}

    with pytest.raises(StochasticAssertionError, match="returned different leaves"):
        assert_same_distribution(unstable_shape, {"a": MASTER}, runs=20)
    with pytest.raises(ValueError):
        assert_same_distribution(lambda: 1.0, MASTER, runs=0)


def test_envelope() -> None:
    verdict = assert_within_envelope(0.3, MASTER)
    assert verdict.passed
    assert "[X(1), X(200)]" in verdict.render()
    with pytest.raises(StochasticAssertionError, match="OUTSIDE"):
        assert_within_envelope(MASTER.max() + 0.01, MASTER)
    with pytest.raises(ValueError, match="record at least 199"):
        assert_within_envelope(0.0, MASTER[:100])
    assert assert_within_envelope(0.0, MASTER[:100], coverage=0.95).passed
    with pytest.raises(ValueError):
        assert_within_envelope(0.0, MASTER, confidence=0.95)  # 200 runs < 473 needed
    wide = RNG.normal(size=2000)
    assert assert_within_envelope({"value": 0.1}, wide, confidence=0.95).passed


def test_envelope_false_alarm_rate_is_distribution_free() -> None:
    rng = np.random.default_rng(7)
    master = rng.lognormal(size=(4000, 199))
    fresh = rng.lognormal(size=4000)
    outside = (fresh < master.min(axis=1)) | (fresh > master.max(axis=1))
    assert outside.mean() == pytest.approx(2 / 200, abs=0.006)  # exactly 2/(n+1) in theory


def test_rate_assertions() -> None:
    good = np.random.default_rng(1).random(200) < 0.9
    assert assert_rate(good, 0.9).passed
    assert assert_rate(int(good.sum()), 0.9, n=200).passed
    assert assert_rate(good, (180, 200)).passed
    assert assert_rate(good, np.random.default_rng(2).random(300) < 0.9).passed
    with pytest.raises(StochasticAssertionError, match="fisher"):
        assert_rate(80, (190, 200), n=100)
    with pytest.raises(StochasticAssertionError, match="binomial"):
        assert_rate(150, 0.9, n=200)
    with pytest.raises(ValueError):
        assert_rate(3, 0.5)


def test_sequential_compare() -> None:
    accept = sequential_compare(lambda s: np.random.normal(), MASTER, seeds=3)
    assert accept.passed and accept.runs_used < 60
    assert any("accept" in n for n in accept.notes)
    reject = sequential_compare(lambda s: np.random.default_rng().normal(1.5), MASTER)
    assert not reject.passed and reject.moved == ["value"] and reject.runs_used < 30
    assert "<-- moved" in reject.render()
    inconclusive = sequential_compare(lambda s: 0.45, MASTER, effect=1.0, max_runs=3)
    assert inconclusive.passed and any("inconclusive" in n for n in inconclusive.notes)
    explicit = sequential_compare(lambda s: float(s % 7) / 7 - 0.5, MASTER, seeds=[1, 2, 3])
    assert explicit.seeds == [1, 2, 3][: explicit.runs_used]


def test_render_histograms() -> None:
    text = render_histograms(MASTER, MASTER + 1, bins=8, width=20)
    lines = text.splitlines()
    assert len(lines) == 9
    assert "master (n=200)" in lines[0] and "current (n=200)" in lines[0]
    assert max(line.count("█") for line in lines) == 20
    assert max(line.count("#") for line in lines) <= 20
    categories = render_histograms(["a", "b", "b"], ["b", "c"])
    assert len(categories.splitlines()) == 4
    discrete = render_histograms([1, 2, 2, 3], [2, 3, 3])
    assert len(discrete.splitlines()) == 4
    assert "non-finite: master 0, current 1" in render_histograms([1.0, 2.5], [np.nan, 1.0])
    assert render_histograms([np.nan], [np.inf]) == "(no finite values to plot)"
