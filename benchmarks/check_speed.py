"""Speed of ``legacy-harness check``: cases verified per second, per process.

Writes 10,000 tiny cases of a trivial function straight into a store (no recording),
then runs ``legacy-harness check --allow-unreviewed`` as CI would, with ``--jobs 1``
and ``--jobs 2``, and prints wall time, cases per second, and cases per second per
process. The aim is at least 2,000 cases per second per process. ``--profile`` also
prints where one in-process run spends its time (cProfile, top functions).
It only prints figures: it never fails.

    python benchmarks/check_speed.py [--cases N] [--jobs 1 2 4] [--profile] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _env import bench_env  # noqa: E402
from _table import Row  # noqa: E402

from legacy_harness.store import codec  # noqa: E402
from legacy_harness.store.case import GoldenCase, Observation  # noqa: E402
from legacy_harness.store.disk import GoldenStore  # noqa: E402

BENCHMARK = "check_speed"
TARGET = "tiny_calc:scale"
MODULE = """
def scale(x, factor=2):
    return {"value": x * factor, "label": "n" + str(x)}
"""


def build(root: Path, count: int) -> None:
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "tiny_calc.py").write_text(MODULE)
    store = GoldenStore(root / "golden")
    output = {"stdout": "", "stderr": "", "logs": []}
    for x in range(count):
        inputs = {"args": [x], "kwargs": {"factor": 3}}
        case_id = codec.tree_hash({"target": TARGET, "inputs": inputs})
        returned = {"value": x * 3, "label": f"n{x}"}
        observation = Observation({"returned": returned}, {}, output)
        store.write(GoldenCase(TARGET, case_id, inputs, observation, None, {"origin": "generated"}))


def timed_check(root: Path, jobs: int) -> float:
    env = bench_env()
    flags = ["--allow-unreviewed", "--allow-empty"]  # the start-up row checks an empty store
    command = [sys.executable, "-m", "legacy_harness", "check", *flags]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--jobs", str(jobs)], cwd=root, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"check failed with exit code {done.returncode}")
    return elapsed


def timed_verify(root: Path, jobs: int) -> float:
    """Wall time of ``legacy-harness verify --jobs N`` over the same store."""
    env = bench_env()
    command = [sys.executable, "-m", "legacy_harness", "verify", "--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"verify failed with exit code {done.returncode}")
    return elapsed


def startup(root: Path) -> float:
    """Time of a check over an empty store: interpreter start and imports."""
    empty = root / "empty"
    (empty / "golden").mkdir(parents=True, exist_ok=True)
    (empty / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    return timed_check(empty, 1)


def profile(root: Path) -> None:
    import cProfile
    import pstats

    from legacy_harness.check import CheckOptions, run_check
    from legacy_harness.config import load_config

    os.chdir(root)
    config = load_config(root)
    profiler = cProfile.Profile()
    profiler.enable()
    run_check(config, CheckOptions(jobs=1, allow_unreviewed=True))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def rows(quick: bool = False) -> list[Row]:
    """Cases per second per process for each job count; ``quick``: 1,000 cases, --jobs 1."""
    cases, job_counts = (1_000, [1]) if quick else (10_000, [1, 2])
    out = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build(root, cases)
        base = startup(root)
        out.append(Row(BENCHMARK, "start-up: check over an empty store", base, "s"))
        walls = {}
        for jobs in job_counts:
            elapsed = walls[jobs] = timed_check(root, jobs)
            rate = cases / elapsed / jobs
            net = cases / max(elapsed - base, 1e-9) / jobs
            figure = f"check --jobs {jobs}, {cases:,} cases, per process"
            aim = ">= 2,000 cases/s"
            out.append(Row(BENCHMARK, figure, rate, "cases/s", aim=aim))
            out.append(Row(BENCHMARK, f"{figure}, excl. start-up", net, "cases/s", aim=aim))
        if len(job_counts) > 1:
            most = job_counts[-1]
            out.append(
                Row(
                    BENCHMARK, f"check --jobs {most}, {cases:,} cases, wall", walls[most], "s",
                    walls[1], "check --jobs 1",
                )
            )  # fmt: skip
            one, many = timed_verify(root, 1), timed_verify(root, most)
            out.append(
                Row(
                    BENCHMARK, f"verify --jobs {most}, {cases:,} cases, wall", many, "s",
                    one, "verify --jobs 1",
                )
            )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1,000 cases, --jobs 1")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.jobs = 1_000, [1]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        build(root, args.cases)
        print(f"wrote {args.cases} cases in {time.perf_counter() - started:.1f}s")
        base = startup(root)
        print(f"start-up (empty store): {base:.2f}s")
        print(
            f"{'jobs':>4}  {'wall s':>7}  {'cases/s':>8}  {'cases/s/process':>15}  (excl. start-up)"
        )
        for jobs in args.jobs:
            elapsed = timed_check(root, jobs)
            rate = args.cases / elapsed
            net = args.cases / max(elapsed - base, 1e-9)
            print(
                f"{jobs:>4}  {elapsed:>7.2f}  {rate:>8.0f}  {rate / jobs:>15.0f}  ({net / jobs:.0f})"
            )
        if args.profile:
            profile(root)


if __name__ == "__main__":
    main()
