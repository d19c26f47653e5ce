"""Calibration of the stochastic assertions: false alarms and detection power.

Run from the repository root: ``PYTHONPATH=. python benchmarks/stochastic_calibration.py``
(or plain ``python`` with the package installed); it takes well under a minute. Samples
are drawn in one vectorised call per scenario; only the tests themselves run per rerun.
A leaf's verdict is the smallest Holm-adjusted p-value of its tests (``combined_pvalue``),
exactly what ``assert_same_distribution`` uses for a single leaf.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from legacy_harness.stochastic import (
    SequentialTest,
    combined_pvalue,
    compare_samples,
    plan,
    plan_rate,
    two_proportion_exact,
)
from legacy_harness.stochastic.stats import _log_factorial

ALPHA = 0.01
RERUNS = 2000
DETECT_RERUNS = 1000
N_MASTER = 200
N_CURRENT = 30

Sampler = Callable[[np.random.Generator, tuple[int, int]], np.ndarray]


def _bimodal(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    side = rng.random(size) < 0.5
    return np.where(side, rng.normal(-2.0, 0.7, size), rng.normal(2.0, 0.7, size))


DISTRIBUTIONS: dict[str, Sampler] = {
    "normal": lambda rng, size: rng.normal(0.0, 1.0, size),
    "lognormal (skewed)": lambda rng, size: rng.lognormal(0.0, 1.0, size),
    "poisson(4) (discrete)": lambda rng, size: rng.poisson(4.0, size).astype(np.float64),
    "bimodal": _bimodal,
}


def binomial_band(n: int, p: float, level: float = 0.99) -> tuple[int, int]:
    """Central ``level`` interval of Binomial(n, p) counts."""
    k = np.arange(n + 1)
    logpmf = (
        _log_factorial(n)
        - _log_factorial(k)
        - _log_factorial(n - k)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    cdf = np.cumsum(np.exp(logpmf))
    tail = (1 - level) / 2
    return int(np.searchsorted(cdf, tail)), int(np.searchsorted(cdf, 1 - tail))


def alarm_rate(master: np.ndarray, current: np.ndarray) -> float:
    """Fraction of reruns whose single-leaf verdict fails at ALPHA."""
    fails = sum(
        combined_pvalue(compare_samples(m, c)) <= ALPHA
        for m, c in zip(master, current, strict=True)
    )
    return fails / master.shape[0]


def false_alarms(rng: np.random.Generator) -> None:
    lo, hi = binomial_band(RERUNS, ALPHA)
    print(
        f"False alarms: {RERUNS} reruns of an unchanged function, master {N_MASTER} runs, "
        f"current {N_CURRENT} runs, alpha {ALPHA}"
    )
    print(
        f"  99% binomial band around alpha: {lo}..{hi} alarms = "
        f"{lo / RERUNS:.4f}..{hi / RERUNS:.4f}"
    )
    for name, sampler in DISTRIBUTIONS.items():
        master = sampler(rng, (RERUNS, N_MASTER))
        current = sampler(rng, (RERUNS, N_CURRENT))
        rate = alarm_rate(master, current)
        count = round(rate * RERUNS)
        where = (
            "inside" if lo <= count <= hi else ("below (conservative)" if count < lo else "ABOVE")
        )
        print(f"  {name:<24} {rate:.4f} ({count} alarms)  {where}")


def detection(rng: np.random.Generator) -> None:
    print(f"Detection rates ({DETECT_RERUNS} reruns, master {N_MASTER} runs, normal outputs):")
    p1 = plan(1.0, ALPHA, 0.9, ref_runs=N_MASTER)
    p05 = plan(0.5, ALPHA, 0.9, ref_runs=N_MASTER)
    cases = [
        ("1-sigma mean shift", 1.0, 1.0, [p1.runs, N_CURRENT]),
        ("0.5-sigma mean shift", 0.5, 1.0, [N_CURRENT, p05.runs]),
        ("1.5x spread change", 0.0, 1.5, [N_CURRENT, 60, 100]),
    ]
    for label, shift, scale, sizes in cases:
        master = rng.normal(0.0, 1.0, (DETECT_RERUNS, N_MASTER))
        parts = []
        for n in sizes:
            current = rng.normal(shift, scale, (DETECT_RERUNS, n))
            parts.append(f"{alarm_rate(master, current):.3f} with {n} runs")
        print(f"  {label:<22} " + ", ".join(parts))
    print(f"  (plan(): {p1.runs} runs for 1 sigma, {p05.runs} for 0.5 sigma, vs {N_MASTER} ref)")

    rp = plan_rate(0.95, 0.90, ALPHA, 0.9)
    for n in (N_CURRENT, rp.runs):
        km = rng.binomial(n, 0.95, DETECT_RERUNS)
        kc = rng.binomial(n, 0.90, DETECT_RERUNS)
        fails = sum(
            two_proportion_exact(int(a), n, int(b), n).pvalue <= ALPHA
            for a, b in zip(km, kc, strict=True)
        )
        print(
            f"  rate 0.95 -> 0.90      {fails / DETECT_RERUNS:.3f} with {n} master and "
            f"{n} current runs (Fisher)"
        )
    print(f"  (plan_rate(0.95, 0.90): {rp.runs} runs per side for power 0.9)")


def sequential(rng: np.random.Generator, max_runs: int = 200) -> None:
    print(
        f"Sequential mode (SPRT, effect 1 sd, alpha {ALPHA}, beta 0.1, master {N_MASTER}, "
        f"max {max_runs} runs, {RERUNS} reruns):"
    )
    for label, shift in (("no shift", 0.0), ("1-sigma shift", 1.0)):
        master = rng.normal(0.0, 1.0, (RERUNS, N_MASTER))
        stream = rng.normal(shift, 1.0, (RERUNS, max_runs))
        used, rejects = [], 0
        for m, s in zip(master, stream, strict=True):
            test = SequentialTest(m, effect=1.0, alpha=ALPHA, beta=0.1)
            rejects += test.update(s) == "reject"
            used.append(test.n)
        print(
            f"  {label:<14} mean runs {np.mean(used):5.1f} (max {max(used)}), "
            f"rejected {rejects / RERUNS:.4f}"
        )


def main() -> None:
    start = time.perf_counter()
    rng = np.random.default_rng(20240601)
    false_alarms(rng)
    detection(rng)
    sequential(rng)
    print(f"total time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
