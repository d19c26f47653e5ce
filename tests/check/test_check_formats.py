"""The check formats behind one Reporter protocol, fed a report built by hand (no run)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from legacy_harness.check import (
    FORMATS,
    CaseCheck,
    CheckOptions,
    CheckReport,
    ErrorKind,
    PolicyFailure,
    PolicyKind,
    Reporter,
    get_reporter,
    write_report,
)
from legacy_harness.check.formats.github import GitHubReporter, render_markdown
from legacy_harness.check.formats.json import to_document
from legacy_harness.check.formats.text import render_text
from legacy_harness.errors import UsageError
from legacy_harness.outcomes import CaseStatus, ExitCode


def report(*cases: CaseCheck, policy: list[PolicyFailure] | None = None) -> CheckReport:
    return CheckReport("golden", list(cases), policy or [], CheckOptions(), seconds=0.5)


def same(case_id: str = "01") -> CaseCheck:
    return CaseCheck("calc:add", case_id, f"golden/calc/add/case-{case_id}.json", CaseStatus.PASSED)


def unreplayable() -> CaseCheck:
    return CaseCheck(
        "calc:total",
        "02",
        "golden/calc/total/case-02.json",
        CaseStatus.ERROR,
        error="golden/calc/total/case-02.json: not replayable, so nothing was checked:"
        " cannot encode sqlite3:Connection",
        error_kind=ErrorKind.NOT_REPLAYABLE,
    )


def changed() -> CaseCheck:
    return CaseCheck(
        "calc:greet",
        "03",
        "golden/calc/greet/case-03.json",
        CaseStatus.CHANGED,
        diff="outcome.returned: 'hello ada' != 'hi ada'",
        differences=[{"path": "outcome.returned", "kind": "value"}],
    )


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_keeps_the_reporter_protocol(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    reporter = get_reporter(name)
    assert isinstance(reporter, Reporter) and reporter.name == name
    stream = io.StringIO()
    reporter.report(report(same(), changed()), stream)
    assert "case-03" in stream.getvalue()  # the changed case, in every format


def test_an_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown report format 'yaml'; choose one of text, json"):
        get_reporter("yaml")


def test_an_unreplayable_case_fails_every_format(tmp_path: Path) -> None:
    run = report(same(), unreplayable())
    assert run.exit_code is ExitCode.ERROR
    text = render_text(run)
    assert "NOT REPLAYABLE golden/calc/total/case-02.json: not replayable" in text
    assert text.rstrip().endswith("1 of 2 cases behave the same (0.50s, 4 cases/s, 1 job(s)):"
                                  " some golden masters cannot be used")  # fmt: skip
    document = to_document(run)
    assert document["exit_code"] == 2 and document["counts"]["error"] == 1
    assert document["cases"][1]["error_kind"] == "not-replayable"
    assert "| `calc:total` | 1 | 0 | 0 | 0 | 1 | 0 |" in render_markdown(run)
    out = tmp_path / "reports" / "junit.xml"
    write_report(run, "junit", out)
    (error,) = ET.parse(out).getroot().iter("error")
    assert error.get("type") == "not-replayable" and "sqlite3" in (error.get("message") or "")


def test_json_document_keeps_todays_keys_and_adds_the_summary() -> None:
    policy = [PolicyFailure(PolicyKind.UNREVIEWED, "calc:add", "1 case(s) of calc:add ...")]
    document = json.loads(json.dumps(to_document(report(same(), policy=policy))))
    assert {
        "exit_code",
        "verdict",
        "store",
        "seconds",
        "counts",
        "coverage",
        "cases",
        "policy",
    } <= set(document)
    assert document["exit_code"] == 3 and document["verdict"] == "policy failures"
    assert document["policy"][0]["kind"] == "unreviewed"
    assert document["targets"] == [
        {"target": "calc:add", "cases": 1, "counts": document["counts"], "unreviewed": 0}
    ]


def test_github_appends_the_summary_to_the_named_file(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    stream = io.StringIO()
    GitHubReporter(step_summary=summary).report(report(same(), changed()), stream)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("::error file=golden/calc/greet/case-03.json,line=1,title=")
    assert lines[-1] == (
        "legacy-harness check: 1 of 2 cases behave the same, 0 policy failure(s): behaviour changed"
    )
    text = summary.read_text()
    assert text.startswith("before\n## ❌ legacy-harness check: behaviour changed")
    assert "<details><summary>changed: <code>calc:greet</code> case-03</summary>" in text


def test_an_empty_report_exits_no_cases_in_every_format() -> None:
    empty = report()
    assert empty.exit_code is ExitCode.NO_CASES
    assert "no cases checked" in render_text(empty)
    assert to_document(empty)["exit_code"] == 5
    allowed = CheckReport("golden", [], [], CheckOptions(allow_empty=True))
    assert allowed.exit_code is ExitCode.SAME
