"""JUnit XML for a check run: the report format Jenkins, GitLab and GitHub display.

One ``testsuite`` per target, one ``testcase`` per case (``classname`` the target,
``name`` ``case-<id>``, ``file`` the golden file): ``failure`` with the rendered diff
when behaviour changed, ``error`` when the master cannot be used, ``skipped`` when it
cannot be replayed. A last suite, ``legacy-harness policy``, holds one testcase per
policy (reviewed, secrets, coverage) so policy failures show up next to test failures.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from legacy_harness.check.gate import (
    COVERAGE,
    SECRET,
    UNREVIEWED,
    CaseCheck,
    CheckReport,
    PolicyFailure,
)
from legacy_harness.display import shown as shown_path
from legacy_harness.verify import CHANGED, ERROR, SKIPPED, UNSTABLE

__all__ = ["POLICY_SUITE", "render_junit", "write_junit"]

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
    if case.status in (CHANGED, UNSTABLE):
        what = "behaviour changed" if case.status == CHANGED else "unstable between runs"
        count = len(case.differences)
        failure = ET.SubElement(
            element,
            "failure",
            {"message": _clean(f"{what}: {count} difference(s)"), "type": case.status},
        )
        failure.text = _clean(case.diff)
    elif case.status == ERROR:
        error = ET.SubElement(
            element,
            "error",
            {
                "message": _clean((case.error or "error").splitlines()[0]),
                "type": case.error_kind or "error",
            },
        )
        error.text = _clean(case.error or "")
    elif case.status == SKIPPED:
        ET.SubElement(element, "skipped", {"message": _clean(case.error or "not replayable")})
    if case.note:
        ET.SubElement(element, "system-out").text = _clean(case.note)
    return element


def _policy_element(
    name: str, failures: list[PolicyFailure], checked: bool, shown: Callable[[str], str]
) -> ET.Element:
    element = ET.Element("testcase", {"classname": POLICY_SUITE, "name": name, "time": "0"})
    if failures:
        if failures[0].path:
            element.set("file", shown(failures[0].path))
        failure = ET.SubElement(
            element,
            "failure",
            {"message": _clean(f"{len(failures)} {name} failure(s)"), "type": failures[0].kind},
        )
        lines: list[str] = []
        for item in failures:
            lines.append(item.message)
            lines.extend(f"  {detail}" for detail in item.details)
        failure.text = _clean("\n".join(lines))
    elif not checked:
        ET.SubElement(element, "skipped", {"message": f"{name} not checked in this run"})
    return element


def _suite(name: str, cases: list[ET.Element], timestamp: str | None = None) -> ET.Element:
    suite = ET.Element("testsuite", {"name": name})
    counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for case in cases:
        total += float(case.get("time", "0"))
        for child in case:
            if child.tag == "failure":
                counts["failures"] += 1
            elif child.tag == "error":
                counts["errors"] += 1
            elif child.tag == "skipped":
                counts["skipped"] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", _seconds(total))
    if timestamp:
        suite.set("timestamp", timestamp)
    suite.extend(cases)
    return suite


def render_junit(report: CheckReport, *, relative_to: Path | None = None) -> str:
    """The report as a JUnit XML document (UTF-8 text with declaration)."""
    import datetime as _dt

    timestamp = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    base = relative_to or Path.cwd()

    def shown(path: str) -> str:
        return shown_path(path, base)

    root = ET.Element("testsuites", {"name": "legacy-harness check"})
    for target, cases in report.by_target().items():
        root.append(_suite(target, [_case_element(c, shown(c.path)) for c in cases], timestamp))
    policy = []
    for kind, name, checked in (
        (UNREVIEWED, "reviewed", not report.options.allow_unreviewed),
        (SECRET, "secrets", report.options.scan_secrets),
        (COVERAGE, "coverage", report.options.min_coverage is not None),
    ):
        policy.append(_policy_element(name, report.policy_of(kind), checked, shown))
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


def write_junit(report: CheckReport, path: Path, *, relative_to: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(report, relative_to=relative_to), encoding="utf-8")
