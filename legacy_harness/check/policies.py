"""The gate's policies: is the net sound although behaviour did not change?

Four policies, each a pure function of what the verify pass found: every case was
reviewed by a person, no golden file holds a secret, replaying the masters covers
enough of the targets' code, and the masters kill enough mutants of it (coverage is not
strength). Each failure says what to run or configure to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from legacy_harness.check.model import CaseCheck, CheckOptions, PolicyFailure, PolicyKind
from legacy_harness.config import Config
from legacy_harness.errors import ConfigError, GoldenFileError, TargetError
from legacy_harness.outcomes import CaseStatus
from legacy_harness.store.case import GoldenCase
from legacy_harness.store.secret_scan import Finding, SecretScanner, locate_line

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.parallel import Executor
    from legacy_harness.verify import VerifySession

__all__ = [
    "apply_policies",
    "coverage_policy",
    "docs_policy",
    "find_secrets",
    "measure",
    "measure_mutation",
    "mutation_policy",
    "secrets_policy",
    "unreviewed_policy",
]


def unreviewed_policy(cases: list[CaseCheck]) -> list[PolicyFailure]:
    """One failure per target with cases nobody reviewed (unusable masters aside: they
    already fail the run as errors)."""
    pending: dict[str, list[CaseCheck]] = {}
    for case in cases:
        if not case.reviewed and case.status != CaseStatus.ERROR:
            pending.setdefault(case.target, []).append(case)
    return [
        PolicyFailure(
            PolicyKind.UNREVIEWED,
            target,
            f"{len(items)} case(s) of {target} recorded but not reviewed;"
            f" run 'legacy-harness review' or 'legacy-harness approve {target}'"
            " (or pass --allow-unreviewed)",
            path=items[0].path,
            details=[item.path for item in items],
        )
        for target, items in sorted(pending.items())
    ]


def find_secrets(
    scanner: SecretScanner, case: GoldenCase, path: Path, blobs: Any = None
) -> tuple[list[Finding], list[int]]:
    """What looks like a secret in one case (its blobs too, read through ``blobs``), and
    the line of each finding in its file (read only when something was found)."""
    findings = scanner.scan_case(case, blobs)
    if not findings:
        return [], []
    text = path.read_text(encoding="utf-8")
    lines = [
        locate_line(text, found.needle, found.path.split(".", 1)[0].split("[", 1)[0])
        for found in findings
    ]
    return findings, lines


def secrets_policy(cases: list[CaseCheck]) -> list[PolicyFailure]:
    """One failure per finding, on its file and line, so an annotation lands on it."""
    return [
        PolicyFailure(
            PolicyKind.SECRET,
            case.name,
            f"{finding.message()}; redact it ([tool.legacy_harness.redact]) and"
            " re-record, or allow it in [tool.legacy_harness.check] allow",
            path=case.path,
            line=line,
        )
        for case in cases
        for finding, line in zip(case.secrets, case.secret_lines, strict=True)
    ]


def coverage_policy(coverage: dict[str, Any], minimum: float) -> list[PolicyFailure]:
    """A failure when the masters cover less than ``minimum`` percent, listing the
    targets below it."""
    percent = float(coverage["percent"])
    if percent >= minimum:
        return []
    below = [
        f"{entry['target']}: {entry['percent']:.1f}%"
        for entry in coverage.get("targets", [])
        if entry["percent"] < minimum
    ]
    return [
        PolicyFailure(
            PolicyKind.COVERAGE,
            "coverage",
            f"the masters cover {percent:.1f}% of the targets' code, below the"
            f" required {minimum:g}%; record or generate more cases"
            " (legacy-harness characterize) or lower --min-coverage",
            details=below,
        )
    ]


def docs_policy(folder: str, stale: list[str]) -> list[PolicyFailure]:
    """A failure when committed behaviour pages no longer say what the masters say."""
    if not stale:
        return []
    return [
        PolicyFailure(
            PolicyKind.DOCS,
            "docs",
            f"{len(stale)} behaviour page(s) in {folder} are stale; run"
            f" 'legacy-harness docs --out {folder}' and commit the pages",
            path=folder,
            details=stale,
        )
    ]


def mutation_policy(scores: list[dict[str, Any]], minimum: float) -> list[PolicyFailure]:
    """One failure per target whose masters kill less than ``minimum`` percent of the
    mutants counted (equivalent ones are not), listing its survivors with their lines."""
    failures = []
    for entry in scores:
        if entry.get("problem"):
            failures.append(
                PolicyFailure(
                    PolicyKind.MUTATION,
                    entry["target"],
                    f"{entry['target']}: no mutation score ({entry['problem']})",
                )
            )
            continue
        if float(entry["score"]) >= minimum:
            continue
        failures.append(
            PolicyFailure(
                PolicyKind.MUTATION,
                entry["target"],
                f"the masters of {entry['target']} kill {entry['killed']} of"
                f" {entry['killed'] + entry['survived']} mutants ({entry['score']:.1f}%), below"
                f" the required {minimum:g}%; widen the net (legacy-harness characterize"
                f" --target {entry['target']}) or lower --min-mutation-score",
                details=[
                    f"survived line {item['line']} ({item['description']}): {item['source']}"
                    for item in entry.get("survivors", [])
                ],
            )
        )
    return failures


def apply_policies(
    cases: list[CaseCheck], options: CheckOptions, coverage: dict[str, Any] | None
) -> list[PolicyFailure]:
    """Every policy failure of a run, in the order reports list them."""
    failures = [] if options.allow_unreviewed else unreviewed_policy(cases)
    failures += secrets_policy(cases)
    if coverage is not None and options.min_coverage is not None:
        failures += coverage_policy(coverage, options.min_coverage)
    return failures


def measure_mutation(config: Config, *, jobs: int = 1, printed: Any = None) -> list[dict[str, Any]]:
    """The strength of every target's masters, computed here and now: never read from
    the store's saved scores, which arrive in pull requests like any golden file. Only
    the search verdicts saved there for today's source (survivors no search could kill)
    are shown apart, as ``mutate`` shows them. ``printed``: a stream for the strength
    report. Targets whose masters already fail are left to the verify verdict. Mutants
    run on ``jobs`` processes, or where ``[tool.legacy_harness] executor`` says."""
    try:
        from legacy_harness.widen.strength import read_scores
    except ImportError as error:
        raise ConfigError(
            f"--min-mutation-score needs legacy_harness.widen.strength, which is not available"
            f" ({error}); drop --min-mutation-score or update legacy-harness"
        ) from None
    from types import SimpleNamespace

    from legacy_harness.parallel import executor_from
    from legacy_harness.verify import VerifySession

    session = VerifySession.open(config)
    saved, _ = read_scores(session.store.root)
    chosen = SimpleNamespace(jobs=jobs, executor=None, scheduler=None)
    with executor_from(config, chosen) as executor:
        return _strengths(session, saved, executor, printed)


def _strengths(
    session: VerifySession, saved: dict[str, Any], executor: Executor, printed: Any
) -> list[dict[str, Any]]:
    """Each target's strength entry (or why it has none), measured on ``executor``."""
    from legacy_harness.errors import HarnessError
    from legacy_harness.record.targets import resolve_stored, source_hash
    from legacy_harness.widen.strength import claims_for, notes_for, run_mutants

    config = session.config
    scores: list[dict[str, Any]] = []
    for target in session.store.targets():
        try:
            function = resolve_stored(target, config).function
        except (TargetError, GoldenFileError):
            continue  # reported as a master error
        try:
            report = run_mutants(
                session,
                target,
                executor=executor,
                claims=claims_for(saved.get(target), source_hash(function)),
                notes=notes_for(saved.get(target), source_hash(function)),
            )
        except HarnessError as error:
            if "already fail" in str(error):
                continue  # the verify verdict fails the run already
            scores.append({"target": target, "problem": str(error)})
            continue
        filename = getattr(getattr(function, "__code__", None), "co_filename", None)
        if printed is not None:
            printed.write(report.render(filename) + "\n")
        scores.append(report.to_data(filename))
    return scores


def measure(config: Config) -> dict[str, Any]:
    """Coverage of the targets' code by replaying the masters, as plain data."""
    try:
        from legacy_harness.widen.measure import measure_coverage
    except ImportError as error:
        raise ConfigError(
            f"--min-coverage needs legacy_harness.widen.measure, which is not available ({error});"
            " drop --min-coverage or update legacy-harness"
        ) from None
    from legacy_harness.record.targets import resolve_stored
    from legacy_harness.verify import VerifySession

    session = VerifySession.open(config)
    present = []
    for target in session.store.targets():
        try:  # a target that disappeared is reported as a master error, not measured
            resolve_stored(target, config)
        except (TargetError, GoldenFileError):
            continue
        present.append(target)
    if not present:
        return {"percent": 0.0 if session.store.targets() else 100.0, "targets": []}
    result = measure_coverage(session, present)
    return {
        "percent": float(result.percent),
        "targets": [{"target": str(t.target), "percent": float(t.percent)} for t in result.targets],
    }
