"""check --min-mutation-score: the gate computes the strength of the net itself (a saved
score in the store is never trusted), prints the strength report, and fails (exit 3)
when the masters kill too few mutants."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_runner import run_cli
from paths import DATA

from legacy_harness.schema import load_schema

RULES = """
def band(score):
    if score >= 700:
        return "good"
    return "poor"
"""


def project_with(tmp_path: Path, calls: str, settings: str = "") -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "rules.py").write_text(RULES)
    (project / "run.py").write_text(f"from rules import band\nfor s in {calls}:\n    band(s)\n")
    (project / "pyproject.toml").write_text(
        f"[tool.legacy_harness.check]\nallow_unreviewed = true\n{settings}"
    )
    done = run_cli(project, "record", "-t", "rules:band", "--", "run.py")
    assert done.returncode == 0, done.stderr
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
    junit = project / "junit.xml"
    done = run_cli(
        project,
        "check",
        "--min-mutation-score",
        "90",
        "--format",
        "json",
        "--junit-xml",
        str(junit),
    )
    assert done.returncode == 3
    report = json.loads(done.stdout)  # the strength report went to stderr
    (failure,) = [p for p in report["policy"] if p["kind"] == "mutation"]
    assert failure["name"] == "rules:band"
    assert "survived line 3 (>= -> >): if score >= 700:" in failure["details"]
    assert "mutants killed" in done.stderr
    (strength,) = report["mutation"]
    assert (strength["killed"], strength["survived"], strength["equivalent"]) == (3, 3, 0)
    validate(report)
    # JUnit lists the mutation policy beside the others: failed, with survivors and figures
    case = mutation_testcase(junit)
    failed = case.find("failure")
    assert failed is not None and failed.get("type") == "mutation"
    assert "survived line 3 (>= -> >): if score >= 700:" in (failed.text or "")
    assert "rules:band: 3 of 6 mutants killed (50.0%)" in case.findtext("system-out", "")

    # mutate says the same, and its JSON follows the schema shipped in the package
    done = run_cli(project, "mutate", "--format", "json", "--fail-under", "90")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    validate(document)
    assert document["command"] == "mutate" and document["exit_code"] == 1
    (entry,) = document["targets"]
    assert entry["score"] == 50.0 and document["fail_under"] == 90.0
    assert {item["line"] for item in entry["survivors"]} == {3}


def validate(document: dict[str, object]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="the test extra")
    jsonschema.Draft202012Validator(load_schema()).validate(document)


def mutation_testcase(path: Path) -> ET.Element:
    """The JUnit report's mutation testcase, once the report is checked against the
    JUnit schema (tests/data/junit.xsd)."""
    etree = pytest.importorskip("lxml.etree", reason="the test extra")
    schema = etree.XMLSchema(etree.parse(str(DATA / "junit.xsd")))
    assert schema.validate(etree.parse(str(path))), schema.error_log
    (case,) = [c for c in ET.parse(path).getroot().iter("testcase") if c.get("name") == "mutation"]
    return case


def test_strong_masters_pass_with_the_threshold_from_pyproject(tmp_path: Path) -> None:
    project = project_with(tmp_path, "(698, 699, 700, 701)", "min_mutation_score = 100\n")
    done = run_cli(project, "check", "--junit-xml", "junit.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rules:band: 6 of 6 mutants killed (100.0%)" in done.stdout
    case = mutation_testcase(project / "junit.xml")
    assert case.find("failure") is None and case.find("skipped") is None  # checked, passed
    assert "mutants killed (100.0%)" in case.findtext("system-out", "")


def test_a_bad_threshold_in_pyproject_names_the_key(tmp_path: Path) -> None:
    from legacy_harness.check import options_from_config
    from legacy_harness.errors import ConfigError

    options = options_from_config({"check": {"min_mutation_score": 85}})
    assert options.min_mutation_score == 85.0
    with pytest.raises(ConfigError, match="min_mutation_score must be a percentage"):
        options_from_config({"check": {"min_mutation_score": 120}})
