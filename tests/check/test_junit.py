"""The JUnit report: valid against the schema CI systems read, and saying the right thing."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from check_project import make_project, run, write_case
from paths import DATA

from legacy_harness.check import CheckOptions, run_check
from legacy_harness.check.formats.junit import POLICY_SUITE, render_junit
from legacy_harness.config import load_config

etree = pytest.importorskip("lxml.etree")
SCHEMA = DATA / "junit.xsd"


def validate(text: str) -> ET.Element:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(document), schema.error_log
    return ET.fromstring(text.encode("utf-8"))


@pytest.fixture
def troubled(tmp_path: Path) -> Path:
    """A project with one case of every kind: same, changed, unusable, not replayable,
    unreviewed, and holding a secret."""
    root = make_project(tmp_path / "proj")
    source = (root / "calc.py").read_text().replace('"hello " + name', '"hi " + name + "\\x01"')
    (root / "calc.py").write_text(source)
    write_case(root, "calc:add", [3, 3], 6, reviewed=False)
    write_case(root, "calc:add", [4, 4], 8, meta={"unencodable": ["cannot encode a socket"]})
    write_case(root, "calc:add", [["a"], [{"password": "hunter2"}]], ["a", {"password": "hunter2"}])
    (root / "golden" / "calc" / "add" / "case-00000000000000ff.json").write_text("[1, 2")
    return root


def report_for(root: Path, monkeypatch: pytest.MonkeyPatch, **options: object):
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the project's folder goes first, then away
    monkeypatch.delitem(sys.modules, "calc", raising=False)  # each project has its own calc
    return run_check(load_config(root), CheckOptions(**options))  # type: ignore[arg-type]


def test_report_validates_and_maps_every_verdict(
    troubled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = report_for(troubled, monkeypatch)
    root = validate(render_junit(report, relative_to=troubled))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["calc:add", "calc:greet", POLICY_SUITE]
    add = suites["calc:add"]
    assert (add.get("tests"), add.get("failures"), add.get("errors"), add.get("skipped")) == (
        "6",
        "0",
        "2",
        "0",
    )
    cases = {c.get("name"): c for c in add.iter("testcase")}
    broken = cases["case-00000000000000ff"]
    assert broken.find("error").get("type") == "load"
    assert "not valid JSON" in broken.find("error").get("message", "")
    assert broken.get("file") == "golden/calc/add/case-00000000000000ff.json"
    # a case that cannot be replayed is an error of the run, never a skipped (passing) test
    (unreplayable,) = [c for c in cases.values() if c.find("error") is not None and c is not broken]
    error = unreplayable.find("error")
    assert error.get("type") == "not-replayable" and "socket" in error.get("message", "")
    assert not [c for c in cases.values() if c.find("skipped") is not None]
    (greet,) = suites["calc:greet"].iter("testcase")
    assert greet.get("classname") == "calc:greet"
    failure = greet.find("failure")
    assert failure is not None and failure.get("type") == "changed"
    assert "hello ada" in (failure.text or "")  # the rendered diff, control character made safe
    policy = {c.get("name"): c for c in suites[POLICY_SUITE].iter("testcase")}
    assert set(policy) == {"reviewed", "secrets", "coverage", "mutation"}
    assert (
        "1 case(s) of calc:add recorded but not reviewed" in policy["reviewed"].find("failure").text
    )
    assert "credential in key 'password'" in policy["secrets"].find("failure").text
    assert policy["coverage"].find("skipped") is not None  # not asked for in this run
    assert policy["mutation"].find("skipped") is not None
    assert root.get("tests") == str(sum(int(s.get("tests")) for s in suites.values()))


def test_passing_run_has_passing_policy_testcases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "ok")
    document = validate(render_junit(report_for(root, monkeypatch), relative_to=root))
    assert document.get("failures") == "0" and document.get("errors") == "0"
    policy = [s for s in document.iter("testsuite") if s.get("name") == POLICY_SUITE][0]
    reviewed = [c for c in policy if c.get("name") == "reviewed"][0]
    assert len(reviewed) == 0  # no failure, no skipped: a passing testcase


def test_check_writes_the_report_next_to_any_format(troubled: Path) -> None:
    out = troubled / "reports" / "junit.xml"
    done = run(troubled, "check", "--format", "github", "--junit-xml", str(out))
    assert done.returncode == 2
    root = validate(out.read_text(encoding="utf-8"))
    assert int(root.get("errors")) == 2 and int(root.get("failures")) >= 3


def test_junit_format_prints_the_same_document(troubled: Path) -> None:
    done = run(troubled, "check", "--format", "junit")
    assert done.returncode == 2
    root = validate(done.stdout)
    assert int(root.get("errors")) == 2 and root.get("name") == "legacy-harness check"
