"""``verify --jobs N`` replays cases in N processes and reports what one process reports,
in the same order."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_runner import run_cli

from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

MODULE = """
import threading

def square(x):
    return x * x if x != 11 else -1

def lock(x):
    return threading.Lock() if x == 3 else x
"""


def write(store: GoldenStore, target: str, x: int, returned: object) -> None:
    inputs = {"args": [x], "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    output = {"stdout": "", "stderr": "", "logs": []}
    observation = Observation({"returned": returned}, {}, output)
    store.write(GoldenCase(target, case_id, inputs, observation, None, {"origin": "recorded"}))


def test_verify_in_two_processes_reports_what_one_process_reports(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "jobs_calc.py").write_text(MODULE)
    store = GoldenStore(root / "golden")
    for x in range(45):
        write(store, "jobs_calc:square", x, x * x)
    for x in range(4):  # case 3 now returns a lock
        write(store, "jobs_calc:lock", x, x)
    one = run_cli(root, "verify", "--jobs", "1", "--format", "json")
    two = run_cli(root, "verify", "--jobs", "2", "--format", "json")
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    # a lock's repr names its address, which differs between any two runs
    first, second = (json.loads(re.sub("0x[0-9a-f]+", "0x", d.stdout)) for d in (one, two))
    assert [c["path"] for c in second["cases"]] == [c["path"] for c in first["cases"]]
    assert second["cases"] == first["cases"]
    assert first["counts"]["changed"] == 2 and first["counts"]["passed"] == 47
    only = run_cli(root, "verify", "jobs_calc:lock", "--jobs", "2", "--format", "json")
    assert [c["target"] for c in json.loads(only.stdout)["cases"]] == ["jobs_calc:lock"] * 4
