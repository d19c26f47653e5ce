"""What a check run is told and what it finds, as plain data.

The gate fills a :class:`CheckReport`; every output format reads only it. Its parts are
plain values (rendered diffs, not live objects) so they cross process boundaries and a
format never needs the code that produced them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.config import section
from legacy_harness.errors import ConfigError
from legacy_harness.outcomes import CaseStatus, ErrorKind, ExitCode, PolicyKind
from legacy_harness.report.summary import CHECK_WORDING, RunSummary, summarize
from legacy_harness.store.secret_scan import Finding, SecretScanner

__all__ = [
    "CaseCheck",
    "CheckOptions",
    "CheckReport",
    "ErrorKind",
    "PolicyFailure",
    "PolicyKind",
    "options_from_config",
]


#: ``[tool.legacy_harness.check]`` keys.


@dataclass
class CheckOptions:
    """What to enforce; the CLI fills it from flags over ``[tool.legacy_harness.check]``."""

    jobs: int = 1
    min_coverage: float | None = None
    #: Fail a target whose masters kill less than this percent of its mutants (equivalent
    #: ones not counted); None: mutation testing is not part of the gate.
    min_mutation_score: float | None = None
    allow_unreviewed: bool = False
    #: Pass a run that checked no case (an empty store); by default it exits NO_CASES.
    allow_empty: bool = False
    scan_secrets: bool = True
    scanner: SecretScanner = field(default_factory=SecretScanner)
    #: Committed behaviour pages (``check --docs DIR``): fail when they are stale.
    docs: Path | None = None
    #: ``check --shard K/N``: check only the cases in part K (1-based) of N.
    shard: tuple[int, int] | None = None


def options_from_config(table: Mapping[str, Any]) -> CheckOptions:
    """Defaults from ``[tool.legacy_harness.check]``.

    Keys: ``min_coverage`` and ``min_mutation_score`` (percents), ``allow_unreviewed``, ``allow_empty``, ``secrets``
    (scan golden files, default true), ``allow_emails``, ``allow`` (regexes of accepted
    findings), ``jobs``.
    """
    check = section(table, "check")
    where = "[tool.legacy_harness.check]"
    minimums: dict[str, float | None] = {}
    for name, example in (("min_coverage", 80), ("min_mutation_score", 90)):
        value = check.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100
        ):
            raise ConfigError(f"{where} {name} must be a percentage, e.g. {name} = {example}")
        minimums[name] = float(value) if value is not None else None
    for name in ("allow_unreviewed", "allow_empty", "secrets"):
        if not isinstance(check.get(name, False), bool):
            raise ConfigError(f"{where} {name} must be true or false, e.g. {name} = true")
    jobs = check.get("jobs", 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"{where} jobs must be a positive integer, e.g. jobs = 2")
    return CheckOptions(
        jobs=jobs,
        min_coverage=minimums["min_coverage"],
        min_mutation_score=minimums["min_mutation_score"],
        allow_unreviewed=check.get("allow_unreviewed", False),
        allow_empty=check.get("allow_empty", False),
        scan_secrets=check.get("secrets", True),
        scanner=SecretScanner.from_config(check),
    )


@dataclass
class CaseCheck:
    """The verdict on one case file, as plain data that crosses process boundaries."""

    target: str
    case_id: str
    path: str
    status: CaseStatus
    error: str | None = None
    error_kind: ErrorKind | None = None
    #: The differences rendered as text (cut at a limit), for people.
    diff: str = ""
    #: Every difference as JSON-ready data, for tools.
    differences: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    #: The recorded call in one line, for cases that did not behave the same.
    inputs: str | None = None
    reviewed: bool = True
    secrets: list[Finding] = field(default_factory=list)
    #: Line in the file of each finding (same order), for annotations.
    secret_lines: list[int] = field(default_factory=list)
    seconds: float = 0.0
    #: The case holds a statistical master (``record --runs``): judged after the exact pass.
    statistical: bool = False
    #: The statistical verdict as JSON-ready data (``StatisticalVerdict.to_data``).
    statistics: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """``calc:add case-3f2a9c01d2e4b5a6``: how reports name the case."""
        return f"{self.target} case-{self.case_id}"

    @property
    def failed(self) -> bool:
        return self.status in (CaseStatus.CHANGED, CaseStatus.UNSTABLE, CaseStatus.ERROR)


@dataclass
class PolicyFailure:
    """A reason the net is not sound although behaviour did not change."""

    kind: PolicyKind
    name: str
    message: str
    path: str | None = None
    line: int = 1
    details: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "details": list(self.details),
        }


@dataclass
class CheckReport:
    """Everything a run found; the formats (text, JSON, GitHub, JUnit) read only this."""

    store: str
    cases: list[CaseCheck]
    policy: list[PolicyFailure]
    options: CheckOptions
    coverage: dict[str, Any] | None = None
    seconds: float = 0.0
    #: The strength of each target's masters (``min_mutation_score``), as plain data:
    #: one ``MutationReport.to_data()`` entry per target, or ``{target, problem}``.
    mutation: list[dict[str, Any]] | None = None
    #: files killed recordings left in the store (``.tmp-*``, blobs no case names):
    #: shown, never failing the run; ``legacy-harness record`` of the target deletes them
    leftovers: list[str] = field(default_factory=list)

    @property
    def summary(self) -> RunSummary:
        """Counts, exit code and verdict, by the rules ``verify`` uses too."""
        return summarize(
            self.cases,
            policy_failures=len(self.policy),
            allow_empty=self.options.allow_empty,
            wording=CHECK_WORDING,
            command="check",
        )

    @property
    def exit_code(self) -> ExitCode:
        """ERROR, else CHANGED, else NO_CASES (unless allowed), else POLICY, else SAME."""
        return self.summary.exit_code

    @property
    def verdict(self) -> str:
        return self.summary.verdict

    def by_target(self) -> dict[str, list[CaseCheck]]:
        grouped: dict[str, list[CaseCheck]] = {}
        for case in self.cases:
            grouped.setdefault(case.target, []).append(case)
        return dict(sorted(grouped.items()))

    def policy_of(self, kind: PolicyKind) -> list[PolicyFailure]:
        return [failure for failure in self.policy if failure.kind == kind]
