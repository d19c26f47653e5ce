"""Smoke test of the benchmark table: every benchmark yields rows in a quick run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from paths import REPO

BENCHMARKS = REPO / "benchmarks"
NAMES = (
    "record_overhead",
    "compare_speed",
    "pytest_replay",
    "check_speed",
    "stochastic_calibration",
    "false_alarms",
)


@pytest.fixture
def table_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _table  # type: ignore[import-not-found]

    return _table


def test_row_ratio_and_table_layout(table_module: ModuleType) -> None:
    Row = table_module.Row
    timed = Row("b", "per call", 3.0, "us", 1.5, "plain run", "< 2x")
    rate = Row("b", "detection", 0.9, "", aim=">= 0.9")
    assert timed.ratio == 2.0
    assert rate.ratio is None
    assert Row("b", "x", 1.0, "s", 0.0, "zero").ratio is None
    lines = table_module.format_table([timed, rate], [("broken", "ValueError: bad")]).splitlines()
    assert lines[0].split()[:2] == ["benchmark", "figure"]
    assert "2.00x" in lines[2] and "plain run" in lines[2] and "1.5 us" in lines[2]
    assert lines[3].endswith(">= 0.9")
    assert lines[4].startswith("broken") and "FAILED: ValueError: bad" in lines[4]


def test_quick_run_prints_a_row_per_benchmark(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert out.startswith("machine: ") and "CPUs" in out and "numpy" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("benchmark "))
    assert lines[header].split() == [
        "benchmark",
        "figure",
        "value",
        "reference",
        "ref.",
        "value",
        "ratio",
        "aim",
    ]
    body = [line for line in lines[header + 2 :] if line.strip() and not line.startswith("total")]
    assert not [line for line in body if "FAILED" in line], out
    for name in NAMES:
        assert any(line.startswith(name + " ") for line in body), f"no row for {name}:\n{out}"
    replay = [line for line in body if line.startswith("pytest_replay ")]
    assert all("syrupy" in line for line in replay)  # beside syrupy, or saying it is missing
    assert lines[-1].startswith("total time ")
