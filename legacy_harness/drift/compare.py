"""Compare two input profiles leaf by leaf: did today's inputs move away from the recorded?

For every leaf of every target there is one test of the distribution (Kolmogorov-Smirnov
for numbers, chi-square for categories and for whole numbers with few values) and one
exact test of values never seen before (a new category, numbers beyond the recorded
range): the chance, were both runs drawn from one distribution, that this many of this
run's values fall outside what the recording saw. Holm's correction runs over every test
of the run. Beside each p-value stands an effect size (population stability index,
Wasserstein distance in recorded standard deviations, share of new values); a leaf
counts as moved only when a test rejects *and* its effect reaches the settings' bar.

Everything is vectorised over a leaf's sample (at most a few thousand values a side),
so comparing a run takes milliseconds and a hundred seeded runs take seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from legacy_harness.drift.settings import DriftSettings
from legacy_harness.outcomes import ExitCode
from legacy_harness.record.profile import Categories, InputProfile, Numbers
from legacy_harness.stochastic.stats import chi_square_categorical, holm, ks_2samp

__all__ = [
    "NUMBER_LABEL",
    "DriftReport",
    "LeafDrift",
    "LeafTest",
    "compare_profiles",
    "new_values_pvalue",
    "psi",
    "wasserstein",
]

FloatArray = npt.NDArray[np.float64]

#: The category standing for "a number" in a leaf that holds numbers and categories
#: (an Optional[float] is numbers and None).
NUMBER_LABEL = "<number>"
#: Deciles of the recorded values bin the population stability index.
PSI_BINS = 10


@dataclass
class LeafTest:
    """One test of one leaf, with its effect size and the p-value Holm adjusted."""

    name: str
    statistic: float
    pvalue: float
    effect: float
    effect_label: str
    #: the effect reaches the settings' bar (a rejected test counts only then)
    large: bool
    adjusted: float = math.nan

    def to_data(self) -> dict[str, Any]:
        return {
            "test": self.name,
            "statistic": _json_number(self.statistic),
            "p": _json_number(self.pvalue),
            "p_holm": _json_number(self.adjusted),
            "effect": _json_number(self.effect),
            "effect_label": self.effect_label,
            "large": self.large,
        }


@dataclass
class LeafDrift:
    """What became of one leaf of one target's inputs."""

    target: str
    leaf: str
    #: "numbers", "whole numbers" (few distinct values: compared as categories),
    #: "categories", or "numbers and categories"
    kind: str
    before: dict[str, Any]
    after: dict[str, Any]
    tests: list[LeafTest] = field(default_factory=list)
    psi: float | None = None
    #: Wasserstein distance, in the leaf's unit and in recorded standard deviations
    wasserstein: float | None = None
    shift: float | None = None
    #: labels never seen in the recording, with their count in this run
    new_values: list[tuple[str, int]] = field(default_factory=list)
    #: this run's sampled values above the recorded maximum and below the minimum
    above: int = 0
    below: int = 0
    moved: bool = False
    #: the values behind the histograms (not part of the JSON report)
    samples: tuple[FloatArray, FloatArray] | None = field(default=None, repr=False)
    counts: tuple[dict[str, int], dict[str, int]] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.target} {self.leaf}"

    def reasons(self, alpha: float) -> list[LeafTest]:
        return [t for t in self.tests if t.adjusted <= alpha and t.large]

    def to_data(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "leaf": self.leaf,
            "kind": self.kind,
            "moved": self.moved,
            "before": self.before,
            "after": self.after,
            "psi": _json_number(self.psi),
            "wasserstein": _json_number(self.wasserstein),
            "wasserstein_sd": _json_number(self.shift),
            "new_values": [{"value": label, "count": count} for label, count in self.new_values],
            "above_recorded_max": self.above,
            "below_recorded_min": self.below,
            "tests": [test.to_data() for test in self.tests],
        }


@dataclass
class DriftReport:
    """Every leaf of every observed target, and what moved."""

    leaves: list[LeafDrift]
    #: target -> (calls in the recording, calls in this run)
    calls: dict[str, tuple[int, int]]
    settings: DriftSettings
    #: targets with a profile that this run never called
    not_called: list[str] = field(default_factory=list)

    @property
    def moved(self) -> list[LeafDrift]:
        return [leaf for leaf in self.leaves if leaf.moved]

    @property
    def exit_code(self) -> ExitCode:
        """CHANGED when some input moved, SAME otherwise."""
        return ExitCode.CHANGED if self.moved else ExitCode.SAME


def _json_number(value: float | None) -> float | str | None:
    if value is None:
        return None
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(value)


# -- effect sizes and the exact test of new values ---------------------------------------


def psi(before: FloatArray, after: FloatArray, bins: int = PSI_BINS) -> float:
    """Population stability index of ``after`` against ``before`` on the recorded deciles.

    Counts are smoothed by half a value per bin, so an empty bin gives a large but
    finite index rather than infinity.
    """
    if before.size == 0 or after.size == 0:
        return math.nan
    edges = np.unique(np.quantile(before, np.linspace(0, 1, bins + 1)[1:-1]))
    a = np.bincount(np.searchsorted(edges, before, side="right"), minlength=edges.size + 1)
    b = np.bincount(np.searchsorted(edges, after, side="right"), minlength=edges.size + 1)
    return _psi_counts(a.astype(np.float64), b.astype(np.float64))


def _psi_counts(a: FloatArray, b: FloatArray) -> float:
    pa = (a + 0.5) / (a.sum() + 0.5 * a.size)
    pb = (b + 0.5) / (b.sum() + 0.5 * b.size)
    return float(np.sum((pb - pa) * np.log(pb / pa)))


def wasserstein(before: FloatArray, after: FloatArray) -> float:
    """First Wasserstein distance of the two samples: the area between their CDFs."""
    if before.size == 0 or after.size == 0:
        return math.nan
    a, b = np.sort(before), np.sort(after)
    pooled = np.sort(np.concatenate([a, b]))
    widths = np.diff(pooled)
    fa = np.searchsorted(a, pooled[:-1], side="right") / a.size
    fb = np.searchsorted(b, pooled[:-1], side="right") / b.size
    return float(np.sum(np.abs(fa - fb) * widths))


def new_values_pvalue(new: int, size: int, recorded: int) -> float:
    """P(at least ``new`` of ``size`` values fall outside what ``recorded`` values showed),
    were all ``size + recorded`` values exchangeable: every one of the ``new`` most
    extreme (or unseen) values of the pooled sample then came from this run by chance
    alone, which has probability C(size, new) / C(size + recorded, new) (Fisher's exact
    test of a 2 x 2 table with an empty cell)."""
    if new <= 0:
        return 1.0
    if new > size:
        new = size
    i = np.arange(new, dtype=np.float64)
    return float(math.exp(np.sum(np.log(size - i) - np.log(size + recorded - i))))


# -- one leaf ----------------------------------------------------------------------------


def _numbers_summary(numbers: Numbers | None) -> dict[str, Any]:
    if numbers is None or numbers.count == 0:
        return {"n": 0}
    sample = numbers.sample
    return {
        "n": numbers.count,
        "mean": float(sample.mean()),
        "sd": float(sample.std()),
        "min": float(numbers.low),
        "median": float(np.median(sample)),
        "max": float(numbers.high),
    }


def _counts(categories: Categories | None, numbers: Numbers | None) -> dict[str, int]:
    counts = {k: v for k, v in (categories.counts.items() if categories else ()) if v}
    if categories is not None and categories.other:
        counts["<other>"] = categories.other
    if numbers is not None and numbers.count and categories is not None:
        counts[NUMBER_LABEL] = numbers.count
    return counts


def _categories_summary(counts: Mapping[str, int]) -> dict[str, Any]:
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:8]
    return {"n": sum(counts.values()), "top": {label: count for label, count in top}}


def _compare_counts(
    leaf: LeafDrift,
    before: dict[str, int],
    after: dict[str, int],
    settings: DriftSettings,
    *,
    unseen_known: bool,
) -> None:
    """The chi-square test of the category shares and the exact test of new labels."""
    total_before, total_after = sum(before.values()), sum(after.values())
    new = [(label, count) for label, count in after.items() if label not in before and count]
    if not unseen_known and new:  # the recording counted some values as "other" only
        pooled = sum(count for _, count in new)
        after = {k: v for k, v in after.items() if k in before}
        after["<other>"] = after.get("<other>", 0) + pooled
        new = []
    leaf.counts = (before, after)
    if total_before and total_after:
        labels = sorted(set(before) | set(after))
        a = np.array([before.get(label, 0) for label in labels], dtype=np.float64)
        b = np.array([after.get(label, 0) for label in labels], dtype=np.float64)
        leaf.psi = _psi_counts(a, b)
        if len(labels) > 1:
            result = chi_square_categorical(before, after)
            leaf.tests.append(
                LeafTest(
                    "chi-square", result.statistic, result.pvalue, leaf.psi, "PSI",
                    leaf.psi >= settings.min_psi,
                )
            )  # fmt: skip
    if new and total_after:
        leaf.new_values = sorted(new, key=lambda item: (-item[1], item[0]))
        count = sum(c for _, c in new)
        share = count / total_after
        leaf.tests.append(
            LeafTest(
                "new values", float(count), new_values_pvalue(count, total_after, total_before),
                share, "share of this run", share >= settings.min_new,
            )
        )  # fmt: skip


def _compare_numbers(
    leaf: LeafDrift, before: Numbers, after: Numbers, settings: DriftSettings
) -> None:
    """KS, PSI and Wasserstein on the samples; the exact test of values beyond the range."""
    a, b = before.sample, after.sample
    leaf.samples = (a, b)
    if a.size == 0 or b.size == 0:
        return
    ks = ks_2samp(a, b)
    leaf.psi = psi(a, b)
    leaf.wasserstein = wasserstein(a, b)
    sd = float(a.std())
    leaf.shift = leaf.wasserstein / sd if sd > 0 else (math.inf if leaf.wasserstein > 0 else 0.0)
    large = leaf.psi >= settings.min_psi or leaf.shift >= settings.min_shift
    leaf.tests.append(LeafTest("ks", ks.statistic, ks.pvalue, leaf.psi, "PSI", large))
    leaf.above = int(np.count_nonzero(b > before.high))
    leaf.below = int(np.count_nonzero(b < before.low))
    if leaf.above or leaf.below:
        tails = [new_values_pvalue(k, b.size, before.count) for k in (leaf.above, leaf.below) if k]
        share = (leaf.above + leaf.below) / b.size
        leaf.tests.append(
            LeafTest(
                "outside the recorded range", float(leaf.above + leaf.below),
                min(1.0, len(tails) * min(tails)), share, "share of this run",
                share >= settings.min_new,
            )
        )  # fmt: skip


def _whole_number_counts(numbers: Numbers) -> dict[str, int]:
    values, counts = np.unique(numbers.sample, return_counts=True)
    return {f"{value:g}": int(count) for value, count in zip(values, counts, strict=True)}


def compare_leaf(
    target: str, path: str, before: InputProfile, after: InputProfile, settings: DriftSettings
) -> LeafDrift:
    """Every test of one leaf (Holm's adjustment is the report's, across all leaves)."""
    nb, na = before.numbers.get(path), after.numbers.get(path)
    cb, ca = before.categories.get(path), after.categories.get(path)
    if nb is None and cb is None:  # a leaf this run has and the recording never had
        count = min(after.calls, (na.count if na else 0) + (ca.total if ca else 0))
        leaf = LeafDrift(target, path, "new leaf", {"n": 0}, {"n": count})
        share = count / max(after.calls, 1)
        leaf.tests.append(
            LeafTest(
                "new values", float(count), new_values_pvalue(count, after.calls, before.calls),
                share, "share of this run", share >= settings.min_new,
            )
        )  # fmt: skip
        leaf.new_values = [("(a leaf the recording never saw)", count)]
        return leaf
    kind = "numbers" if cb is None else ("categories" if nb is None else "numbers and categories")
    whole = (
        nb is not None
        and cb is None
        and ca is None
        and nb.integer
        and (na is None or na.integer)
        and np.unique(np.concatenate([nb.sample, na.sample if na else nb.sample[:0]])).size
        <= settings.small_ints
    )
    if whole:
        assert nb is not None
        leaf = LeafDrift(target, path, "whole numbers", _numbers_summary(nb), _numbers_summary(na))
        after_counts = _whole_number_counts(na) if na is not None else {}
        _compare_counts(leaf, _whole_number_counts(nb), after_counts, settings, unseen_known=True)
        return leaf
    leaf = LeafDrift(target, path, kind, _numbers_summary(nb), _numbers_summary(na))
    if cb is not None:
        before_counts, after_counts = _counts(cb, nb), _counts(ca or Categories(), na)
        if nb is None:
            leaf.before, leaf.after = (
                _categories_summary(before_counts), _categories_summary(after_counts),
            )  # fmt: skip
        else:
            leaf.before["categories"] = _categories_summary(before_counts)["top"]
            leaf.after["categories"] = _categories_summary(after_counts)["top"]
        _compare_counts(leaf, before_counts, after_counts, settings, unseen_known=not cb.other)
    if nb is not None and na is not None:
        _compare_numbers(leaf, nb, na, settings)
    return leaf


def compare_profiles(
    baseline: Mapping[str, InputProfile],
    current: Mapping[str, InputProfile],
    settings: DriftSettings | None = None,
) -> DriftReport:
    """Compare this run's profiles with the recorded ones; Holm runs over every test."""
    settings = settings or DriftSettings()
    leaves: list[LeafDrift] = []
    calls: dict[str, tuple[int, int]] = {}
    not_called: list[str] = []
    for target in sorted(baseline):
        before = baseline[target]
        after = current.get(target)
        if after is None or after.calls == 0:
            not_called.append(target)
            continue
        calls[target] = (before.calls, after.calls)
        for path in sorted(set(before.leaves()) | set(after.leaves())):
            leaves.append(compare_leaf(target, path, before, after, settings))
    tests = [test for leaf in leaves for test in leaf.tests]
    if tests:
        for test, adjusted in zip(tests, holm([t.pvalue for t in tests]).tolist(), strict=True):
            test.adjusted = adjusted
    for leaf in leaves:
        leaf.moved = bool(leaf.reasons(settings.alpha))
    return DriftReport(leaves, calls, settings, not_called)
