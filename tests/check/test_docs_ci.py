"""docs/ci.md shows real output: each console (or text) block after an ``<!-- output -->``
marker is what its command prints on the project this test builds (timings aside)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import cli_env
from paths import REPO

from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

DOC = REPO / "docs" / "ci.md"
BLOCK = re.compile(r"<!-- output -->\n```(?:console|text)\n\$ (.*?)\n(.*?)```", re.S)
#: What differs from run to run: the time, the rate, and the processes (one per core by default).
TIMING = re.compile(r"\(\d+\.\d+s, \d+ cases/s(, \d+ job\(s\))?")

BILLING = """
def invoice(amount, country):
    rate = {"FR": 0.2, "DE": 0.19}.get(country, 0.0)
    tax = round(amount * rate, 2)
    return {"net": amount, "tax": tax, "total": round(amount + tax, 2)}


def refund(amount):
    return -amount
"""

INVOICES = [(120.0, "FR"), (80.0, "FR"), (45.5, "FR"), (300.0, "FR"), (99.0, "DE"), (10.0, "US")]


def write_case(store: GoldenStore, target: str, args: list[object], returned: object) -> None:
    inputs = {"args": codec.encode(args), "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    reviewed = {"by": "Rita <rita@example.com>", "at": "2024-03-01T12:00:00+00:00", "commit": None}
    observation = Observation(
        {"returned": codec.encode(returned)}, {}, {"stdout": "", "stderr": "", "logs": []}
    )
    meta = {"origin": "recorded", "reviewed": reviewed}
    store.write(GoldenCase(target, case_id, inputs, observation, None, meta), overwrite=True)


def make_project(root: Path) -> Path:
    """billing.invoice recorded at a 20% French VAT, which is now 21%."""
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "tests/golden"\n')
    (root / "billing.py").write_text(BILLING)
    store = GoldenStore(root / "tests" / "golden")
    namespace: dict[str, object] = {}
    exec(BILLING, namespace)  # noqa: S102 - the module above, to record its results
    for amount, country in INVOICES:
        write_case(
            store, "billing:invoice", [amount, country], namespace["invoice"](amount, country)
        )  # type: ignore[operator]
    for amount in (5.0, 12.5):
        write_case(store, "billing:refund", [amount], -amount)
    (root / "billing.py").write_text(BILLING.replace('"FR": 0.2', '"FR": 0.21'))
    return root


def documented() -> list[tuple[str, str]]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_doc_has_real_output_blocks() -> None:
    assert len(documented()) >= 2


@pytest.mark.parametrize(("command", "shown"), documented(), ids=lambda v: v[:50])
def test_docs_ci_shows_what_the_command_prints(command: str, shown: str, tmp_path: Path) -> None:
    root = make_project(tmp_path / "shop")
    words = shlex.split(command)
    env = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "legacy-harness"
    done = subprocess.run(
        [sys.executable, "-m", "legacy_harness", *words[1:]],
        cwd=root, env=cli_env(env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    printed = TIMING.sub("(TIME", done.stdout)
    assert TIMING.sub("(TIME", shown) == printed, (
        f"docs/ci.md: update the block of {command!r} to:\n{done.stdout}"
    )
