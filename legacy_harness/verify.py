"""Verify a store: load every case, replay it, compare, and collect verdicts.

The CLI, the pytest plugin and the CI check all call :func:`verify_case`, so a case
passes or fails for the same reason whichever way it is run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.compare import Difference, Policy, compare_observed, policy_from_config
from legacy_harness.config import Config, add_pythonpath
from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.outcomes import CaseStatus, DifferenceKind
from legacy_harness.record.boundaries import held
from legacy_harness.record.project import project_modules
from legacy_harness.record.redact import Redactor
from legacy_harness.record.targets import ResolvedTarget, resolve_stored
from legacy_harness.replay import Replayed, case_tape, observed_view, replay
from legacy_harness.report.inputs import compact_call
from legacy_harness.store import codec
from legacy_harness.store.disk import GoldenStore, StoredCase, case_blob_names
from legacy_harness.store.layout import TargetSpec

# the words of a verdict, as the vocabulary spells them (kept importable from here)
PASSED, CHANGED, UNSTABLE, ERROR, SKIPPED = (
    CaseStatus.PASSED,
    CaseStatus.CHANGED,
    CaseStatus.UNSTABLE,
    CaseStatus.ERROR,
    CaseStatus.SKIPPED,
)


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
    #: The recorded call in one line, for cases that did not behave the same.
    inputs: str | None = None
    #: The case holds a statistical master (``record --runs``), judged against fresh seeds.
    statistical: bool = False


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
        class_policy = codec.ClassPolicy(project_modules(config))
        return cls(
            config,
            store,
            policy or policy_from_config(config.comparison_table()),
            class_policy,
            Redactor.from_config(config.table),
        )

    def blob_reader(self, target: str, extra: dict[str, bytes] | None = None) -> Any:
        def read(name: str) -> bytes:
            if extra and name in extra:
                return extra[name]
            return self.store.read_blob(target, name)

        return read

    def target_of(self, stored: StoredCase) -> ResolvedTarget:
        """The stored case's target in today's code, if the project may replay it."""
        return resolve_stored(
            stored.case.target, self.config, case_path=stored.path, store_root=self.store.root
        )

    def class_policy_for(self, target: str) -> codec.ClassPolicy:
        package = TargetSpec.parse(target).package
        if self.class_policy.allows(package):
            return self.class_policy
        return codec.ClassPolicy(self.class_policy.allowed | {package})


def verify_case(session: VerifySession, stored: StoredCase, *, runs: int = 1) -> CaseResult:
    """Replay ``stored`` ``runs`` times against today's code and judge it."""
    case = stored.case
    result = CaseResult(
        case.target, case.id, stored.path, PASSED, statistical=case.distribution is not None
    )
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
        target = session.target_of(stored)
        expected = observed_view(
            redact(case.observation, session.blob_reader(case.target))[0],
            session.blob_reader(case.target),
            class_policy,
            tape=case_tape(case),
        )
        views = []
        for _ in range(max(1, runs)):
            replayed = replay(
                case,
                session.blob_reader(case.target),
                class_policy,
                target=target,
                root=session.config.root,
            )
            if replayed.blocked or replayed.mismatches:
                return _tape_verdict(result, stored, replayed)
            read_new = session.blob_reader(case.target, replayed.blobs)
            views.append(
                observed_view(
                    redact(replayed.observation, read_new)[0],
                    read_new,
                    class_policy,
                    tape=replayed.tape,
                )
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
            result.suggestion = suggest_config(
                unstable, target=case.target, overrides=session.config.overrides_key
            )
            result.inputs = compact_call(case.target, case.inputs)
            return result
    result.differences = compare_observed(expected, views[0], session.policy, target=case.target)
    if result.differences:
        result.status = CHANGED
        result.inputs = compact_call(case.target, case.inputs)
    return result


def _tape_verdict(result: CaseResult, stored: StoredCase, replayed: Replayed) -> CaseResult:
    """Outside access the guard blocked: the case cannot replay (an error, never a pass).
    A boundary call the tape does not hold: behaviour changed, named with the nearest
    recorded call and what differs."""
    if replayed.blocked:
        return _error(result, f"{stored.path}: " + "; ".join(dict.fromkeys(replayed.blocked)))
    result.status = CHANGED
    lines = [mismatch.render() for mismatch in replayed.mismatches]
    result.explanation = "\n".join(lines)
    result.differences = [
        Difference(
            f"tape ({mismatch.call.boundary})",
            DifferenceKind.VALUE,
            mismatch.nearest.describe() if mismatch.nearest is not None else None,
            mismatch.call.describe(),
            detail={"message": line},
        )
        for mismatch, line in zip(replayed.mismatches, lines, strict=True)
    ]
    return result


def _error(result: CaseResult, message: str) -> CaseResult:
    result.status = ERROR
    result.error = message
    return result


def iter_results(
    session: VerifySession, targets: Iterable[str] | None = None, *, runs: int = 1
) -> Iterator[CaseResult]:
    """Verdicts for every case of the store (or of ``targets``), bad files included.

    Boundaries stay patched for the whole run rather than being patched per case."""
    with held():
        for item in session.store.iter_cases(list(targets) if targets else None):
            if isinstance(item, GoldenFileError):
                path = Path(item.path)
                yield CaseResult("?", path.stem.removeprefix("case-"), path, ERROR, error=str(item))
                continue
            yield verify_case(session, item, runs=runs)


def update_case(session: VerifySession, stored: StoredCase) -> tuple[str, list[Difference]]:
    """Replace a master's observation with today's behaviour; inputs and id stay.

    Returns the store's write status and the differences that the update accepted, so
    callers can print what changed.
    """
    from dataclasses import replace as dataclass_replace

    case = stored.case
    class_policy = session.class_policy_for(case.target)
    read_old = session.blob_reader(case.target)
    replayed = replay(
        case,
        read_old,
        class_policy,
        target=session.target_of(stored),
        root=session.config.root,
    )
    if replayed.blocked or replayed.mismatches:
        problems = replayed.blocked or [m.render() for m in replayed.mismatches]
        raise HarnessError(
            f"case {case.id} of {case.target} cannot take today's behaviour: {problems[0]};"
            " re-record it (legacy-harness record --mode all)"
        )
    replayed.observation = session.redactor.redact_observation(
        replayed.observation, replayed.blobs
    )[0]
    read_new = session.blob_reader(case.target, replayed.blobs)
    differences = compare_observed(
        observed_view(case.observation, read_old, class_policy, tape=case_tape(case)),
        observed_view(replayed.observation, read_new, class_policy, tape=replayed.tape),
        session.policy,
        target=case.target,
    )
    updated = dataclass_replace(
        case,
        observation=replayed.observation,
        meta=dict(case.meta),
        tape=replayed.tape_tree,
    )
    updated.blobs = {name: read_new(name) for name in case_blob_names(updated)}
    updated.meta.pop("reviewed", None)
    return session.store.write(updated, overwrite=True), differences
