"""False alarms of the gate's statistical judgement on unchanged code.

``check``, ``verify`` and the pytest items judge a case with a statistical master by
fresh runs, one test per leaf and Holm across the whole run at alpha. On unchanged code
the run should fail in a share alpha of CI runs at most. This benchmark reruns that
judgement 2,000 times on a suite whose outputs are drawn again each time (master and
fresh runs, vectorised with numpy) and counts the runs that failed, beside the 99%
binomial band of alpha over 2,000 runs.

The judgement is the gate's own code: ``compare_distribution`` per case, ``judge``
(Holm across the run) and ``verdict_of`` (what the gate prints and exits on). The runs
per case are what the gate replays: ``default_runs`` (a 1-sd shift at power 0.9).

    PYTHONPATH=. python benchmarks/false_alarms.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row  # noqa: E402
from stochastic_calibration import binomial_band  # noqa: E402

from legacy_harness.stochastic.gate import verdict_of  # noqa: E402
from legacy_harness.stochastic.masters import (  # noqa: E402
    Distribution,
    compare_distribution,
    default_runs,
    judge,
)

BENCHMARK = "false_alarms"
ALPHA = 0.01
RERUNS = 2000
MASTER_RUNS = 100  # record --runs 100, the default


@dataclass(frozen=True)
class Leaf:
    name: str
    kind: str  # numeric or categorical


#: The suite: two cases whose leaves cover the shapes a legacy function returns.
SUITE: dict[str, list[Leaf]] = {
    "sim:train": [
        Leaf("outcome.loss", "numeric"),  # normal
        Leaf("outcome.latency", "numeric"),  # lognormal: skewed
        Leaf("outcome.events", "numeric"),  # poisson(4): discrete
        Leaf("outcome.weights#mean", "numeric"),  # a summarised array: normal
        Leaf("outcome.epochs", "numeric"),  # constant: tested for equality
    ],
    "sim:route": [
        Leaf("outcome.cost", "numeric"),  # bimodal
        Leaf("outcome.carrier", "categorical"),  # three categories
        Leaf("outcome.late", "categorical"),  # a rare flag (10%)
    ],
}


def _draw(rng: np.random.Generator, name: str, shape: tuple[int, int]) -> np.ndarray:
    """Samples of one leaf for every rerun at once: shape (reruns, runs)."""
    if name == "outcome.loss":
        return rng.normal(1.0, 0.2, shape)
    if name == "outcome.latency":
        return rng.lognormal(0.0, 1.0, shape)
    if name == "outcome.events":
        return rng.poisson(4.0, shape).astype(np.float64)
    if name == "outcome.weights#mean":
        return rng.normal(0.0, 0.05, shape)
    if name == "outcome.epochs":
        return np.full(shape, 10.0)
    if name == "outcome.cost":
        side = rng.random(shape) < 0.5
        return np.where(side, rng.normal(-2.0, 0.7, shape), rng.normal(2.0, 0.7, shape))
    if name == "outcome.carrier":
        return rng.choice(np.array(["ups", "dhl", "post"]), size=shape, p=[0.5, 0.3, 0.2])
    if name == "outcome.late":
        return np.where(rng.random(shape) < 0.1, "True", "False")
    raise ValueError(name)


def _distribution(
    leaves: list[Leaf], columns: dict[str, np.ndarray], seeds: list[int]
) -> Distribution:
    numeric = [leaf.name for leaf in leaves if leaf.kind == "numeric"]
    categorical = [leaf.name for leaf in leaves if leaf.kind == "categorical"]
    runs = len(seeds)

    def matrix(names: list[str], dtype: Any) -> np.ndarray:
        if not names:
            return np.empty((runs, 0), dtype=dtype)
        return np.column_stack([columns[n] for n in names]).astype(dtype)

    return Distribution(
        seeds, numeric, matrix(numeric, np.float64), categorical, matrix(categorical, str)
    )


def suite_false_alarms(rng: np.random.Generator, reruns: int) -> tuple[int, int, dict[str, int]]:
    """Runs (of ``reruns``) in which the gate failed a case; tests per run; fresh runs."""
    master_seeds = list(range(MASTER_RUNS))
    # the fresh runs the gate replays, from a master of this size (it plans on the master)
    drawn = {
        target: {leaf.name: _draw(rng, leaf.name, (reruns, MASTER_RUNS)) for leaf in leaves}
        for target, leaves in SUITE.items()
    }
    probes = {
        target: _distribution(leaves, {k: v[0] for k, v in drawn[target].items()}, master_seeds)
        for target, leaves in SUITE.items()
    }
    varying = sum(len(probe.varying) for probe in probes.values())  # as the runner counts
    fresh_runs = {target: default_runs(probe, ALPHA, varying) for target, probe in probes.items()}
    current = {
        target: {leaf.name: _draw(rng, leaf.name, (reruns, fresh_runs[target])) for leaf in leaves}
        for target, leaves in SUITE.items()
    }
    alarms = 0
    tests = 0
    for rerun in range(reruns):
        results = []
        for target, leaves in SUITE.items():
            stored: Any = SimpleNamespace(
                case=SimpleNamespace(target=target, id="0" * 16), path=target
            )
            master = _distribution(
                leaves, {k: v[rerun] for k, v in drawn[target].items()}, master_seeds
            )
            today = _distribution(
                leaves,
                {k: v[rerun] for k, v in current[target].items()},
                list(range(fresh_runs[target])),
            )
            results.append(compare_distribution(stored, master, today))
        judge(results, ALPHA)
        tests = sum(len(r.tests) for r in results)
        alarms += any(verdict_of(r, ALPHA).failed for r in results)
    return alarms, tests, fresh_runs


def rows(quick: bool = False) -> list[Row]:
    reruns = RERUNS // 10 if quick else RERUNS
    rng = np.random.default_rng(20_240_301)
    alarms, tests, fresh = suite_false_alarms(rng, reruns)
    lo, hi = binomial_band(reruns, ALPHA)
    rate = alarms / reruns
    where = "inside" if lo <= alarms <= hi else ("below (conservative)" if alarms < lo else "ABOVE")
    runs = ", ".join(f"{t} {n}" for t, n in fresh.items())
    return [
        Row(
            BENCHMARK,
            f"gate false-alarm rate, unchanged code, {reruns} reruns of a suite of"
            f" {len(SUITE)} cases / {tests} tests (fresh runs: {runs}): {where}",
            rate,
            "",
            ALPHA,
            "alpha",
            f"in 99% band {lo / reruns:.4f}..{hi / reruns:.4f} ({lo}..{hi} alarms)",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{RERUNS // 10} reruns")
    args = parser.parse_args()
    for row in rows(quick=args.quick):
        print(f"{row.figure}\n  {row.value:.4f} (alpha {row.reference}; {row.aim})")


if __name__ == "__main__":
    main()
