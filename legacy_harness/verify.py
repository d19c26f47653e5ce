"""Verify a store: load every case, replay it, compare, and collect verdicts.

The CLI, the pytest plugin and the CI check all call :func:`verify_case`, so a case
passes or fails for the same reason whichever way it is run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.compare.engine import Difference, Policy, compare_observed
from legacy_harness.config import Config, add_pythonpath
from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.record.redact import Redactor
from legacy_harness.record.targets import resolve
from legacy_harness.replay import observed_view, replay
from legacy_harness.store import codec
from legacy_harness.store.disk import GoldenStore, StoredCase
from legacy_harness.store.layout import TargetSpec

PASSED, CHANGED, UNSTABLE, ERROR, SKIPPED = "passed", "changed", "unstable", "error", "skipped"


@dataclass
class CaseResult:
    """The verdict on one case."""

    target: str
    case_id: str
    path: Path
    status: str
    differences: list[Difference] = field(default_factory=list)
    error: str | None = None
    suggestion: str | None = None
    #: A verdict already rendered as text (statistical masters explain themselves).
    explanation: str | None = None
    #: Said about a verdict without changing it (e.g. inputs redacted at record time).
    note: str | None = None


@dataclass
class VerifySession:
    """Everything replay needs that is the same for every case of a run."""

    config: Config
    store: GoldenStore
    policy: Policy
    class_policy: codec.ClassPolicy
    redactor: Redactor = field(default_factory=Redactor)

    @classmethod
    def open(cls, config: Config, *, policy: Policy | None = None) -> VerifySession:
        add_pythonpath(config)
        store = GoldenStore(config.store)
        packages = {TargetSpec.parse(t).package for t in store.targets()}
        class_policy = codec.ClassPolicy(frozenset(packages | set(config.allow)))
        return cls(
            config,
            store,
            policy or Policy.from_config(config.comparison_table()),
            class_policy,
            Redactor.from_config(config.table),
        )

    def blob_reader(self, target: str, extra: dict[str, bytes] | None = None) -> Any:
        def read(name: str) -> bytes:
            if extra and name in extra:
                return extra[name]
            return self.store.read_blob(target, name)

        return read

    def class_policy_for(self, target: str) -> codec.ClassPolicy:
        package = TargetSpec.parse(target).package
        if self.class_policy.allows(package):
            return self.class_policy
        return codec.ClassPolicy(self.class_policy.allowed | {package})


def verify_case(session: VerifySession, stored: StoredCase, *, runs: int = 1) -> CaseResult:
    """Replay ``stored`` ``runs`` times against today's code and judge it."""
    case = stored.case
    result = CaseResult(case.target, case.id, stored.path, PASSED)
    if not case.replayable:
        result.status = SKIPPED
        result.error = "not replayable: " + "; ".join(case.meta.get("unencodable", []))
        return result
    class_policy = session.class_policy_for(case.target)
    redact = session.redactor.redact_observation
    redacted_inputs = [p for p in case.meta.get("redacted", ()) if str(p).startswith("inputs")]
    if redacted_inputs:
        result.note = "replayed with '<redacted>' in place of recorded inputs: " + ", ".join(
            map(str, redacted_inputs)
        )
    try:
        target = resolve(case.target)
        expected = observed_view(
            redact(case.observation, session.blob_reader(case.target))[0],
            session.blob_reader(case.target),
            class_policy,
        )
        views = []
        for _ in range(max(1, runs)):
            replayed = replay(case, session.blob_reader(case.target), class_policy, target=target)
            read_new = session.blob_reader(case.target, replayed.blobs)
            views.append(
                observed_view(redact(replayed.observation, read_new)[0], read_new, class_policy)
            )
    except GoldenFileError as error:
        return _error(result, str(error))
    except HarnessError as error:
        return _error(result, f"{stored.path}: {error}")
    if len(views) > 1:
        from legacy_harness.compare.unstable import find_unstable, suggest_config

        unstable = find_unstable(views, session.policy.for_target(case.target))
        if unstable:
            result.status = UNSTABLE
            result.differences = unstable
            result.suggestion = suggest_config(unstable, target=case.target)
            return result
    result.differences = compare_observed(expected, views[0], session.policy, target=case.target)
    if result.differences:
        result.status = CHANGED
    return result


def _error(result: CaseResult, message: str) -> CaseResult:
    result.status = ERROR
    result.error = message
    return result


def iter_results(
    session: VerifySession, targets: Iterable[str] | None = None, *, runs: int = 1
) -> Iterator[CaseResult]:
    """Verdicts for every case of the store (or of ``targets``), bad files included."""
    for item in session.store.iter_cases(list(targets) if targets else None):
        if isinstance(item, GoldenFileError):
            path = Path(item.path)
            yield CaseResult("?", path.stem.removeprefix("case-"), path, ERROR, error=str(item))
            continue
        yield verify_case(session, item, runs=runs)


@dataclass
class TargetTally:
    target: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def tally(results: Iterable[CaseResult]) -> list[TargetTally]:
    by_target: dict[str, TargetTally] = {}
    for result in results:
        entry = by_target.setdefault(result.target, TargetTally(result.target))
        entry.counts[result.status] = entry.counts.get(result.status, 0) + 1
    return [by_target[name] for name in sorted(by_target)]


def exit_code(results: Iterable[CaseResult]) -> int:
    """0 all the same, 1 some behaviour changed (or is unstable), 2 golden-file errors."""
    statuses = {result.status for result in results}
    if ERROR in statuses:
        return 2
    if CHANGED in statuses or UNSTABLE in statuses:
        return 1
    return 0


def update_case(session: VerifySession, stored: StoredCase) -> tuple[str, list[Difference]]:
    """Replace a master's observation with today's behaviour; inputs and id stay.

    Returns the store's write status and the differences that the update accepted, so
    callers can print what changed.
    """
    from dataclasses import replace as dataclass_replace

    case = stored.case
    class_policy = session.class_policy_for(case.target)
    read_old = session.blob_reader(case.target)
    replayed = replay(case, read_old, class_policy)
    replayed.observation = session.redactor.redact_observation(
        replayed.observation, replayed.blobs
    )[0]
    read_new = session.blob_reader(case.target, replayed.blobs)
    differences = compare_observed(
        observed_view(case.observation, read_old, class_policy),
        observed_view(replayed.observation, read_new, class_policy),
        session.policy,
        target=case.target,
    )
    blobs = {
        name: read_new(name) for name in _blob_names(case.inputs, case.rng, replayed.observation)
    }
    updated = dataclass_replace(
        case, observation=replayed.observation, blobs=blobs, meta=dict(case.meta)
    )
    updated.meta.pop("reviewed", None)
    return session.store.write(updated, overwrite=True), differences


def _blob_names(*trees: Any) -> set[str]:
    """Every blob a case's trees refer to, so a rewritten case carries all of them."""
    names: set[str] = set()
    stack: list[Any] = list(trees)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            blob = node.get("blob")
            if isinstance(blob, str) and "dtype" in node:
                names.add(blob)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(vars(node).values())
    return names
