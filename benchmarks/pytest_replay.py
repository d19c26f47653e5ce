"""5,000 recorded cases replayed through pytest, against syrupy with 5,000 snapshots.

Both suites check the same small dicts: ours as stored cases collected as test items by
the legacy-harness plugin, syrupy's as one parametrized test with a snapshot each. Each
suite runs once untimed (creating syrupy's snapshots, warming caches), then is timed in
a fresh ``python -m pytest`` process. Needs the ``bench`` extra (syrupy).

    python benchmarks/pytest_replay.py [--cases 5000] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _env import bench_env  # noqa: E402
from _table import Row  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BENCHMARK = "pytest_replay"
SYRUPY_MISSING = "syrupy not installed (pip install syrupy)"

TARGET = """
def price(x):
    return {"id": x, "net": x * 1.5, "tax": round(x * 0.3, 2), "tags": ["a", "b"]}
"""


def _run(cwd: Path, *args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (user + system) of one pytest process."""
    env = bench_env()
    env.pop("CI", None)
    # cached bytecode (and pytest's rewritten test modules) as on a developer's machine
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def _ours(root: Path, cases: int) -> Path:
    project = root / "harness"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "tests/golden"\n')
    (project / "pricing.py").write_text(TARGET)
    script = f"""
import sys
sys.path.insert(0, {str(project)!r})
import pricing
from legacy_harness.record.recorder import recording
with recording(["pricing:price"], store={str(project / "tests" / "golden")!r}, max_cases={cases}):
    for x in range({cases}):
        pricing.price(x)
"""
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        cwd=project,
        env=bench_env(),
    )
    return project


def _syrupy(root: Path, cases: int) -> Path:
    project = root / "syrupy"
    (project / "tests").mkdir(parents=True)
    (project / "pricing.py").write_text(TARGET)
    (project / "tests" / "test_snapshots.py").write_text(
        textwrap.dedent(
            f"""
            import pytest
            from pricing import price

            @pytest.mark.parametrize("x", range({cases}))
            def test_price(snapshot, x):
                assert snapshot == price(x)
            """
        )
    )
    (project / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return project


@dataclass(frozen=True)
class Timing:
    cases: int
    repeat: int
    record_s: float
    ours_wall: float
    ours_cpu: float
    collect_wall: float | None
    theirs_wall: float | None  # None: syrupy is not installed
    theirs_cpu: float | None


def syrupy_available() -> bool:
    return importlib.util.find_spec("syrupy") is not None


def measure(cases: int, repeat: int, collect: bool = True) -> Timing:
    """Best-of-``repeat`` wall and CPU times of both suites, alternated."""
    with_syrupy = syrupy_available()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        ours = _ours(root, cases)
        record_s = time.perf_counter() - start
        theirs = _syrupy(root, cases)
        if with_syrupy:
            _, _, done = _run(theirs, "--snapshot-update", "-p", "no:legacy_harness")
            assert done.returncode == 0, done.stdout[-2000:]
        _, _, done = _run(ours)
        assert done.returncode == 0, done.stdout[-2000:]
        passed = f"{cases} passed"
        ours_runs, theirs_runs = [], []
        for _ in range(repeat):  # alternate, so load from elsewhere hits both alike
            wall, cpu, done = _run(ours)
            assert done.returncode == 0 and passed in done.stdout, done.stdout[-2000:]
            ours_runs.append((wall, cpu))
            if with_syrupy:
                wall, cpu, done = _run(theirs, "-p", "no:legacy_harness")
                assert done.returncode == 0 and passed in done.stdout, done.stdout[-2000:]
                theirs_runs.append((wall, cpu))
        collect_wall = _run(ours, "--co")[0] if collect else None
    return Timing(
        cases,
        repeat,
        record_s,
        min(w for w, _ in ours_runs),
        min(c for _, c in ours_runs),
        collect_wall,
        min(w for w, _ in theirs_runs) if theirs_runs else None,
        min(c for _, c in theirs_runs) if theirs_runs else None,
    )


def to_rows(t: Timing) -> list[Row]:
    reference = "syrupy" if t.theirs_wall is not None else SYRUPY_MISSING
    aim = "<= 1.0x (no slower than syrupy)"
    return [
        Row(
            BENCHMARK,
            f"{t.cases:,} cases via pytest, wall",
            t.ours_wall,
            "s",
            t.theirs_wall,
            reference,
            aim,
        ),
        Row(
            BENCHMARK,
            f"{t.cases:,} cases via pytest, CPU",
            t.ours_cpu,
            "s",
            t.theirs_cpu,
            reference,
            aim,
        ),
    ]


def rows(quick: bool = False) -> list[Row]:
    """Both suites' times; ``quick`` runs 300 cases once each and skips the collection run."""
    if quick:
        return to_rows(measure(300, 1, collect=False))
    return to_rows(measure(5000, 3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each; best is shown")
    parser.add_argument("--quick", action="store_true", help="300 cases, one timed run each")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.repeat = 300, 1
    if not syrupy_available():
        print(f"{SYRUPY_MISSING}: timing legacy-harness only")
    t = measure(args.cases, args.repeat)
    print(f"recorded {t.cases} cases in {t.record_s:.2f} s")
    print(
        f"legacy-harness: {t.ours_wall:.2f} s wall, {t.ours_cpu:.2f} s CPU for {t.cases} stored"
        f" cases (collection alone, --co: {t.collect_wall:.2f} s)"
    )
    if t.theirs_wall is None or t.theirs_cpu is None:
        return 0
    print(
        f"syrupy:         {t.theirs_wall:.2f} s wall, {t.theirs_cpu:.2f} s CPU for {t.cases} snapshot tests"
    )
    print(
        f"ratio (legacy-harness / syrupy): {t.ours_wall / t.theirs_wall:.2f} wall,"
        f" {t.ours_cpu / t.theirs_cpu:.2f} CPU (best of {t.repeat} each)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
