"""A small project with hand-written golden cases, for the tests of check and its reports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from cli_runner import cli_env

from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

CALC = """
def add(a, b):
    return a + b

def greet(name):
    return "hello " + name

def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0
"""

STAMP = {"by": "Reviewer <reviewer@example.com>", "at": "2024-03-01T00:00:00+00:00", "commit": None}


def write_case(
    root: Path,
    target: str,
    args: list,
    returned: object,
    *,
    reviewed: bool = True,
    stdout: str = "",
    meta: dict | None = None,
) -> Path:
    """A case written straight into the store, as if recorded (and reviewed)."""
    store = GoldenStore(root / "golden")
    inputs = {"args": codec.encode(args), "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    full_meta = {"origin": "recorded", **(meta or {})}
    if reviewed:
        full_meta["reviewed"] = dict(STAMP)
    output = {"stdout": stdout, "stderr": "", "logs": []}
    observation = Observation({"returned": codec.encode(returned)}, {}, output)
    case = GoldenCase(target, case_id, inputs, observation, None, full_meta)
    store.write(case, overwrite=True)
    return store.case_path(case)


def make_project(root: Path, check: str = "") -> Path:
    """calc.add / calc.greet with reviewed masters that pass; ``check`` is extra TOML."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n' + textwrap.dedent(check), encoding="utf-8"
    )
    (root / "calc.py").write_text(CALC, encoding="utf-8")
    write_case(root, "calc:add", [1, 2], 3)
    write_case(root, "calc:add", [2, 2], 4)
    write_case(root, "calc:greet", ["ada"], "hello ada")
    return root


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=cli_env(env, drop=("GITHUB_STEP_SUMMARY",)) | dict(env or {}),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
