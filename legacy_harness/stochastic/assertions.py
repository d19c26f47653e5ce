"""Assertions for stochastic code: compare fresh runs with a statistical golden master.

Each assertion returns a :class:`Verdict` when the behaviour is unchanged and raises
:class:`StochasticAssertionError` (an ``AssertionError``) with the rendered verdict when
it is not, so it works as a plain ``assert`` in pytest while callers that want details
(the CLI, reports) can catch it and read ``error.verdict``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from legacy_harness.errors import StochasticAssertionError
from legacy_harness.stochastic.histogram import render_histograms
from legacy_harness.stochastic.planning import plan
from legacy_harness.stochastic.seeds import seeded, seeds_for
from legacy_harness.stochastic.sequential import SequentialTest
from legacy_harness.stochastic.stats import (
    TestResult,
    betainc,
    binomial_test,
    compare_samples,
    holm,
    two_proportion_exact,
)

__all__ = [
    "Verdict",
    "StochasticAssertionError",
    "assert_same_distribution",
    "assert_within_envelope",
    "assert_rate",
    "sequential_compare",
    "flatten_leaves",
    "master_leaves",
]

Samples = Mapping[str, npt.ArrayLike]


@dataclass
class Verdict:
    """What a stochastic assertion concluded, with everything needed to reproduce it.

    ``results`` holds (leaf, test result, Holm-adjusted p-value); ``moved`` the leaves
    that failed; ``seeds`` the per-run seeds (replay run i with ``seeded(seeds[i])``).
    """

    passed: bool
    results: list[tuple[str, TestResult, float]]
    alpha: float
    runs_used: int
    seeds: list[int] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    title: str = "same distribution"
    notes: list[str] = field(default_factory=list)
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def render(self, histograms: bool = True) -> str:
        """Readable report: which leaf moved, how far, the p-values, and a histogram."""
        leaves = sorted({leaf for leaf, _, _ in self.results})
        status = "PASS" if self.passed else "FAIL"
        head = (
            f"{status} {self.title}: {len(self.moved)} of {len(leaves)} "
            f"lea{'ves' if len(leaves) != 1 else 'f'} moved "
            f"(alpha {self.alpha:g}, Holm over {len(self.results)} "
            f"test{'s' if len(self.results) != 1 else ''}, {self.runs_used} runs)"
        )
        rows = [("leaf", "test", "effect", "p", "Holm p", "")]
        for leaf, r, adj in self.results:
            rows.append(
                (
                    leaf,
                    r.name,
                    f"{r.effect_size:+.3g} {r.effect_label}".strip(),
                    _fmt_p(r.pvalue),
                    _fmt_p(adj),
                    "<-- moved" if leaf in self.moved and not adj > self.alpha else "",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines = [head]
        lines += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        lines += [f"  note: {note}" for note in self.notes]
        if self.seeds:
            shown = ", ".join(str(s) for s in self.seeds[:5])
            more = ", ..." if len(self.seeds) > 5 else ""
            lines.append(
                f"  reproduce run i with seeded(seeds[i]); seeds = [{shown}{more}] "
                f"({len(self.seeds)} seeds)"
            )
        if histograms:
            for leaf in self.moved:
                if leaf in self.samples and all(a.size for a in self.samples[leaf]):
                    master, current = self.samples[leaf]
                    lines.append(f"  histogram of {leaf!r}:")
                    text = render_histograms(master, current)
                    lines += ["    " + line for line in text.splitlines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render(histograms=False)


def _fmt_p(p: float) -> str:
    if math.isnan(p):
        return "-"
    return f"{p:.3g}" if p >= 1e-3 else f"{p:.2e}"


# --------------------------------------------------------------------------------------
# Leaves
# --------------------------------------------------------------------------------------


def flatten_leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Name every scalar leaf of a run's output: "value", "[i]", "key", "key.sub[i]"."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(flatten_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0):
        items = value.ravel() if isinstance(value, np.ndarray) else value
        for i, item in enumerate(items):
            out.update(flatten_leaves(item, f"{prefix}[{i}]"))
    else:
        out[prefix or "value"] = value.item() if isinstance(value, np.generic) else value
    return out


def master_leaves(samples: npt.ArrayLike | Samples) -> dict[str, np.ndarray]:
    """Samples per leaf: a mapping as is, a 1-D array as "value", a 2-D array by column."""
    if isinstance(samples, Mapping):
        return {str(k): np.asarray(v).ravel() for k, v in samples.items()}
    arr = np.asarray(samples)
    if arr.ndim <= 1:
        return {"value": arr.ravel()}
    flat = arr.reshape(arr.shape[0], -1)
    return {f"[{i}]": flat[:, i] for i in range(flat.shape[1])}


def _collect(fn: Callable[[], Any], seeds: Sequence[int]) -> dict[str, np.ndarray]:
    """Run ``fn`` once per seed inside ``seeded`` and gather each leaf into an array."""
    runs = []
    for s in seeds:
        with seeded(s):
            runs.append(flatten_leaves(fn()))
    names = list(runs[0]) if runs else []
    for i, run in enumerate(runs):
        if list(run) != names:
            raise StochasticAssertionError(
                Verdict(
                    False,
                    [],
                    0.0,
                    len(runs),
                    list(seeds),
                    sorted(set(run) ^ set(names)),
                    notes=[f"run {i} (seed {seeds[i]}) returned different leaves"],
                )
            )
    return {name: np.asarray([run[name] for run in runs]) for name in names}


# --------------------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------------------


def _default_runs(master: dict[str, np.ndarray], alpha: float) -> int:
    """Runs for a 1-sigma shift at power 0.9 given the master size; master size if too small."""
    ref = min(v.size for v in master.values())
    try:
        return max(10, plan(1.0, alpha, 0.9, ref_runs=ref, n_assertions=len(master)).runs)
    except ValueError:
        return max(10, ref)


def assert_same_distribution(
    fn_or_samples: Callable[[], Any] | npt.ArrayLike | Samples,
    master: npt.ArrayLike | Samples,
    *,
    runs: int | None = None,
    alpha: float = 0.01,
    seed: int = 0,
    tests: Sequence[str] | None = None,
) -> Verdict:
    """Assert that fresh runs (or given samples) follow the master's distribution.

    A callable is run ``runs`` times, each inside ``seeded(s)`` for s in
    ``seeds_for(seed, runs)``; ``runs=None`` takes the count ``plan`` gives for a 1-sigma
    shift at power 0.9. Every leaf gets the tests ``compare_samples`` picks and Holm's
    procedure runs over all (leaf, test) p-values, so the chance of a false alarm for an
    unchanged function is at most ``alpha`` however many leaves there are.
    """
    master_map = master_leaves(master)
    if not master_map:
        raise ValueError("assert_same_distribution(): master has no leaves")
    seeds: list[int] = []
    if callable(fn_or_samples):
        n_runs = runs if runs is not None else _default_runs(master_map, alpha)
        if n_runs < 1:
            raise ValueError(f"assert_same_distribution(): runs must be >= 1, got {n_runs}")
        seeds = seeds_for(seed, n_runs)
        current = _collect(fn_or_samples, seeds)
    else:
        current = master_leaves(fn_or_samples)
    missing, extra = sorted(set(master_map) - set(current)), sorted(set(current) - set(master_map))
    runs_used = max((v.size for v in current.values()), default=0)
    if missing or extra:
        note = f"leaves missing from current: {missing}; new leaves: {extra}"
        verdict = Verdict(False, [], alpha, runs_used, seeds, missing + extra, notes=[note])
        raise StochasticAssertionError(verdict)
    rows: list[tuple[str, TestResult]] = []
    for leaf, m in master_map.items():
        rows += [(leaf, r) for r in compare_samples(m, current[leaf], tests=tests)]
    adjusted = holm([r.pvalue for _, r in rows]) if rows else np.array([])
    results = [(leaf, r, float(a)) for (leaf, r), a in zip(rows, adjusted, strict=True)]
    moved = list(dict.fromkeys(leaf for leaf, _, a in results if a <= alpha))
    verdict = Verdict(
        passed=not moved,
        results=results,
        alpha=alpha,
        runs_used=runs_used,
        seeds=seeds,
        moved=moved,
        samples={leaf: (master_map[leaf], current[leaf]) for leaf in master_map},
    )
    if moved:
        raise StochasticAssertionError(verdict)
    return verdict


def _envelope_rank(n: int, coverage: float, confidence: float | None) -> int:
    """Order-statistic index r of the envelope [X(r), X(n+1-r)] (0 if impossible).

    Without ``confidence``: a fresh value from the master's distribution falls outside
    with probability exactly 2r/(n+1) (any continuous distribution), so r is the largest
    with 2r/(n+1) <= 1 - coverage. With ``confidence``: a tolerance interval, the largest
    r whose population coverage, Beta(n-2r+1, 2r), is >= coverage with that confidence.
    """
    if confidence is None:
        return int(math.floor((1 - coverage) * (n + 1) / 2 + 1e-9))

    def ok(r: int) -> bool:
        return 1.0 - betainc(n - 2 * r + 1, 2 * r, coverage) >= confidence

    if n < 2 or not ok(1):
        return 0
    lo, hi = 1, (n + 1) // 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return lo


def assert_within_envelope(
    value: float | Mapping[str, float],
    master: npt.ArrayLike | Samples,
    coverage: float = 0.99,
    *,
    confidence: float | None = None,
) -> Verdict:
    """Assert one fresh value lies in the central ``coverage`` envelope of the master.

    The envelope is [X(r), X(n+1-r)] of the sorted master, a distribution-free interval
    from order statistics that already pays for the finite master: the naive empirical
    quantiles would be too narrow and alarm too often. By default r is chosen so that the
    false-alarm probability 2r/(n+1) is at most 1 - coverage (needs n >= 2/(1-coverage)-1
    runs, 199 for 0.99); with ``confidence`` it is a tolerance interval covering at least
    ``coverage`` of the population with that confidence (needs more runs).
    """
    if not 0 < coverage < 1:
        raise ValueError(f"assert_within_envelope(): coverage must be in (0, 1), got {coverage}")
    values = dict(value) if isinstance(value, Mapping) else {"value": value}
    master_map = master_leaves(master)
    results: list[tuple[str, TestResult, float]] = []
    moved: list[str] = []
    notes: list[str] = []
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for leaf, v in values.items():
        if leaf not in master_map:
            raise ValueError(f"assert_within_envelope(): no master samples for leaf {leaf!r}")
        m = np.sort(master_map[leaf].astype(np.float64))
        m = m[np.isfinite(m)]
        n = m.size
        r = _envelope_rank(n, coverage, confidence)
        if r < 1:
            need = math.ceil(2 / (1 - coverage) - 1 - 1e-9)
            raise ValueError(
                f"assert_within_envelope(): leaf {leaf!r} has {n} master runs, too few for a "
                f"distribution-free {coverage:g} envelope"
                + (f"; record at least {need} runs" if confidence is None else "")
                + " or lower coverage"
            )
        lo, hi = float(m[r - 1]), float(m[n - r])
        x = float(v)
        below, above = int(np.count_nonzero(m <= x)), int(np.count_nonzero(m >= x))
        p = min(1.0, 2 * (min(below, above) + 1) / (n + 1))
        sd = float(m.std(ddof=1)) if n > 1 else 0.0
        diff = x - float(np.median(m))
        effect = diff / sd if sd > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        inside = lo <= x <= hi
        results.append(
            (leaf, TestResult("envelope", x, p, effect, n, 1, "(value - median) / sd"), p)
        )
        samples[leaf] = (m, np.array([x]))
        notes.append(
            f"{leaf}: {x:.6g} {'inside' if inside else 'OUTSIDE'} [{lo:.6g}, {hi:.6g}] = "
            f"[X({r}), X({n + 1 - r})] of {n} master runs"
        )
        if not inside:
            moved.append(leaf)
    verdict = Verdict(
        not moved,
        results,
        1 - coverage,
        1,
        [],
        moved,
        title=f"within {coverage:g} envelope",
        notes=notes,
        samples=samples,
    )
    if moved:
        raise StochasticAssertionError(verdict)
    return verdict


def _count(outcomes: Any, n: int | None, what: str) -> tuple[int, int]:
    """(successes, trials) from a count plus n, or from an array of 0/1 or bools."""
    if np.ndim(outcomes) == 0:
        if n is None:
            raise ValueError(f"assert_rate(): {what} is a count, so n= is required")
        return int(outcomes), int(n)
    arr = np.asarray(outcomes).ravel()
    if arr.size == 0 or not np.isin(arr.astype(np.float64), [0.0, 1.0]).all():
        raise ValueError(f"assert_rate(): {what} must be 0/1 or bool outcomes")
    return int(arr.astype(np.float64).sum()), int(arr.size)


def assert_rate(
    successes_or_bools: int | npt.ArrayLike,
    expected_rate_or_master: float | tuple[int, int] | npt.ArrayLike,
    *,
    n: int | None = None,
    alpha: float = 0.01,
) -> Verdict:
    """Assert a success rate is unchanged: exact binomial vs a rate, Fisher vs a master.

    ``expected_rate_or_master`` is a rate in [0, 1], a (successes, trials) tuple of the
    master, or the master's 0/1 outcomes. Exact tests, because rates near 0 or 1 (the
    usual case: "passes 95% of the time") are where normal approximations fail.
    """
    k, trials = _count(successes_or_bools, n, "successes")
    expected = expected_rate_or_master
    if isinstance(expected, tuple) and len(expected) == 2:
        result = two_proportion_exact(int(expected[0]), int(expected[1]), k, trials)
        master_sample = np.r_[np.ones(int(expected[0])), np.zeros(int(expected[1] - expected[0]))]
    elif np.ndim(expected) == 0:
        result = binomial_test(k, trials, float(expected))  # type: ignore[arg-type]
        master_sample = np.array([])
    else:
        km, nm = _count(expected, None, "master")
        result = two_proportion_exact(km, nm, k, trials)
        master_sample = np.asarray(expected, dtype=np.float64).ravel()
    failed = result.pvalue <= alpha
    verdict = Verdict(
        passed=not failed,
        results=[("rate", result, result.pvalue)],
        alpha=alpha,
        runs_used=trials,
        moved=["rate"] if failed else [],
        title="same rate",
        notes=[f"current rate {k}/{trials} = {k / trials:.4g}"],
        samples={"rate": (master_sample, np.r_[np.ones(k), np.zeros(trials - k)])},
    )
    if failed:
        raise StochasticAssertionError(verdict)
    return verdict


def sequential_compare(
    sample_fn: Callable[[int], float],
    master: npt.ArrayLike,
    *,
    effect: float = 1.0,
    alpha: float = 0.01,
    beta: float = 0.1,
    max_runs: int | None = None,
    seeds: int | Sequence[int] | None = None,
) -> Verdict:
    """Draw runs one at a time (``sample_fn(seed)`` inside ``seeded(seed)``) until
    ``SequentialTest`` decides.

    Stops as soon as the evidence is clear: a large shift or an unchanged function is
    settled in a handful of runs instead of a fixed-size batch, and never later than the
    design's truncation (30 runs at the defaults). Returns the verdict without raising
    (``passed`` is False on "reject"); a ``max_runs`` cap below the truncation can leave
    it undecided, and then the verdict passes and says it was inconclusive. ``seeds`` is
    a base seed for ``seeds_for`` or an explicit list.
    """
    m = np.asarray(master, dtype=np.float64).ravel()
    test = SequentialTest(m, effect=effect, alpha=alpha, beta=beta)
    cap = test.max_runs if max_runs is None else min(max_runs, test.max_runs)
    if seeds is None or isinstance(seeds, (int, np.integer)):
        seed_list = seeds_for(int(seeds or 0), cap)
    else:
        seed_list = [int(s) for s in seeds][:cap]
    values: list[float] = []
    for s in seed_list:
        with seeded(s):
            values.append(float(sample_fn(s)))
        if test.update(values[-1]) != "continue":
            break
    cur = np.asarray(values)
    shift = (cur.mean() - test.mean) / test.sd if test.sd > 0 else 0.0
    result = TestResult(
        "sequential", test.statistic, math.nan, float(shift), m.size, cur.size,
        "mean shift / master sd",
    )  # fmt: skip
    decision = test.decision
    notes = [
        f"sequential test: {decision} after {test.n} runs (H1: |shift| >= {effect} sd, "
        f"alpha {alpha:g}, beta {beta:g}, decided by run {test.max_runs} at the latest)"
    ]
    if decision == "continue":
        notes.append(f"inconclusive after {len(values)} runs: treated as not moved")
    return Verdict(
        passed=decision != "reject",
        results=[("value", result, math.nan)],
        alpha=alpha,
        runs_used=len(values),
        seeds=seed_list[: len(values)],
        moved=["value"] if decision == "reject" else [],
        title="sequential same distribution",
        notes=notes,
        samples={"value": (m, cur)},
    )
