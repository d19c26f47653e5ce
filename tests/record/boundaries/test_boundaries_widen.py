"""Boundaries where cases are widened, minimized and rerun with fresh seeds: generated
inputs are answered by the tapes (a call no tape holds is reported, never run for
real), and a replay the tape cannot answer fails the case naming the call."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import rewrite, verify

from legacy_harness.config import load_config
from legacy_harness.errors import HarnessError
from legacy_harness.record.recorder import recording
from legacy_harness.stochastic.runner import record_distributions
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import PASSED, VerifySession
from legacy_harness.widen import minimize
from legacy_harness.widen.characterize import characterize

SHOP = """
def price(conn, customer, qty):
    row = conn.execute("SELECT plan FROM customers WHERE id = ?", (customer,)).fetchone()
    if row is None:
        return None
    total = qty * 10
    if qty > 20:
        total = total - 15
    if row[0] == "gold":
        conn.execute("UPDATE customers SET orders = orders + 1 WHERE id = ?", (customer,))
        conn.commit()
        total = total - 5
    return total
"""

QUERY = "SELECT plan FROM customers WHERE id = ?"


@pytest.fixture
def shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_module: Callable[..., ModuleType]
) -> tuple[ModuleType, Path]:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    monkeypatch.chdir(tmp_path)
    database = sqlite3.connect(tmp_path / "shop.db")
    database.executescript(
        "CREATE TABLE customers (id INTEGER, plan TEXT, orders INTEGER);"
        "INSERT INTO customers VALUES (1, 'gold', 0), (2, 'basic', 0), (3, 'basic', 0);"
    )
    database.commit()
    database.close()
    mod = make_module(SHOP)
    with recording([f"{mod.__name__}:price"], store=tmp_path / "golden", boundaries=["sqlite3"]):
        conn = sqlite3.connect(tmp_path / "shop.db")
        mod.price(conn, 1, 5)
        mod.price(conn, 2, 5)
        conn.close()
    return mod, tmp_path


def _rows(root: Path) -> list[tuple[int, str, int]]:
    with sqlite3.connect(root / "shop.db") as database:
        return database.execute("SELECT * FROM customers ORDER BY id").fetchall()


def test_characterize_answers_generated_calls_from_the_tapes_and_reports_misses(
    shop: tuple[ModuleType, Path],
) -> None:
    mod, root = shop
    rows = _rows(root)
    session = VerifySession.open(load_config(root))
    report = characterize(
        session, f"{mod.__name__}:price", max_examples=60, budget=20, seed=1, mutants=False
    )
    assert _rows(root) == rows  # no generated call reached the real database
    # customers the tape never saw: reported with the call, not kept
    assert report.tape_misses, report.render()
    assert all("sqlite3 call not on the tape" in miss for miss in report.tape_misses)
    assert f"sql={QUERY}" in report.tape_misses[0]
    assert "inputs reached a boundary call no tape holds" in report.render()
    # a quantity past 20 with a recorded customer is answered by the tape: kept, and it
    # replays from the tape it was answered from, without the database
    generated = [
        item.case
        for item in GoldenStore(root / "golden").iter_cases()
        if not isinstance(item, Exception) and item.case.meta["origin"] == "generated"
    ]
    assert any(case.inputs["args"][2] > 20 for case in generated), report.render()
    for case in generated:
        assert case.tape and case.tape[0]["call"]["sql"] == QUERY
        assert case.tape[0]["call"]["params"][0] in (1, 2)
    (root / "shop.db").unlink()
    results = verify(root)
    assert [r.status for r in results] == [PASSED] * len(results), [r.error for r in results]
    assert not (root / "shop.db").exists()


def test_minimize_never_drops_a_case_whose_tape_no_longer_answers(
    shop: tuple[ModuleType, Path],
) -> None:
    mod, root = shop
    rewrite(
        mod, 'WHERE id = ?", (customer,)).fetchone()', 'WHERE id = ?", (-customer,)).fetchone()'
    )
    session = VerifySession.open(load_config(root))
    plan = minimize.plan(session, f"{mod.__name__}:price")
    assert plan.drop == [] and len(plan.unjudged) == 2
    assert len(plan.errors) == 2
    assert all("sqlite3 call not on the tape" in error for error in plan.errors)
    assert all("differs in: parameters" in error for error in plan.errors)


def test_statistical_reruns_fail_on_a_call_the_tape_does_not_hold(
    shop: tuple[ModuleType, Path],
) -> None:
    mod, root = shop
    rewrite(mod, "SELECT plan FROM", "SELECT plan, orders FROM")
    session = VerifySession.open(load_config(root))
    with pytest.raises(HarnessError, match="sqlite3 call not on the tape") as error:
        record_distributions([f"{mod.__name__}:price"], runs=3, session=session)
    assert "SELECT plan, orders FROM customers" in str(error.value)
    assert "differs in: statement" in str(error.value)
