"""Calibration of the stochastic assertions: false alarms and detection power.

Run from the repository root: ``PYTHONPATH=. python benchmarks/stochastic_calibration.py``
(or plain ``python`` with the package installed); it takes well under a minute. Samples
are drawn in one vectorised call per scenario; only the tests themselves run per rerun.
A leaf's verdict is the smallest Holm-adjusted p-value of its tests (``combined_pvalue``),
exactly what ``assert_same_distribution`` uses for a single leaf. ``--quick`` runs a tenth
of the reruns (a wider band, noisier rates) for a smoke run.

The sequential section runs the fixed design (z-test), the two Wald SPRTs used before
and the calibrated sequential test on the same streams, side by side, and computes the
Bayes-optimal test's expected runs: the floor no sequential design can go below.
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
    WaldSequentialTest,
    combined_pvalue,
    compare_samples,
    plan,
    plan_rate,
    sequential_design,
    two_proportion_exact,
)
from legacy_harness.stochastic.stats import _log_factorial, normal_ppf  # noqa: E402

BENCHMARK = "stochastic_calibration"
ALPHA = 0.01
BETA = 0.1
RERUNS = 2000
DETECT_RERUNS = 1000
N_MASTER = 200
N_CURRENT = 30

#: The weighted floor: 3 E0[N] + E1[N] over tests deciding within 70 runs, with the
#: multipliers (log L0, log L1) a search found for them (the bound holds for any).
WEIGHT = 3.0
WEIGHTED_LOOKS = 70
WEIGHTED_MULTIPLIERS = (5.7295, 4.2013)

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


def fixed_design_runs(alpha: float = ALPHA, beta: float = BETA, effect: float = 1.0) -> int:
    """Runs of the two-sided z-test with the same alpha and power (the fixed design)."""
    return math.ceil(((normal_ppf(1 - alpha / 2) + normal_ppf(1 - beta)) / effect) ** 2)


def bayes_optimal(
    alpha: float = ALPHA,
    beta: float = BETA,
    looks: int = 45,
    step: float = 0.1,
    weight: float = 1.0,
    multipliers: tuple[float, float] | None = None,
) -> tuple[float, float, float, float, float]:
    """The Bayes-optimal test, and the least w E0[N] + E1[N] any test can have.

    Backward induction over (n, S_n) on a grid of step ``step`` finds the test T* (deciding
    within ``looks`` runs) that minimises R(T) = w E0[N] + E1[N] + L0 P0(reject) +
    L1 P1(accept), P1 under a shift of +-1 sd, w = ``weight``. For any test T with
    false-alarm rate <= alpha and power >= 1 - beta, R(T) >= R(T*) gives

        w E0[N] + E1[N] >= R(T*) - L0 alpha - L1 beta

    whatever (L0, L1); they are tuned so that T* has about those error rates, which
    makes the bound tight (``multipliers`` gives log L0, log L1 found before, skipping
    the search: the bound holds for any). Returns (E0, E1, false alarms and power of
    T*, the bound).
    """
    s = np.arange(-(looks / 2 + 10), looks / 2 + 10 + step / 2, step)
    gap = s[:, None] - s[None, :]
    null = np.exp(-0.5 * gap**2) * step / math.sqrt(2 * math.pi)
    shifted = np.exp(-0.5 * (gap - 1.0) ** 2) * step / math.sqrt(2 * math.pi)

    def ratio(n: int) -> np.ndarray:  # LR of "shift +-1" against "none" after n runs
        return np.exp(-n / 2 + np.logaddexp(s, -s) - math.log(2))

    def solve(log_l0: float, log_l1: float) -> tuple[np.ndarray, np.ndarray]:
        l0, l1 = math.exp(log_l0), math.exp(log_l1)
        risk = np.minimum(l0, l1 * ratio(looks))
        reject, accept = [np.zeros(0, bool)] * (looks + 1), [np.zeros(0, bool)] * (looks + 1)
        reject[looks] = l0 <= l1 * ratio(looks)
        accept[looks] = ~reject[looks]
        for n in range(looks - 1, 0, -1):
            lr = ratio(n)
            go_on = weight + lr + null.T @ risk
            stop_accept = l1 * lr
            risk = np.minimum(np.minimum(l0, stop_accept), go_on)
            reject[n] = (l0 <= stop_accept) & (l0 <= go_on)
            accept[n] = (stop_accept < l0) & (stop_accept <= go_on)
        out = []
        for kernel, mu in ((null, 0.0), (shifted, 1.0)):
            f = np.exp(-0.5 * (s - mu) ** 2) * step / math.sqrt(2 * math.pi)
            rejected, runs = 0.0, 0.0
            for n in range(1, looks + 1):
                runs += f.sum()
                rejected += f[reject[n]].sum()
                f = kernel @ np.where(reject[n] | accept[n], 0.0, f)
            out.append((rejected, runs))
        return np.array([out[0][0], out[1][0]]), np.array([out[0][1], out[1][1]])

    target = np.array([math.log(alpha), math.log(beta)])

    def residual(x: np.ndarray) -> np.ndarray:
        rejected, _ = solve(*x)
        return np.log(np.array([rejected[0], 1 - rejected[1]])) - target

    point = np.array(multipliers or [5.3, 3.7])  # near the answer for alpha 0.01, beta 0.1
    value = residual(point) if multipliers is None else np.zeros(2)
    for _ in range(8):  # the bound holds anywhere: getting close is enough
        if np.abs(value).max() < 2e-3:  # on a grid the rates move in small steps
            break
        slope = np.column_stack([(residual(point + 0.05 * e) - value) / 0.05 for e in np.eye(2)])
        move = np.linalg.lstsq(slope, -value, rcond=None)[0]
        point = point + move * min(1.0, 0.5 / max(np.abs(move).max(), 1e-12))
        value = residual(point)
    rejected, runs = solve(*point)
    l0, l1 = math.exp(point[0]), math.exp(point[1])
    risk = weight * runs[0] + runs[1] + l0 * rejected[0] + l1 * (1 - rejected[1])
    bound = risk - l0 * alpha - l1 * beta
    return float(runs[0]), float(runs[1]), float(rejected[0]), float(rejected[1]), float(bound)


def sequential(
    rng: np.random.Generator,
    reruns: int = RERUNS,
    emit: Emit = print,
    max_runs: int = 200,
    looks: int = 45,
    step: float = 0.1,
) -> list[Row]:
    """Fixed design, the old Wald SPRTs and the calibrated design on the same streams,
    and the floor no design can beat (``looks`` and ``step`` size its computation)."""
    design = sequential_design(ALPHA, BETA, 1.0, N_MASTER)
    exact = sequential_design(ALPHA, BETA, 1.0)
    fixed_n = fixed_design_runs()
    z_crit = normal_ppf(1 - ALPHA / 2)
    lo, hi = binomial_band(reruns, ALPHA)
    emit(
        f"Sequential designs (H1: |shift| >= 1 sd, alpha {ALPHA}, beta {BETA}, master "
        f"{N_MASTER} runs, {reruns} reruns each, the same streams for every design):"
    )
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    for label, shift in (("no shift", 0.0), ("1-sigma shift", 1.0)):
        master = rng.normal(0.0, 1.0, (reruns, N_MASTER))
        stream = rng.normal(shift, 1.0, (reruns, max_runs))
        mean, sd = master.mean(axis=1), master.std(axis=1, ddof=1)
        z = (stream[:, :fixed_n].mean(axis=1) - mean) / sd * math.sqrt(fixed_n)
        figures.setdefault("fixed", {})[label] = (
            float(fixed_n),
            float(np.mean(np.abs(z) >= z_crit)),
        )
        for name, kind in (("wald", WaldSequentialTest), ("calibrated", SequentialTest)):
            used, rejects = [], 0
            for m, s in zip(master, stream, strict=True):
                test = kind(m, effect=1.0, alpha=ALPHA, beta=BETA)
                rejects += test.update(s) == "reject"
                used.append(test.n)
            figures.setdefault(name, {})[label] = (float(np.mean(used)), rejects / reruns)
    names = {
        "fixed": f"fixed design (z-test, {fixed_n} runs)",
        "wald": "two Wald SPRTs (before)",
        "calibrated": "calibrated sequential test",
    }
    emit(
        f"  {'design':<34} {'runs, no shift':>14} {'runs, 1 sd':>10} {'false alarms':>12} {'power':>7}"
    )
    for key, title in names.items():
        (n0, fa), (n1, pw) = figures[key]["no shift"], figures[key]["1-sigma shift"]
        where = "" if lo <= round(fa * reruns) <= hi else " (outside the 99% band)"
        emit(f"  {title:<34} {n0:>14.1f} {n1:>10.1f} {fa:>12.4f} {pw:>7.3f}{where}")
    emit(
        f"  99% binomial band of the false alarms: {lo / reruns:.4f}..{hi / reruns:.4f}; "
        f"computed for the calibrated design: {design.expected_runs_null:.2f} and "
        f"{design.expected_runs_shift:.2f} runs, {design.false_alarm:.4f}, {design.power:.4f} "
        f"(with an exact master: {exact.expected_runs_null:.2f} and "
        f"{exact.expected_runs_shift:.2f} runs)"
    )
    e0, e1, fa_opt, pw_opt, floor = bayes_optimal(looks=looks, step=step)
    ours = exact.expected_runs_null + exact.expected_runs_shift
    emit(
        f"  floor: with an exact master, no test with false alarms <= {ALPHA} and power >= "
        f"{1 - BETA} (deciding within {looks} runs) has mean runs (no shift) + mean runs "
        f"(1 sd) below {floor:.2f};"
    )
    emit(
        f"  the Bayes-optimal test ({e0:.2f} + {e1:.2f} runs, {fa_opt:.4f}, {pw_opt:.4f}) "
        f"reaches it and the calibrated design has {ours:.2f}, so <= 6 and <= 10 (16) "
        "is out of reach for any design"
    )
    # how few runs a shift needs when unchanged code is accepted in 6: weigh E0 three times
    *_, weighted = bayes_optimal(looks=WEIGHTED_LOOKS, step=step, weight=WEIGHT,
                                 multipliers=WEIGHTED_MULTIPLIERS)  # fmt: skip
    least_shift = weighted - WEIGHT * 6
    emit(
        f"  with an exact master, any test with false alarms <= {ALPHA} and power >= "
        f"{1 - BETA} deciding within {WEIGHTED_LOOKS} runs has {WEIGHT:g} E0[N] + E1[N] >= "
        f"{weighted:.2f}: accepting unchanged code in <= 6 runs on average costs >= "
        f"{least_shift:.2f} runs on average to catch a 1-sd shift (aim <= 10)"
    )
    out = []
    for key, title in names.items():
        (n0, fa), (n1, pw) = figures[key]["no shift"], figures[key]["1-sigma shift"]
        new = key == "calibrated"
        where = "inside" if lo <= round(fa * reruns) <= hi else "outside"
        out += [
            Row(
                BENCHMARK, f"{title}: mean runs, no shift", n0, "runs", aim="<= 6" if new else None
            ),
            Row(
                BENCHMARK,
                f"{title}: mean runs, 1-sigma shift",
                n1,
                "runs",
                aim="<= 10" if new else None,
            ),  # fmt: skip
            Row(
                BENCHMARK,
                f"{title}: false-alarm rate, {reruns} reruns: {where} 99% band",
                fa,
                "",
                ALPHA,
                "alpha",
                f"in 99% band {lo / reruns:.4f}..{hi / reruns:.4f}",
            ),  # fmt: skip
            Row(BENCHMARK, f"{title}: power, 1-sigma shift", pw, "", aim=">= 0.9"),
        ]
    out.append(
        Row(
            BENCHMARK,
            "floor of mean runs no shift + 1 sd, any design, exact master (Bayes)",
            floor,
            "runs",
            ours,
            "calibrated design, exact master",
            "aim <= 6 + 10 = 16 needs floor <= 16",
        )  # fmt: skip
    )
    out.append(
        Row(
            BENCHMARK,
            "floor of mean runs (1 sd) for any design with mean runs (no shift) <= 6",
            least_shift,
            "runs",
            figures["calibrated"]["1-sigma shift"][0],
            "calibrated design, mean runs 1 sd",
            "aim <= 10 needs floor <= 10",
        )  # fmt: skip
    )
    return out


def rows(quick: bool = False) -> list[Row]:
    """Every rate of this benchmark; ``quick`` runs a tenth of the reruns (and computes
    the floor on a coarser grid)."""
    rng = np.random.default_rng(20240601)
    scale = 10 if quick else 1
    out = false_alarms(rng, RERUNS // scale, _quiet)
    out += detection(rng, DETECT_RERUNS // scale, _quiet)
    out += sequential(rng, RERUNS // scale, _quiet, looks=30 if quick else 45,
                      step=0.2 if quick else 0.1)  # fmt: skip
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
    sequential(
        rng, RERUNS // scale, looks=30 if args.quick else 45, step=0.2 if args.quick else 0.1
    )
    print(f"total time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
