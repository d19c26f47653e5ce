"""One bad master never hides the others: a store holding an ``.npz`` blob, a giant
shape, nesting 500 deep, a bad ``rng`` and bad ``kwargs`` beside a good case. ``verify``
and ``check`` end with exit 2, no traceback, each bad file named with its field, and
the good case still verified."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from cli_runner import run_cli

BLOB = "ab" * 8 + ".npy"
GOOD_ID = "c36a32e2d9e51973"


def _good() -> dict[str, Any]:
    return {
        "effects": {},
        "format": 1,
        "id": GOOD_ID,
        "inputs": {"args": [2], "kwargs": {}},
        "meta": {"format": 1, "origin": "recorded", "reviewed": True},
        "outcome": {"returned": 4},
        "output": {"logs": [], "stderr": "", "stdout": ""},
        "target": "calc:double",
    }


def _nested(depth: int) -> Any:
    value: Any = 4
    for _ in range(depth):
        value = [value]
    return value


def _npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, a=np.arange(2.0))
    return buffer.getvalue()


#: id -> (how the good case is spoilt, what the error must name)
BAD: dict[str, tuple[dict[str, Any], str]] = {
    "1000000000000001": (
        {"outcome": {"returned": {"$ndarray": {"dtype": "<f8", "shape": [2], "blob": BLOB}}}},
        "outcome",
    ),
    "1000000000000002": (
        {"outcome": {"returned": {"$ndarray": {"dtype": "<f8", "shape": [10**6, 10**6]}}}},
        "max_array_bytes",
    ),
    "1000000000000003": ({"outcome": {"returned": _nested(500)}}, "max_depth"),
    "1000000000000004": ({"rng": {"numpy": "not a state"}}, "rng"),
    "1000000000000005": ({"inputs": {"args": [2], "kwargs": [1, 2]}}, "kwargs"),
}


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "calc.py").write_text("def double(x):\n    return 2 * x\n")
    folder = root / "golden" / "calc" / "double"
    (folder / "blobs").mkdir(parents=True)
    (folder / "blobs" / BLOB).write_bytes(_npz())
    (folder / f"case-{GOOD_ID}.json").write_text(json.dumps(_good(), indent=2))
    for case_id, (spoilt, _) in BAD.items():
        case = {**_good(), **spoilt, "id": case_id}
        (folder / f"case-{case_id}.json").write_text(json.dumps(case, indent=2))
    return root


def test_verify_and_check_report_every_bad_master_and_verify_the_rest(tmp_path: Path) -> None:
    root = _project(tmp_path)
    verified = run_cli(root, "verify")
    output = verified.stdout + verified.stderr
    assert verified.returncode == 2, output
    assert "Traceback" not in output
    checked = run_cli(root, "check", "--format", "json")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "Traceback" not in checked.stderr
    cases = {case["id"]: case for case in json.loads(checked.stdout)["cases"]}
    assert cases[GOOD_ID]["status"] == "passed"
    for case_id, (_, field) in BAD.items():
        assert f"case-{case_id}.json" in output, f"verify did not name case-{case_id}"
        assert cases[case_id]["status"] == "error"
        error = cases[case_id]["error"] or ""
        assert f"case-{case_id}.json" in error and field in error, (case_id, error)
    assert "1 of 6 cases behave the same" in output
