"""ACCEPTANCE: coverage is not the stopping rule.

``tests/data/loyalty`` is a rules module of the usual legacy kind: a loop over members
held in ``self``, thresholds on their attributes, a cap. A typical month end, recorded,
covers every line and branch, yet its masters let the boundary mutants live. Then
characterize hunts them, and the masters it leaves kill at least as many mutants as the
careful hand-written suite beside the module (``handwritten_suite.py``), measured mutant
for mutant by the same machinery (``run_suite`` swaps ``__code__`` and runs the tests).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli
from paths import DATA

from legacy_harness.widen.strength import MUTATION_FILE, run_suite

DATA = DATA / "loyalty"
TARGET = "loyalty:Program.rewards"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "loyalty"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for name in ("loyalty", "handwritten_suite"):
            sys.modules.pop(name, None)


def hand_written_report(folder: Path) -> object:
    importlib.invalidate_caches()
    suite = importlib.import_module("handwritten_suite")
    tests = [getattr(suite, name) for name in sorted(vars(suite)) if name.startswith("test_")]
    assert len(tests) == 10
    return run_suite(TARGET, tests)


def test_recorded_masters_and_characterize_kill_as_many_mutants_as_a_careful_suite(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_cli(project, "record", "-t", TARGET, "--", "typical_day.py")
    assert done.returncode == 0, done.stderr
    done = run_cli(project, "coverage", "--fail-under", "100")
    assert done.returncode == 0, done.stdout  # full coverage from a typical day ...
    assert "branches 10/10" in done.stdout

    done = run_cli(project, "mutate", "--format", "json")
    assert done.returncode == 0, done.stderr
    recorded = json.loads(done.stdout)["targets"][0]
    assert recorded["survived"] >= 6, recorded  # ... and the boundaries live
    lines = {item["line"] for item in recorded["survivors"]}
    assert {25, 27, 29} <= lines  # points > 500, months >= 12, the cap

    done = run_cli(
        project,
        "characterize",
        "-t",
        TARGET,
        "--max-examples",
        "40",
        "--budget",
        "60",
        "--seed",
        "3",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hunted" in done.stdout, done.stdout

    done = run_cli(project, "mutate", "-t", TARGET)
    assert done.returncode == 0, done.stderr
    net = json.loads((project / "tests" / "golden" / MUTATION_FILE).read_text())
    masters = net["targets"][TARGET]
    hand = hand_written_report(project)
    hand_data = hand.to_data()  # type: ignore[attr-defined]

    comparison = (
        f"\n{TARGET} ({masters['mutants']} mutants):"
        f"\n  recorded masters alone      kill {recorded['killed']}"
        f"\n  masters + characterize      kill {masters['killed']},"
        f" equivalent {masters['equivalent']}, survived {masters['survived']}"
        f"\n  hand-written suite (10)     kill {hand_data['killed']},"
        f" survived {hand_data['survived']}\n"
    )
    with capsys.disabled():
        print(comparison)
    assert masters["killed"] >= hand_data["killed"], comparison + done.stdout
    assert masters["killed"] > recorded["killed"]
    assert masters["survived"] == 0, done.stdout
    # the equivalent ones are the cap's `>` -> `>=` and 1000 -> 999, named with why
    named = {(item["line"], item["description"]) for item in masters["equivalents"]}
    assert named == {(29, "> -> >="), (29, "1000 -> 999")}, masters["equivalents"]
    assert all("reward == 1000" in item["why"] for item in masters["equivalents"])
    # the hand-written suite leaves exactly those two alive
    assert {(m["line"], m["description"]) for m in hand_data["survivors"]} == named
    # each case kept for mutants says which it kills
    cases = [json.loads(p.read_text()) for p in (project / "tests" / "golden").rglob("case-*.json")]
    killers = [c for c in cases if c["meta"].get("kills")]
    assert killers and all(c["meta"]["origin"] == "generated" for c in killers)
    assert all(c["meta"]["why"].startswith("kills mutant line") for c in killers)
