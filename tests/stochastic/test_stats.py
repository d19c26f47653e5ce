"""Statistical tests: known values, scipy cross-checks (when installed), calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legacy_harness.stochastic import (
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
from legacy_harness.stochastic.stats import (
    betainc,
    chi2_sf,
    f_sf,
    gammaincc,
    kolmogorov_sf,
    normal_ppf,
)

RNG_SEED = 20240601


# ----------------------------------------------------------------------------- known values


def test_special_functions_known_values() -> None:
    assert normal_ppf(0.975) == pytest.approx(1.959963984540054, rel=1e-12)
    assert normal_ppf(1e-10) == pytest.approx(-6.361340902404056, rel=1e-12)
    assert normal_ppf(0.5) == 0.0
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-10)
    assert chi2_sf(0.0, 3) == 1.0
    assert f_sf(4.0, 1, 1e9) == pytest.approx(chi2_sf(4.0, 1), rel=1e-6)
    assert betainc(2.5, 3.5, 0.3) == pytest.approx(0.29675298929566646, rel=1e-12)
    assert gammaincc(10, 80) == pytest.approx(7.508767322115182e-24, rel=1e-10)
    assert kolmogorov_sf(1.0) == pytest.approx(0.26999967167735456, rel=1e-12)
    assert kolmogorov_sf(1.3580986393225505) == pytest.approx(0.05, rel=1e-9)


def test_exact_small_sample_known_values() -> None:
    x, y = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]
    ks = ks_2samp(x, y)
    assert ks.statistic == 1.0
    assert ks.pvalue == pytest.approx(0.1)  # 2 of C(6, 3) = 20 orderings are as extreme
    mw = mann_whitney(x, y)
    assert mw.statistic == 0.0
    assert mw.pvalue == pytest.approx(0.1)
    assert ks_2samp(x, x).pvalue == 1.0


def test_binomial_known_values() -> None:
    # 2 * (1 + 20 + 190 + 1140) / 2**20
    assert binomial_test(3, 20, 0.5).pvalue == pytest.approx(2 * 1351 / 2**20, rel=1e-12)
    assert binomial_test(10, 20, 0.5).pvalue == pytest.approx(1.0)
    assert binomial_test(0, 10, 0.0).pvalue == 1.0
    assert binomial_test(1, 10, 0.0).pvalue == 0.0
    r = binomial_test(95, 100, 0.8)
    assert r.effect_size == pytest.approx(0.15)


def test_fisher_lady_tasting_tea() -> None:
    r = two_proportion_exact(3, 4, 1, 4)
    assert r.pvalue == pytest.approx(0.4857142857142857, rel=1e-12)
    assert r.statistic == pytest.approx(9.0)
    assert r.effect_size == pytest.approx(-0.5)


def test_chi_square_known_value() -> None:
    r = chi_square_categorical(
        {"a": 50, "b": 30, "c": 20, "d": 2}, {"a": 20, "b": 25, "c": 5, "e": 1}
    )
    # "d" and "e" (expected < 5) pool into "other", still < 5, so it merges into "c":
    # the table becomes [[50, 30, 22], [20, 25, 6]]
    assert r.statistic == pytest.approx(6.136363636363636, rel=1e-12)
    assert r.pvalue == pytest.approx(0.046505633732877326, rel=1e-9)


def test_chi_square_notices_a_new_rare_category() -> None:
    r = chi_square_categorical({"ok": 200}, {"ok": 22, "error": 8})
    assert r.pvalue < 1e-6
    assert r.effect_size == pytest.approx(8 / 30)


def test_holm_known_values_and_reject() -> None:
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert np.allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert holm_reject([0.01, 0.04, 0.03, 0.005], 0.05).tolist() == [True, False, False, True]
    assert holm([]).size == 0
    assert holm([np.nan, 0.01]).tolist() == [1.0, 0.02]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_holm_properties(pvalues: list[float]) -> None:
    p = np.array(pvalues)
    adjusted = holm(p)
    assert np.all(adjusted >= p - 1e-15)
    assert np.all(adjusted <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)
    assert adjusted.min() == pytest.approx(min(1.0, p.size * p.min()))


def test_brown_forsythe_constant_groups() -> None:
    assert brown_forsythe([1.0, 1.0, 1.0], [2.0, 2.0, 2.0]).pvalue == 1.0
    r = brown_forsythe([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 5.0, 7.0])
    assert r.effect_size == pytest.approx(2.0)
    with pytest.raises(ValueError):
        brown_forsythe([1.0, 2.0])


# ----------------------------------------------------------------------------- scipy checks


@pytest.mark.parametrize(("m", "n", "shift"), [(10, 15, 0.5), (30, 200, 0.3), (100, 100, 0.6)])
def test_ks_exact_matches_scipy(m: int, n: int, shift: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.normal(size=m), rng.normal(shift, size=n)
    ours, ref = ks_2samp(x, y), stats.ks_2samp(x, y, method="exact")
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)


def test_ks_exact_with_ties_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.poisson(3, 60), rng.poisson(3.6, 40)
    ours, ref = ks_2samp(x, y), stats.ks_2samp(x, y, method="exact")
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)


def test_ks_asymptotic_matches_kolmogorov_limit() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.normal(size=300), rng.normal(0.15, size=200)
    ours = ks_2samp(x, y)
    ref = stats.kstwobign.sf(math.sqrt(300 * 200 / 500) * ours.statistic)
    assert ours.pvalue == pytest.approx(ref, rel=1e-6)
    assert ours.pvalue == pytest.approx(stats.ks_2samp(x, y, method="asymp").pvalue, rel=0.3)


@pytest.mark.parametrize(("m", "n"), [(7, 7), (30, 200), (50, 40)])
def test_mann_whitney_matches_scipy(m: int, n: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.normal(size=m), rng.normal(0.4, size=n)
    exact, ref = mann_whitney(x, y), stats.mannwhitneyu(x, y, method="exact")
    assert exact.statistic == pytest.approx(ref.statistic)
    assert exact.pvalue == pytest.approx(ref.pvalue, rel=1e-6)
    approx = mann_whitney(x, y, method="asymptotic")
    ref = stats.mannwhitneyu(x, y, method="asymptotic")
    assert approx.pvalue == pytest.approx(ref.pvalue, rel=1e-6)


def test_mann_whitney_ties_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.poisson(3, 120), rng.poisson(3.5, 90)
    ours, ref = mann_whitney(x, y), stats.mannwhitneyu(x, y, method="asymptotic")
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_brown_forsythe_matches_scipy_levene_median(k: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(RNG_SEED + k)
    groups = [rng.lognormal(0, 1 + 0.2 * i, size=20 + 7 * i) for i in range(k)]
    ours, ref = brown_forsythe(*groups), stats.levene(*groups, center="median")
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)


@pytest.mark.parametrize(
    ("k", "n", "p"), [(3, 20, 0.5), (40, 50, 0.9), (0, 10, 0.3), (95, 100, 0.8), (500, 1000, 0.45)]
)
def test_binomial_matches_scipy(k: int, n: int, p: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    assert binomial_test(k, n, p).pvalue == pytest.approx(stats.binomtest(k, n, p).pvalue, rel=1e-6)


@pytest.mark.parametrize(
    "counts", [(3, 20, 10, 15), (190, 200, 25, 30), (0, 5, 5, 5), (400, 823, 380, 823)]
)
def test_fisher_matches_scipy(counts: tuple[int, int, int, int]) -> None:
    stats = pytest.importorskip("scipy.stats")
    k1, n1, k2, n2 = counts
    ref = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    ours = two_proportion_exact(k1, n1, k2, n2)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)
    assert ours.statistic == pytest.approx(ref.statistic)


def test_chi_square_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    master, current = {"a": 80, "b": 60, "c": 40, "d": 20}, {"a": 30, "b": 40, "c": 10, "d": 20}
    ref = stats.chi2_contingency(
        np.array([list(master.values()), list(current.values())]), correction=False
    )
    ours = chi_square_categorical(master, current)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)


def test_special_functions_match_scipy() -> None:
    special = pytest.importorskip("scipy.special")
    stats = pytest.importorskip("scipy.stats")
    for a, b, x in [(0.5, 500.0, 0.001), (50.0, 0.5, 0.99), (3.0, 40.0, 0.2), (200.0, 300.0, 0.4)]:
        assert betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-9)
    for a, x in [(0.5, 0.1), (3.0, 10.0), (50.0, 40.0), (120.0, 130.0)]:
        assert gammaincc(a, x) == pytest.approx(special.gammaincc(a, x), rel=1e-9)
    for p in [1e-12, 1e-4, 0.02, 0.3, 0.7, 0.99, 1 - 1e-9]:
        assert normal_ppf(p) == pytest.approx(stats.norm.ppf(p), rel=1e-9)
    for f, d1, d2 in [(2.5, 3, 40), (0.3, 1, 10), (12.0, 2, 228)]:
        assert f_sf(f, d1, d2) == pytest.approx(stats.f.sf(f, d1, d2), rel=1e-9)


# ----------------------------------------------------------------------------- permutation


def test_permutation_test_is_seeded_and_sensible() -> None:
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.normal(size=40), rng.normal(size=30)
    a = permutation_test(x, y, n_resamples=999, seed=3)
    assert a == permutation_test(x, y, n_resamples=999, seed=3)
    assert 0.01 < a.pvalue <= 1.0
    shifted = permutation_test(x, y + 3.0, n_resamples=999, seed=3)
    assert shifted.pvalue == pytest.approx(1 / 1000)
    assert shifted.effect_size > 2
    sd = permutation_test(x, y * 4, statistic="sd", n_resamples=499)
    assert sd.pvalue < 0.01
    assert sd.effect_size > 2

    def max_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return b.max(axis=-1) - a.max(axis=-1)

    assert 0 < permutation_test(x, y, statistic=max_gap, n_resamples=199).pvalue <= 1


# ----------------------------------------------------------------------------- compare_samples


def test_infer_kind() -> None:
    rng = np.random.default_rng(RNG_SEED)
    assert infer_kind(rng.normal(size=20), rng.normal(size=20)) == "continuous"
    assert infer_kind([True, False], [True]) == "binary"
    assert infer_kind([0, 1, 1], [1.0, 0.0]) == "binary"
    assert infer_kind([1, 2, 3, 2], [3, 4]) == "discrete"
    assert infer_kind(["a", "b"], ["a"]) == "categorical"
    assert infer_kind(np.arange(20), np.arange(5)) == "continuous"


def test_compare_samples_chooses_tests() -> None:
    rng = np.random.default_rng(RNG_SEED)
    names = [r.name for r in compare_samples(rng.normal(size=50), rng.normal(size=20))]
    assert names == ["ks", "mann-whitney", "brown-forsythe"]
    assert [r.name for r in compare_samples(rng.random(50) < 0.5, rng.random(20) < 0.5)] == [
        "fisher"
    ]
    assert [r.name for r in compare_samples(rng.poisson(1, 50), rng.poisson(1, 20))] == [
        "chi-square"
    ]
    assert [r.name for r in compare_samples(["a", "b"] * 20, ["b", "a", "a"] * 5)] == ["chi-square"]
    only = compare_samples(rng.normal(size=50), rng.normal(size=20), tests=["ks"])
    assert [r.name for r in only] == ["ks"]


def test_compare_samples_constant_and_nonfinite() -> None:
    (same,) = compare_samples([2.0] * 10, [2.0] * 5)
    assert (same.name, same.pvalue) == ("equality", 1.0)
    (diff,) = compare_samples([2.0] * 10, [3.0] * 5)
    assert (diff.pvalue, diff.effect_size) == (0.0, 1.0)
    (cat,) = compare_samples(["x"] * 10, ["y"] * 5)
    assert cat.pvalue == 0.0
    rng = np.random.default_rng(RNG_SEED)
    current = rng.normal(size=30)
    current[:10] = np.nan
    results = compare_samples(rng.normal(size=100), current)
    assert results[0].name == "non-finite rate"
    assert results[0].pvalue < 1e-4
    assert [r.name for r in results[1:]] == ["ks", "mann-whitney", "brown-forsythe"]
    with pytest.raises(ValueError):
        compare_samples([], [1.0])
    with pytest.raises(ValueError):
        compare_samples([0.5, 2.0], [1.0, 0.0], kind="binary")


# ----------------------------------------------------------------------------- calibration


def _alarms(master: np.ndarray, current: np.ndarray, alpha: float = 0.01) -> int:
    return sum(
        combined_pvalue(compare_samples(m, c)) <= alpha
        for m, c in zip(master, current, strict=True)
    )


@pytest.mark.parametrize("dist", ["normal", "lognormal"])
def test_false_alarm_rate_is_calibrated(dist: str) -> None:
    rng = np.random.default_rng(RNG_SEED)
    draw = rng.normal if dist == "normal" else rng.lognormal
    alarms = _alarms(draw(0.0, 1.0, (300, 200)), draw(0.0, 1.0, (300, 30)))
    # expected 3 of 300 at alpha 0.01; P(Binomial(300, 0.01) > 10) < 1e-3
    assert alarms <= 10


def test_one_sigma_shift_is_detected_with_30_runs() -> None:
    rng = np.random.default_rng(RNG_SEED)
    detected = _alarms(rng.normal(0.0, 1.0, (100, 200)), rng.normal(1.0, 1.0, (100, 30)))
    assert detected >= 85
