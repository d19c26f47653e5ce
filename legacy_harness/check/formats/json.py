"""The check report for tools: one JSON document holding everything the run found."""

from __future__ import annotations

import json
from typing import IO, Any, ClassVar

from legacy_harness.check.model import CaseCheck, CheckReport

__all__ = ["JsonReporter", "case_data", "to_document"]


def case_data(case: CaseCheck) -> dict[str, Any]:
    """One case as JSON-ready data; every difference, not only the rendered ones."""
    return {
        "target": case.target,
        "id": case.case_id,
        "path": case.path,
        "status": case.status.value,
        "error": case.error,
        "error_kind": case.error_kind.value if case.error_kind else None,
        "differences": case.differences,
        "note": case.note,
        "inputs": case.inputs,
        "reviewed": case.reviewed,
        "secrets": [
            {"path": f.path, "kind": f.kind, "excerpt": f.excerpt, "line": line}
            for f, line in zip(case.secrets, case.secret_lines, strict=True)
        ],
        **({"statistics": case.statistics} if case.statistics is not None else {}),
    }


def to_document(report: CheckReport) -> dict[str, Any]:
    """The whole report as JSON-ready data: the shared summary (exit code, verdict,
    counts, targets) plus the store, timing, coverage, cases and policy failures."""
    return {
        **report.summary.to_data(),
        "store": report.store,
        "seconds": round(report.seconds, 6),
        "coverage": report.coverage,
        "mutation": report.mutation,
        "cases": [case_data(case) for case in report.cases],
        "policy": [failure.to_data() for failure in report.policy],
        "leftovers": list(report.leftovers),
    }


class JsonReporter:
    """``--format json``: one indented document and a newline."""

    name: ClassVar[str] = "json"

    def report(self, report: CheckReport, stream: IO[str]) -> None:
        json.dump(to_document(report), stream, indent=2, default=str)
        stream.write("\n")
