"""The text report of a run: identical differences grouped, a cap on the cases shown,
the tally repeated, -q and -v, colours only when asked."""

from __future__ import annotations

import re

from legacy_harness.outcomes import CaseStatus
from legacy_harness.report.cases import CaseEntry, group_entries, render_entries, render_run
from legacy_harness.report.render import paint_report, render_text
from legacy_harness.report.summary import summarize

SGR = re.compile(r"\x1b\[[0-9;]*m")


def changed(n: int, target: str = "billing:invoice", paths: tuple[str, ...] = ("outcome.tax",)):
    return CaseEntry(
        "CHANGED",
        target,
        f"{target} case-{n:04d}",
        f"golden/case-{n:04d}.json",
        body=f"{paths[0]}: value differs\n  expected: {n}\n  actual:   {n + 1}",
        inputs=f"invoice({n})",
        signature=tuple((path, "value") for path in paths),
    )


def error(n: int) -> CaseEntry:
    return CaseEntry("ERROR", "?", f"? case-e{n}", message=f"golden/bad-{n}.json: not valid JSON")


class Verdict:
    def __init__(self, target: str, status: CaseStatus) -> None:
        self.target, self.status = target, status


def test_cases_group_by_target_and_differing_paths_in_order() -> None:
    entries = [
        changed(1),
        changed(2, paths=("outcome.total",)),
        changed(3),
        changed(4, target="billing:refund"),
        error(1),
        changed(5),
    ]
    groups = group_entries(entries)
    assert [[e.name[-4:] for e in g.entries] for g in groups] == [
        ["0001", "0003", "0005"],
        ["0002"],
        ["0004"],
        ["e-e1"],
    ]
    assert groups[0].headline() == "billing:invoice: outcome.tax differs in 3 cases"
    many = changed(9, paths=("outcome.a", "outcome.b", "outcome.c", "outcome.d", "outcome.e"))
    assert group_entries([many, many])[0].headline() == (
        "billing:invoice: outcome.a, outcome.b, outcome.c and 2 more paths differ in 2 cases"
    )


def test_one_hundred_fifty_changed_cases_read_in_a_screenful() -> None:
    lines = render_entries([changed(n) for n in range(150)], max_cases=10)
    assert len(lines) < 40  # a case per line pair, then a count: not 2,000 lines
    assert lines[1] == "billing:invoice: outcome.tax differs in 150 cases, like:"
    assert lines[2] == "CHANGED billing:invoice case-0000 (golden/case-0000.json)"
    assert "  inputs: invoice(0)" in lines and "    expected: 0" in lines  # the example in full
    assert "CHANGED billing:invoice case-0001 (golden/case-0001.json): likewise" in lines
    assert "  inputs: invoice(1)" in lines
    assert lines[-1] == "... and 140 more cases likewise (-v shows them)"
    assert sum(line.startswith("CHANGED ") for line in lines) == 10


def test_the_cap_counts_what_it_hides_and_verbose_lifts_it() -> None:
    entries = [changed(1), changed(2, paths=("outcome.x",)), *[error(n) for n in range(5)]]
    entries += [changed(n, target="billing:refund") for n in range(3)]
    lines = render_entries(entries, max_cases=3)
    assert "billing:refund: outcome.tax differs in 3 cases (not shown; -v shows them)" in lines
    assert lines[-1].startswith("4 more case(s) not shown: -v or --max-cases N shows them")
    everything = "\n".join(render_entries(entries, max_cases=3, verbosity=1))
    assert everything.count("CHANGED ") == 5 and everything.count("ERROR ") == 5
    assert "likewise" not in everything and "not shown" not in everything


def test_quiet_is_a_line_per_group() -> None:
    lines = render_entries([changed(n) for n in range(4)] + [error(1)], verbosity=-1)
    assert lines == [
        "CHANGED billing:invoice: outcome.tax differs in 4 cases",
        "ERROR golden/bad-1.json: not valid JSON",
    ]


def test_the_run_repeats_the_tally_after_the_cases() -> None:
    verdicts = [Verdict("billing:invoice", CaseStatus.CHANGED)] * 2
    verdicts += [Verdict("billing:refund", CaseStatus.PASSED)]
    summary = summarize(verdicts)
    text = render_run(summary, [changed(1), changed(2)], detail=" (0.10s)")
    lines = text.splitlines()
    tally = ["billing:invoice  2 cases: 2 changed", "billing:refund   1 cases: 1 same"]
    assert lines[:2] == tally and lines[-4:-2] == tally
    assert lines[-1] == "1 of 3 cases behave the same (0.10s): behaviour changed"
    passing = render_run(summarize([Verdict("billing:refund", CaseStatus.PASSED)]), [])
    assert passing.splitlines() == [
        "billing:refund  1 cases: 1 same",
        "",
        "1 of 1 cases behave the same: every case behaves the same",
    ]


def test_colours_only_when_asked_and_as_pytest_has_them() -> None:
    summary = summarize([Verdict("billing:invoice", CaseStatus.CHANGED)])
    entry = changed(1)
    assert not SGR.search(render_run(summary, [entry]))
    coloured = render_run(summary, [entry], color=True)
    assert "\x1b[1;31mCHANGED\x1b[0m billing:invoice case-0001" in coloured
    assert coloured.endswith("\x1b[1;31mbehaviour changed\x1b[0m")
    passed = render_run(summarize([Verdict("a:b", CaseStatus.PASSED)]), [], color=True)
    assert passed.endswith("\x1b[1;32mevery case behaves the same\x1b[0m")


def test_a_plain_report_is_painted_like_a_coloured_one() -> None:
    from legacy_harness.compare.engine import compare

    differences = compare(
        {"total": 1.5, "rows": [1, 2], "text": "a\nb\nc\n"},
        {"total": 2.5, "rows": [1, 3], "text": "a\nB\nc\n"},
    )
    assert paint_report(render_text(differences)) == render_text(differences, color=True)
    coloured = render_text(differences, color=True)
    assert "\x1b[31mexpected:\x1b[0m" in coloured and "\x1b[32mactual:\x1b[0m" in coloured
    assert "\x1b[31m-b\x1b[0m" in coloured and "\x1b[32m+B\x1b[0m" in coloured


def test_a_replayed_case_becomes_an_entry() -> None:
    from pathlib import Path

    from legacy_harness.compare.engine import compare
    from legacy_harness.report.cases import replayed_entry
    from legacy_harness.verify import CaseResult

    differences = compare({"tax": 1.0}, {"tax": 1.5})
    changed_case = CaseResult("a:f", "01", Path("g/case-01.json"), "changed", differences)
    changed_case.inputs = "f(1)"
    entry = replayed_entry(changed_case)
    assert entry is not None and entry.signature == (("tax", "value"),)
    assert entry.heading == "CHANGED a:f case-01 (g/case-01.json)" and "expected: 1.0" in entry.body
    statistical = CaseResult("a:f", "02", Path("g/case-02.json"), "changed", explanation="moved")
    assert replayed_entry(statistical).body == "moved"  # type: ignore[union-attr]
    assert replayed_entry(statistical).signature == ()  # type: ignore[union-attr]
    unstable = CaseResult("a:f", "03", Path("g/case-03.json"), "unstable", differences)
    unstable.suggestion = '[tool.legacy_harness.tolerances."tax"]\nrtol = 1.0\n'
    body = replayed_entry(unstable).body  # type: ignore[union-attr]
    assert body.endswith(
        'add to pyproject.toml:\n  [tool.legacy_harness.tolerances."tax"]\n  rtol = 1.0'
    )
    broken = CaseResult("a:f", "04", Path("g/case-04.json"), "error", error="g/case-04.json: bad")
    assert replayed_entry(broken).heading == "ERROR g/case-04.json: bad"  # type: ignore[union-attr]
    skipped = CaseResult("a:f", "05", Path("g/case-05.json"), "skipped", error="not replayable")
    assert replayed_entry(skipped).heading == "SKIPPED a:f case-05: not replayable"  # type: ignore[union-attr]
    assert replayed_entry(CaseResult("a:f", "06", Path("g/case-06.json"), "passed")) is None
