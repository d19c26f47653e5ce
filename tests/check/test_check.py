"""``legacy-harness check`` as CI runs it: a subprocess on temporary projects, one test
per failure class and exit code, plus each output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from check_project import make_project, run, write_case


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def test_passes_with_exit_0_when_nothing_changed(project: Path) -> None:
    done = run(project, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "calc:add    2 cases: 2 same" in done.stdout
    assert "3 of 3 cases behave the same" in done.stdout and "pass" in done.stdout
    assert "\r" not in done.stderr  # no progress bar when stderr is not a terminal


def test_changed_behaviour_exits_1_with_the_diff(project: Path) -> None:
    source = (project / "calc.py").read_text().replace("return a + b", "return a + b + 1")
    (project / "calc.py").write_text(source)
    done = run(project, "check")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.count("CHANGED calc:add case-") == 2
    assert "outcome" in done.stdout and "behaviour changed" in done.stdout


def test_a_master_that_cannot_be_loaded_exits_2(project: Path) -> None:
    (project / "golden" / "calc" / "add" / "case-0000000000000bad.json").write_text("{ not json")
    done = run(project, "check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ERROR" in done.stdout and "case-0000000000000bad.json" in done.stdout
    assert "not valid JSON" in done.stdout


def test_a_target_that_disappeared_exits_2(project: Path) -> None:
    source = (project / "calc.py").read_text().replace("def greet(name):", "def welcome(name):")
    (project / "calc.py").write_text(source)
    done = run(project, "check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "MISSING TARGET" in done.stdout and "greet" in done.stdout


def test_unreviewed_cases_are_a_policy_failure_unless_allowed(project: Path) -> None:
    write_case(project, "calc:add", [5, 5], 10, reviewed=False)
    done = run(project, "check")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "POLICY unreviewed: 1 case(s) of calc:add recorded but not reviewed" in done.stdout
    assert run(project, "check", "--allow-unreviewed").returncode == 0
    (project / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n[tool.legacy_harness.check]\nallow_unreviewed = true\n'
    )
    assert run(project, "check").returncode == 0


PEM = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"


def test_secrets_in_golden_files_are_a_policy_failure(project: Path) -> None:
    path = write_case(project, "calc:greet", ["ops@corp.example.org"], "hello ops@corp.example.org")
    done = run(project, "check")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "POLICY secret" in done.stdout and "e-mail address" in done.stdout
    assert "ops@corp.example.org" not in done.stdout  # the report masks what it found
    shown = path.relative_to(project).as_posix()
    assert f"({shown}:" in done.stdout  # the file and line of the finding
    # an allow-list or allow_emails lets reviewed test data through
    (project / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n'
        '[tool.legacy_harness.check]\nallow = [".*@corp\\\\.example\\\\.org"]\n'
    )
    assert run(project, "check").returncode == 0


def test_private_keys_fail_even_when_emails_are_allowed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", "[tool.legacy_harness.check]\nallow_emails = true\n")
    key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"
    write_case(project, "calc:greet", [key], "hello " + key)
    done = run(project, "check")
    assert done.returncode == 3 and "private key" in done.stdout, done.stdout


def test_exit_codes_rank_errors_over_changes_over_policy(project: Path) -> None:
    write_case(project, "calc:add", [7, 7], 14, reviewed=False)
    source = (project / "calc.py").read_text().replace("return a + b", "return a * b")
    (project / "calc.py").write_text(source)
    assert run(project, "check").returncode == 1  # changed and unreviewed: behaviour wins
    (project / "golden" / "calc" / "add" / "case-0000000000000bad.json").write_text("[]")
    assert run(project, "check").returncode == 2  # an unusable master outranks both


def test_coverage_below_the_threshold_is_a_policy_failure(project: Path) -> None:
    pytest.importorskip("legacy_harness.widen.measure")
    write_case(project, "calc:sign", [5], 1)  # only the positive branch is characterized
    done = run(project, "check", "--min-coverage", "90", "--format", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert document["coverage"]["percent"] < 90
    (failure,) = [p for p in document["policy"] if p["kind"] == "coverage"]
    assert any(d.startswith("calc:sign") for d in failure["details"])
    assert run(project, "check", "--min-coverage", "10").returncode == 0


def test_parallel_jobs_give_the_same_verdicts(project: Path) -> None:
    for n in range(40):
        write_case(project, "calc:add", [n, 100], n + 100)
    source = (
        (project / "calc.py").read_text().replace("return a + b", "return a + b if a != 7 else 0")
    )
    (project / "calc.py").write_text(source)
    one = run(project, "check", "--jobs", "1", "--format", "json")
    two = run(project, "check", "--jobs", "3", "--format", "json")
    assert one.returncode == two.returncode == 1
    strip = lambda d: [(c["path"], c["status"], c["differences"]) for c in json.loads(d)["cases"]]  # noqa: E731
    assert strip(one.stdout) == strip(two.stdout)
    assert json.loads(one.stdout)["counts"] == {
        "passed": 42,
        "changed": 1,
        "unstable": 0,
        "error": 0,
        "skipped": 0,
    }


def test_json_format_is_a_document_for_tools(project: Path) -> None:
    write_case(project, "calc:add", [9, 9], 18, reviewed=False)
    done = run(project, "check", "--format", "json")
    document = json.loads(done.stdout)
    assert document["exit_code"] == done.returncode == 3
    assert {c["reviewed"] for c in document["cases"]} == {True, False}
    assert document["policy"][0]["kind"] == "unreviewed"


def test_github_format_annotates_files_and_writes_the_job_summary(
    project: Path, tmp_path: Path
) -> None:
    source = (project / "calc.py").read_text().replace('"hello " + name', '"hi 100% " + name')
    (project / "calc.py").write_text(source)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps\n")
    done = run(project, "check", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 1
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("::error ")]
    assert line.startswith("::error file=golden/calc/greet/case-") and ",line=1,title=" in line
    properties, message = line[len("::error ") :].split("::", 1)
    assert "%3A" in properties  # the ':' in the title is escaped inside a property
    assert "\n" not in message and "%0A" in message and "100%25" in message
    text = summary.read_text()
    assert text.startswith("earlier steps\n")  # appended, not replaced
    assert "legacy-harness check: behaviour changed" in text
    assert "| `calc:greet` | 1 | 0 | 1 | 0 | 0 | 0 |" in text


BILLING = """
def total(conn, customer):
    query = "select sum(amount) from invoices where customer = ?"
    return conn.execute(query, (customer,)).fetchone()[0] or 0
"""

JOB = """
import sqlite3

import billing

conn = sqlite3.connect("billing.db")
conn.execute("create table invoices (customer text, amount real)")
conn.executemany("insert into invoices values (?, ?)", [("ada", 10.0), ("bob", 5.5)])
print(billing.total(conn, "ada"), billing.total(conn, "bob"))
"""


def test_cases_that_cannot_be_replayed_are_errors_not_a_pass(tmp_path: Path) -> None:
    root = tmp_path / "billing"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "billing.py").write_text(BILLING)
    (root / "job.py").write_text(JOB)
    recorded = run(root, "record", "--target", "billing:total", "--", "job.py")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "10.0 5.5" in recorded.stdout  # a real sqlite file, handed to the target
    done = run(root, "check", "--allow-unreviewed")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout.count("NOT REPLAYABLE ") == 2 and "sqlite3" in done.stdout
    assert "0 of 2 cases behave the same" in done.stdout
    assert "some golden masters cannot be used" in done.stdout
    document = json.loads(run(root, "check", "--allow-unreviewed", "--format", "json").stdout)
    assert document["counts"]["error"] == 2 and document["counts"]["passed"] == 0
    assert {c["error_kind"] for c in document["cases"]} == {"not-replayable"}


def test_an_empty_store_does_not_pass_unless_allowed(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    (root / "golden").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    done = run(root, "check")
    assert done.returncode == 5, done.stdout + done.stderr
    assert "0 of 0 cases behave the same" in done.stdout
    assert "no cases checked" in done.stdout and "--allow-empty" in done.stdout
    assert run(root, "check", "--allow-empty").returncode == 0
    document = json.loads(run(root, "check", "--format", "json").stdout)
    assert document["exit_code"] == 5 and document["cases"] == []
    (root / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n[tool.legacy_harness.check]\nallow_empty = true\n'
    )
    assert run(root, "check").returncode == 0


def test_help_documents_the_exit_codes(project: Path) -> None:
    done = run(project, "check", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for phrase in (
        "0 pass",
        "1 behaviour changed",
        "2 configuration or master errors",
        "3 policy failures",
        "5 no cases to check",
    ):
        assert phrase in text


def test_configuration_errors_exit_2(project: Path, tmp_path: Path) -> None:
    done = run(project, "check", "--store", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "no golden store" in done.stderr
    (project / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n[tool.legacy_harness.check]\nmin_coverage = "high"\n'
    )
    done = run(project, "check")
    assert done.returncode == 2 and "min_coverage" in done.stderr
