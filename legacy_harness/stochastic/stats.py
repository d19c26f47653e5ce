"""Two-sample tests for statistical golden masters, in pure numpy.

A stochastic function has no single golden output; its master is a *sample* of outputs
and a replay passes when a fresh sample is compatible with it. The tests here are the
standard ones (Kolmogorov-Smirnov, Mann-Whitney, Brown-Forsythe, exact binomial, Fisher,
chi-square) implemented without scipy so the harness stays light. P-values are exact
where that is cheap (small samples), since a harness that cries wolf gets switched off.
The special functions (normal, incomplete beta and gamma, Kolmogorov) are implemented
here too; they are evaluated once per test, not per sample element.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "TestResult",
    "Kind",
    "ks_2samp",
    "mann_whitney",
    "permutation_test",
    "brown_forsythe",
    "binomial_test",
    "two_proportion_exact",
    "chi_square_categorical",
    "holm",
    "holm_reject",
    "combined_pvalue",
    "compare_samples",
    "infer_kind",
    "normal_cdf",
    "normal_sf",
    "normal_ppf",
    "betainc",
    "gammaincc",
    "f_sf",
    "chi2_sf",
    "kolmogorov_sf",
]

FloatArray = npt.NDArray[np.float64]
Kind = Literal["continuous", "discrete", "binary", "categorical"]

#: Above this n_master * n_current, KS and Mann-Whitney switch to asymptotic p-values.
EXACT_LIMIT = 10_000
#: Relative tolerance when collecting "as or less likely" outcomes (as scipy does).
_RTOL = 1 + 1e-7
_EPS = 3e-16
_FPMIN = 1e-300


@dataclass(frozen=True)
class TestResult:
    """Outcome of one test of master against current.

    ``effect_size`` says *how far* the current sample moved, in the unit named by
    ``effect_label`` (standardized shift, sd ratio, rate difference, ...), because a tiny
    p-value on a huge sample can mean a negligible change and vice versa.
    """

    __test__ = False  # not a pytest test class, despite the name

    name: str
    statistic: float
    pvalue: float
    effect_size: float
    n_master: int
    n_current: int
    effect_label: str = ""


# --------------------------------------------------------------------------------------
# Special functions (scalar, evaluated once per test)
# --------------------------------------------------------------------------------------


def normal_cdf(z: float) -> float:
    """Standard normal CDF via erfc (accurate in the lower tail)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_sf(z: float) -> float:
    """Standard normal survival function via erfc (accurate in the upper tail)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996, 3.754408661907416)


def normal_ppf(p: float) -> float:
    """Standard normal quantile: Acklam's rational approximation plus one Halley step."""
    if not 0.0 < p < 1.0:
        if p == 0.0:
            return -math.inf
        if p == 1.0:
            return math.inf
        raise ValueError(f"normal_ppf(): p must be in [0, 1], got {p}")
    if p < 0.02425 or p > 1 - 0.02425:
        q = math.sqrt(-2.0 * math.log(min(p, 1.0 - p)))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
        x = x if p < 0.5 else -x
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
        )
    e = (normal_cdf(x) - p) if p < 0.5 else ((1.0 - p) - normal_sf(x))
    u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (Numerical Recipes, Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _FPMIN else _FPMIN)
    h = d
    max_iter = 10_000 + int(20 * math.sqrt(max(a, b)))
    for m in range(1, max_iter):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _FPMIN else _FPMIN)
        c = 1.0 + aa / c
        c = c if abs(c) > _FPMIN else _FPMIN
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _FPMIN else _FPMIN)
        c = 1.0 + aa / c
        c = c if abs(c) > _FPMIN else _FPMIN
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b); the small side is computed directly."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def gammaincc(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x): series below a+1, continued fraction above."""
    if x <= 0.0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        ap, term = a, 1.0 / a
        total = term
        for _ in range(100_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    b = x + 1.0 - a
    c, d = 1.0 / _FPMIN, 1.0 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > _FPMIN else _FPMIN)
        c = b + an / c
        c = c if abs(c) > _FPMIN else _FPMIN
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.exp(log_front) * h


def f_sf(f: float, df1: float, df2: float) -> float:
    """Survival function of the F distribution: I_{df2/(df2+df1 f)}(df2/2, df1/2)."""
    if f <= 0.0:
        return 1.0
    if math.isinf(f):
        return 0.0
    return betainc(df2 / 2.0, df1 / 2.0, df2 / (df2 + df1 * f))


def chi2_sf(x: float, df: float) -> float:
    """Survival function of the chi-square distribution: Q(df/2, x/2)."""
    return gammaincc(df / 2.0, x / 2.0)


def kolmogorov_sf(t: float) -> float:
    """P(K > t) for the limiting Kolmogorov distribution, two series by range of t."""
    if t <= 0.0:
        return 1.0
    if t < 1.0:
        k = np.arange(1, 21)
        cdf = math.sqrt(2 * math.pi) / t * np.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8 * t * t))
        return float(min(1.0, max(0.0, 1.0 - cdf.sum())))
    k = np.arange(1, 101)
    terms = np.where(k % 2 == 1, 1.0, -1.0) * np.exp(-2.0 * k * k * t * t)
    return float(min(1.0, max(0.0, 2.0 * terms.sum())))


def _log_factorial(k: npt.ArrayLike) -> FloatArray:
    """Vectorised log(k!) : exact table below 20, Stirling series (error < 1e-16) above."""
    kk = np.asarray(k, dtype=np.float64)
    x = kk + 1.0
    small = kk < 20
    safe = np.where(small, 20.0, x)
    inv, inv2 = 1.0 / safe, 1.0 / (safe * safe)
    series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
    big = (safe - 0.5) * np.log(safe) - safe + 0.5 * math.log(2 * math.pi) + series
    table = _LOG_FACT_TABLE[np.clip(kk, 0, 19).astype(np.int64)]
    return np.where(small, table, big)


_LOG_FACT_TABLE = np.array([math.lgamma(i + 1.0) for i in range(20)])


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _as_1d(values: npt.ArrayLike, what: str) -> FloatArray:
    """Finite float sample as a 1-D array; empty samples are a caller bug, not a result."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise ValueError(f"{what}: need at least one finite value")
    return arr


def _pooled_sd(x: FloatArray, y: FloatArray) -> float:
    dof = x.size + y.size - 2
    if dof <= 0:
        return math.nan
    ss = ((x - x.mean()) ** 2).sum() + ((y - y.mean()) ** 2).sum()
    return math.sqrt(ss / dof)


def _scaled(diff: float, scale: float) -> float:
    """diff / scale, defined as 0 or +-inf when the scale is zero (constant samples)."""
    if scale > 0:
        return diff / scale
    if diff == 0 or math.isnan(scale):
        return 0.0 if diff == 0 else math.nan
    return math.copysign(math.inf, diff)


def _sd_ratio(master: FloatArray, current: FloatArray) -> float:
    sm = float(master.std(ddof=1)) if master.size > 1 else 0.0
    sc = float(current.std(ddof=1)) if current.size > 1 else 0.0
    if sm > 0:
        return sc / sm
    return 1.0 if sc == 0 else math.inf


def _rankdata(a: FloatArray) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Average ranks (1-based) and the sizes of the tie groups."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    new_group = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(new_group) - 1
    counts = np.bincount(group)
    avg = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = np.empty(a.size)
    ranks[order] = avg[group]
    return ranks, counts


# --------------------------------------------------------------------------------------
# Kolmogorov-Smirnov
# --------------------------------------------------------------------------------------


def _ks_exact_sf(m: int, n: int, dint: int) -> float:
    """P(D >= dint/(m n)) under H0 by counting lattice paths that stay strictly inside.

    A path from (0, 0) to (a, b) visits every (i, j) = (#x seen, #y seen); it stays inside
    when |i b - j a| < dint. Row by row, the inside cells form one interval of j, so a row
    is a cumulative sum of the previous row over that interval. Counts are Python ints
    (object arrays), so the p-value is exact with no cancellation even when tiny.
    """
    if dint <= 0:
        return 1.0
    a, b = (m, n) if m <= n else (n, m)

    def interval(i: int) -> tuple[int, int]:
        lo = (i * b - dint) // a + 1
        hi = -(-(i * b + dint) // a) - 1
        return max(lo, 0), min(hi, b)

    row = np.zeros(b + 1, dtype=object)
    lo, hi = interval(0)
    row[lo : hi + 1] = 1
    for i in range(1, a + 1):
        lo, hi = interval(i)
        new = np.zeros(b + 1, dtype=object)
        if lo <= hi:
            new[lo : hi + 1] = np.cumsum(row[lo : hi + 1])
        row = new
    total = math.comb(a + b, a)
    inside = int(row[b])
    return min(1.0, max(0.0, (total - inside) / total))


def ks_2samp(master: npt.ArrayLike, current: npt.ArrayLike) -> TestResult:
    """Two-sided two-sample Kolmogorov-Smirnov test: any change of *shape*.

    D is evaluated at every pooled value with ``searchsorted(side="right")``, which is
    correct with ties. The p-value is exact (path counting) for n*m <= 10000 and from the
    limiting Kolmogorov distribution of sqrt(nm/(n+m)) D beyond. With ties the exact
    p-value is that of the continuous case, hence conservative (as in scipy).
    """
    x, y = _as_1d(master, "ks_2samp master"), _as_1d(current, "ks_2samp current")
    m, n = x.size, y.size
    xs, ys = np.sort(x), np.sort(y)
    pooled = np.concatenate([xs, ys])
    cx = np.searchsorted(xs, pooled, side="right").astype(np.int64)
    cy = np.searchsorted(ys, pooled, side="right").astype(np.int64)
    dint = int(np.max(np.abs(cx * n - cy * m)))
    d = dint / (m * n)
    if m * n <= EXACT_LIMIT:
        p = _ks_exact_sf(m, n, dint)
    else:
        p = kolmogorov_sf(math.sqrt(m * n / (m + n)) * d)
    return TestResult("ks", d, p, d, m, n, "max CDF gap")


# --------------------------------------------------------------------------------------
# Mann-Whitney
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _mwu_sf_table(n1: int, n2: int) -> FloatArray:
    """sf[u] = P(U >= u) for the null distribution of U without ties.

    The counts are the coefficients of the Gaussian binomial [n1+n2 choose n1]_q, built
    as prod_i (1 - q^(b+i)) / (1 - q^i); dividing by (1 - q^i) is a strided cumulative sum.
    Python ints keep it exact; the table is cached per (n1, n2).
    """
    a, b = min(n1, n2), max(n1, n2)
    size = a * b + 1
    c = np.zeros(size, dtype=object)
    c[0] = 1
    for i in range(1, a + 1):
        s = b + i
        if s < size:
            c[s:] = c[s:] - c[: size - s]
        pad = (-size) % i
        block = np.concatenate([c, np.zeros(pad, dtype=object)]).reshape(-1, i)
        c = np.cumsum(block, axis=0).ravel()[:size]
    tail = np.cumsum(c[::-1])[::-1]
    total = math.comb(a + b, a)
    return (tail / total).astype(np.float64)  # exact int / int, rounded once


def mann_whitney(
    master: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    method: Literal["auto", "exact", "asymptotic"] = "auto",
) -> TestResult:
    """Two-sided Mann-Whitney U test: a shift of *location*, robust to outliers and skew.

    ``statistic`` is U of the master sample. ``auto`` uses the exact null distribution
    when there are no ties and n1*n2 <= 10000, otherwise the normal approximation with
    tie and continuity correction. The effect size is the Hodges-Lehmann shift (median
    of pairwise differences current - master) over the pooled sd.
    """
    x, y = _as_1d(master, "mann_whitney master"), _as_1d(current, "mann_whitney current")
    n1, n2 = x.size, y.size
    ranks, ties = _rankdata(np.concatenate([x, y]))
    u1 = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2.0)
    u_big = max(u1, n1 * n2 - u1)
    has_ties = bool((ties > 1).any())
    exact = method == "exact" or (method == "auto" and not has_ties and n1 * n2 <= EXACT_LIMIT)
    if exact:
        sf = _mwu_sf_table(n1, n2)
        p = min(1.0, 2.0 * float(sf[min(int(math.ceil(u_big)), sf.size - 1)]))
    else:
        big_n = n1 + n2
        tie_term = float((ties.astype(np.float64) ** 3 - ties).sum()) / (big_n * (big_n - 1))
        var = n1 * n2 / 12.0 * ((big_n + 1) - tie_term)
        if var <= 0:
            p = 1.0
        else:
            z = (u_big - n1 * n2 / 2.0 - 0.5) / math.sqrt(var)
            p = min(1.0, 2.0 * normal_sf(z))
    if n1 * n2 <= 2_000_000:
        shift = float(np.median(y[None, :] - x[:, None]))
    else:
        shift = float(np.median(y) - np.median(x))
    effect = _scaled(shift, _pooled_sd(x, y))
    return TestResult("mann-whitney", u1, p, effect, n1, n2, "HL shift / pooled sd")


# --------------------------------------------------------------------------------------
# Permutation test
# --------------------------------------------------------------------------------------

_PERM_STATS: dict[str, Callable[[FloatArray, FloatArray], FloatArray]] = {
    "mean": lambda a, b: b.mean(axis=-1) - a.mean(axis=-1),
    "median": lambda a, b: np.median(b, axis=-1) - np.median(a, axis=-1),
    "sd": lambda a, b: (
        np.log(b.std(axis=-1, ddof=1) + 1e-300) - np.log(a.std(axis=-1, ddof=1) + 1e-300)
    ),
}


def permutation_test(
    master: npt.ArrayLike,
    current: npt.ArrayLike,
    statistic: str | Callable[[FloatArray, FloatArray], FloatArray] = "mean",
    n_resamples: int = 2000,
    seed: int = 0,
) -> TestResult:
    """Two-sided permutation test of any statistic; assumption-free, seeded, vectorised.

    ``statistic`` is "mean", "median", "sd" (log sd ratio) or a function of two 2-D
    arrays (resamples x sample) returning one value per row. All permutations of a chunk
    are drawn at once with ``Generator.permuted``. p = (1 + #|T*| >= |T|) / (1 + B).
    """
    x, y = _as_1d(master, "permutation_test master"), _as_1d(current, "permutation_test current")
    if isinstance(statistic, str):
        if statistic not in _PERM_STATS:
            raise ValueError(f"permutation_test(): unknown statistic {statistic!r}")
        fn, label = _PERM_STATS[statistic], statistic
    else:
        fn, label = statistic, getattr(statistic, "__name__", "custom")
    pooled = np.concatenate([x, y])
    n1, total = x.size, pooled.size
    observed = float(fn(x[None, :], y[None, :])[0])
    rng = np.random.Generator(np.random.PCG64(seed))
    chunk = max(1, 4_000_000 // total)
    hits = 0
    tol = 1e-12 * max(1.0, abs(observed))
    for start in range(0, n_resamples, chunk):
        rows = min(chunk, n_resamples - start)
        perm = rng.permuted(np.broadcast_to(pooled, (rows, total)), axis=1)
        stats = fn(perm[:, :n1], perm[:, n1:])
        hits += int(np.count_nonzero(np.abs(stats) >= abs(observed) - tol))
    p = (hits + 1) / (n_resamples + 1)
    if label == "sd":
        effect, unit = _sd_ratio(x, y), "sd ratio"
    else:
        effect, unit = _scaled(observed, _pooled_sd(x, y)), "shift / pooled sd"
    return TestResult(f"permutation({label})", observed, p, effect, n1, y.size, unit)


# --------------------------------------------------------------------------------------
# Brown-Forsythe
# --------------------------------------------------------------------------------------


def brown_forsythe(*groups: npt.ArrayLike) -> TestResult:
    """Brown-Forsythe test (Levene with medians): a change of *spread*, robust to skew.

    One-way ANOVA on |x - median(group)|; F p-value from the incomplete beta function.
    The effect size is sd(last group) / sd(first group) (current over master).
    """
    if len(groups) < 2:
        raise ValueError("brown_forsythe(): need at least two groups")
    gs = [_as_1d(g, "brown_forsythe group") for g in groups]
    k = len(gs)
    sizes = np.array([g.size for g in gs], dtype=np.float64)
    total = int(sizes.sum())
    devs = [np.abs(g - np.median(g)) for g in gs]
    means = np.array([d.mean() for d in devs])
    grand = np.concatenate(devs).mean()
    ssb = float((sizes * (means - grand) ** 2).sum())
    ssw = float(sum(((d - mu) ** 2).sum() for d, mu in zip(devs, means, strict=True)))
    dfb, dfw = k - 1, total - k
    if dfw <= 0:
        raise ValueError("brown_forsythe(): need more values than groups")
    if ssw <= 0:
        f, p = (0.0, 1.0) if ssb <= 0 else (math.inf, 0.0)
    else:
        f = (ssb / dfb) / (ssw / dfw)
        p = f_sf(f, dfb, dfw)
    ratio = _sd_ratio(gs[0], gs[-1])
    return TestResult("brown-forsythe", f, p, ratio, gs[0].size, gs[-1].size, "sd ratio")


# --------------------------------------------------------------------------------------
# Rates and categories
# --------------------------------------------------------------------------------------


def _sum_as_likely(pmf: FloatArray, observed: float) -> float:
    """Two-sided exact p-value: mass of outcomes no more likely than the observed one.

    Dividing by the total mass cancels the common rounding error of the log-factorials.
    """
    return float(min(1.0, pmf[pmf <= observed * _RTOL].sum() / pmf.sum()))


def binomial_test(k: int, n: int, p: float) -> TestResult:
    """Exact two-sided binomial test of k successes in n against a fixed rate p.

    The pmf over the whole support is one vectorised log-factorial expression; the
    p-value sums outcomes with pmf <= pmf(k) (relative tolerance 1e-7, like scipy).
    """
    if not 0 <= k <= n or n <= 0:
        raise ValueError(f"binomial_test(): need 0 <= k <= n and n > 0, got k={k}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"binomial_test(): p must be in [0, 1], got {p}")
    support = np.arange(n + 1)
    if p in (0.0, 1.0):
        pmf = (support == (0 if p == 0.0 else n)).astype(np.float64)
    else:
        logpmf = (
            _log_factorial(n)
            - _log_factorial(support)
            - _log_factorial(n - support)
            + support * math.log(p)
            + (n - support) * math.log1p(-p)
        )
        pmf = np.exp(logpmf)
    pval = _sum_as_likely(pmf, float(pmf[k]))
    # n_master 0: the reference is a fixed rate, not a sample
    return TestResult("binomial", float(k), pval, k / n - p, 0, n, "rate difference")


def two_proportion_exact(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """Fisher's exact test (two-sided) of a master rate k1/n1 against a current rate k2/n2.

    Conditions on the total successes: k1 is hypergeometric; the p-value sums tables no
    more likely than the observed one. ``statistic`` is the sample odds ratio and the
    effect size is k2/n2 - k1/n1.
    """
    if not (0 <= k1 <= n1 and 0 <= k2 <= n2 and n1 > 0 and n2 > 0):
        raise ValueError(f"two_proportion_exact(): bad counts {k1}/{n1}, {k2}/{n2}")
    big_n, succ = n1 + n2, k1 + k2
    support = np.arange(max(0, succ - n2), min(n1, succ) + 1)
    lf = _log_factorial
    logpmf = (
        lf(n1)
        - lf(support)
        - lf(n1 - support)
        + lf(n2)
        - lf(succ - support)
        - lf(n2 - succ + support)
        - (lf(big_n) - lf(succ) - lf(big_n - succ))
    )
    pmf = np.exp(logpmf)
    observed = float(pmf[k1 - support[0]])
    pval = _sum_as_likely(pmf, observed)
    num, den = k1 * (n2 - k2), (n1 - k1) * k2
    odds = num / den if den else (math.inf if num else math.nan)
    return TestResult("fisher", odds, pval, k2 / n2 - k1 / n1, n1, n2, "rate difference")


def chi_square_categorical(
    master_counts: Mapping[Any, int], current_counts: Mapping[Any, int]
) -> TestResult:
    """Chi-square test of homogeneity on the 2 x k table of category counts.

    Categories whose expected count is below 5 are pooled into "other" (and "other" into
    the smallest category while still below 5) so the chi-square approximation holds. If
    pooling leaves a single column, the modal master category against the rest is tested
    with Fisher's exact test instead, so a new rare category is still noticed. The effect
    size is the total variation distance between the two category distributions.
    """
    cats = sorted(set(master_counts) | set(current_counts), key=repr)
    table = np.array(
        [[master_counts.get(c, 0) for c in cats], [current_counts.get(c, 0) for c in cats]],
        dtype=np.float64,
    )
    table = table[:, table.sum(axis=0) > 0]
    rows = table.sum(axis=1)
    n_m, n_c = int(rows[0]), int(rows[1])
    if n_m == 0 or n_c == 0:
        raise ValueError("chi_square_categorical(): both samples need at least one count")
    tv = 0.5 * float(np.abs(table[0] / rows[0] - table[1] / rows[1]).sum())
    total = rows.sum()
    min_expected = table.sum(axis=0) * rows.min() / total
    small = min_expected < 5
    cols = [table[:, ~small]]
    if small.any():
        cols.append(table[:, small].sum(axis=1, keepdims=True))
    pooled = np.concatenate(cols, axis=1)
    while pooled.shape[1] > 1 and pooled[:, -1].sum() * rows.min() / total < 5:
        smallest = int(np.argmin(pooled[:, :-1].sum(axis=0)))
        merged = pooled[:, -1] + pooled[:, smallest]
        pooled = np.delete(pooled, [smallest, pooled.shape[1] - 1], axis=1)
        pooled = np.concatenate([pooled, merged[:, None]], axis=1)
    if pooled.shape[1] < 2:
        modal = int(np.argmax(table[0]))
        fisher = two_proportion_exact(int(table[0, modal]), n_m, int(table[1, modal]), n_c)
        return TestResult("chi-square", math.nan, fisher.pvalue, tv, n_m, n_c, "total variation")
    expected = np.outer(rows, pooled.sum(axis=0)) / total
    stat = float(((pooled - expected) ** 2 / expected).sum())
    p = chi2_sf(stat, pooled.shape[1] - 1)
    return TestResult("chi-square", stat, p, tv, n_m, n_c, "total variation")


# --------------------------------------------------------------------------------------
# Multiple testing
# --------------------------------------------------------------------------------------


def holm(pvalues: npt.ArrayLike) -> FloatArray:
    """Holm step-down adjusted p-values (monotone, capped at 1; NaN counts as 1).

    Controls the family-wise error rate at alpha for any dependence between tests, which
    matters because tests on one leaf (KS, Mann-Whitney, Brown-Forsythe) are correlated.
    """
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    p = np.where(np.isnan(p), 1.0, p)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def holm_reject(pvalues: npt.ArrayLike, alpha: float = 0.01) -> npt.NDArray[np.bool_]:
    """Which hypotheses Holm rejects at family-wise level alpha."""
    return holm(pvalues) <= alpha


def combined_pvalue(results: Sequence[TestResult]) -> float:
    """Smallest Holm-adjusted p-value: rejecting when it is <= alpha is a level-alpha test."""
    if not results:
        return 1.0
    return float(holm([r.pvalue for r in results]).min())


# --------------------------------------------------------------------------------------
# Choosing tests
# --------------------------------------------------------------------------------------

#: At most this many distinct values make a numeric sample "discrete" (chi-square).
DISCRETE_MAX_DISTINCT = 10


def _is_numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biuf"


def _to_numeric(arr: np.ndarray) -> np.ndarray | None:
    """Object arrays of numbers become floats; anything else stays categorical (None)."""
    if arr.dtype == object:
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError):
            return None
    if _is_numeric(arr):
        return arr
    return None


def infer_kind(master: npt.ArrayLike, current: npt.ArrayLike) -> Kind:
    """Guess the kind of a leaf: strings are categorical, {0, 1} binary, <= 10 values discrete."""
    m, c = np.asarray(master).ravel(), np.asarray(current).ravel()
    if m.dtype == bool and c.dtype == bool:
        return "binary"
    mn, cn = _to_numeric(m), _to_numeric(c)
    if mn is None or cn is None:
        return "categorical"
    both = np.concatenate([mn.astype(np.float64), cn.astype(np.float64)])
    distinct = np.unique(both[np.isfinite(both)])
    if distinct.size and np.isin(distinct, [0.0, 1.0]).all():
        return "binary"
    if distinct.size <= DISCRETE_MAX_DISTINCT:
        return "discrete"
    return "continuous"


def _counts(arr: np.ndarray) -> dict[Any, int]:
    values, counts = np.unique(arr, return_counts=True)
    return {
        v.item() if hasattr(v, "item") else v: int(c) for v, c in zip(values, counts, strict=True)
    }


def compare_samples(
    master: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    kind: Kind | None = None,
    tests: Sequence[str] | None = None,
) -> list[TestResult]:
    """Run the tests that suit the kind of data; combine them with ``holm``.

    continuous: KS (shape) + Mann-Whitney (location) + Brown-Forsythe (spread);
    binary: Fisher; discrete (<= 10 distinct values) or categorical: chi-square; both
    samples constant: exact equality (p 1 or 0). Non-finite values (NaN, inf) get their
    own Fisher test of the non-finite rate and are dropped from the other tests.
    ``tests`` keeps only the named tests (e.g. ["ks", "mann-whitney"]).
    """
    m_raw, c_raw = np.asarray(master).ravel(), np.asarray(current).ravel()
    if m_raw.size == 0 or c_raw.size == 0:
        raise ValueError("compare_samples(): both samples need at least one value")
    kind = kind or infer_kind(m_raw, c_raw)
    results: list[TestResult] = []
    m_num, c_num = _to_numeric(m_raw), _to_numeric(c_raw)
    if kind == "categorical" or m_num is None or c_num is None:
        m_vals, c_vals = m_raw.astype(str), c_raw.astype(str)
        kind = "categorical"
    else:
        m_vals, c_vals = m_num.astype(np.float64), c_num.astype(np.float64)
        m_fin, c_fin = np.isfinite(m_vals), np.isfinite(c_vals)
        if not (m_fin.all() and c_fin.all()):
            r = two_proportion_exact(
                int((~m_fin).sum()), m_vals.size, int((~c_fin).sum()), c_vals.size
            )
            results.append(TestResult("non-finite rate", *_fields(r)))
            m_vals, c_vals = m_vals[m_fin], c_vals[c_fin]
            if m_vals.size == 0 or c_vals.size == 0:
                return _keep(results, tests)
    n_m, n_c = m_vals.size, c_vals.size
    m_const, c_const = bool((m_vals == m_vals[0]).all()), bool((c_vals == c_vals[0]).all())
    if m_const and c_const:
        same = bool(m_vals[0] == c_vals[0])
        if kind == "categorical":
            diff = 0.0 if same else 1.0
        else:
            diff = float(c_vals[0] - m_vals[0])
        results.append(
            TestResult(
                "equality",
                float(not same),
                1.0 if same else 0.0,
                diff,
                n_m,
                n_c,
                "difference" if kind != "categorical" else "total variation",
            )
        )
    elif kind == "binary":
        if not np.isin(np.concatenate([m_vals, c_vals]), [0.0, 1.0]).all():
            raise ValueError("compare_samples(): kind='binary' needs only 0/1 or bool values")
        results.append(two_proportion_exact(int(m_vals.sum()), n_m, int(c_vals.sum()), n_c))
    elif kind == "categorical" or (
        np.unique(np.concatenate([m_vals, c_vals])).size <= DISCRETE_MAX_DISTINCT
    ):
        results.append(chi_square_categorical(_counts(m_vals), _counts(c_vals)))
    else:
        results += [
            ks_2samp(m_vals, c_vals),
            mann_whitney(m_vals, c_vals),
            brown_forsythe(m_vals, c_vals),
        ]
    return _keep(results, tests)


def _fields(r: TestResult) -> tuple[float, float, float, int, int, str]:
    return r.statistic, r.pvalue, r.effect_size, r.n_master, r.n_current, r.effect_label


def _keep(results: list[TestResult], tests: Sequence[str] | None) -> list[TestResult]:
    if tests is None:
        return results
    wanted = set(tests)
    return [r for r in results if r.name in wanted]
