"""check --min-mutation-score: the gate computes the strength of the net itself (a saved
score in the store is never trusted), prints the strength report, and fails (exit 3)
when the masters kill too few mutants."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli

RULES = """
def band(score):
    if score >= 700:
        return "good"
    return "poor"
"""


def project_with(tmp_path: Path, calls: str) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "rules.py").write_text(RULES)
    (project / "run.py").write_text(f"from rules import band\nfor s in {calls}:\n    band(s)\n")
    done = run_cli(project, "record", "-t", "rules:band", "--", "run.py")
    assert done.returncode == 0, done.stderr
    assert run_cli(project, "approve", "--all").returncode == 0
    return project


def test_weak_masters_fail_the_gate_with_their_survivors(tmp_path: Path) -> None:
    project = project_with(tmp_path, "(500, 900)")  # no case near 700
    saved = project / "tests" / "golden" / ".legacy-harness" / "mutation.json"
    saved.parent.mkdir(exist_ok=True)  # record keeps input profiles there too
    # a file claiming a perfect score does not change what the gate measures
    forged = {"rules:band": {"score": 100.0, "killed": 6, "survived": 0, "survivors": []}}
    saved.write_text(json.dumps({"format": 1, "targets": forged}))
    done = run_cli(project, "check", "--min-mutation-score", "90")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "rules:band: 3 of 6 mutants killed (50.0%)" in done.stdout, done.stdout
    assert "survived line 3 (>= -> >): if score >= 700:" in done.stdout
    assert "POLICY mutation: the masters of rules:band kill 3 of 6 mutants (50.0%)" in done.stdout
    done = run_cli(project, "check", "--min-mutation-score", "40")
    assert done.returncode == 0, done.stdout

    done = run_cli(project, "check", "--min-mutation-score", "90", "--format", "json")
    assert done.returncode == 3
    report = json.loads(done.stdout)  # the strength report went to stderr
    (failure,) = [p for p in report["policy"] if p["kind"] == "mutation"]
    assert failure["name"] == "rules:band"
    assert "survived line 3 (>= -> >): if score >= 700:" in failure["details"]
    assert "mutants killed" in done.stderr


def test_strong_masters_pass(tmp_path: Path) -> None:
    project = project_with(tmp_path, "(698, 699, 700, 701)")
    done = run_cli(project, "check", "--min-mutation-score", "100")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rules:band: 6 of 6 mutants killed (100.0%)" in done.stdout
