"""The CI gate: verify every master in parallel, then apply the project's policies.

One run answers two questions: did the behaviour of the characterized code change
(exit 1), and is the net still sound (exit 2 for masters that cannot be used, 3 for
policy failures: cases nobody reviewed, secrets in golden files, coverage below the
threshold). Workers each open their own :class:`~legacy_harness.verify.VerifySession`
and verify a chunk of case files, so a case passes or fails for the same reason as
under ``legacy-harness verify``; what they send back is plain data (rendered diffs,
not live values), so any recorded value survives the trip between processes.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.config import Config
from legacy_harness.errors import ConfigError, GoldenFileError, TargetError
from legacy_harness.store.secret_scan import Finding, SecretScanner, locate_line
from legacy_harness.verify import (
    CHANGED,
    ERROR,
    PASSED,
    SKIPPED,
    UNSTABLE,
    CaseResult,
    VerifySession,
    verify_case,
)

__all__ = [
    "EXIT_CHANGED",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_POLICY",
    "CaseCheck",
    "CheckOptions",
    "CheckReport",
    "PolicyFailure",
    "options_from_config",
    "run_check",
]

EXIT_OK, EXIT_CHANGED, EXIT_ERROR, EXIT_POLICY = 0, 1, 2, 3

#: Kinds of :class:`PolicyFailure`.
UNREVIEWED, SECRET, COVERAGE = "unreviewed", "secret", "coverage"
#: ``CaseCheck.error_kind`` values.
LOAD_ERROR, MISSING_TARGET, REPLAY_ERROR = "load", "missing-target", "replay"

#: Differences rendered per changed case (the JSON form carries them all).
DIFF_LIMIT = 20


@dataclass
class CheckOptions:
    """What to enforce; the CLI fills it from flags over ``[tool.legacy_harness.check]``."""

    jobs: int = 1
    min_coverage: float | None = None
    allow_unreviewed: bool = False
    scan_secrets: bool = True
    scanner: SecretScanner = field(default_factory=SecretScanner)


def options_from_config(table: Mapping[str, Any]) -> CheckOptions:
    """Defaults from ``[tool.legacy_harness.check]``.

    Keys: ``min_coverage`` (percent), ``allow_unreviewed``, ``secrets`` (scan golden
    files, default true), ``allow_emails``, ``allow`` (regexes of accepted findings),
    ``jobs``.
    """
    check = table.get("check", {})
    where = "[tool.legacy_harness.check]"
    if not isinstance(check, Mapping):
        raise ConfigError(f"{where} must be a table, e.g. [tool.legacy_harness.check]")
    known = {"min_coverage", "allow_unreviewed", "secrets", "allow_emails", "allow", "jobs"}
    unknown = sorted(set(check) - known)
    if unknown:
        raise ConfigError(
            f"{where} has unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}"
        )
    minimum = check.get("min_coverage")
    if minimum is not None and (
        isinstance(minimum, bool)
        or not isinstance(minimum, (int, float))
        or not 0 <= minimum <= 100
    ):
        raise ConfigError(f"{where} min_coverage must be a percentage, e.g. min_coverage = 80")
    for name in ("allow_unreviewed", "secrets"):
        if not isinstance(check.get(name, False), bool):
            raise ConfigError(f"{where} {name} must be true or false")
    jobs = check.get("jobs", 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"{where} jobs must be a positive integer")
    return CheckOptions(
        jobs=jobs,
        min_coverage=float(minimum) if minimum is not None else None,
        allow_unreviewed=check.get("allow_unreviewed", False),
        scan_secrets=check.get("secrets", True),
        scanner=SecretScanner.from_config(check),
    )


@dataclass
class CaseCheck:
    """The verdict on one case file, as plain data that crosses process boundaries."""

    target: str
    case_id: str
    path: str
    status: str
    error: str | None = None
    error_kind: str | None = None
    diff: str = ""
    differences: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    reviewed: bool = True
    secrets: list[Finding] = field(default_factory=list)
    #: Line in the file of each finding (same order), for annotations.
    secret_lines: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status in (CHANGED, UNSTABLE, ERROR)


@dataclass
class PolicyFailure:
    """A reason the net is not sound although behaviour did not change."""

    kind: str
    name: str
    message: str
    path: str | None = None
    line: int = 1
    details: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    """Everything a run found; renderers (text, JSON, JUnit, GitHub) read only this."""

    store: str
    cases: list[CaseCheck]
    policy: list[PolicyFailure]
    options: CheckOptions
    coverage: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """2 masters unusable, else 1 behaviour changed, else 3 policy failures, else 0."""
        statuses = {case.status for case in self.cases}
        if ERROR in statuses:
            return EXIT_ERROR
        if CHANGED in statuses or UNSTABLE in statuses:
            return EXIT_CHANGED
        if self.policy:
            return EXIT_POLICY
        return EXIT_OK

    def counts(self) -> dict[str, int]:
        counts = {PASSED: 0, CHANGED: 0, UNSTABLE: 0, ERROR: 0, SKIPPED: 0}
        for case in self.cases:
            counts[case.status] = counts.get(case.status, 0) + 1
        return counts

    def by_target(self) -> dict[str, list[CaseCheck]]:
        grouped: dict[str, list[CaseCheck]] = {}
        for case in self.cases:
            grouped.setdefault(case.target, []).append(case)
        return dict(sorted(grouped.items()))

    def policy_of(self, kind: str) -> list[PolicyFailure]:
        return [failure for failure in self.policy if failure.kind == kind]


# -- the workers ----------------------------------------------------------------------

_SESSION: VerifySession | None = None
_OPTIONS: CheckOptions | None = None


def _init_worker(config: Config, options: CheckOptions) -> None:
    """Open one session per process: config, policies and class rules are read once."""
    global _SESSION, _OPTIONS
    _SESSION = VerifySession.open(config)
    _OPTIONS = options


def _check_chunk(paths: Sequence[Path]) -> list[CaseCheck]:
    assert _SESSION is not None and _OPTIONS is not None, "worker not initialised"
    return [check_path(_SESSION, _OPTIONS, path) for path in paths]


def check_path(session: VerifySession, options: CheckOptions, path: Path) -> CaseCheck:
    """Load, verify and scan one case file."""
    from legacy_harness.report.render import render_text, to_data

    started = time.perf_counter()
    try:
        stored = session.store.load(path)
    except GoldenFileError as error:
        target = _target_from_path(session.store.root, path)
        return CaseCheck(
            target,
            path.stem.removeprefix("case-"),
            str(path),
            ERROR,
            error=str(error),
            error_kind=LOAD_ERROR,
            seconds=time.perf_counter() - started,
        )
    case = stored.case
    try:
        result = verify_case(session, stored)
    except Exception as error:  # noqa: BLE001 - one broken case must not stop the gate
        result = CaseResult(case.target, case.id, path, ERROR)
        result.error = f"{path}: verifying failed unexpectedly ({type(error).__name__}: {error})"
    checked = CaseCheck(
        case.target,
        case.id,
        str(path),
        result.status,
        error=result.error,
        note=result.note,
        reviewed="reviewed" in case.meta,
    )
    if result.status == ERROR:
        checked.error_kind = REPLAY_ERROR
        try:
            from legacy_harness.record.targets import resolve

            resolve(case.target)
        except TargetError:
            checked.error_kind = MISSING_TARGET
        except Exception:  # noqa: BLE001 - importing the module failed: a replay error
            pass
    if result.differences:
        checked.diff = render_text(result.differences, limit=DIFF_LIMIT)
        checked.differences = to_data(result.differences)
    if options.scan_secrets:
        findings = options.scanner.scan_case(case, session.blob_reader(case.target))
        if findings:
            text = path.read_text(encoding="utf-8")
            checked.secrets = findings
            checked.secret_lines = [
                locate_line(text, f.needle, f.path.split(".", 1)[0].split("[", 1)[0])
                for f in findings
            ]
    checked.seconds = time.perf_counter() - started
    return checked


def _target_from_path(root: Path, path: Path) -> str:
    try:
        parts = path.parent.relative_to(root).parts
    except ValueError:
        return "?"
    return f"{parts[0]}:{parts[1]}" if len(parts) == 2 else "?"


# -- the run --------------------------------------------------------------------------


def _chunks(items: list[Path], jobs: int) -> Iterator[list[Path]]:
    size = max(20, min(500, len(items) // (jobs * 8) or 1))
    for start in range(0, len(items), size):
        yield items[start : start + size]


Progress = Callable[[int, int], None]


def verify_all(
    config: Config, options: CheckOptions, progress: Progress | None = None
) -> list[CaseCheck]:
    """Verify every case file of the store in ``options.jobs`` processes."""
    from legacy_harness.store.disk import GoldenStore

    paths = list(GoldenStore(config.store).iter_paths())
    total = len(paths)
    done = 0
    results: list[CaseCheck] = []
    if progress:
        progress(0, total)
    jobs = max(1, min(options.jobs, (total + 19) // 20 or 1))
    if jobs == 1:
        session = VerifySession.open(config)
        for chunk in _chunks(paths, 1):
            results.extend(check_path(session, options, path) for path in chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    else:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with context.Pool(jobs, initializer=_init_worker, initargs=(config, options)) as pool:
            for part in pool.imap_unordered(_check_chunk, _chunks(paths, jobs)):
                results.extend(part)
                done += len(part)
                if progress:
                    progress(done, total)
    results.sort(key=lambda c: c.path)
    return results


def apply_policies(
    cases: list[CaseCheck], options: CheckOptions, coverage: dict[str, Any] | None
) -> list[PolicyFailure]:
    """Policy failures from verified cases and (optionally) measured coverage."""
    failures: list[PolicyFailure] = []
    if not options.allow_unreviewed:
        pending: dict[str, list[CaseCheck]] = {}
        for case in cases:
            if not case.reviewed and case.status != ERROR:
                pending.setdefault(case.target, []).append(case)
        for target, items in sorted(pending.items()):
            failures.append(
                PolicyFailure(
                    UNREVIEWED,
                    target,
                    f"{len(items)} case(s) of {target} recorded but not reviewed;"
                    " run 'legacy-harness review' or 'legacy-harness approve "
                    f"{target}' (or pass --allow-unreviewed)",
                    path=items[0].path,
                    details=[item.path for item in items],
                )
            )
    for case in cases:
        for finding, line in zip(case.secrets, case.secret_lines, strict=True):
            failures.append(
                PolicyFailure(
                    SECRET,
                    f"{case.target} case-{case.case_id}",
                    f"{finding.message()}; redact it ([tool.legacy_harness.redact]) and"
                    " re-record, or allow it in [tool.legacy_harness.check] allow",
                    path=case.path,
                    line=line,
                )
            )
    if coverage is not None and options.min_coverage is not None:
        percent = float(coverage["percent"])
        if percent < options.min_coverage:
            below = [
                f"{t['target']}: {t['percent']:.1f}%"
                for t in coverage.get("targets", [])
                if t["percent"] < options.min_coverage
            ]
            failures.append(
                PolicyFailure(
                    COVERAGE,
                    "coverage",
                    f"the masters cover {percent:.1f}% of the targets' code, below the"
                    f" required {options.min_coverage:g}%; record or generate more cases"
                    " (legacy-harness widen) or lower --min-coverage",
                    details=below,
                )
            )
    return failures


def measure(config: Config) -> dict[str, Any]:
    """Coverage of the targets' code by replaying the masters, as plain data."""
    try:
        from legacy_harness.widen.measure import measure_coverage
    except ImportError as error:
        raise ConfigError(
            f"--min-coverage needs legacy_harness.widen.measure, which is not available ({error});"
            " drop --min-coverage or update legacy-harness"
        ) from None
    from legacy_harness.record.targets import resolve

    session = VerifySession.open(config)
    present = []
    for target in session.store.targets():
        try:  # a target that disappeared is reported as a master error, not measured
            resolve(target)
        except TargetError:
            continue
        present.append(target)
    if not present:
        return {"percent": 0.0 if session.store.targets() else 100.0, "targets": []}
    result = measure_coverage(session, present)
    return {
        "percent": float(result.percent),
        "targets": [{"target": str(t.target), "percent": float(t.percent)} for t in result.targets],
    }


def run_check(
    config: Config, options: CheckOptions, progress: Progress | None = None
) -> CheckReport:
    """Verify every master, measure coverage when asked, and apply the policies."""
    started = time.perf_counter()
    cases = verify_all(config, options, progress)
    coverage = measure(config) if options.min_coverage is not None else None
    failures = apply_policies(cases, options, coverage)
    return CheckReport(
        str(config.store), cases, failures, options, coverage, time.perf_counter() - started
    )
