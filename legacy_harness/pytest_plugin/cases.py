"""One stored case run as a test: replay, compare, maybe rewrite, and a verdict.

The item only raises or skips by the verdict; everything that decides lives here, on
plain values, so it can be tested without pytest collecting anything. A case passes
only when it was replayed and behaved as recorded (or was rewritten on request): a file
that cannot be read, a case that cannot be replayed, a case whose fields do not match
the file it is in, are errors, never passes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legacy_harness.errors import HarnessError
from legacy_harness.outcomes import CaseStatus, MasterStatus, WriteStatus
from legacy_harness.pytest_plugin.confine import confined
from legacy_harness.pytest_plugin.masters import CheckEvent, CheckSettings
from legacy_harness.record.project import trusted_target
from legacy_harness.report.render import render_text
from legacy_harness.store.disk import StoredCase
from legacy_harness.store.layout import BLOB_FOLDER, TargetSpec
from legacy_harness.verify import VerifySession, update_case, verify_case

if TYPE_CHECKING:
    from legacy_harness.stochastic.gate import StatisticalVerdict

__all__ = ["CaseRun", "CaseVerdict", "Statistical", "run_case", "vanished"]


@dataclass(frozen=True)
class CaseVerdict:
    """What one stored case came to: the event for the summary and how the item ends.

    ``failure`` is the whole report the item fails with; ``skipped`` says why the item
    is skipped (only when its target vanished: then the event marks the master unused
    and the session fails the run for it, unless asked to only warn).
    """

    event: CheckEvent
    failure: str | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class CaseRun:
    """Where one case is and how to show it: the item's facts, without pytest."""

    path: Path
    target: str  # from the folder names
    master: str  # relative to the store, as fixture masters are
    shown: str  # the path as the user reads it
    color: bool = False


def _error(run: CaseRun, message: str) -> CaseVerdict:
    return CaseVerdict(CheckEvent(CaseStatus.ERROR, run.master), failure=message)


#: The statistical verdict of a case with a statistical master, judged with the run's others.
Statistical = Callable[[StoredCase], "StatisticalVerdict | None"]


def run_case(
    session: VerifySession,
    settings: CheckSettings,
    run: CaseRun,
    statistical: Statistical | None = None,
) -> CaseVerdict:
    """Replay the case at ``run.path`` and judge it; rewrite it when the run asks to.

    A case with a statistical master (``record --runs``) is judged as ``verify`` and
    ``check`` judge it: its seed-dependent leaves by ``statistical`` (fresh seeds, Holm
    across the run), every other leaf exactly."""
    try:
        stored = session.store.load(run.path)
    except HarnessError as error:
        return _error(run, str(error))
    case = stored.case
    try:  # the file's place decided the item and is where an update writes
        trusted_target(
            case.target, session.config, case_path=run.path, store_root=session.store.root
        )
    except HarnessError as error:
        return _error(run, str(error))
    if not case.replayable:
        reasons = "; ".join(map(str, case.meta.get("unencodable", []))) or "unknown values"
        return _error(
            run,
            f"{run.shown}: cannot be replayed: it holds values that could not be recorded"
            f" ({reasons}); register a codec for them and record the case again",
        )
    why = vanished(case.target)
    if why:
        event = CheckEvent(CaseStatus.SKIPPED, run.master, unused=why)
        return CaseVerdict(event, skipped=f"unused master: {why}")
    if settings.rewrites_all:
        return _rewrite(session, stored, run)
    result = verify_case(session, stored)
    if case.distribution is not None and statistical is not None:
        from legacy_harness.stochastic.gate import exact_part, master_of

        try:
            master = master_of(session, stored)
        except HarnessError as error:
            return _error(run, str(error))
        if master is not None:
            result = exact_part(result, master)
        if result.status == CaseStatus.PASSED:
            try:
                verdict = statistical(stored)
            except HarnessError as error:
                return _error(run, f"{run.shown}: statistical master not judged: {error}")
            if verdict is not None and verdict.failed:
                return _moved(run, verdict)
    if result.status == CaseStatus.PASSED:
        return CaseVerdict(CheckEvent(MasterStatus.PASSED, run.master))
    if result.status != CaseStatus.CHANGED:
        return _error(run, result.error or f"{run.shown}: {result.status}")
    if settings.update:
        return _rewrite(session, stored, run)
    count = len(result.differences)
    report = render_text(
        result.differences,
        limit=session.policy.max_differences,
        color=run.color,
        title=f"{run.target} case {case.id}: behaviour changed"
        f" ({count} difference{'s' if count != 1 else ''})",
    )
    return CaseVerdict(
        CheckEvent(MasterStatus.CHANGED, run.master, report),
        failure=f"{report}\ninputs: {result.inputs}\nmaster: {run.shown}"
        "\naccept today's behaviour with --golden-update",
    )


def _moved(run: CaseRun, verdict: StatisticalVerdict) -> CaseVerdict:
    """A distribution moved: which leaves, how far, and their histograms. Never
    rewritten by ``--golden-update``: a statistical master is recorded anew."""
    report = (
        f"{run.target} case {verdict.case_id}: distribution changed"
        f" (alpha {verdict.alpha:g}, Holm across the run)\n{verdict.explanation}"
    )
    return CaseVerdict(
        CheckEvent(MasterStatus.CHANGED, run.master, report),
        failure=f"{report}\nmaster: {run.shown}\naccept today's behaviour by recording"
        " the statistical master again: legacy-harness record --runs N",
    )


def _rewrite(session: VerifySession, stored: StoredCase, run: CaseRun) -> CaseVerdict:
    """Replace the master with today's behaviour, inside the store and through no link."""
    root = session.store.root
    try:
        confined(root, run.path)
        confined(root, run.path.parent / BLOB_FOLDER)
        if confined(root, session.store.case_path(stored.case)) != confined(root, run.path):
            return _error(run, f"{run.shown}: the case would be written elsewhere; not updated")
        written, differences = update_case(session, stored)
    except HarnessError as error:
        return _error(run, f"{run.shown}: cannot be updated: {error}")
    shown = ""
    if differences:
        shown = render_text(
            differences,
            limit=session.policy.max_differences,
            title=f"{run.master}: {len(differences)} difference(s) accepted",
        )
    kind = MasterStatus.UPDATED if written == WriteStatus.UPDATED else MasterStatus.PASSED
    return CaseVerdict(CheckEvent(kind, run.master, shown))


def vanished(target: str) -> str | None:
    """Why ``target`` no longer exists in today's code, or None if it does.

    Called once collection found the module in the project; importing it here is what
    replay does next anyway. A module that fails to import is not vanished: replay
    reports its error.
    """
    try:
        spec = TargetSpec.parse(target)
        owner: Any = importlib.import_module(spec.module)
    except Exception:  # noqa: BLE001 - replay reports a broken module as the case's error
        return None
    for part in spec.qualname.split("."):
        namespace = getattr(owner, "__dict__", {})
        if part not in namespace:
            return f"{spec.module} has no {spec.qualname}"
        owner = namespace[part]
    return None
