"""The tape model: matching reads, taking writes in order, explaining a miss."""

from __future__ import annotations

import pytest

from legacy_harness.record.boundaries.tape import (
    Cassette,
    Interaction,
    InteractionKind,
    tape_from_tree,
    tape_to_tree,
    writes_view,
)
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation, case_from_tree, case_to_tree

READ, WRITE = InteractionKind.READ, InteractionKind.WRITE


def query(sql: str, *params: object, rows: list[list[object]] | None = None) -> Interaction:
    return Interaction("sqlite3", READ, {"sql": sql, "params": list(params)}, {"rows": rows or []})


def test_reads_match_on_the_call_whatever_the_order() -> None:
    first, second = query("SELECT a", 1, rows=[[1]]), query("SELECT b", 2, rows=[[2]])
    cassette = Cassette([first, second])
    assert cassette.read(query("SELECT b", 2)) is second
    assert cassette.read(query("SELECT a", 1)) is first
    assert cassette.today == [second, first] and not cassette.mismatches


def test_a_read_is_answered_once_then_more_calls_than_recorded() -> None:
    cassette = Cassette([query("SELECT a", 1)])
    assert cassette.read(query("SELECT a", 1)) is not None
    assert cassette.read(query("SELECT a", 1)) is None
    [miss] = cassette.mismatches
    assert "more calls than recorded" in miss.render()
    assert miss.nearest is not None and miss.differs == []


def test_a_miss_names_the_call_the_nearest_and_what_differs() -> None:
    cassette = Cassette([query("SELECT name FROM t WHERE id = ?", 7), query("SELECT 1")])
    assert cassette.read(query("SELECT name FROM t WHERE id = ?", 8)) is None
    [miss] = cassette.mismatches
    text = miss.render()
    assert text.startswith(
        "sqlite3 call not on the tape: sqlite3 read sql=SELECT name FROM t WHERE id = ?, params=[8]"
    )
    assert "nearest recorded: sqlite3 read sql=SELECT name FROM t WHERE id = ?, params=[7]" in text
    assert text.endswith("(differs in: parameters)")


def test_a_miss_on_a_boundary_the_tape_lacks_says_so() -> None:
    cassette = Cassette([query("SELECT 1")])
    cassette.read(Interaction("http", READ, {"method": "GET", "url": "http://x/a"}))
    assert "the tape holds no http read" in cassette.mismatches[0].render()


def test_sequential_reads_come_in_recorded_order() -> None:
    readings = [Interaction("clock", READ, {"op": "now"}, {"ns": n}) for n in (1, 2)]
    cassette = Cassette(readings)
    asked = Interaction("clock", READ, {"op": "now"})
    assert [cassette.next_read(asked).result["ns"] for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
    assert cassette.next_read(asked) is None
    assert "2 recorded, all used" in cassette.mismatches[0].render()


def test_writes_are_kept_and_answered_in_order() -> None:
    recorded = [
        Interaction(
            "sqlite3", WRITE, {"sql": "INSERT", "params": [1]}, {"rowcount": 1, "lastrowid": 10}
        ),
        Interaction("sqlite3", WRITE, {"op": "commit"}),
    ]
    cassette = Cassette(recorded)
    today = Interaction("sqlite3", WRITE, {"sql": "INSERT", "params": [2]})
    assert cassette.write(today) is recorded[0]
    assert today.result == {"rowcount": 1, "lastrowid": 10}  # the answer it got is kept
    assert cassette.write(Interaction("sqlite3", WRITE, {"op": "commit"})) is recorded[1]
    assert cassette.write(Interaction("sqlite3", WRITE, {"op": "commit"})) is None
    assert [item.call for item in cassette.today][0] == {"sql": "INSERT", "params": [2]}


def test_writes_view_decodes_the_calls_for_comparison() -> None:
    tape = [
        query("SELECT 1"),
        Interaction("files", WRITE, {"op": "write", "path": "out/a.csv", "text": "x"}),
        Interaction("sqlite3", WRITE, {"sql": "INSERT", "params": [codec.encode((1, 2))]}),
    ]
    view = writes_view(tape, blobs=None, policy=codec.ClassPolicy(frozenset()))
    assert view == [
        {"boundary": "files", "op": "write", "path": "out/a.csv", "text": "x"},
        {"boundary": "sqlite3", "sql": "INSERT", "params": [(1, 2)]},
    ]


def test_tape_round_trips_and_bad_entries_are_named() -> None:
    tape = [
        query("SELECT 1", rows=[[1]]),
        Interaction("files", WRITE, {"op": "mkdir", "path": "out"}),
    ]
    assert tape_from_tree(tape_to_tree(tape)) == tape
    with pytest.raises(ValueError, match=r"tape\[0\]' needs a 'boundary'"):
        tape_from_tree([{"kind": "read", "call": {}}])
    with pytest.raises(ValueError, match="must be a list"):
        tape_from_tree({"boundary": "clock"})


def test_cases_keep_their_tape_and_old_files_load_without_one() -> None:
    case = GoldenCase(
        "m:f", "abc", {"args": [], "kwargs": {}}, Observation({"returned": 1}),
        meta={"boundaries": ["sqlite3"]}, tape=tape_to_tree([query("SELECT 1")]),
    )  # fmt: skip
    tree = case_to_tree(case)
    assert tree["tape"][0]["call"] == {"sql": "SELECT 1", "params": []}
    assert case_from_tree(codec.loads(codec.dumps(tree))).tape == tree["tape"]
    del tree["tape"], tree["meta"]["boundaries"]
    old = case_from_tree(tree)
    assert old.tape is None and old.replayable
    with pytest.raises(ValueError, match="meta.boundaries"):
        case_from_tree({**tree, "meta": {"boundaries": "sqlite3"}})
