"""Calibration of the stochastic assertions: false alarms and detection power.

Run from the repository root: ``PYTHONPATH=. python benchmarks/stochastic_calibration.py``
(or plain ``python`` with the package installed); it takes well under a minute. Samples
are drawn in one vectorised call per scenario; only the tests themselves run per rerun.
A leaf's verdict is the smallest Holm-adjusted p-value of its tests (``combined_pvalue``),
exactly what ``assert_same_distribution`` uses for a single leaf. ``--quick`` runs a tenth
of the reruns (a wider band, noisier rates) for a smoke run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row  # noqa: E402

from legacy_harness.stochastic import (  # noqa: E402
    SequentialTest,
    combined_pvalue,
    compare_samples,
    plan,
    plan_rate,
    two_proportion_exact,
)
from legacy_harness.stochastic.stats import _log_factorial  # noqa: E402

BENCHMARK = "stochastic_calibration"
ALPHA = 0.01
RERUNS = 2000
DETECT_RERUNS = 1000
N_MASTER = 200
N_CURRENT = 30

Sampler = Callable[[np.random.Generator, tuple[int, int]], np.ndarray]
Emit = Callable[[str], None]


def _quiet(line: str) -> None:
    """Report sink for ``rows()``: the table carries the figures."""


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


def false_alarms(rng: np.random.Generator, reruns: int = RERUNS, emit: Emit = print) -> list[Row]:
    lo, hi = binomial_band(reruns, ALPHA)
    emit(
        f"False alarms: {reruns} reruns of an unchanged function, master {N_MASTER} runs, "
        f"current {N_CURRENT} runs, alpha {ALPHA}"
    )
    emit(
        f"  99% binomial band around alpha: {lo}..{hi} alarms = "
        f"{lo / reruns:.4f}..{hi / reruns:.4f}"
    )
    out = []
    for name, sampler in DISTRIBUTIONS.items():
        master = sampler(rng, (reruns, N_MASTER))
        current = sampler(rng, (reruns, N_CURRENT))
        rate = alarm_rate(master, current)
        count = round(rate * reruns)
        where = (
            "inside" if lo <= count <= hi else ("below (conservative)" if count < lo else "ABOVE")
        )
        emit(f"  {name:<24} {rate:.4f} ({count} alarms)  {where}")
        out.append(
            Row(
                BENCHMARK,
                f"false-alarm rate, {name}, {reruns} reruns: {where}",
                rate,
                "",
                ALPHA,
                "alpha",
                f"in 99% band {lo / reruns:.4f}..{hi / reruns:.4f}",
            )
        )
    return out


def detection(
    rng: np.random.Generator, reruns: int = DETECT_RERUNS, emit: Emit = print
) -> list[Row]:
    emit(f"Detection rates ({reruns} reruns, master {N_MASTER} runs, normal outputs):")
    p1 = plan(1.0, ALPHA, 0.9, ref_runs=N_MASTER)
    p05 = plan(0.5, ALPHA, 0.9, ref_runs=N_MASTER)
    cases = [
        ("1-sigma mean shift", 1.0, 1.0, [p1.runs, N_CURRENT]),
        ("0.5-sigma mean shift", 0.5, 1.0, [N_CURRENT, p05.runs]),
        ("1.5x spread change", 0.0, 1.5, [N_CURRENT, 60, 100]),
    ]
    out = []
    for label, shift, scale, sizes in cases:
        master = rng.normal(0.0, 1.0, (reruns, N_MASTER))
        parts = []
        for n in sizes:
            current = rng.normal(shift, scale, (reruns, n))
            rate = alarm_rate(master, current)
            parts.append(f"{rate:.3f} with {n} runs")
            aim = ">= 0.9 with <= 30 runs" if label == "1-sigma mean shift" else None
            figure = f"detection, {label}, {n} runs" + (
                " (plan())" if n == sizes[0] and shift == 1.0 else ""
            )
            out.append(Row(BENCHMARK, figure, rate, "", aim=aim))
        emit(f"  {label:<22} " + ", ".join(parts))
    emit(f"  (plan(): {p1.runs} runs for 1 sigma, {p05.runs} for 0.5 sigma, vs {N_MASTER} ref)")

    rp = plan_rate(0.95, 0.90, ALPHA, 0.9)
    for n in (N_CURRENT, rp.runs):
        km = rng.binomial(n, 0.95, reruns)
        kc = rng.binomial(n, 0.90, reruns)
        fails = sum(
            two_proportion_exact(int(a), n, int(b), n).pvalue <= ALPHA
            for a, b in zip(km, kc, strict=True)
        )
        emit(
            f"  rate 0.95 -> 0.90      {fails / reruns:.3f} with {n} master and "
            f"{n} current runs (Fisher)"
        )
        figure = f"detection, rate 0.95 -> 0.90, {n} runs per side (Fisher)"
        out.append(Row(BENCHMARK, figure, fails / reruns, ""))
    emit(f"  (plan_rate(0.95, 0.90): {rp.runs} runs per side for power 0.9)")
    return out


def sequential(
    rng: np.random.Generator, reruns: int = RERUNS, emit: Emit = print, max_runs: int = 200
) -> list[Row]:
    emit(
        f"Sequential mode (SPRT, effect 1 sd, alpha {ALPHA}, beta 0.1, master {N_MASTER}, "
        f"max {max_runs} runs, {reruns} reruns):"
    )
    out = []
    for label, shift in (("no shift", 0.0), ("1-sigma shift", 1.0)):
        master = rng.normal(0.0, 1.0, (reruns, N_MASTER))
        stream = rng.normal(shift, 1.0, (reruns, max_runs))
        used, rejects = [], 0
        for m, s in zip(master, stream, strict=True):
            test = SequentialTest(m, effect=1.0, alpha=ALPHA, beta=0.1)
            rejects += test.update(s) == "reject"
            used.append(test.n)
        rate = rejects / reruns
        emit(f"  {label:<14} mean runs {np.mean(used):5.1f} (max {max(used)}), rejected {rate:.4f}")
        if shift == 0.0:
            figure = f"sequential (SPRT), no shift, rejected (mean {np.mean(used):.1f} runs)"
            out.append(Row(BENCHMARK, figure, rate, "", ALPHA, "alpha", "<= alpha"))
        else:
            figure = f"sequential (SPRT), 1-sigma shift, rejected (mean {np.mean(used):.1f} runs)"
            out.append(Row(BENCHMARK, figure, rate, "", aim=">= 0.9"))
    return out


def rows(quick: bool = False) -> list[Row]:
    """Every rate of this benchmark; ``quick`` runs a tenth of the reruns."""
    rng = np.random.default_rng(20240601)
    scale = 10 if quick else 1
    out = false_alarms(rng, RERUNS // scale, _quiet)
    out += detection(rng, DETECT_RERUNS // scale, _quiet)
    out += sequential(rng, RERUNS // scale, _quiet)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the reruns")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    start = time.perf_counter()
    rng = np.random.default_rng(20240601)
    false_alarms(rng, RERUNS // scale)
    detection(rng, DETECT_RERUNS // scale)
    sequential(rng, RERUNS // scale)
    print(f"total time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
