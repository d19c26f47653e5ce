"""Recording overhead, measured side by side in one run.

Prints plain vs recorded time for (a) a small pure-Python function called 200,000
times, before and after the per-target cap is reached, and the same workload under
MonkeyType's tracer when MonkeyType is installed; (b) a function taking a
10^6-element float array; (c) the bundled pricing example, in-process and as a whole
process (``python run_month_end.py 2024-03`` vs ``legacy-harness record ... --``); (d) 500
functions and methods wrapped by one module pattern, called in turn; (e) 2,000 distinct
calls of a tiny function, each a new case, with the background writer and with each case
written inside its call. Aims: after the cap, under 1 microsecond added per call; at most
60 us per new case; the example as a whole process at most 1.5x; the start-up of
``record --`` at most 2x a bare interpreter.

    python benchmarks/record_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _env import bench_env  # noqa: E402
from _table import Row  # noqa: E402

from legacy_harness.record.recorder import Recorder  # noqa: E402

BENCHMARK = "record_overhead"
PLAIN = "plain run"
MONKEYTYPE_MISSING = "MonkeyType not installed (pip install MonkeyType)"
EXAMPLE = REPO / "examples" / "legacy_pricing"
EXAMPLE_TARGETS = ["billing:compute_invoice", "shop:Cart.checkout"]

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


@contextlib.contextmanager
def _monkeytype_trace(db: Path) -> Iterator[None]:
    """MonkeyType's own tracer with its SQLite store in a temporary file."""
    import monkeytype
    from monkeytype.config import DefaultConfig
    from monkeytype.db.base import CallTraceStore
    from monkeytype.db.sqlite import SQLiteStore

    class TempConfig(DefaultConfig):
        def trace_store(self) -> CallTraceStore:
            return SQLiteStore.make_store(str(db))

    with monkeytype.trace(TempConfig()):
        yield


def monkeytype_available() -> bool:
    try:
        import monkeytype  # noqa: F401
    except ImportError:
        return False
    return True


def _small(mod: Any, workdir: Path, calls: int, repeat: int) -> list[Row]:
    cap = 100

    def loop() -> None:
        small = mod.small
        for i in range(calls):
            small(i, 1)

    plain = best_of(repeat, loop)
    recorder = Recorder(["bench_targets:small"], workdir / "store-a", max_cases=cap)
    recorder.start()
    start = time.perf_counter()
    for i in range(cap):
        mod.small(i, 2)  # distinct inputs: each one is captured and written
    before_cap = (time.perf_counter() - start) / cap
    after = best_of(repeat, loop)
    recorder.stop()
    us = 1e6 / calls
    rows = [
        Row(
            BENCHMARK,
            f"(a) small function, per call, after cap ({calls:,} calls)",
            after * us,
            "us",
            plain * us,
            PLAIN,
            "< 1 us added per call",
        ),
        Row(
            BENCHMARK,
            f"(a) small function, per call, before cap (first {cap}, each written)",
            before_cap * 1e6,
            "us",
            plain * us,
            PLAIN,
        ),
    ]
    if monkeytype_available():
        runs = []
        for attempt in range(repeat):
            # the whole trace() block: tracing every call and flushing traces to SQLite
            start = time.perf_counter()
            with _monkeytype_trace(workdir / f"monkeytype-{attempt}.sqlite3"):
                loop()
            runs.append(time.perf_counter() - start)
        traced = min(runs)
        rows.append(
            Row(
                BENCHMARK,
                f"(a) small function, per call, MonkeyType trace ({calls:,} calls)",
                traced * us,
                "us",
                plain * us,
                PLAIN,
            )
        )
        rows.append(
            Row(
                BENCHMARK,
                "(a) small function, per call, recorded after cap",
                after * us,
                "us",
                traced * us,
                "MonkeyType trace",
            )
        )
    return rows


def _array(mod: Any, workdir: Path, calls: int, repeat: int) -> list[Row]:
    values = np.random.default_rng(0).normal(size=1_000_000)

    def array_loop() -> None:
        for _ in range(calls):
            mod.array_stat(values, 2.0)

    plain = best_of(repeat, array_loop)
    recorder = Recorder(["bench_targets:array_stat"], workdir / "store-b", max_cases=5)
    recorder.start()
    first = []
    for scale in range(5):
        start = time.perf_counter()
        mod.array_stat(values, float(scale))
        first.append(time.perf_counter() - start)
    after = best_of(repeat, array_loop)
    recorder.stop()
    return [
        Row(
            BENCHMARK,
            "(b) 10^6-float array, per call, after cap",
            after / calls * 1e6,
            "us",
            plain / calls * 1e6,
            PLAIN,
            "< 1 us added per call",
        ),
        Row(
            BENCHMARK,
            "(b) 10^6-float array, per call, before cap (array written)",
            statistics.median(first) * 1e3,
            "ms",
            plain / calls * 1e3,
            PLAIN,
        ),
    ]


def _per_case(mod: Any, workdir: Path, calls: int, repeat: int) -> list[Row]:
    """``calls`` distinct calls of a tiny function, each a new case: recorded run minus
    plain run, per case, with the background writer and with every case written inside
    its call (the recorder before the writer thread), alternated, best of ``repeat``.
    Beside the wall times, the CPU time of the calling thread alone: what the calls
    themselves cost, whatever the writer thread (or the rest of a busy machine) takes
    of the interpreter meanwhile."""

    def loop(k: int) -> None:
        small = mod.small
        for i in range(calls):
            small(i, k)

    def plain_cpu() -> float:
        start = time.thread_time()
        loop(-1)
        return time.thread_time() - start

    plain = best_of(repeat, lambda: loop(-1))
    plain_thread = min(plain_cpu() for _ in range(repeat))
    found: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
    for attempt in range(repeat):
        for background in (True, False):
            k = 1000 + 2 * attempt + background  # fresh inputs: every call is a new case
            store = workdir / f"store-d-{attempt}-{background}"
            recorder = Recorder(["bench_targets:small"], store, max_cases=calls + 1)
            recorder.sink.writer.background = background
            recorder.start()
            start, thread_start = time.perf_counter(), time.thread_time()
            loop(k)
            in_calls, thread = time.perf_counter() - start, time.thread_time() - thread_start
            recorder.stop()  # the one flush: every case on disk
            found[background].append((in_calls, time.perf_counter() - start, thread))
    us = 1e6 / calls
    calls_bg, total_bg, thread_bg = (min(t[i] for t in found[True]) for i in (0, 1, 2))
    calls_fg, total_fg, thread_fg = (min(t[i] for t in found[False]) for i in (0, 1, 2))
    before = "written in the call (before)"
    return [
        Row(
            BENCHMARK,
            f"(d) {calls:,} new cases of a tiny function, added per case, the calls",
            (calls_bg - plain) * us,
            "us",
            (calls_fg - plain) * us,
            before,
            "<= 60 us",
        ),
        Row(
            BENCHMARK,
            f"(d) {calls:,} new cases, added per case, the calls, CPU of the calling thread",
            (thread_bg - plain_thread) * us,
            "us",
            (thread_fg - plain_thread) * us,
            before,
        ),
        Row(
            BENCHMARK,
            f"(d) {calls:,} new cases, added per case, calls + final flush",
            (total_bg - plain) * us,
            "us",
            (total_fg - plain) * us,
            before,
        ),
        Row(
            BENCHMARK,
            f"(d) {calls:,} new cases, plain call",
            plain * us,
            "us",
        ),
    ]


def _example_in_process(workdir: Path, repeat: int) -> Row:
    script = EXAMPLE / "run_month_end.py"
    sys.path.insert(0, str(EXAMPLE))

    def run_example() -> None:
        saved = sys.argv
        sys.argv = [str(script), "2024-03"]
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
                contextlib.suppress(SystemExit),
            ):
                runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv = saved

    logging.disable(logging.CRITICAL)
    try:
        run_example()  # warm imports
        plain = best_of(repeat, run_example)
        recorded_runs = []
        for attempt in range(repeat):
            recorder = Recorder(EXAMPLE_TARGETS, workdir / f"store-c{attempt}", max_cases=200)
            recorder.start()
            start = time.perf_counter()
            run_example()
            recorded_runs.append(time.perf_counter() - start)
            recorder.stop()
    finally:
        logging.disable(logging.NOTSET)
    return Row(
        BENCHMARK,
        "(c) pricing example, in-process run, all calls recorded",
        min(recorded_runs) * 1e3,
        "ms",
        plain * 1e3,
        PLAIN,
        "< 2x plain",
    )


def _example_whole_process(workdir: Path, repeat: int) -> list[Row]:
    """``python run_month_end.py 2024-03`` vs the same under ``legacy-harness record``,
    and both over an empty script: the fixed start-up cost on its own. Wall time, and
    the CPU time of each child process (user + system, ``RUSAGE_CHILDREN``), which other
    work on a shared machine disturbs less; best of ``repeat``, alternated."""
    import resource

    project = workdir / "legacy_pricing"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    (project / "empty_script.py").write_text("")
    env = bench_env()

    cpu: dict[str, list[float]] = {"plain": [], "recorded": [], "bare": [], "bare_recorded": []}

    def timed(command: list[str], kind: str = "") -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=project, env=env, capture_output=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if kind:
            cpu[kind].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return wall

    targets = [arg for target in EXAMPLE_TARGETS for arg in ("--target", target)]
    record = [sys.executable, "-m", "legacy_harness", "record", *targets, "--max-cases", "200"]
    script = ["run_month_end.py", "2024-03"]
    timed([sys.executable, *script])  # warm the page cache and bytecode
    timed([*record, "--store", "warm", "--", *script])  # and the harness's, all of it
    plain, recorded, bare, bare_recorded = [], [], [], []
    for attempt in range(repeat):  # alternate, so load from elsewhere hits both alike
        plain.append(timed([sys.executable, *script], "plain"))
        store = ["--store", f"golden-{attempt}"]
        recorded.append(timed([*record, *store, "--", *script], "recorded"))
        bare.append(timed([sys.executable, "empty_script.py"], "bare"))
        store = ["--store", f"empty-{attempt}"]
        bare_recorded.append(timed([*record, *store, "--", "empty_script.py"], "bare_recorded"))
    best = {kind: min(times) * 1e3 for kind, times in cpu.items()}
    return [
        Row(
            BENCHMARK,
            "(c) pricing example, whole process (legacy-harness record --)",
            min(recorded) * 1e3,
            "ms",
            min(plain) * 1e3,
            "python run_month_end.py",
            "<= 1.5x plain",
        ),
        Row(
            BENCHMARK,
            "(c) start-up alone: legacy-harness record -- empty script",
            min(bare_recorded) * 1e3,
            "ms",
            min(bare) * 1e3,
            "python empty script",
            "<= 2x bare python",
        ),
        Row(
            BENCHMARK,
            "(c) pricing example, whole process, CPU time of the process",
            best["recorded"],
            "ms",
            best["plain"],
            "python run_month_end.py, CPU",
            "<= 1.5x plain",
        ),
        Row(
            BENCHMARK,
            "(c) start-up alone, CPU time of the process",
            best["bare_recorded"],
            "ms",
            best["bare"],
            "python empty script, CPU",
            "<= 2x bare python",
        ),
    ]


#: 50 functions and 50 classes of 9 methods: 500 targets named by one module pattern.
MANY_FUNCTIONS = 50
MANY_CLASSES = 50
MANY_METHODS = 9


def _many_source() -> str:
    lines = [f"def f{i}(x):\n    return x + {i}\n" for i in range(MANY_FUNCTIONS)]
    for c in range(MANY_CLASSES):
        lines.append(f"class C{c}:")
        lines += [f"    def m{m}(self, x):\n        return x * {m}" for m in range(MANY_METHODS)]
        lines.append("")
    return "\n".join(lines)


def _many(workdir: Path, rounds: int, repeat: int) -> list[Row]:
    """(d) ``--target bench_many`` wraps 500 functions and methods; once each one's cap
    (one case) is reached, calls spread over all 500 cost the trampoline, the cap's flag
    test and the input profile's counter. The profile reads every input of a target's
    first ``EVERY_CALL`` calls (drift's baseline), then one in ``THEN_ONE_IN``: measured
    both inside that window and past it (reached by lowering ``EVERY_CALL`` for the run,
    since 500 targets would otherwise need 5,000,000 calls to leave it)."""
    from legacy_harness.record import profile

    (workdir / "bench_many.py").write_text(_many_source())
    sys.modules.pop("bench_many", None)
    import bench_many  # type: ignore[import-not-found]

    objects = [getattr(bench_many, f"C{c}")() for c in range(MANY_CLASSES)]
    calls = [getattr(bench_many, f"f{i}") for i in range(MANY_FUNCTIONS)]
    calls += [getattr(o, f"m{m}") for o in objects for m in range(MANY_METHODS)]

    def loop() -> None:
        for _ in range(rounds):
            for call in calls:
                call(1)

    plain = best_of(repeat, loop)
    us = 1e6 / (rounds * len(calls))
    rows = []
    saved = profile.EVERY_CALL
    for label, every_call in (("inside", saved), ("past", 0)):
        profile.EVERY_CALL = every_call
        recorder = Recorder(["bench_many"], workdir / f"store-many-{label}", max_cases=1)
        wrapped = len(recorder.recorders)
        recorder.start()
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                for call in calls:  # each target's one case: every cap is reached
                    call(0)
            after = best_of(1 if label == "inside" else repeat, loop)
        finally:
            recorder.stop()
            profile.EVERY_CALL = saved
        rows.append(
            Row(
                BENCHMARK,
                f"(d) {wrapped} targets of one module pattern, per call after cap,"
                f" {label} the input profile's first {saved:,} calls per target",
                after * us,
                "us",
                plain * us,
                PLAIN,
                "< 1 us added per call" if label == "past" else "",
            )
        )
    return rows


def rows(quick: bool = False) -> list[Row]:
    """Every figure of this benchmark; ``quick`` cuts call counts and repeats for a smoke run."""
    workdir = Path(tempfile.mkdtemp(prefix="lh-bench-"))
    try:
        (workdir / "bench_targets.py").write_text(MODULE)
        sys.path.insert(0, str(workdir))
        sys.modules.pop("bench_targets", None)
        import bench_targets as mod  # type: ignore[import-not-found]

        repeat = 2 if quick else 5
        out = _small(mod, workdir, 20_000 if quick else 200_000, repeat)
        out += _per_case(mod, workdir, 200 if quick else 2_000, 2 if quick else 3)
        out += _array(mod, workdir, 20 if quick else 200, 2 if quick else 3)
        out += _many(workdir, 20 if quick else 100, repeat)
        out.append(_example_in_process(workdir, repeat))
        out += _example_whole_process(workdir, 1 if quick else 5)
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    args = parser.parse_args()
    if not monkeytype_available():
        print(MONKEYTYPE_MISSING)
    measured = rows(quick=args.quick)
    names = [
        row.figure if row.reference_name == PLAIN else f"{row.figure} [vs {row.reference_name}]"
        for row in measured
    ]
    width = max(map(len, names))
    print(f"{'workload':{width}} {'reference':>12} {'measured':>12} {'added':>11} {'ratio':>7}")
    for name, row in zip(names, measured, strict=True):
        if row.reference is None or row.ratio is None:
            print(f"{name:{width}} {'':>12} {row.value:9.3f} {row.unit:2}")
            continue
        print(
            f"{name:{width}} {row.reference:9.3f} {row.unit:2} {row.value:9.3f} {row.unit:2}"
            f" {row.value - row.reference:8.3f} {row.unit:2} {row.ratio:6.2f}x"
        )


if __name__ == "__main__":
    main()
