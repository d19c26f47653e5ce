"""Statistical golden masters: a case's outcome as a distribution over fresh seeds.

Recording replays a case ``runs`` times, each inside ``seeded(seed)`` with a distinct
seed, and keeps every number and category of the outcome and effects as a sample:
one float matrix (runs x numeric leaves) and one string matrix, stored as blobs.
Verification replays ``n`` fresh seeds and tests each leaf against its master sample;
Holm's correction runs over every test of every case in the run, so the family-wise
false-alarm rate of a whole suite is ``alpha``.

Each run's view is put in canonical form (:func:`canonicalised`: the ``invariant`` of
its paths, e.g. cluster ids renumbered by first appearance) before its leaves are
taken, for the master and for today's runs alike; derived statistics (the view's
``statistics``, see :mod:`legacy_harness.stochastic.statistics`) are leaves too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from legacy_harness.compare.invariants import InvariantError, InvariantRules
from legacy_harness.compare.scrub import scrub
from legacy_harness.errors import ConfigError, HarnessError
from legacy_harness.stochastic.histogram import render_histograms
from legacy_harness.stochastic.planning import advise
from legacy_harness.stochastic.seeds import seeded
from legacy_harness.stochastic.sequential import SequentialTest
from legacy_harness.stochastic.stats import TestResult, compare_samples, holm
from legacy_harness.store import codec
from legacy_harness.store.disk import StoredCase

#: Arrays up to this size are tested element by element; larger ones by summaries.
ELEMENT_LIMIT = 16
#: A string leaf with at least this share of distinct values across runs is not tested.
UNSTABLE_SHARE = 0.9
#: Seeds of fresh replays are drawn from this offset so they never repeat the master's.
CURRENT_SEED_OFFSET = 1_000_003

Sample = dict[str, Any]


def sample_leaves(view: Mapping[str, Any]) -> Sample:
    """Numbers and categories of one replay's outcome and effects, one name each.

    Large numeric arrays contribute their mean, sd, min and max (``path#mean`` ...):
    order-free summaries that stay meaningful when a refactoring permutes equivalent
    results (cluster labels, shuffled batches), and that keep the number of tests small.
    """
    leaves: Sample = {}
    if "raised" in view:
        leaves["raised.type"] = str(view["raised"].get("type"))
    else:
        _walk(view.get("outcome"), "outcome", leaves, set())
    _walk(view.get("effects", {}), "effects", leaves, set())
    if "statistics" in view:
        _walk(view["statistics"], "statistics", leaves, set())
    return leaves


def _walk(value: Any, path: str, leaves: Sample, active: set[int]) -> None:
    if value is None or isinstance(value, (bool, str)):
        leaves[path] = "None" if value is None else value
        return
    if isinstance(value, (int, float, np.integer, np.floating)):
        leaves[path] = float(value)
        return
    if isinstance(value, np.bool_):
        leaves[path] = bool(value)
        return
    if isinstance(value, np.ndarray):
        _array_leaves(value, path, leaves)
        return
    if id(value) in active:
        return
    active.add(id(value))
    try:
        if isinstance(value, Mapping):
            for key, item in value.items():
                _walk(
                    item,
                    f"{path}.{key}" if isinstance(key, str) else f"{path}[{key!r}]",
                    leaves,
                    active,
                )
        elif isinstance(value, (list, tuple)):
            if (
                value
                and all(type(item) in (int, float) for item in value)
                and len(value) > ELEMENT_LIMIT
            ):
                _array_leaves(np.asarray(value, dtype=np.float64), path, leaves)
            else:
                for index, item in enumerate(value):
                    _walk(item, f"{path}[{index}]", leaves, active)
        elif hasattr(value, "__dict__"):
            for key, item in vars(value).items():
                _walk(item, f"{path}.{key}", leaves, active)
    finally:
        active.discard(id(value))


def _array_leaves(array: np.ndarray, path: str, leaves: Sample) -> None:
    if array.dtype.kind not in "biuf" or array.size == 0:
        return
    values = array.astype(np.float64, copy=False).ravel()
    if values.size <= ELEMENT_LIMIT:
        leaves.update({f"{path}[{index}]": value for index, value in enumerate(values.tolist())})
        return
    finite = values[np.isfinite(values)]
    summary = finite if finite.size else values
    leaves[f"{path}#mean"] = float(summary.mean())
    leaves[f"{path}#sd"] = float(summary.std())
    leaves[f"{path}#min"] = float(summary.min())
    leaves[f"{path}#max"] = float(summary.max())


@dataclass
class Distribution:
    """The samples of a statistical master."""

    seeds: list[int]
    numeric_names: list[str]
    numeric: np.ndarray  # runs x numeric leaves, float64
    categorical_names: list[str]
    categorical: np.ndarray  # runs x categorical leaves, str
    unstable: list[str] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return len(self.seeds)

    @property
    def varying(self) -> list[str]:
        """Leaves whose master samples are not all equal: the stochastic part."""
        names = [
            name
            for name, column in zip(self.numeric_names, self.numeric.T, strict=True)
            if not np.array_equal(column, np.full_like(column, column[0]), equal_nan=True)
        ]
        names += [
            name
            for name, column in zip(self.categorical_names, self.categorical.T, strict=True)
            if len(set(column.tolist())) > 1
        ]
        return names

    def to_tree(self, blobs: dict[str, bytes]) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seeds": self.seeds,
            "numeric": codec.encode(
                {"names": self.numeric_names, "samples": self.numeric}, blobs=blobs
            ),
            "categorical": codec.encode(
                {"names": self.categorical_names, "samples": self.categorical}, blobs=blobs
            ),
            "unstable": self.unstable,
        }

    @classmethod
    def from_tree(cls, tree: Mapping[str, Any], blobs: Callable[[str], bytes]) -> Distribution:
        numeric = codec.decode(tree["numeric"], blobs=blobs)
        categorical = codec.decode(tree["categorical"], blobs=blobs)
        return cls(
            [int(s) for s in tree["seeds"]],
            list(numeric["names"]),
            np.asarray(numeric["samples"], dtype=np.float64).reshape(len(tree["seeds"]), -1),
            list(categorical["names"]),
            np.asarray(categorical["samples"], dtype=str).reshape(len(tree["seeds"]), -1),
            list(tree.get("unstable", [])),
        )


def build_distribution(samples: Sequence[Sample], seeds: Sequence[int]) -> Distribution:
    """Stack per-run leaves into matrices; leaves missing from a run are categorical "<absent>"."""
    names = sorted({name for sample in samples for name in sample})
    numeric_names = [
        n
        for n in names
        if all(isinstance(s.get(n), float) and not isinstance(s.get(n), bool) for s in samples)
    ]
    categorical_names = [n for n in names if n not in set(numeric_names)]
    runs = len(samples)
    numeric = np.array([[s[n] for n in numeric_names] for s in samples], dtype=np.float64).reshape(
        runs, -1
    )
    categorical = np.array(
        [[str(s.get(n, "<absent>")) for n in categorical_names] for s in samples], dtype=str
    ).reshape(runs, -1)
    # a string that (almost) never repeats across runs is an id or a timestamp: no
    # distribution to test. Almost: runs in parallel processes can read the same clock tick
    unstable = [
        name
        for name, column in zip(categorical_names, categorical.T, strict=True)
        if runs >= 5 and len(set(column.tolist())) >= UNSTABLE_SHARE * runs
    ]
    return Distribution(
        list(seeds), numeric_names, numeric, categorical_names, categorical, unstable
    )


Replayer = Callable[[int], Mapping[str, Any]]


def collect(replay_view: Replayer, seeds: Iterable[int]) -> list[Sample]:
    """Replay once per seed (inside ``seeded``) and extract each run's leaves."""
    samples = []
    for seed in seeds:
        with seeded(seed):
            samples.append(sample_leaves(replay_view(seed)))
    return samples


def scrubbed(view: Mapping[str, Any], scrubbers: Sequence[Any]) -> dict[str, Any]:
    return (
        {key: scrub(value, scrubbers, key) for key, value in view.items()}
        if scrubbers
        else dict(view)
    )


def canonicalised(view: Mapping[str, Any], rules: InvariantRules) -> Mapping[str, Any]:
    """``view`` with the invariants of its paths applied (the same globs as exact
    comparison), so runs that differ only by a symmetry give the same leaves."""
    if not rules:
        return view
    try:
        return {key: rules.apply(value, "." + key) for key, value in view.items()}
    except InvariantError as error:
        raise ConfigError(
            f"{error}; fix the invariant's glob in [tool.legacy_harness.tolerances]"
        ) from None


# -- testing a case against its master --------------------------------------------------


@dataclass
class LeafTest:
    """One statistical test of one leaf, with the p-value Holm adjusted across the run."""

    target: str
    case_id: str
    leaf: str
    result: TestResult
    adjusted: float = math.nan


@dataclass
class CaseDistributionResult:
    """Fresh replays of one case and the tests of each leaf."""

    stored: StoredCase
    master: Distribution
    current: Distribution
    tests: list[LeafTest] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    sequential: str | None = None

    def failed(self, alpha: float) -> list[LeafTest]:
        return [t for t in self.tests if t.adjusted <= alpha]

    def render(self, alpha: float, shown_leaves: int = 3) -> str:
        """Which leaf moved, how far (Holm-adjusted p-values, effect sizes), and histograms."""
        lines = [
            f"{self.current.runs} fresh runs (seeds {self.current.seeds[0]}..{self.current.seeds[-1]})"
            f" against {self.master.runs} master runs"
        ]
        for name in self.missing:
            lines.append(f"{name}: in the master but not in today's runs (or the other way round)")
        moved: dict[str, list[LeafTest]] = {}
        for test in self.failed(alpha):
            moved.setdefault(test.leaf, []).append(test)
        for leaf, tests in list(moved.items())[:shown_leaves]:
            parts = []
            for test in tests:
                r = test.result
                label = f" {r.effect_label}" if getattr(r, "effect_label", "") else ""
                parts.append(f"{r.name} p={test.adjusted:.3g} effect {r.effect_size:+.3g}{label}")
            lines.append(f"{leaf} moved: " + "; ".join(parts))
            master, current = self.columns(leaf)
            if master is not None and current is not None and master.dtype.kind == "f":
                lines.extend("  " + row for row in render_histograms(master, current).splitlines())
        if len(moved) > shown_leaves:
            lines.append(
                f"... {len(moved) - shown_leaves} more leaves moved: {', '.join(list(moved)[shown_leaves:])}"
            )
        return "\n".join(lines)

    def columns(self, leaf: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        for names, m, c in (
            (self.master.numeric_names, self.master.numeric, self.current.numeric),
            (self.master.categorical_names, self.master.categorical, self.current.categorical),
        ):
            if leaf in names:
                index = names.index(leaf)
                current_names = (
                    self.current.numeric_names
                    if m is self.master.numeric
                    else self.current.categorical_names
                )
                if leaf in current_names:
                    return m[:, index], c[:, current_names.index(leaf)]
        return None, None


def default_runs(master: Distribution, alpha: float, n_assertions: int) -> int:
    """Fresh runs that detect a 1-sd shift with power 0.9 against this master."""
    advised, _ = advise(master.runs, max(1, n_assertions), alpha=alpha)
    if advised is None:  # the master is too small for that power: test with the most runs
        return 500
    return int(min(max(advised.runs, 10), 500))


class SequentialCase:
    """Sequential tests of one case's varying numeric leaves, fed one run at a time.

    Each leaf gets ``SequentialTest`` at alpha / leaves (Bonferroni, so the case keeps
    its family-wise level); the case is rejected as soon as one leaf rejects and
    accepted once every leaf has accepted. A leaf missing from a run counts as moved.
    """

    def __init__(self, master: Distribution, alpha: float) -> None:
        varying = [
            n for n in master.varying if n in master.numeric_names and n not in master.unstable
        ]
        per_leaf = alpha / max(1, len(varying))
        try:
            self.tests = {
                name: SequentialTest(
                    master.numeric[:, master.numeric_names.index(name)], alpha=per_leaf
                )
                for name in varying
            }
        except ValueError as error:  # a master too small for the sequential test
            raise HarnessError(f"--sequential: {error}") from None
        self.decision = "continue"

    @property
    def max_runs(self) -> int:
        """Runs after which every leaf has decided."""
        return max((test.max_runs for test in self.tests.values()), default=1)

    def feed(self, sample: Sample) -> str:
        """One more run's leaves: "reject", "accept" or "continue"."""
        if self.decision != "continue":
            return self.decision
        decisions = [test.update([sample.get(name, math.nan)]) for name, test in self.tests.items()]
        if "reject" in decisions:
            self.decision = "reject"
        elif all(d == "accept" for d in decisions):
            self.decision = "accept"
        return self.decision


def compare_distribution(
    stored: StoredCase, master: Distribution, current: Distribution
) -> CaseDistributionResult:
    """Test every leaf of ``current`` that is not unstable against ``master``."""
    result = CaseDistributionResult(stored, master, current)
    case = stored.case
    for names, m_matrix, current_names, c_matrix in (
        (master.numeric_names, master.numeric, current.numeric_names, current.numeric),
        (
            master.categorical_names,
            master.categorical,
            current.categorical_names,
            current.categorical,
        ),
    ):
        for index, name in enumerate(names):
            if name in master.unstable:
                continue
            if name not in current_names:
                result.missing.append(name)
                continue
            column = c_matrix[:, current_names.index(name)]
            for test in compare_samples(m_matrix[:, index], column):
                result.tests.append(LeafTest(case.target, case.id, name, test))
    known = set(master.numeric_names) | set(master.categorical_names)
    result.missing += [
        n for n in current.numeric_names + current.categorical_names if n not in known
    ]
    return result


def judge(results: Sequence[CaseDistributionResult], alpha: float) -> None:
    """Holm across every test of every case: sets each test's adjusted p-value."""
    tests = [t for r in results for t in r.tests]
    if not tests:
        return
    adjusted = holm(np.array([t.result.pvalue for t in tests]))
    for test, value in zip(tests, adjusted.tolist(), strict=True):
        test.adjusted = float(value)
