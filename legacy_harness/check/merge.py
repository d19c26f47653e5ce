"""Join the reports of ``check --shard K/N`` runs into one, as if one run had checked all.

A CI matrix runs each shard on its own machine and keeps its JSON and JUnit reports;
this module reads them back and writes one of each. Cases are concatenated in path
order (the order one whole run gives), policy failures appear once however many shards
found them, and the exit code is the worst of the shards' by the gate's precedence
(errors, then changes, then an empty store, then policies). A shard that checked no case
is empty only if every shard was: the store is what must not be empty.

The reports are read as data: JSON with the standard parser, JUnit with ElementTree
(expat refuses entity expansion bombs), each file at most :data:`MAX_REPORT_BYTES`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legacy_harness.check.formats.junit import set_totals
from legacy_harness.display import shown
from legacy_harness.errors import UsageError
from legacy_harness.outcomes import CaseStatus, ExitCode
from legacy_harness.report.summary import CHECK_WORDING, summarize
from legacy_harness.schema import envelope

__all__ = [
    "MAX_REPORT_BYTES",
    "MergedJUnit",
    "MergedJson",
    "merge_json",
    "merge_junit",
    "worst",
]

#: A shard's report larger than this is refused (a store of a million cases is ~500 MB).
MAX_REPORT_BYTES = 1 << 30

#: The gate's precedence: the first of these a shard exited with is the merged code.
_PRECEDENCE = (ExitCode.ERROR, ExitCode.CHANGED, ExitCode.NO_CASES, ExitCode.POLICY)

POLICY_SUITE = "legacy-harness policy"


def worst(codes: Sequence[int]) -> ExitCode:
    """The exit code that outranks the others (an unknown code counts as an error)."""
    known = set(ExitCode)
    found = {ExitCode(code) if code in known else ExitCode.ERROR for code in codes}
    for code in _PRECEDENCE:
        if code in found:
            return code
    return ExitCode.SAME


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise UsageError(f"report {shown(path)} holds {size} bytes; that is not a shard report")
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read report {shown(path)} ({error.strerror or error})") from None


# -- JSON -------------------------------------------------------------------------------


@dataclass
class _Verdict:
    target: str
    status: CaseStatus
    reviewed: bool


@dataclass
class MergedJson:
    """The joined document and the exit code it stands for."""

    document: dict[str, Any]
    exit_code: ExitCode


def _document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(_read(path))
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"report {shown(path)} is not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("command") != "check":
        raise UsageError(
            f"report {shown(path)} is not a check report; write one with"
            " legacy-harness check --format json > FILE"
        )
    if not isinstance(document.get("cases", []), list) or not isinstance(
        document.get("exit_code"), int
    ):
        raise UsageError(f"report {shown(path)}: 'cases' or 'exit_code' is missing or malformed")
    return document


def merge_json(paths: Sequence[Path]) -> MergedJson:
    """One check document from the shards' ``check --format json`` documents."""
    documents = [_document(Path(path)) for path in paths]
    cases: list[dict[str, Any]] = []
    policy: list[dict[str, Any]] = []
    seen_policy: set[str] = set()
    coverage = None
    errors = []
    for path, document in zip(paths, documents, strict=True):
        cases.extend(document.get("cases") or [])
        for failure in document.get("policy") or []:
            key = json.dumps(failure, sort_keys=True)
            if key not in seen_policy:
                seen_policy.add(key)
                policy.append(failure)
        if coverage is None and document.get("coverage") is not None:
            coverage = document["coverage"]
        if document.get("error"):
            errors.append(f"{shown(Path(path))}: {document['error']}")
    cases.sort(key=lambda case: str(case.get("path", "")))
    try:
        verdicts = [
            _Verdict(str(c["target"]), CaseStatus(c["status"]), bool(c.get("reviewed", True)))
            for c in cases
        ]
    except (KeyError, ValueError, TypeError) as error:
        raise UsageError(f"a shard report holds a malformed case ({error})") from None
    codes = [document["exit_code"] for document in documents]
    if verdicts:  # another shard checked cases: an empty shard is no failure
        codes = [code for code in codes if code != ExitCode.NO_CASES]
    code = worst(codes)
    summary = summarize(verdicts, policy_failures=len(policy), allow_empty=True, command="check")
    merged: dict[str, Any] = {
        **summary.to_data(),
        **envelope("check", code),
        "verdict": CHECK_WORDING[code],
        "store": documents[0].get("store") if documents else None,
        "seconds": max((float(d.get("seconds") or 0) for d in documents), default=0.0),
        "coverage": coverage,
        "cases": cases,
        "policy": policy,
    }
    if errors:
        merged["error"] = "; ".join(errors)
    return MergedJson(merged, code)


# -- JUnit ------------------------------------------------------------------------------


@dataclass
class MergedJUnit:
    """The joined JUnit document (text) and the exit code the shards' suites stand for."""

    text: str
    exit_code: ExitCode


def _junit(path: Path) -> ET.Element:
    try:
        root = ET.fromstring(_read(path))
    except ET.ParseError as error:
        raise UsageError(f"report {shown(path)} is not XML ({error})") from None
    if root.tag != "testsuites":
        raise UsageError(
            f"report {shown(path)} is not a JUnit report of check; write one with"
            " legacy-harness check --junit-xml FILE"
        )
    return root


def _policy_case(found: list[ET.Element]) -> ET.Element:
    """One policy testcase from the shards': failed if any failed, run if any ran."""
    failed = [case for case in found if case.find("failure") is not None]
    if not failed:
        ran = [case for case in found if case.find("skipped") is None]
        return ran[0] if ran else found[0]
    first = failed[0]
    texts = []
    for case in failed:
        element = case.find("failure")
        text = (element.text or "") if element is not None else ""
        if text and text not in texts:
            texts.append(text)
    failure = first.find("failure")
    assert failure is not None
    failure.text = "\n".join(texts)
    return first


def merge_junit(paths: Sequence[Path]) -> MergedJUnit:
    """One JUnit document from the shards' ``check --junit-xml`` files."""
    roots = [_junit(Path(path)) for path in paths]
    cases: dict[str, list[ET.Element]] = {}
    attributes: dict[str, dict[str, str]] = {}
    policies: dict[str, list[ET.Element]] = {}
    for root in roots:
        for suite in root.findall("testsuite"):
            name = suite.get("name", "")
            attributes.setdefault(name, dict(suite.attrib))
            for case in suite.findall("testcase"):
                if name == POLICY_SUITE:
                    policies.setdefault(case.get("name", ""), []).append(case)
                else:
                    cases.setdefault(name, []).append(case)
    merged = ET.Element("testsuites", {"name": "legacy-harness check"})
    errors = changed = tests = 0
    for name in sorted(cases):
        suite = ET.SubElement(merged, "testsuite", attributes[name])
        ordered = sorted(cases[name], key=lambda c: (c.get("file", ""), c.get("name", "")))
        suite.extend(ordered)
        set_totals(suite)
        tests += int(suite.get("tests", "0"))
        errors += int(suite.get("errors", "0"))
        changed += int(suite.get("failures", "0"))
    policy_failed = False
    if policies:
        suite = ET.SubElement(merged, "testsuite", attributes[POLICY_SUITE])
        for found in policies.values():
            case = _policy_case(found)
            policy_failed = policy_failed or case.find("failure") is not None
            suite.append(case)
        set_totals(suite)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for suite in merged:
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for root in roots:
        try:
            seconds = max(seconds, float(root.get("time", "0")))
        except ValueError:
            pass
    for key, value in totals.items():
        merged.set(key, str(value))
    merged.set("time", f"{seconds:.6f}")
    if errors:
        code = ExitCode.ERROR
    elif changed:
        code = ExitCode.CHANGED
    elif not tests:
        code = ExitCode.NO_CASES
    elif policy_failed:
        code = ExitCode.POLICY
    else:
        code = ExitCode.SAME
    ET.indent(merged)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(merged, encoding="unicode")
    return MergedJUnit(text + "\n", code)
