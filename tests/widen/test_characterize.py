"""characterize: generated cases for uncovered code, guidance, boundaries and guards."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from hypothesis import strategies as st
from paths import REPO

from legacy_harness import strategies
from legacy_harness.config import Config
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import PASSED, VerifySession, iter_results
from legacy_harness.widen.characterize import characterize
from legacy_harness.widen.measure import measure_coverage

EXAMPLE = REPO / "examples" / "legacy_rules"


def session_for(tmp_path: Path) -> VerifySession:
    return VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )


def record(session: VerifySession, target: str, calls: Callable[[], object]) -> None:
    recorder = Recorder([target], session.store)
    recorder.start()
    try:
        calls()
    finally:
        recorder.stop()


RULES = """
LIMIT = 100

def grade(points, bonus):
    if points < 0:
        raise ValueError("negative points")
    total = points + (10 if bonus else 0)
    if total >= LIMIT:
        return "top"
    elif total >= 50:
        return "pass"
    return "fail"
"""


def test_generated_cases_fill_the_missing_branches(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(RULES)
    target = f"{module.__name__}:grade"
    session = session_for(tmp_path)
    record(session, target, lambda: [module.grade(60, False), module.grade(70, False)])
    before = measure_coverage(session, [target]).targets[0]
    assert before.branches_covered < before.branches_total

    report = characterize(session, target, max_examples=100, budget=20, seed=1)
    after = measure_coverage(session, [target]).targets[0]
    assert after.percent == 100.0, after
    assert report.arcs > report.baseline_arcs and report.problem is None
    assert report.strategies == {"points": "recorded values", "bonus": "recorded values"}
    cases = [
        json.loads(p.read_text()) for p in session.store.target_dir(target).glob("case-*.json")
    ]
    generated = [c for c in cases if c["meta"]["origin"] == "generated"]
    assert generated and all(c["meta"].get("why") for c in generated)
    # boundary cases around `points < 0` were kept, and say why
    inputs = {tuple(c["inputs"]["args"]) for c in generated}
    assert {(-1, False), (0, False)} <= inputs or {(-1, True), (0, True)} <= inputs
    whys = {c["meta"]["why"] for c in generated}
    assert "boundary line 5: points around 0" in whys, whys
    # generated cases verify like recorded ones
    assert {r.status for r in iter_results(session, [target])} == {PASSED}


def test_guidance_reaches_more_than_unguided_generation(tmp_path: Path) -> None:
    sys.path.insert(0, str(EXAMPLE))
    try:
        import eligibility

        session = session_for(tmp_path)
        target = "eligibility:eligibility"
        record(session, target, lambda: eligibility.eligibility(34, 52000, 745, "south", False, 6))
        unguided = characterize(
            session, target, max_examples=150, budget=20, guided=False, write=False
        )
        guided = characterize(
            session, target, max_examples=150, budget=20, guided=True, write=False
        )
    finally:
        sys.path.remove(str(EXAMPLE))
    assert guided.baseline_arcs == unguided.baseline_arcs
    assert guided.arcs > unguided.arcs, (guided.render(), unguided.render())
    assert guided.arcs >= 54  # every arc of the rules but the hardest few
    assert unguided.boundary_calls == 0 and guided.boundary_calls > 0


SHOP = """
class Cart:
    def __init__(self, owner):
        self.owner = owner
        self.items = []
        self.status = "open"

    def add(self, qty):
        if self.status != "open":
            raise RuntimeError("closed")
        if qty >= 10:
            self.items.append(("bulk", qty))
        else:
            self.items.append(("unit", qty))
        if len(self.items) > 3:
            self.status = "full"
        return len(self.items)
"""


def test_methods_get_instances_rebuilt_from_recorded_state(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(SHOP)
    target = f"{module.__name__}:Cart.add"
    session = session_for(tmp_path)

    def run() -> None:
        cart = module.Cart("ann")
        cart.add(1)
        cart.add(2)

    record(session, target, run)
    report = characterize(session, target, max_examples=200, budget=20, seed=0)
    assert report.strategies["self"] == "recorded instances"
    entry = measure_coverage(session, [target]).targets[0]
    assert entry.percent == 100.0, (entry.missing_lines, entry.missing_branches, report.render())
    assert {r.status for r in iter_results(session, [target])} == {PASSED}


def test_type_hints_drive_generation_without_recordings(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(
        """
        def clamp(x: int, label: str) -> str:
            if x > 1000:
                return label + " high"
            return label
        """
    )
    target = f"{module.__name__}:clamp"
    session = session_for(tmp_path)
    report = characterize(session, target, max_examples=50, budget=20)
    assert report.strategies == {"x": "type hint", "label": "type hint"}
    assert measure_coverage(session, [target]).targets[0].percent == 100.0


def test_registered_strategies_are_used(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(
        """
        def code(value):
            if value == "XK-7":
                return 1
            return 0
        """
    )
    target = f"{module.__name__}:code"
    strategies.register(f"{target}:value", st.sampled_from(["XK-7", "AB-1"]))
    try:
        session = session_for(tmp_path)
        report = characterize(session, target, max_examples=30, budget=20)
    finally:
        strategies.unregister(f"{target}:value")
    assert report.strategies == {"value": "registered"}
    assert measure_coverage(session, [target]).targets[0].percent == 100.0


def test_slow_targets_are_reported_not_hung_on(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(
        """
        import time

        def slow(n):
            if n > 5:
                time.sleep(30)
            return n
        """
    )
    target = f"{module.__name__}:slow"
    session = session_for(tmp_path)
    record(session, target, lambda: module.slow(1))
    started = time.monotonic()
    report = characterize(session, target, max_examples=50, budget=20, timeout=0.2)
    assert time.monotonic() - started < 10
    assert report.problem is not None and "0.2 s limit" in report.problem
    assert "stopped:" in report.render()


def test_targets_doing_io_are_reported(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(
        """
        def save(name):
            with open(name + ".txt", "w") as handle:
                handle.write(name)
            return len(name)
        """
    )
    target = f"{module.__name__}:save"
    session = session_for(tmp_path)
    report = characterize(session, target, max_examples=20, budget=20)
    assert report.problem is not None and "opens a file" in report.problem
    assert not list(tmp_path.glob("*.txt"))


DECORATED = """
from typing import Any


def label(x: Any, n: int) -> str:
    if n > 3:
        return "many"
    return f"{x}:{n}"


class Calc:
    @staticmethod
    def grade(points: int) -> str:
        if points > 500:
            return "gold"
        return "bronze"

    @classmethod
    def make(cls, n: int) -> int:
        if n < 0:
            return 0
        return n * 2
"""


def test_static_and_class_methods_are_explored(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(DECORATED)
    session = session_for(tmp_path)
    for name, call in (
        ("Calc.grade", lambda: module.Calc.grade(5)),
        ("Calc.make", lambda: module.Calc.make(1)),
    ):
        target = f"{module.__name__}:{name}"
        record(session, target, call)
        report = characterize(session, target, max_examples=150, seed=1)
        assert report.baseline_arcs > 0, name  # the decorated code is seen
        assert report.arcs > report.baseline_arcs, name
        assert measure_coverage(session, [target]).targets[0].percent == 100.0, name


def test_any_hints_draw_from_recorded_values(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(DECORATED)
    target = f"{module.__name__}:label"
    session = session_for(tmp_path)
    record(session, target, lambda: [module.label("a", 1), module.label("b", 2)])
    report = characterize(session, target, max_examples=150, seed=1)
    assert report.strategies["x"] == "recorded values"
    assert report.arcs > report.baseline_arcs
