"""Speed of the comparison engine against numpy.testing.assert_allclose.

Prints median times and ratios for two 10**7-element float64 arrays (equal within
tolerance; differing in 1% of elements) and the leaf rate for a nested structure of
10**5 small leaves. It only prints figures: it never fails.

    python benchmarks/compare_speed.py [--repeat N] [--size N] [--leaves N] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row  # noqa: E402

from legacy_harness.compare import compare  # noqa: E402

BENCHMARK = "compare_speed"
REFERENCE = "assert_allclose"

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


def _arrays(n: int) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    rng = np.random.default_rng(0)
    expected = rng.standard_normal(n)
    close = expected * (1 + rng.uniform(-1e-12, 1e-12, n))
    differ = close.copy()
    bad = rng.choice(n, size=n // 100, replace=False)
    differ[bad] += 1e-3
    return expected, [
        ("equal within tol", close),
        ("1% differ", differ),
        ("identical (copy)", expected.copy()),
    ]


def _power(n: int) -> str:
    exponent = round(np.log10(n)) if n > 0 else 0
    return f"10^{exponent}" if 10**exponent == n else f"{n:,}"


def measure(size: int, leaves: int, repeat: int) -> list[Row]:
    """Median times of ``compare`` beside ``assert_allclose`` on the same arrays, then the
    nested-structure leaf rate. Raises if ``compare`` fails: the caller reports it."""
    expected, cases = _arrays(size)
    out = []
    for label, actual in cases:
        ref = _median_time(_allclose(expected, actual), repeat)
        ours = _median_time(_ours(expected, actual), repeat)
        aim = "<= 1.0x" if label != "identical (copy)" else None
        figure = f"{_power(size)} float64, {label}"
        out.append(Row(BENCHMARK, figure, ours * 1e3, "ms", ref * 1e3, REFERENCE, aim))
    data = _nested(leaves)
    count = _count_leaves(data)
    other = copy.deepcopy(data)
    t = _median_time(lambda: compare(data, other), repeat)
    out.append(Row(BENCHMARK, f"nested, {count:,} leaves, equal", count / t, "leaves/s"))
    return out


def rows(quick: bool = False) -> list[Row]:
    """Every figure of this benchmark; ``quick`` uses 10^6 arrays and 10^4 leaves."""
    if quick:
        return measure(10**6, 10**4, 3)
    return measure(10**7, 10**5, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=10**7)
    parser.add_argument("--leaves", type=int, default=10**5)
    parser.add_argument("--quick", action="store_true", help="10^6 arrays, 10^4 leaves, 3 repeats")
    args = parser.parse_args()
    if args.quick:
        args.size, args.leaves, args.repeat = 10**6, 10**4, 3
    n = args.size
    expected, cases = _arrays(n)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, median of {args.repeat}")
    print(f"{'case':<34}{'assert_allclose':>16}{'compare':>12}{'ratio':>8}")
    for label, actual in cases:
        label = f"{_power(n)} float64, {label}"
        try:
            ref = _median_time(_allclose(expected, actual), args.repeat)
            ours = _median_time(_ours(expected, actual), args.repeat)
            print(f"{label:<34}{ref * 1e3:>13.1f} ms{ours * 1e3:>9.1f} ms{ours / ref:>7.2f}x")
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
            print(f"{label:<34} failed: {type(exc).__name__}: {exc}")
    try:
        diffs = compare(expected, cases[1][1])
        share = diffs[0].detail["share"] if diffs else 0.0
        print(f"  (1% case found {len(diffs)} difference, share {share:.2%})")
    except Exception as exc:  # noqa: BLE001
        print(f"  (1% case check failed: {exc})")
    try:
        data = _nested(args.leaves)
        leaves = _count_leaves(data)
        other = copy.deepcopy(data)
        t = _median_time(lambda: compare(data, other), args.repeat)
        print(f"nested, {leaves:,} leaves: {t * 1e3:.1f} ms, {leaves / t:,.0f} leaves/s")
    except Exception as exc:  # noqa: BLE001
        print(f"nested structure failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
