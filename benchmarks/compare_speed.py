"""Speed of the comparison engine against numpy.testing.assert_allclose.

Prints median times and ratios for two 10**7-element float64 arrays (equal within
tolerance; differing in 1% of elements) and the leaf rate for a nested structure of
10**5 small leaves. It only prints figures: it never fails.

    python benchmarks/compare_speed.py [--repeat N] [--size N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from legacy_harness.compare import compare  # noqa: E402

RTOL = 1e-9


def _median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            fn()
        except AssertionError:
            pass
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _allclose(a: np.ndarray, b: np.ndarray) -> Callable[[], None]:
    return lambda: np.testing.assert_allclose(b, a, rtol=RTOL, atol=0.0)


def _ours(a: np.ndarray, b: np.ndarray) -> Callable[[], Any]:
    return lambda: compare(a, b)


def _nested(n_leaves: int) -> dict[str, Any]:
    rows = [
        {"id": i, "name": f"row{i}", "score": i * 0.25, "tags": ["a", i % 7], "ok": i % 2 == 0}
        for i in range(n_leaves // 6)
    ]
    return {"rows": rows, "meta": {"n": len(rows)}}


def _count_leaves(x: Any) -> int:
    if isinstance(x, dict):
        return sum(_count_leaves(v) for v in x.values())
    if isinstance(x, list):
        return sum(_count_leaves(v) for v in x)
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=10**7)
    parser.add_argument("--leaves", type=int, default=10**5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.size
    expected = rng.standard_normal(n)
    close = expected * (1 + rng.uniform(-1e-12, 1e-12, n))
    differ = close.copy()
    bad = rng.choice(n, size=n // 100, replace=False)
    differ[bad] += 1e-3
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, median of {args.repeat}")
    print(f"{'case':<34}{'assert_allclose':>16}{'compare':>12}{'ratio':>8}")
    cases = [
        ("10^7 float64, equal within tol", close),
        ("10^7 float64, 1% differ", differ),
        ("10^7 float64, identical (copy)", expected.copy()),
    ]
    for label, actual in cases:
        try:
            ref = _median_time(_allclose(expected, actual), args.repeat)
            ours = _median_time(_ours(expected, actual), args.repeat)
            print(f"{label:<34}{ref * 1e3:>13.1f} ms{ours * 1e3:>9.1f} ms{ours / ref:>7.2f}x")
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
            print(f"{label:<34} failed: {type(exc).__name__}: {exc}")
    try:
        diffs = compare(expected, differ)
        share = diffs[0].detail["share"] if diffs else 0.0
        print(f"  (1% case found {len(diffs)} difference, share {share:.2%})")
    except Exception as exc:  # noqa: BLE001
        print(f"  (1% case check failed: {exc})")
    try:
        data = _nested(args.leaves)
        leaves = _count_leaves(data)
        import copy

        other = copy.deepcopy(data)
        t = _median_time(lambda: compare(data, other), args.repeat)
        print(f"nested, {leaves:,} leaves: {t * 1e3:.1f} ms, {leaves / t:,.0f} leaves/s")
    except Exception as exc:  # noqa: BLE001
        print(f"nested structure failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
