"""Coverage of the masters: figures per target, missing lines and branches, CLI."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from paths import REPO

from legacy_harness.cli import main
from legacy_harness.config import Config
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import VerifySession
from legacy_harness.widen.measure import measure_coverage, render

SOURCE = """
def helper(x):
    if x:
        return 1
    return 2


def sign(x):
    if x > 0:
        return "positive"
    elif x < 0:
        return "negative"
    return "zero"


class Box:
    def __init__(self):
        self.n = 0

    def bump(self, by):
        for _ in range(by):
            self.n += 1
        return self.n
"""


@pytest.fixture
def recorded(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> tuple[ModuleType, VerifySession]:
    module = make_module(SOURCE)
    session = VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )
    recorder = Recorder([f"{module.__name__}:sign", f"{module.__name__}:Box.bump"], session.store)
    recorder.start()
    try:
        module.sign(5)
        module.sign(7)
        module.Box().bump(2)
        module.helper(1)
    finally:
        recorder.stop()
    return module, session


def test_figures_cover_only_the_targets_own_body(
    recorded: tuple[ModuleType, VerifySession],
) -> None:
    module, session = recorded
    result = measure_coverage(session)
    by_name = {entry.target: entry for entry in result.targets}
    sign = by_name[f"{module.__name__}:sign"]
    # body of sign: if / return / elif / return / return
    assert (sign.lines_total, sign.lines_covered) == (5, 2)
    assert (sign.branches_total, sign.branches_covered) == (4, 1)
    assert sign.missing_lines == [11, 12, 13]
    assert sign.missing_branches == [(9, 11), (11, 12), (11, 13)]
    assert sign.percent == pytest.approx(100 * (2 + 1) / (5 + 4))
    assert sign.cases == 2 and sign.errors == []
    assert (sign.first_line, sign.last_line) == (9, 13)
    bump = by_name[f"{module.__name__}:Box.bump"]
    assert bump.lines_total == 3 and bump.lines_covered == 3
    assert bump.branches_total == 2 and bump.branches_covered == 2 and bump.percent == 100.0
    total = (2 + 1 + 3 + 2) / (5 + 4 + 3 + 2)
    assert result.percent == pytest.approx(100 * total)


def test_only_the_named_targets_and_the_report_text(
    recorded: tuple[ModuleType, VerifySession],
) -> None:
    module, session = recorded
    result = measure_coverage(session, [f"{module.__name__}:sign"])
    assert [e.target for e in result.targets] == [f"{module.__name__}:sign"]
    text = render(result)
    assert 'uncovered line 12: return "negative"' in text
    assert "uncovered branch line 11 -> 12: `elif x < 0:`" in text
    assert "total 33.3% over 1 targets" in text


def test_html_report(recorded: tuple[ModuleType, VerifySession], tmp_path: Path) -> None:
    _, session = recorded
    measure_coverage(session, html=tmp_path / "html")
    assert (tmp_path / "html" / "index.html").is_file()


def test_nested_under_an_outer_coverage_run(recorded: tuple[ModuleType, VerifySession]) -> None:
    """The suite may itself run under coverage (pytest-cov): measuring must still work
    and must hand tracing back to the outer run."""
    import coverage

    module, session = recorded
    filename = os.path.abspath(str(module.__file__))
    outer = coverage.Coverage(data_file=None, include=[filename], config_file=False)
    outer.start()
    try:
        inner = measure_coverage(session, [f"{module.__name__}:sign"])
        module.helper(0)
    finally:
        outer.stop()
    assert inner.targets[0].lines_covered == 2
    assert 5 in (outer.get_data().lines(filename) or [])  # helper ran traced


RULES = REPO / "examples" / "legacy_rules"


def test_cli_coverage_fail_under_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    project = tmp_path / "rules"
    shutil.copytree(RULES, project, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.delitem(sys.modules, "eligibility", raising=False)  # this copy, not a stale one
    assert main(["record", "-t", "eligibility:risk_band", "--", "run_daily.py"]) == 0
    capsys.readouterr()
    assert main(["coverage", "--fail-under", "100"]) == 0
    assert "eligibility:risk_band  100.0%" in capsys.readouterr().out
    assert main(["coverage", "--format", "json"]) == 0
    assert '"percent": 100.0' in capsys.readouterr().out
    assert main(["coverage", "eligibility:eligibility"]) == 2
    assert "no cases for eligibility:eligibility" in capsys.readouterr().err


CHAIN = """
def outer(x):
    return inner(x) + 1


def inner(x):
    if x > 0:
        return x
    return -x
"""


def test_lines_count_for_the_target_whose_replay_reached_them(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(CHAIN)
    outer, inner = f"{module.__name__}:outer", f"{module.__name__}:inner"
    session = VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )
    recorder = Recorder([outer], session.store)
    recorder.start()
    try:
        module.outer(-3)  # reaches inner's negative branch
    finally:
        recorder.stop()
    recorder = Recorder([inner], session.store)
    recorder.start()
    try:
        module.inner(2)  # inner's own masters reach only the positive branch
    finally:
        recorder.stop()
    result = {t.target: t for t in measure_coverage(session, [outer, inner]).targets}
    mine = result[inner]
    assert mine.missing_lines == [9]  # `return -x` is not credited to inner
    assert mine.reached_via == {outer: [9]}
    assert "reached via" in render(measure_coverage(session, [inner, outer]))
