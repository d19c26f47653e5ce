"""How many runs a statistical golden master needs.

Too few runs and a real regression slips through; too many and the suite is slow. The
plan uses the textbook normal approximation for a two-sided two-sample location test,
with the Mann-Whitney test's asymptotic relative efficiency of 3/pi against the t-test
(normal data), and the worst-case per-test level of Holm's procedure (alpha / number of
tests, i.e. Bonferroni) since every leaf is tested.

Location (``plan``/``power``), with effect d in master sds, n current and m reference
runs, per-test level a and z_q the standard normal quantile::

    power = Phi(d * sqrt(3/pi) / sqrt(1/n + 1/m) - z_{1-a/2})      (+ the far tail)
    runs  = smallest n with 1/n + 1/m <= (3/pi) d^2 / (z_{1-a/2} + z_power)^2

Rates (``plan_rate``/``rate_power``), master rate p0, current rate p1, with a continuity
correction (Fleiss) because Fisher's exact test is conservative::

    power = Phi((|p1-p0| - (1/n + 1/m)/2 - z_{1-a/2} sqrt(pq (1/n + 1/m)))
                / sqrt(p0 q0 / m + p1 q1 / n)),   p = pooled rate
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from legacy_harness.stochastic.stats import normal_cdf, normal_ppf

__all__ = ["Plan", "plan", "power", "plan_rate", "rate_power", "MW_ARE"]

#: Asymptotic relative efficiency of Mann-Whitney vs the t-test for normal data.
MW_ARE = 3.0 / math.pi


@dataclass(frozen=True)
class Plan:
    """Runs to record (``ref_runs``) and to replay (``runs``) per case, and why."""

    runs: int
    ref_runs: int
    alpha_per_assertion: float
    power: float
    effect: float
    alpha: float = 0.01
    n_assertions: int = 1
    tests_per_assertion: int = 1
    what: str = ""

    @property
    def alpha_per_test(self) -> float:
        """Level each single test is held to in the worst case of Holm's procedure."""
        return self.alpha_per_assertion / self.tests_per_assertion

    def __str__(self) -> str:
        what = self.what or f"a {self.effect:.1f}-sigma shift"
        over = f"{self.n_assertions} assertion" + ("s" if self.n_assertions != 1 else "")
        return (
            f"record {self.ref_runs} reference runs and replay {self.runs} fresh runs per case "
            f"to detect {what} with power {self.power:.2f} at alpha {self.alpha:g} over {over}"
        )


def _check(alpha: float, target: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < target < 1:
        raise ValueError(f"power must be in (0, 1), got {target}")


def power(effect: float, runs: int, ref_runs: int | None = None, alpha: float = 0.01) -> float:
    """Power of a two-sided Mann-Whitney test at per-test level ``alpha`` (normal approx).

    ``ref_runs=None`` means as many reference runs as current runs.
    """
    m = runs if ref_runs is None else ref_runs
    if runs <= 0 or m <= 0:
        return 0.0
    z = normal_ppf(1 - alpha / 2)
    ncp = abs(effect) * math.sqrt(MW_ARE) / math.sqrt(1 / runs + 1 / m)
    return normal_cdf(ncp - z) + normal_cdf(-ncp - z)


def plan(
    effect: float = 1.0,
    alpha: float = 0.01,
    power: float = 0.9,
    ref_runs: int | None = None,
    n_assertions: int = 1,
    *,
    tests_per_assertion: int = 3,
) -> Plan:
    """Runs needed to detect a shift of ``effect`` master sds at family-wise level alpha.

    Each assertion (numeric leaf) is tested with ``tests_per_assertion`` tests (KS,
    Mann-Whitney, Brown-Forsythe by default) and Holm runs over all of them, so the
    location test is planned at alpha / (n_assertions * tests_per_assertion). With
    ``ref_runs=None`` both sides get the same count (the cheapest total); otherwise the
    current side is sized for the given reference, which must be large enough.
    """
    _check(alpha, power)
    if effect <= 0:
        raise ValueError(f"plan(): effect must be > 0, got {effect}")
    if n_assertions < 1 or tests_per_assertion < 1:
        raise ValueError("plan(): n_assertions and tests_per_assertion must be >= 1")
    per_assertion = alpha / n_assertions
    per_test = per_assertion / tests_per_assertion
    k = (normal_ppf(1 - per_test / 2) + normal_ppf(power)) ** 2 / (MW_ARE * effect**2)
    if ref_runs is None:
        runs = max(2, math.ceil(2 * k - 1e-9))
        ref = runs
    else:
        if ref_runs <= k:
            raise ValueError(
                f"plan(): {ref_runs} reference runs cannot reach power {power} for a "
                f"{effect}-sigma shift; record at least {math.floor(k) + 1} (more is cheaper)"
            )
        runs = max(2, math.ceil(1 / (1 / k - 1 / ref_runs) - 1e-9))
        ref = ref_runs
    return Plan(runs, ref, per_assertion, power, effect, alpha, n_assertions, tests_per_assertion)


def rate_power(
    p_master: float, p_current: float, runs: int, ref_runs: int | None = None, alpha: float = 0.01
) -> float:
    """Approximate power of Fisher's exact test for rates p_master vs p_current."""
    m = runs if ref_runs is None else ref_runs
    if runs <= 0 or m <= 0:
        return 0.0
    inv = 1 / runs + 1 / m
    pooled = (p_master * m + p_current * runs) / (m + runs)
    z = normal_ppf(1 - alpha / 2)
    spread = math.sqrt(p_master * (1 - p_master) / m + p_current * (1 - p_current) / runs)
    if spread == 0:
        return 1.0 if p_master != p_current else 0.0
    num = abs(p_current - p_master) - inv / 2 - z * math.sqrt(pooled * (1 - pooled) * inv)
    return normal_cdf(num / spread)


def advise(
    ref_runs: int,
    n_assertions: int,
    *,
    effect: float = 1.0,
    alpha: float = 0.01,
    power: float = 0.9,
) -> tuple[Plan | None, str]:
    """Advice after recording ``ref_runs`` reference runs: the plan, or None with a
    warning when no number of fresh runs reaches ``power`` against so few references
    (the masters stay usable; the warning says how many runs to record instead)."""
    try:
        advised = plan(effect, alpha, power, ref_runs=ref_runs, n_assertions=n_assertions)
    except ValueError as error:
        text = str(error).removeprefix("plan(): ")
        return None, f"warning: {text}; the masters are kept and usable as they are"
    return advised, f"advice: {advised}"


def plan_rate(
    p_master: float,
    p_current: float,
    alpha: float = 0.01,
    power: float = 0.9,
    ref_runs: int | None = None,
    n_assertions: int = 1,
) -> Plan:
    """Runs needed to detect a rate change p_master -> p_current with Fisher's test.

    Rates need far more runs than location shifts: 0.95 -> 0.90 at alpha 0.01 and power
    0.9 takes about 900 runs per side. ``effect`` in the plan is p_current - p_master.
    """
    _check(alpha, power)
    if p_master == p_current:
        raise ValueError("plan_rate(): the rates must differ")
    per = alpha / n_assertions
    limit = 10**8

    def enough(n: int) -> bool:
        ref = n if ref_runs is None else ref_runs
        return rate_power(p_master, p_current, n, ref, per) >= power

    hi = 2
    while not enough(hi):
        hi *= 2
        if hi > limit:
            raise ValueError(
                f"plan_rate(): {ref_runs} reference runs cannot reach power {power}; "
                "record more reference runs"
            )
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    what = f"a rate change {p_master:g} -> {p_current:g}"
    ref = hi if ref_runs is None else ref_runs
    return Plan(hi, ref, per, power, p_current - p_master, alpha, n_assertions, 1, what)
