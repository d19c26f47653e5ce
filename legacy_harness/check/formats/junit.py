"""JUnit XML for a check run: the report format Jenkins, GitLab and GitHub display.

One ``testsuite`` per target, one ``testcase`` per case (``classname`` the target,
``name`` ``case-<id>``, ``file`` the golden file): ``failure`` with the rendered diff
when behaviour changed, ``error`` (its ``type`` the :class:`ErrorKind`) when the master
cannot be used, including a case that cannot be replayed. A last suite,
``legacy-harness policy``, holds one testcase per policy (reviewed, secrets, coverage,
mutation) so policy failures show up next to test failures; a policy this run did not
check is ``skipped``. The mutation testcase's output holds each target's strength
(mutants, killed, equivalent, survived), and its failure the survivors with their lines. The document stays valid against the schema in ``tests/data/junit.xsd``.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import IO, ClassVar

from legacy_harness.check.model import CaseCheck, CheckReport, PolicyFailure, PolicyKind
from legacy_harness.display import shown as shown_path
from legacy_harness.outcomes import CaseStatus

__all__ = ["POLICY_SUITE", "JUnitReporter", "render_junit"]

POLICY_SUITE = "legacy-harness policy"

#: Characters XML 1.0 cannot hold at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _seconds(value: float) -> str:
    return f"{value:.6f}"


def _case_element(case: CaseCheck, path: str) -> ET.Element:
    element = ET.Element(
        "testcase",
        {
            "classname": case.target,
            "name": f"case-{case.case_id}",
            "file": path,
            "time": _seconds(case.seconds),
        },
    )
    if case.status in (CaseStatus.CHANGED, CaseStatus.UNSTABLE):
        what = "behaviour changed" if case.status == CaseStatus.CHANGED else "unstable between runs"
        count = len(case.differences)
        failure = ET.SubElement(
            element,
            "failure",
            {"message": _clean(f"{what}: {count} difference(s)"), "type": case.status.value},
        )
        failure.text = _clean(case.diff)
    elif case.status == CaseStatus.ERROR:
        error = ET.SubElement(
            element,
            "error",
            {
                "message": _clean((case.error or "error").splitlines()[0]),
                "type": case.error_kind.value if case.error_kind else "error",
            },
        )
        error.text = _clean(case.error or "")
    elif case.status == CaseStatus.SKIPPED:
        ET.SubElement(element, "skipped", {"message": _clean(case.error or "not replayable")})
    if case.note:
        ET.SubElement(element, "system-out").text = _clean(case.note)
    return element


def _policy_element(
    name: str,
    failures: list[PolicyFailure],
    checked: bool,
    shown: Callable[[str], str],
    output: str = "",
) -> ET.Element:
    element = ET.Element("testcase", {"classname": POLICY_SUITE, "name": name, "time": "0"})
    if failures:
        if failures[0].path:
            element.set("file", shown(failures[0].path))
        failure = ET.SubElement(
            element,
            "failure",
            {
                "message": _clean(f"{len(failures)} {name} failure(s)"),
                "type": failures[0].kind.value,
            },
        )
        lines: list[str] = []
        for item in failures:
            lines.append(item.message)
            lines.extend(f"  {detail}" for detail in item.details)
        failure.text = _clean("\n".join(lines))
    elif not checked:
        ET.SubElement(element, "skipped", {"message": f"{name} not checked in this run"})
    if output:
        ET.SubElement(element, "system-out").text = _clean(output)
    return element


def _strength_lines(report: CheckReport) -> str:
    """One line per target: what the mutation policy measured."""
    lines = []
    for entry in report.mutation or []:
        if "problem" in entry:
            lines.append(f"{entry['target']}: no mutation score ({entry['problem']})")
            continue
        lines.append(
            f"{entry['target']}: {entry['killed']} of {entry['killed'] + entry['survived']}"
            f" mutants killed ({entry['score']:.1f}%); mutants {entry['mutants']},"
            f" equivalent {entry['equivalent']}, survived {entry['survived']}"
        )
    return "\n".join(lines)


def _suite(name: str, cases: list[ET.Element], timestamp: str | None = None) -> ET.Element:
    suite = ET.Element("testsuite", {"name": name})
    suite.extend(cases)
    set_totals(suite)
    if timestamp:
        suite.set("timestamp", timestamp)
    return suite


def set_totals(suite: ET.Element) -> None:
    """The suite's tests, failures, errors, skipped and time, counted from its testcases
    (also after ``merge-reports`` joined the testcases of several shards)."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for case in suite.iter("testcase"):
        counts["tests"] += 1
        try:
            total += float(case.get("time", "0"))
        except ValueError:
            pass
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                counts[child.tag + ("s" if child.tag != "skipped" else "")] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", _seconds(total))


def render_junit(report: CheckReport, *, relative_to: Path | None = None) -> str:
    """The report as a JUnit XML document (UTF-8 text with declaration)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    timestamp = now.replace(microsecond=0).isoformat()
    base = relative_to or Path.cwd()

    def shown(path: str) -> str:
        return shown_path(path, base)

    root = ET.Element("testsuites", {"name": "legacy-harness check"})
    for target, cases in report.by_target().items():
        root.append(_suite(target, [_case_element(c, shown(c.path)) for c in cases], timestamp))
    policy = []
    for kind, name, checked in (
        (PolicyKind.UNREVIEWED, "reviewed", not report.options.allow_unreviewed),
        (PolicyKind.SECRET, "secrets", report.options.scan_secrets),
        (PolicyKind.COVERAGE, "coverage", report.options.min_coverage is not None),
    ):
        policy.append(_policy_element(name, report.policy_of(kind), checked, shown))
    policy.append(
        _policy_element(
            "mutation",
            report.policy_of(PolicyKind.MUTATION),
            report.options.min_mutation_score is not None,
            shown,
            _strength_lines(report),
        )
    )
    if report.options.docs is not None:  # a test case only in runs that check the pages
        policy.append(_policy_element("docs", report.policy_of(PolicyKind.DOCS), True, shown))
    root.append(_suite(POLICY_SUITE, policy, timestamp))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root:
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(report.seconds))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class JUnitReporter:
    """``--format junit`` and ``--junit-xml PATH``: file paths are shown relative to
    ``relative_to`` (default: the working folder when the report is written)."""

    name: ClassVar[str] = "junit"

    def __init__(self, relative_to: Path | None = None) -> None:
        self.relative_to = relative_to

    def report(self, report: CheckReport, stream: IO[str]) -> None:
        stream.write(render_junit(report, relative_to=self.relative_to))
