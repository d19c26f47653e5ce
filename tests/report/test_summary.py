"""The summary/verdict model ``verify`` and ``check`` share: counts, exit code, words."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from check_project import make_project, run, write_case

from legacy_harness.config import load_config
from legacy_harness.outcomes import CaseStatus, ExitCode
from legacy_harness.report.summary import (
    CHECK_WORDING,
    LABELS,
    UNSTABLE_WORDING,
    VERIFY_WORDING,
    decide,
    summarize,
)
from legacy_harness.verify import CaseResult, VerifySession, iter_results


@dataclass
class Reviewed:
    target: str
    status: CaseStatus
    reviewed: bool = True


def results(target: str, **counts: int) -> list[CaseResult]:
    """``counts`` of verify's own results per status name, for ``target``."""
    return [
        CaseResult(target, f"{status}-{n}", Path(f"{status}-{n}.json"), CaseStatus[status].value)
        for status, count in counts.items()
        for n in range(count)
    ]


def test_verify_results_summarize_to_todays_lines() -> None:
    run = results("billing:compute_invoice", PASSED=37, CHANGED=3) + results("shop:tax", PASSED=2)
    summary = summarize(run)
    assert summary.target_lines() == [
        "billing:compute_invoice  40 cases: 37 same, 3 changed",
        "shop:tax                 2 cases: 2 same",
    ]
    assert summary.exit_code is ExitCode.CHANGED
    assert summary.closing_line() == "39 of 42 cases behave the same: behaviour changed"


def test_targets_are_sorted_and_statuses_read_in_a_fixed_order() -> None:
    run = results("b:f", SKIPPED=1, ERROR=2, UNSTABLE=1, PASSED=1) + results("a:g", PASSED=1)
    summary = summarize(run)
    assert [t.target for t in summary.targets] == ["a:g", "b:f"]
    assert summary.targets[1].parts() == ["1 same", "1 unstable", "2 errors", "1 not replayable"]
    assert list(summary.counts) == list(CaseStatus) and set(LABELS) == set(CaseStatus)


@pytest.mark.parametrize(
    ("counts", "policy", "allow_empty", "expected"),
    [
        ({CaseStatus.PASSED: 3}, 0, False, ExitCode.SAME),
        ({CaseStatus.PASSED: 3}, 2, False, ExitCode.POLICY),
        ({CaseStatus.CHANGED: 1}, 2, False, ExitCode.CHANGED),
        ({CaseStatus.UNSTABLE: 1}, 0, False, ExitCode.CHANGED),
        ({CaseStatus.ERROR: 1, CaseStatus.CHANGED: 4}, 2, False, ExitCode.ERROR),
        ({CaseStatus.SKIPPED: 2}, 0, False, ExitCode.SAME),  # check reports these as errors
        ({}, 0, False, ExitCode.NO_CASES),
        ({}, 1, False, ExitCode.NO_CASES),
        ({}, 0, True, ExitCode.SAME),
        ({}, 1, True, ExitCode.POLICY),
    ],
)
def test_exit_code_ranks_errors_changes_emptiness_then_policy(
    counts: dict[CaseStatus, int], policy: int, allow_empty: bool, expected: ExitCode
) -> None:
    assert decide(counts, policy_failures=policy, allow_empty=allow_empty) is expected


def test_an_empty_run_does_not_pass_unless_allowed() -> None:
    empty = summarize([], wording=CHECK_WORDING)
    assert empty.exit_code is ExitCode.NO_CASES == 5
    assert "--allow-empty" in empty.verdict and empty.total == 0
    allowed = summarize([], allow_empty=True, wording=CHECK_WORDING)
    assert allowed.exit_code is ExitCode.SAME and allowed.verdict.startswith("pass")


def test_only_unstable_fields_say_so_instead_of_behaviour_changed() -> None:
    summary = summarize(results("m:f", PASSED=1, UNSTABLE=1))
    assert summary.exit_code is ExitCode.CHANGED and summary.verdict == UNSTABLE_WORDING
    mixed = summarize(results("m:f", CHANGED=1, UNSTABLE=1))
    assert mixed.verdict == VERIFY_WORDING[ExitCode.CHANGED]


def test_each_wording_names_every_exit_code() -> None:
    assert set(VERIFY_WORDING) == set(CHECK_WORDING) == set(ExitCode)


def test_unreviewed_cases_are_counted_when_verdicts_carry_it() -> None:
    run = [Reviewed("m:f", CaseStatus.PASSED), Reviewed("m:f", CaseStatus.PASSED, reviewed=False)]
    (entry,) = summarize(run).targets
    assert entry.unreviewed == 1
    assert entry.line() == "m:f  2 cases: 2 same, 1 unreviewed"


def test_json_data_has_exit_code_verdict_and_every_count() -> None:
    data = summarize(results("m:f", PASSED=2, ERROR=1), wording=CHECK_WORDING).to_data()
    assert data["exit_code"] == 2 and data["verdict"] == CHECK_WORDING[ExitCode.ERROR]
    assert data["counts"] == {"passed": 2, "changed": 0, "unstable": 0, "error": 1, "skipped": 0}
    (target,) = data["targets"]
    assert target == {"target": "m:f", "cases": 3, "counts": data["counts"], "unreviewed": 0}


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="'lost'"):
        summarize([Reviewed("m:f", "lost")])  # type: ignore[arg-type]


def test_summary_prints_what_verify_prints_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model reproduces verify's own lines, so verify can switch to it unchanged."""
    root = make_project(tmp_path / "proj")
    write_case(root, "calc:add", [4, 4], 8, meta={"unencodable": ["cannot encode a socket"]})
    source = (root / "calc.py").read_text().replace('"hello " + name', '"hi " + name')
    (root / "calc.py").write_text(source)
    (root / "golden" / "calc" / "add" / "case-00000000000000ff.json").write_text("[1, 2")
    printed = run(root, "verify")
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "calc", raising=False)
    session = VerifySession.open(load_config(root))
    summary = summarize(iter_results(session), allow_empty=True)
    lines = printed.stdout.splitlines()
    assert lines[: len(summary.targets)] == summary.target_lines()
    assert lines[-1] == summary.closing_line()
    assert printed.returncode == summary.exit_code == ExitCode.ERROR
