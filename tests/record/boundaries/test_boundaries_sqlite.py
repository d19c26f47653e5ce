"""The sqlite3 boundary against a real database file: recorded, deleted, replayed."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import rewrite, verify

from legacy_harness.config import load_config
from legacy_harness.record.recorder import recording
from legacy_harness.report.summary import summarize
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import (
    CHANGED,
    ERROR,
    PASSED,
    VerifySession,
    update_case,
)

REPOSITORY = """
import sqlite3

def balance(conn, account):
    row = conn.execute("SELECT SUM(amount) FROM entries WHERE account = ?", (account,)).fetchone()
    return row[0] or 0

def book(conn, account, amount):
    cursor = conn.execute("INSERT INTO entries (account, amount) VALUES (?, ?)", (account, amount))
    conn.commit()
    return cursor.lastrowid

def report(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT account, SUM(amount) AS total FROM entries GROUP BY account ORDER BY account").fetchall()
    conn.close()
    return {row["account"]: row["total"] for row in rows}

class Ledger:
    def __init__(self, conn):
        self.conn = conn

    def accounts(self):
        return [name for (name,) in self.conn.execute("SELECT DISTINCT account FROM entries ORDER BY 1")]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    monkeypatch.chdir(tmp_path)
    database = sqlite3.connect(tmp_path / "ledger.db")
    database.executescript(
        "CREATE TABLE entries (account TEXT, amount INTEGER);"
        "INSERT INTO entries VALUES ('alice', 10), ('alice', 5), ('bob', 7);"
    )
    database.commit()
    database.close()
    return tmp_path


def record_ledger(mod: ModuleType, root: Path) -> None:
    name = mod.__name__
    targets = [f"{name}:balance", f"{name}:book", f"{name}:report", f"{name}:Ledger.accounts"]
    with recording(targets, store=root / "golden", boundaries=["sqlite3"]):
        conn = sqlite3.connect(root / "ledger.db")
        mod.balance(conn, "alice")
        mod.book(conn, "carol", 12)
        mod.Ledger(conn).accounts()
        conn.close()
        mod.report("ledger.db")


def test_replay_needs_no_database(project: Path, make_module: Callable[..., ModuleType]) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    (project / "ledger.db").unlink()
    results = verify(project)
    assert [r.status for r in results] == [PASSED] * 4, [r.error for r in results]
    assert not (project / "ledger.db").exists()  # the stand-in never opened it
    case = next(
        item.case
        for item in GoldenStore(project / "golden").iter_cases()
        if item.case.target.endswith(":book")
    )
    assert case.meta["boundaries"] == ["sqlite3"]
    assert case.tape is not None
    insert, commit = case.tape
    assert insert["kind"] == "write"
    assert insert["call"] == {
        "sql": "INSERT INTO entries (account, amount) VALUES (?, ?)",
        "params": ["carol", 12],
    }
    assert insert["result"]["rowcount"] == 1 and commit["call"] == {"op": "commit"}
    # a connection argument is stored as a boundary, not as an unreplayable value
    assert case.replayable and case.inputs["args"][0]["value"] == {"boundary": "sqlite3"}


def test_changed_query_fails_naming_it_and_the_nearest(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    rewrite(mod, "WHERE account = ?", "WHERE account = ? AND amount > 0")
    results = {r.target.split(":")[1]: r for r in verify(project)}
    changed = results["balance"]
    assert changed.status == CHANGED
    assert changed.explanation is not None
    assert "SELECT SUM(amount) FROM entries WHERE account = ? AND amount > 0" in changed.explanation
    assert "nearest recorded: sqlite3 read" in changed.explanation
    assert "differs in: statement" in changed.explanation
    assert results["book"].status == PASSED


def test_changed_parameters_of_a_read_name_the_parameters(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    rewrite(mod, "(account,)).fetchone()", "(account.upper(),)).fetchone()")
    changed = next(r for r in verify(project) if r.target.endswith(":balance"))
    assert changed.status == CHANGED
    assert "differs in: parameters" in (changed.explanation or "")
    assert '"ALICE"' in (changed.explanation or "")


def test_changed_write_fails_with_a_diff_of_the_row(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    rewrite(mod, "(account, amount))", "(account, amount * 100))")
    changed = next(r for r in verify(project) if r.target.endswith(":book"))
    assert changed.status == CHANGED
    [difference] = changed.differences
    assert difference.path == "writes[0].params[1]"
    assert (difference.expected, difference.actual) == (12, 1200)


def test_a_forgotten_commit_is_a_changed_write(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    rewrite(mod, "    conn.commit()\n", "")
    changed = next(r for r in verify(project) if r.target.endswith(":book"))
    assert changed.status == CHANGED
    assert any(d.path == "writes" and d.kind == "length" for d in changed.differences), [
        (d.path, d.kind) for d in changed.differences
    ]


def test_more_queries_than_recorded_fail(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    rewrite(
        mod,
        "    return row[0] or 0",
        '    conn.execute("SELECT SUM(amount) FROM entries WHERE account = ?", (account,))\n'
        "    return row[0] or 0",
    )
    changed = next(r for r in verify(project) if r.target.endswith(":balance"))
    assert changed.status == CHANGED
    assert "more calls than recorded" in (changed.explanation or "")


def test_approving_a_changed_write_takes_todays_tape(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    rewrite(mod, "(account, amount))", "(account, amount * 100))")
    session = VerifySession.open(load_config(project))
    stored = next(i for i in session.store.iter_cases() if i.case.target.endswith(":book"))
    update_case(session, stored)
    results = verify(project)
    assert [r.status for r in results] == [PASSED] * 4
    updated = next(i for i in session.store.iter_cases() if i.case.target.endswith(":book"))
    assert updated.case.tape is not None
    assert updated.case.tape[0]["call"]["params"] == ["carol", 1200]


def test_cases_without_a_tape_still_replay(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module("def double(x):\n    return 2 * x\n")
    with recording([f"{mod.__name__}:double"], store=project / "golden", boundaries=[]):
        mod.double(21)
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    assert stored.case.tape is None and "boundaries" not in stored.case.meta
    text = stored.path.read_text()
    assert '"tape"' not in text
    assert [r.status for r in verify(project)] == [PASSED]


def test_a_connection_the_target_opens_without_the_boundary_is_named_and_blocked(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    with recording([f"{mod.__name__}:report"], store=project / "golden", boundaries=[]) as rec:
        mod.report("ledger.db")
    summary = rec.summary().render()
    assert f"{mod.__name__}:report opened ledger.db (sqlite3)" in summary
    assert 'add boundaries = ["sqlite3"]' in summary
    [result] = verify(project)
    assert result.status == ERROR
    assert "blocked on replay: the call opened ledger.db (sqlite3)" in (result.error or "")
    assert 'declare boundaries = ["sqlite3"]' in (result.error or "")
    assert summarize([result]).exit_code == 2


def test_a_connection_handed_in_without_the_boundary_is_named(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    with recording([f"{mod.__name__}:balance"], store=project / "golden", boundaries=[]) as rec:
        conn = sqlite3.connect(project / "ledger.db")
        mod.balance(conn, "bob")
        conn.close()
    summary = rec.summary().render()
    assert (
        f'{mod.__name__}:balance was handed a sqlite3 connection: add boundaries = ["sqlite3"]'
        in summary
    )


def test_row_factory_and_methods_holding_a_connection_replay(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    shutil.move(project / "ledger.db", project / "elsewhere.db")
    results = {r.target.split(":")[1]: r for r in verify(project)}
    assert results["report"].status == PASSED, results["report"].error
    assert results["Ledger.accounts"].status == PASSED, results["Ledger.accounts"].error
    assert "sqlite3" in sys.modules  # the stand-in answered through the real Row class


def test_tape_is_readable_json(project: Path, make_module: Callable[..., ModuleType]) -> None:
    mod = make_module(REPOSITORY)
    record_ledger(mod, project)
    stored = next(
        item
        for item in GoldenStore(project / "golden").iter_cases()
        if item.case.target.endswith(":report")
    )
    text = stored.path.read_text()
    expected = textwrap.dedent(
        """\
        "call": {
                "database": "ledger.db"
              },"""
    )
    assert expected in text
    assert '"rows": [' in text and '"alice",' in text
