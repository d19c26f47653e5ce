"""minimize: fewer cases, same arcs, every outcome kind kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from legacy_harness.config import Config
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import PASSED, VerifySession, iter_results
from legacy_harness.widen.characterize import characterize
from legacy_harness.widen.measure import measure_coverage
from legacy_harness.widen.minimize import apply, outcome_kind, plan

SOURCE = """
def classify(n, log):
    if n < 0:
        raise ValueError("negative")
    if n == 13:
        raise KeyError("unlucky")
    if n > 100:
        log.append(n)
        return "big"
    if n % 2:
        return "odd"
    return "even"
"""


@pytest.fixture
def store(make_module: Callable[..., ModuleType], tmp_path: Path) -> tuple[str, VerifySession]:
    module = make_module(SOURCE)
    target = f"{module.__name__}:classify"
    session = VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )
    recorder = Recorder([target], session.store)
    recorder.start()
    try:
        for n in [2, 4, 6, 8, 3, 5, 7, 101, 202, 303, 13, -1, -2, -3]:
            try:
                module.classify(n, [])
            except (ValueError, KeyError):
                pass
    finally:
        recorder.stop()
    return target, session


def test_minimize_keeps_arcs_and_outcome_kinds(store: tuple[str, VerifySession]) -> None:
    target, session = store
    before = measure_coverage(session, [target]).targets[0]
    kinds_before = {outcome_kind(s.case) for s in session.store.iter_cases([target])}  # type: ignore[union-attr]
    minimize_plan = plan(session, target)
    assert minimize_plan.before == 14
    # even, odd, big (with its effect on log), ValueError, KeyError: five cases
    assert minimize_plan.after == 5, [s.case.inputs for s in minimize_plan.keep]
    assert apply(session, minimize_plan) == 9
    after = measure_coverage(session, [target]).targets[0]
    assert (after.lines_covered, after.branches_covered, after.percent) == (
        before.lines_covered, before.branches_covered, before.percent,
    )  # fmt: skip
    kinds_after = {outcome_kind(s.case) for s in session.store.iter_cases([target])}  # type: ignore[union-attr]
    assert kinds_after == kinds_before
    assert any("KeyError" in k for k in kinds_after) and any("ValueError" in k for k in kinds_after)
    assert any("changed log: list" in k for k in kinds_after)
    assert {r.status for r in iter_results(session, [target])} == {PASSED}


def test_minimize_is_stable_and_idempotent(store: tuple[str, VerifySession]) -> None:
    target, session = store
    first = plan(session, target)
    again = plan(session, target)
    assert [s.case.id for s in first.keep] == [s.case.id for s in again.keep]
    apply(session, first)
    assert plan(session, target).drop == []


def test_recorded_cases_win_over_generated_and_boundaries_can_be_kept(
    store: tuple[str, VerifySession],
) -> None:
    target, session = store
    characterize(session, target, max_examples=40, budget=20)
    generated = [
        s
        for s in session.store.iter_cases([target])
        if s.case.meta.get("origin") == "generated"  # type: ignore[union-attr]
    ]
    assert generated
    lean = plan(session, target)
    # recorded cases, and the generated ones kept because they kill a mutant
    assert all(s.case.meta["origin"] == "recorded" or s.case.meta.get("kills") for s in lean.keep)
    with_boundaries = plan(session, target, keep_boundary=True)
    boundary = [s for s in generated if str(s.case.meta.get("why", "")).startswith("boundary")]  # type: ignore[union-attr]
    kept = {s.case.id for s in with_boundaries.keep}
    assert boundary and {s.case.id for s in boundary} <= kept  # type: ignore[union-attr]
    assert with_boundaries.after > lean.after


def test_cases_kept_for_killing_mutants_survive_minimize(
    store: tuple[str, VerifySession],
) -> None:
    from legacy_harness.widen.strength import run_mutants

    target, session = store
    report = characterize(session, target, max_examples=40, budget=20, seed=2)
    assert report.mutant_calls > 0, report.render()
    kills = {
        s.case.id: set(s.case.meta["kills"])  # type: ignore[union-attr]
        for s in session.store.iter_cases([target])
        if s.case.meta.get("kills")  # type: ignore[union-attr]
    }
    minimize_plan = plan(session, target)
    assert set(kills) <= {s.case.id for s in minimize_plan.keep}
    apply(session, minimize_plan)
    after = run_mutants(session, target)
    killed = {r.mutant.key for r in after.results if r.killer}
    assert set().union(*kills.values()) <= killed  # what they were kept for still dies
