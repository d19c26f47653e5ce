"""A changed case is shown with the call that produced it: verify, check, review, pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_runner import cli_env, run_cli

PRICING = """
def price(customer, qty, code=None):
    rate = 0.1 if customer["tier"] == "gold" else 0.0
    return round(qty * 9.5 * (1 - rate), 2)
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "pricing.py").write_text(PRICING)
    (tmp_path / "run.py").write_text(
        "import pricing\n"
        "pricing.price({'name': 'Ann', 'tier': 'gold'}, 3, code='X1')\n"
        "pricing.price({'name': 'Bob', 'tier': 'basic'}, 2)\n"
    )
    assert run_cli(tmp_path, "record", "-t", "pricing:price", "--", "run.py").returncode == 0
    (tmp_path / "pricing.py").write_text(PRICING.replace("0.1 if", "0.2 if"))
    return tmp_path


def test_verify_and_check_show_the_inputs_of_a_changed_case(tmp_path: Path) -> None:
    root = project(tmp_path)
    done = run_cli(root, "verify")
    assert done.returncode == 1
    assert "  inputs: price({name: 'Ann', tier: 'gold'}, 3, code='X1')" in done.stdout
    assert "Bob" not in done.stdout  # only changed cases are shown
    document = json.loads(run_cli(root, "verify", "--format", "json").stdout)
    (changed,) = [case for case in document["cases"] if case["status"] == "changed"]
    assert changed["inputs"].startswith("price({name: 'Ann'")
    check = run_cli(root, "check", "--allow-unreviewed")
    assert check.returncode == 1
    assert "  inputs: price({name: 'Ann', tier: 'gold'}, 3, code='X1')" in check.stdout
    check_json = json.loads(run_cli(root, "check", "--allow-unreviewed", "--format", "json").stdout)
    assert any((case.get("inputs") or "").startswith("price(") for case in check_json["cases"])


def test_the_pytest_failure_shows_the_inputs(tmp_path: Path) -> None:
    root = project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/golden", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    assert "inputs: price({name: 'Ann', tier: 'gold'}, 3, code='X1')" in done.stdout


def test_review_shows_the_inputs_of_a_changed_case(tmp_path: Path) -> None:
    root = project(tmp_path)
    listing = run_cli(root, "review")
    assert listing.returncode == 1
    lines = listing.stdout.splitlines()
    (changed,) = [i for i, line in enumerate(lines) if line.startswith("changed")]
    assert "pricing/price/case-" in lines[changed]  # the file
    assert lines[changed + 1].strip() == "inputs: price({name: 'Ann', tier: 'gold'}, 3, code='X1')"
    document = json.loads(run_cli(root, "review", "--format", "json").stdout)
    (pending,) = [item for item in document["pending"] if item["kind"] == "changed"]
    assert pending["inputs"].startswith("price({name: 'Ann'")
