"""Sequential tests: stop replaying a stochastic case as soon as the answer is clear.

The question per leaf is "no shift" (H0) against "a shift of at least ``effect`` master
sds either way" (H1), at false-alarm rate ``alpha`` and power ``1 - beta``. Values are
standardised with the mean and sd of a master of m runs; with S_n the sum of n of them,
d the effect and c_n = 1 / (1 + n/m), the statistic is the likelihood ratio of "the
current mean differs from the master's by +d or -d, each half likely" against "no
difference", whose variance is 1/n + 1/m::

    log LR_n = log cosh(d c_n S_n) - n d^2 c_n / 2

Why this design (:class:`SequentialTest`), and not the alternatives:

* Two one-sided Wald SPRTs at alpha/2 each (:class:`WaldSequentialTest`, the design
  before this one) accept only once *both* sides have accepted, and Wald's boundaries
  log((1-beta)/a) and log(beta/(1-a)) ignore the overshoot of the last step, so their
  error rates are not the nominal ones and runs are wasted: 9.1 runs on average to
  accept unchanged code and 10.9 to catch a 1-sd shift at alpha 0.01, beta 0.1.
* One two-sided statistic with boundaries *calibrated* to give exactly alpha and beta
  spends the whole error budget. The boundaries (reject at log LR >= upper, accept at
  log LR <= lower) come from the exact operating characteristics of the truncated test,
  computed by recursive numerical integration of the density of S_n over the runs that
  are still undecided (the Armitage-McPherson-Rowe recursion of group-sequential
  trials), and solved for (upper, lower) by a Broyden iteration. Unlike a simulation this
  is deterministic and stays accurate for the tiny per-leaf alphas that a Bonferroni
  split over many leaves produces. Designs are cached per (alpha, beta, effect, m).
* The master is a sample too: its mean is off by N(0, 1/m) sds and its sd by a few
  percent, the same for every run compared with it. Taking it as exact raises the false
  alarms (0.014 instead of 0.01 with m = 200, three times alpha with m = 50), so the
  levels are averaged over that error (Gauss-Hermite nodes in the recursion) and a
  master too small for the requested power is refused with the runs to record.
* Truncation bounds the cost: at twice the runs of the fixed-sample z-test (30 runs for
  alpha 0.01, beta 0.1, effect 1, exact master) the last look rejects when log LR is
  past the midpoint of the two boundaries; the calibration accounts for that look.
* A group-sequential design (a look every k runs) needs slightly more runs on average;
  it is used only for effects below 1 sd, looking every k = round(1 / d^2) runs so each
  look carries about one sd of evidence (about 2% more runs than looking every run),
  and when a design would need more than 60 looks. Both keep the calibration short.

How far this can go, at alpha 0.01, beta 0.1, effect 1: with an exact master the
design needs 7.0 runs on average to accept unchanged code and 9.3 to reject a 1-sd
shift; with a 200-run master 7.4 and 10.1. No sequential test does much better: the
Bayes-optimal test (backward induction over (n, S_n), computed by
``benchmarks/stochastic_calibration.py``) shows that with an exact master the two
averages cannot sum to less than 16.2 runs, so accepting in 6 and rejecting in 10 at
that alpha and power is out of reach for any design.

The levels are exact for normal outputs; skewed outputs make them approximate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from legacy_harness.stochastic.stats import normal_ppf

__all__ = [
    "Decision",
    "SequentialDesign",
    "sequential_design",
    "SequentialTest",
    "WaldSequentialTest",
    "BernoulliSequentialTest",
    "sprt",
]

FloatArray = npt.NDArray[np.float64]
Decision = Literal["accept", "reject", "continue"]

#: Truncation: the test decides at this many times the fixed-sample size at the latest.
TRUNCATION = 2.0
#: At most this many looks: beyond, the test looks every few runs (bounds the calibration).
MAX_LOOKS = 60
#: At the last look, reject above this point between the boundaries (0.5: the midpoint).
FINAL = 0.5
#: Node spacing of the numerical integration, in sds of one look (error below 1e-6).
_STEP = 0.25
#: The calibration stops when log alpha and log beta are this close to their targets.
_TOLERANCE = 1e-5
_DIFF_STEP = 1e-4
_MAX_ITERATIONS = 40
#: Stand-in for an infinite standardised value (a change against a constant master).
_HUGE = 1e6
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------------------
# Vectorised helpers
# --------------------------------------------------------------------------------------


def _erfc(x: FloatArray) -> FloatArray:
    """Complementary error function, vectorised (Chebyshev fit, relative error < 1.2e-7)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))
                )
            )
        )
    )  # fmt: skip
    r = t * np.exp(-z * z + poly)
    return np.where(x >= 0, r, 2.0 - r)


def _outside(bound: float, centre: FloatArray, scale: FloatArray) -> FloatArray:
    """P(|centre + scale * Z| >= bound) for standard normal Z, elementwise."""
    return 0.5 * (
        _erfc((bound - centre) / (scale * _SQRT2)) + _erfc((bound + centre) / (scale * _SQRT2))
    )


def _log_cosh(x: FloatArray) -> FloatArray:
    """log(cosh(x)) without overflow for large |x|."""
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0)


def _arccosh_exp(y: float) -> float:
    """arccosh(exp(y)) for y >= 0, without overflow: the |S| where log cosh reaches y."""
    return y + math.log1p(math.sqrt(-math.expm1(-2.0 * y)))


# --------------------------------------------------------------------------------------
# The design
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SequentialDesign:
    """Boundaries of the calibrated test and its exact operating characteristics.

    Reject when log LR >= ``upper``, accept when log LR <= ``lower``, looking every
    ``look_every`` runs; at ``max_runs`` reject when log LR is past the midpoint of the
    two. ``false_alarm`` and ``power`` are what the boundaries achieve (alpha and
    1 - beta up to 1e-5), averaged over the error of a ``master_runs`` master; the
    expected runs are under no shift and under a shift of exactly ``effect``.
    """

    alpha: float
    beta: float
    effect: float
    upper: float
    lower: float
    max_runs: int
    look_every: int
    false_alarm: float
    power: float
    expected_runs_null: float
    expected_runs_shift: float
    master_runs: int | None = None

    @property
    def final(self) -> float:
        """The last look rejects at or above this log LR (between the two boundaries)."""
        return FINAL * self.upper + (1 - FINAL) * self.lower

    def __str__(self) -> str:
        every = f", a look every {self.look_every} runs" if self.look_every > 1 else ""
        return (
            f"sequential test of a {self.effect:g}-sd shift at alpha {self.alpha:g}, power "
            f"{1 - self.beta:g}: about {self.expected_runs_null:.1f} runs to accept unchanged "
            f"code, {self.expected_runs_shift:.1f} to reject a shift, {self.max_runs} at most{every}"
        )


def _shrink(runs: int, master_runs: int | None) -> float:
    """1 / (1 + n/m): how much of a shift of the current mean the master mean can hide."""
    return 1.0 if master_runs is None else 1.0 / (1.0 + runs / master_runs)


def _edge(d: float, level: float, look: int, shrink: float) -> float | None:
    """|S| at which log LR = log cosh(d c S) - look d^2 c / 2 reaches ``level`` (None: never)."""
    drift = level + look * d * d * shrink / 2.0
    return _arccosh_exp(drift) / (d * shrink) if drift > 0 else None


def _band(
    d: float, upper: float, lower: float, look: int, shrink: float
) -> tuple[float | None, float]:
    """Undecided |S| at a look: (accept edge or None when no accepting yet, reject edge)."""
    reject = _edge(d, upper, look, shrink)
    assert reject is not None  # upper > 0
    return _edge(d, lower, look, shrink), reject


def _nodes(accept: float | None, reject: float) -> tuple[FloatArray, FloatArray]:
    """Simpson nodes and weights over the undecided set, one band or two mirrored ones."""
    low = -reject if accept is None else accept
    intervals = max(2, math.ceil((reject - low) / _STEP))
    intervals += intervals % 2
    x = np.linspace(low, reject, intervals + 1)
    w = np.ones(intervals + 1)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    w *= (reject - low) / intervals / 3.0
    if accept is None:
        return x, w
    return np.concatenate([-x[::-1], x]), np.concatenate([w[::-1], w])


def _characteristics(
    d: float,
    upper: float,
    lower: float,
    looks: int,
    shrinks: Sequence[float],
    mu: FloatArray,
    sigma: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """P(reject) and E[looks] when each look adds N(mu, sigma^2) to S, by exact recursion.

    One column per (mu, sigma). The density of S over the undecided set is carried from
    look to look through the normal kernel; the probability of leaving through each
    boundary is integrated in closed form. The kernel of column c factors as
    phi_sigma(y - x) * exp(y mu / sigma^2) * exp(-x mu / sigma^2) * const, so each step
    costs one matrix product per distinct sigma, whatever the number of columns.
    """
    accept, reject = _band(d, upper, lower, 1, shrinks[1])
    rejected = _outside(reject, mu, sigma)
    expected = np.ones(mu.size)
    x, w = _nodes(accept, reject)
    density = np.exp(-0.5 * ((x[:, None] - mu) / sigma) ** 2) / (sigma * _SQRT2PI)
    groups = [np.flatnonzero(sigma == s) for s in np.unique(sigma)]
    tilt = mu / sigma**2
    scale = np.exp(-0.5 * mu * tilt)
    final = _edge(d, FINAL * upper + (1 - FINAL) * lower, looks, shrinks[looks]) or 0.0
    for look in range(2, looks + 1):
        mass = w[:, None] * density
        expected += mass.sum(axis=0)
        if look == looks:
            rejected += (mass * _outside(final, x[:, None] + mu, sigma)).sum(axis=0)
            break
        accept, reject = _band(d, upper, lower, look, shrinks[look])
        rejected += (mass * _outside(reject, x[:, None] + mu, sigma)).sum(axis=0)
        y, wy = _nodes(accept, reject)
        gap = y[:, None] - x[None, :]
        density = np.empty((y.size, mu.size))
        for columns in groups:
            s = float(sigma[columns[0]])
            base = np.exp(-0.5 * (gap / s) ** 2) / (s * _SQRT2PI)
            into = np.exp(np.clip(np.outer(y, tilt[columns]), -700.0, 700.0))
            out_of = np.exp(np.clip(-np.outer(x, tilt[columns]), -700.0, 700.0))
            density[:, columns] = into * (base @ (out_of * mass[:, columns])) * scale[columns]
        x, w = y, wy
    return rejected, expected


def _master_error(runs: int | None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Quadrature over what a master of ``runs`` values gets wrong: (mean error in sds,
    sd ratio, weight) triples; a single exact point when the master is known exactly.

    The master mean is off by N(0, 1/runs) sds and the sd by a factor whose log is about
    N(0, 1 / (2 (runs - 1))); Gauss-Hermite nodes, 5 by 3, cover both.
    """
    if runs is None:
        return np.zeros(1), np.ones(1), np.ones(1)
    t5, w5 = np.polynomial.hermite_e.hermegauss(5)
    t3, w3 = np.polynomial.hermite_e.hermegauss(3)
    mean_error = np.repeat(t5 / math.sqrt(runs), 3)
    ratio = np.tile(np.exp(t3 / math.sqrt(2.0 * max(1, runs - 1))), 5)
    weight = np.outer(w5, w3).ravel() / (2.0 * math.pi)
    return mean_error, ratio, weight / weight.sum()


def _fixed_runs(alpha: float, beta: float, effect: float, master_runs: int | None) -> float:
    """Runs of the fixed-sample z-test of current against master mean at these levels."""
    reach = (effect / (normal_ppf(1 - alpha / 2) + normal_ppf(1 - beta))) ** 2  # 1/n + 1/m
    if master_runs is None:
        return 1.0 / reach
    if master_runs * reach < 2.0:  # the master must weigh at least as much as the runs
        raise ValueError(
            f"sequential test: a master of {master_runs} runs is too small to test a "
            f"{effect:g}-sd shift at alpha {alpha:g} with power {1 - beta:g}; record at least "
            f"{math.ceil(2.0 / reach)} runs"
        )
    return 1.0 / (reach - 1.0 / master_runs)


def _check_levels(alpha: float, beta: float, effect: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"sequential test: alpha must be in (0, 1), got {alpha}")
    if not 0 < beta < 1 or alpha + beta >= 1:
        raise ValueError(f"sequential test: beta must be in (0, 1 - alpha), got {beta}")
    if not effect > 0 or math.isinf(effect):
        raise ValueError(f"sequential test: effect must be a positive number of sds, got {effect}")


@lru_cache(maxsize=128)
def sequential_design(
    alpha: float = 0.01, beta: float = 0.1, effect: float = 1.0, master_runs: int | None = None
) -> SequentialDesign:
    """The calibrated design for these levels; cached, as it takes up to a second.

    ``master_runs`` is the size of the master the values are standardised with: the
    levels then hold on average over the error of its mean and sd (a 50-run master
    would otherwise triple the false alarms). None means a master known exactly.
    """
    _check_levels(alpha, beta, effect)
    if master_runs is not None and master_runs < 2:
        raise ValueError(f"sequential test: the master needs 2 or more runs, got {master_runs}")
    fixed = _fixed_runs(alpha, beta, effect, master_runs)
    look_every = max(
        1 if effect >= 1.0 else round(1.0 / effect**2), math.ceil(TRUNCATION * fixed / MAX_LOOKS)
    )
    d = effect * math.sqrt(look_every)
    looks = max(4, math.ceil(TRUNCATION * fixed / look_every))
    target = np.array([math.log(alpha), math.log(beta)])
    # each look adds k standardised runs / sqrt(k): N(sqrt(k) (shift - e) / r, 1 / r^2)
    error, ratio, weight = _master_error(master_runs)
    root_k = math.sqrt(look_every)
    mu = np.concatenate([-root_k * error / ratio, root_k * (effect - error) / ratio])
    sigma = np.concatenate([1.0 / ratio, 1.0 / ratio])
    half = error.size
    shrinks = [_shrink(look * look_every, master_runs) for look in range(looks + 1)]

    def residual(point: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        rejected, expected = _characteristics(
            d, float(point[0]), float(point[1]), looks, shrinks, mu, sigma
        )
        rejected = np.array([rejected[:half] @ weight, rejected[half:] @ weight])
        expected = np.array([expected[:half] @ weight, expected[half:] @ weight])
        errors = np.maximum(np.array([rejected[0], 1.0 - rejected[1]]), 1e-300)
        return np.log(errors) - target, rejected, expected

    def jacobian(point: FloatArray, value: FloatArray) -> FloatArray:
        return np.column_stack(
            [(residual(point + _DIFF_STEP * e)[0] - value) / _DIFF_STEP for e in np.eye(2)]
        )

    point = np.array([math.log((1 - beta) / alpha) - 0.5, math.log(beta / (1 - alpha)) + 0.4])
    value, rejected, expected = residual(point)
    slope = jacobian(point, value)
    for _ in range(_MAX_ITERATIONS):
        if np.abs(value).max() < _TOLERANCE:
            break
        move = np.linalg.solve(slope, -value)
        move *= min(1.0, 1.0 / np.abs(move).max())  # at most one log unit per step
        new, new_rejected, new_expected = residual(point + move)
        if np.abs(new).max() >= np.abs(value).max():  # Broyden went astray: Newton, halved
            slope = jacobian(point, value)
            move = np.linalg.solve(slope, -value)
            move *= min(1.0, 1.0 / np.abs(move).max())
            for _ in range(6):
                new, new_rejected, new_expected = residual(point + move)
                if np.abs(new).max() < np.abs(value).max():
                    break
                move /= 2
        else:
            slope += np.outer(new - value - slope @ move, move) / float(move @ move)
        point, value, rejected, expected = point + move, new, new_rejected, new_expected
    else:
        raise ArithmeticError(
            f"sequential_design({alpha}, {beta}, {effect}, {master_runs}): the boundaries "
            "did not converge"
        )
    return SequentialDesign(
        alpha, beta, effect, float(point[0]), float(point[1]), looks * look_every, look_every,
        float(rejected[0]), float(rejected[1]), float(expected[0] * look_every),
        float(expected[1] * look_every), master_runs,
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# Tests fed run by run
# --------------------------------------------------------------------------------------


def _master_moments(master: npt.ArrayLike, who: str) -> tuple[float, float, int]:
    """Mean, sd and number of the master's finite values."""
    m = np.asarray(master, dtype=np.float64).ravel()
    m = m[np.isfinite(m)]
    if m.size == 0:
        raise ValueError(f"{who}: the master needs at least one finite value")
    return float(m.mean()), float(m.std(ddof=1)) if m.size > 1 else 0.0, int(m.size)


def _standardise(values: FloatArray, mean: float, sd: float) -> FloatArray:
    """(value - mean) / sd; against a constant master any difference counts as huge."""
    diff = values - mean
    if sd > 0:
        z = diff / sd
    else:
        z = np.where(diff == 0, 0.0, np.sign(diff) * _HUGE)
    return np.where(np.isfinite(z), z, _HUGE)


class SequentialTest:
    """The calibrated two-sided sequential test of the module docstring, fed run by run.

    ``update(values)`` takes one or more new values and returns "accept", "reject" or
    "continue"; values after a decision are ignored and ``n`` counts the runs used. The
    test always decides by ``design.max_runs``.
    """

    def __init__(
        self, master: npt.ArrayLike, *, effect: float = 1.0, alpha: float = 0.01, beta: float = 0.1
    ) -> None:
        _check_levels(alpha, beta, effect)
        self.mean, self.sd, runs = _master_moments(master, "SequentialTest")
        self.effect, self.alpha, self.beta = effect, alpha, beta
        self.design = sequential_design(alpha, beta, effect, runs if self.sd > 0 else None)
        self.total = 0.0
        self.n = 0
        self.decision: Decision = "continue"

    @property
    def max_runs(self) -> int:
        return self.design.max_runs

    @property
    def statistic(self) -> float:
        """log LR of a shift against none after the runs used so far."""
        return float(self._llr(np.array([self.total]), np.array([self.n]))[0])

    def _llr(self, sums: FloatArray, runs: npt.NDArray[np.int64]) -> FloatArray:
        """log cosh(d c S) - n d^2 c / 2, c = 1 / (1 + n / master runs): the likelihood
        ratio of the current mean minus the master mean, whose variance is 1/n + 1/m."""
        d, m = self.effect, self.design.master_runs
        shrink = 1.0 if m is None else 1.0 / (1.0 + runs / m)
        return _log_cosh(d * shrink * sums) - runs * d * d * shrink / 2

    def update(self, values: npt.ArrayLike) -> Decision:
        """Feed one or more new values; stop at the first look that crosses a boundary."""
        if self.decision != "continue":
            return self.decision
        v = np.asarray(values, dtype=np.float64).ravel()[: self.design.max_runs - self.n]
        if v.size == 0:
            return self.decision
        design = self.design
        sums = self.total + np.cumsum(_standardise(v, self.mean, self.sd))
        runs = self.n + np.arange(1, v.size + 1)
        llr = self._llr(sums, runs)
        look = runs % design.look_every == 0
        last = runs == design.max_runs
        reject = look & (llr >= np.where(last, design.final, design.upper))
        accept = look & ~reject & ((llr <= design.lower) | last)
        decided = reject | accept
        stop = int(np.argmax(decided)) if decided.any() else v.size - 1
        if decided[stop]:
            self.decision = "reject" if reject[stop] else "accept"
        self.total, self.n = float(sums[stop]), int(runs[stop])
        return self.decision


def _first_crossing(path: FloatArray, upper: float, lower: float) -> tuple[int, Decision]:
    """Index and kind of the first boundary crossing of a log-likelihood-ratio path."""
    hit = (path >= upper) | (path <= lower)
    if not hit.any():
        return path.size, "continue"
    i = int(np.argmax(hit))
    return i, "reject" if path[i] >= upper else "accept"


class WaldSequentialTest:
    """Two one-sided Wald SPRTs (+effect and -effect, alpha/2 each) with Wald's bounds.

    The design this module replaced, kept as the reference the calibration benchmark
    compares against: reject as soon as either side rejects, accept when both have
    accepted. It has no truncation, so it can stay undecided ("continue").
    """

    def __init__(
        self, master: npt.ArrayLike, *, effect: float = 1.0, alpha: float = 0.01, beta: float = 0.1
    ) -> None:
        _check_levels(alpha, beta, effect)
        self.mean, self.sd, _ = _master_moments(master, "WaldSequentialTest")
        self.effect, self.alpha, self.beta = effect, alpha, beta
        self.upper = math.log((1 - beta) / (alpha / 2))
        self.lower = math.log(beta / (1 - alpha / 2))
        self.llr = np.zeros(2)
        self.side: list[Decision] = ["continue", "continue"]
        self.n = 0
        self.decision: Decision = "continue"

    def update(self, values: npt.ArrayLike) -> Decision:
        """Feed one or more new values; values after a decision are ignored."""
        if self.decision != "continue":
            return self.decision
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            return self.decision
        z = _standardise(v, self.mean, self.sd)
        d = self.effect
        steps = np.stack([d * z - d * d / 2, -d * z - d * d / 2])
        paths = self.llr[:, None] + np.cumsum(steps, axis=1)
        crossings = [
            _first_crossing(paths[s], self.upper, self.lower)
            if self.side[s] == "continue"
            else (-1, self.side[s])
            for s in range(2)
        ]
        rejects = [i for i, kind in crossings if kind == "reject"]
        accepts_all = all(kind == "accept" for _, kind in crossings)
        t_accept = max(i for i, _ in crossings) if accepts_all else v.size
        t_reject = min(rejects) if rejects else v.size
        if t_reject < v.size and t_reject <= t_accept:
            stop, self.decision = t_reject, "reject"
        elif accepts_all and t_accept < v.size:
            stop, self.decision = t_accept, "accept"
        else:
            stop = v.size - 1
        for s, (i, kind) in enumerate(crossings):
            if self.side[s] != "continue":
                continue
            if kind != "continue" and i <= stop:
                self.llr[s], self.side[s] = paths[s, i], kind
            else:
                self.llr[s] = paths[s, stop]
        self.n += stop + 1
        return self.decision

    @property
    def statistic(self) -> float:
        """Largest one-sided log-likelihood ratio so far."""
        return float(self.llr.max())


class BernoulliSequentialTest:
    """Wald SPRT for a success rate: H0 rate p0 vs H1 rate p1 (one-sided, e.g. a drop)."""

    def __init__(self, p0: float, p1: float, *, alpha: float = 0.01, beta: float = 0.1) -> None:
        if not (0 < p0 < 1 and 0 < p1 < 1) or p0 == p1:
            raise ValueError("BernoulliSequentialTest: need 0 < p0, p1 < 1 and p0 != p1")
        self.p0, self.p1, self.alpha, self.beta = p0, p1, alpha, beta
        self.upper = math.log((1 - beta) / alpha)
        self.lower = math.log(beta / (1 - alpha))
        self.win = math.log(p1 / p0)
        self.loss = math.log((1 - p1) / (1 - p0))
        self.llr = 0.0
        self.n = 0
        self.decision: Decision = "continue"

    def update(self, successes: npt.ArrayLike) -> Decision:
        """Feed one or more 0/1 outcomes; outcomes after a decision are ignored."""
        if self.decision != "continue":
            return self.decision
        x = np.asarray(successes, dtype=np.float64).ravel()
        if x.size == 0:
            return self.decision
        path = self.llr + np.cumsum(np.where(x > 0, self.win, self.loss))
        i, kind = _first_crossing(path, self.upper, self.lower)
        stop = min(i, x.size - 1)
        self.llr, self.n, self.decision = float(path[stop]), self.n + stop + 1, kind
        return self.decision


def sprt(
    values: npt.ArrayLike,
    master: npt.ArrayLike,
    *,
    effect: float = 1.0,
    alpha: float = 0.01,
    beta: float = 0.1,
) -> tuple[Decision, int]:
    """Run ``SequentialTest`` over already collected values: (decision, runs consumed)."""
    test = SequentialTest(master, effect=effect, alpha=alpha, beta=beta)
    decision = test.update(values)
    return decision, test.n
