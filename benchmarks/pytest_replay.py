"""5,000 recorded cases replayed through pytest, against syrupy with 5,000 snapshots.

Both suites check the same small dicts: ours as stored cases collected as test items by
the legacy-harness plugin, syrupy's as one parametrized test with a snapshot each. Each
suite runs once untimed (creating syrupy's snapshots, warming caches), then is timed in
a fresh ``python -m pytest`` process. Needs the ``bench`` extra (syrupy).

    python benchmarks/pytest_replay.py [--cases 5000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TARGET = """
def price(x):
    return {"id": x, "net": x * 1.5, "tax": round(x * 0.3, 2), "tags": ["a", "b"]}
"""


def _run(cwd: Path, *args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (user + system) of one pytest process."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
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
from legacy_harness.recorder import recording
with recording(["pricing:price"], store={str(project / "tests" / "golden")!r}, max_cases={cases}):
    for x in range({cases}):
        pricing.price(x)
"""
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each; best is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        ours = _ours(root, args.cases)
        print(f"recorded {args.cases} cases in {time.perf_counter() - start:.2f} s")
        theirs = _syrupy(root, args.cases)
        _, _, done = _run(theirs, "--snapshot-update", "-p", "no:legacy_harness")
        assert done.returncode == 0, done.stdout[-2000:]
        _, _, done = _run(ours)
        assert done.returncode == 0, done.stdout[-2000:]
        passed = f"{args.cases} passed"
        ours_runs, theirs_runs = [], []
        for _ in range(args.repeat):  # alternate, so load from elsewhere hits both alike
            wall, cpu, done = _run(ours)
            assert done.returncode == 0 and passed in done.stdout, done.stdout[-2000:]
            ours_runs.append((wall, cpu))
            wall, cpu, done = _run(theirs, "-p", "no:legacy_harness")
            assert done.returncode == 0 and passed in done.stdout, done.stdout[-2000:]
            theirs_runs.append((wall, cpu))
        collect_wall, _, done = _run(ours, "--co")
    ours_wall, ours_cpu = min(w for w, _ in ours_runs), min(c for _, c in ours_runs)
    theirs_wall, theirs_cpu = min(w for w, _ in theirs_runs), min(c for _, c in theirs_runs)
    print(
        f"legacy-harness: {ours_wall:.2f} s wall, {ours_cpu:.2f} s CPU for {args.cases} stored"
        f" cases (collection alone, --co: {collect_wall:.2f} s)"
    )
    print(
        f"syrupy:         {theirs_wall:.2f} s wall, {theirs_cpu:.2f} s CPU for {args.cases} snapshot tests"
    )
    print(
        f"ratio (legacy-harness / syrupy): {ours_wall / theirs_wall:.2f} wall,"
        f" {ours_cpu / theirs_cpu:.2f} CPU (best of {args.repeat} each)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
