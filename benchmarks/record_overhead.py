"""Recording overhead, measured side by side in one run.

Prints plain vs recorded time for (a) a small pure-Python function called 200,000
times, (b) a function taking a 10^6-element float array, each before and after the
per-target cap is reached, and (c) the bundled pricing example run in-process.
Aims: after the cap, under 1 microsecond added per call; the example under 2x.

    python benchmarks/record_overhead.py
"""

from __future__ import annotations

import contextlib
import io
import runpy
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from legacy_harness.recorder import Recorder  # noqa: E402

MODULE = textwrap.dedent(
    """
    def small(a, b):
        return a * 3 + b

    def array_stat(values, scale):
        return float(values.mean() * scale)
    """
)


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lh-bench-"))
    (workdir / "bench_targets.py").write_text(MODULE)
    sys.path.insert(0, str(workdir))
    import bench_targets as mod  # type: ignore[import-not-found]

    rows: list[tuple[str, float, float, str]] = []
    calls = 200_000
    cap = 100

    def loop() -> None:
        small = mod.small
        for i in range(calls):
            small(i, 1)

    plain = best_of(5, loop)
    recorder = Recorder(["bench_targets:small"], workdir / "store-a", max_cases=cap)
    recorder.start()
    start = time.perf_counter()
    for i in range(cap):
        mod.small(i, 2)  # distinct inputs: each one is captured and written
    before_cap = (time.perf_counter() - start) / cap
    after = best_of(5, loop)
    recorder.stop()
    rows.append(
        ("(a) small function, per call, after cap", plain / calls * 1e6, after / calls * 1e6, "us")
    )
    rows.append(
        ("(a) small function, per call, before cap", plain / calls * 1e6, before_cap * 1e6, "us")
    )

    values = np.random.default_rng(0).normal(size=1_000_000)
    array_calls = 200

    def array_loop() -> None:
        for _ in range(array_calls):
            mod.array_stat(values, 2.0)

    plain_array = best_of(3, array_loop)
    recorder = Recorder(["bench_targets:array_stat"], workdir / "store-b", max_cases=5)
    recorder.start()
    first = []
    for scale in range(5):
        start = time.perf_counter()
        mod.array_stat(values, float(scale))
        first.append(time.perf_counter() - start)
    after_array = best_of(3, array_loop)
    recorder.stop()
    rows.append(
        (
            "(b) 10^6-float array, per call, after cap",
            plain_array / array_calls * 1e6,
            after_array / array_calls * 1e6,
            "us",
        )
    )
    rows.append(
        (
            "(b) 10^6-float array, per call, before cap",
            plain_array / array_calls * 1e3,
            statistics.median(first) * 1e3,
            "ms",
        )
    )

    script = REPO / "examples" / "legacy_pricing" / "run_month_end.py"
    sys.path.insert(0, str(script.parent))

    def run_example() -> None:
        sys.argv = [str(script), "2024-03"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with contextlib.suppress(SystemExit):
                runpy.run_path(str(script), run_name="__main__")

    import logging

    logging.disable(logging.CRITICAL)
    run_example()  # warm imports
    plain_example = best_of(5, run_example)
    recorded_runs = []
    for attempt in range(5):
        recorder = Recorder(
            ["billing:compute_invoice", "shop:Cart.checkout"],
            workdir / f"store-c{attempt}",
            max_cases=200,
        )
        recorder.start()
        start = time.perf_counter()
        run_example()
        recorded_runs.append(time.perf_counter() - start)
        recorder.stop()
    rows.append(
        (
            "(c) pricing example, whole run (all calls recorded)",
            plain_example * 1e3,
            min(recorded_runs) * 1e3,
            "ms",
        )
    )

    print(f"{'workload':55} {'plain':>10} {'recorded':>10} {'added':>10} {'ratio':>7}")
    for name, base, measured, unit in rows:
        print(
            f"{name:55} {base:8.3f}{unit} {measured:8.3f}{unit} {measured - base:8.3f}{unit} {measured / base:6.2f}x"
        )


if __name__ == "__main__":
    main()
