"""The plugin's session decides on plain values: tested directly, without pytester.

What ran, which masters are unused, what is pruned and the run's exit status come
from node ids, report outcomes, events and the files of a store in a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legacy_harness.config import Config
from legacy_harness.outcomes import CaseStatus, MasterStatus, RecordMode
from legacy_harness.pytest_plugin.locate import Locator, Project
from legacy_harness.pytest_plugin.masters import CheckEvent, CheckSettings, check_folder
from legacy_harness.pytest_plugin.options import RunOptions
from legacy_harness.pytest_plugin.session import REPORT_ATTRIBUTE, PluginSession, RunEnd

OK = int(pytest.ExitCode.OK)
FAILED = int(pytest.ExitCode.TESTS_FAILED)


def make_session(root: Path, **options: object) -> PluginSession:
    store = root / "golden"
    store.mkdir(exist_ok=True)
    harness = Config(root=root, store=store, pythonpath=(root,))
    return PluginSession(
        harness,
        RunOptions(**options),  # type: ignore[arg-type]
        rootpath=root,
        scope=[store],
        locator=Locator(Project.of(root, [root]), search=[str(root)]),
    )


def write_case(root: Path, target: str, case_id: str = "00000000000000aa") -> Path:
    module, qualname = target.split(":")
    path = root / "golden" / module / qualname / f"case-{case_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": 1, "target": target, "id": case_id}))
    return path


def report(nodeid: str, when: str, outcome: str, *events: CheckEvent) -> pytest.TestReport:
    made = pytest.TestReport(nodeid, ("t.py", 1, "t"), {}, outcome, None, when)  # type: ignore[arg-type]
    if events:
        setattr(made, REPORT_ATTRIBUTE, [event.to_wire() for event in events])
    return made


def test_a_vanished_target_is_unused_and_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "billing.py").write_text("def renamed(x):\n    return x\n")
    first = write_case(tmp_path, "billing:compute_invoice")
    write_case(tmp_path, "billing:renamed")
    session = make_session(tmp_path)
    assert session.finish(RunEnd(OK)) == FAILED
    assert session.tally.unused == {
        "billing/compute_invoice/case-00000000000000aa.json": "billing has no compute_invoice"
    }
    lines = session.summary()
    assert lines[0].endswith("0 updated, 1 unused")
    assert lines[1].startswith("unused masters fail the run")
    assert (
        lines[2]
        == "  golden/billing/compute_invoice/case-00000000000000aa.json: billing has no compute_invoice"
    )
    assert first.exists()  # listed, not removed


def test_warn_unused_only_lists_and_collect_only_never_fails(tmp_path: Path) -> None:
    write_case(tmp_path, "vanished_module:f")
    warned = make_session(tmp_path, warn_unused=True)
    assert warned.finish(RunEnd(OK)) == OK
    assert warned.tally.unused == {
        "vanished_module/f/case-00000000000000aa.json": "module vanished_module no longer exists"
    }
    assert any("not failing: --golden-warn-unused" in line for line in warned.summary())
    assert make_session(tmp_path).finish(RunEnd(OK, collect_only=True)) == OK
    # a run with no test at all still fails when a master is unused
    no_tests = int(pytest.ExitCode.NO_TESTS_COLLECTED)
    assert make_session(tmp_path).finish(RunEnd(no_tests)) == FAILED
    # an interrupted run keeps its own status
    interrupted = int(pytest.ExitCode.INTERRUPTED)
    assert make_session(tmp_path).finish(RunEnd(interrupted)) == interrupted


def test_prune_removes_unused_cases_with_their_folder_and_blobs(tmp_path: Path) -> None:
    path = write_case(tmp_path, "vanished_module:f")
    (path.parent / "blobs").mkdir()
    (path.parent / "blobs" / "x.npy").write_bytes(b"x")
    session = make_session(tmp_path, prune=True)
    assert session.finish(RunEnd(OK)) == OK
    assert session.tally.removed == ["vanished_module/f/case-00000000000000aa.json"]
    assert not path.parent.exists()
    assert session.summary()[1:] == [
        "removed:",
        "  golden/vanished_module/f/case-00000000000000aa.json: module vanished_module no longer exists",
    ]


def test_prune_refuses_a_link_and_the_run_still_fails(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "case-00000000000000aa.json").write_text("{}")
    (tmp_path / "golden" / "gone").mkdir(parents=True)
    (tmp_path / "golden" / "gone" / "f").symlink_to(elsewhere, target_is_directory=True)
    write_case(tmp_path, "gone_too:f")
    session = make_session(tmp_path, prune=True)
    # a linked target folder is not walked (collection reports it); a real one is pruned
    assert session.finish(RunEnd(OK)) == OK
    assert (elsewhere / "case-00000000000000aa.json").exists()
    blobs = tmp_path / "golden" / "gone_again" / "f"
    blobs.mkdir(parents=True)
    (blobs / "case-00000000000000bb.json").symlink_to(elsewhere / "case-00000000000000aa.json")
    linked = make_session(tmp_path, prune=True)
    assert linked.finish(RunEnd(OK)) == FAILED
    assert (elsewhere / "case-00000000000000aa.json").read_text() == "{}"
    ((master, why),) = linked.tally.refused
    assert master == "gone_again/f/case-00000000000000bb.json"
    assert "is a symbolic link" in why
    assert any(line.startswith("not removed: ") for line in linked.summary())


def test_only_the_collected_part_of_the_store_is_judged(tmp_path: Path) -> None:
    write_case(tmp_path, "vanished_module:f")
    session = make_session(tmp_path)
    session.scope = [tmp_path / "golden" / "other"]
    assert session.finish(RunEnd(OK)) == OK
    assert session.tally.unused == {}
    session = make_session(tmp_path, items=False)  # --golden-no-items: nothing collected
    assert session.scope == []


def fixture_project(tmp_path: Path) -> PluginSession:
    (tmp_path / "test_prices.py").write_text("def test_kept(golden): ...\n")
    session = make_session(tmp_path)
    for test, names in (("test_kept", ("one", "two")), ("test_gone", ("0",))):
        folder = check_folder(session.store, f"test_prices.py::{test}")
        folder.mkdir(parents=True)
        for name in names:
            (folder / f"{name}.json").write_text("{}")
    return session


def test_fixture_masters_are_judged_only_in_a_complete_run(tmp_path: Path) -> None:
    session = fixture_project(tmp_path)
    kept = "__checks__/test_prices/test_kept/one.json"
    session.collected(["test_prices.py::test_kept"])
    session.test_report(report("test_prices.py::test_kept", "setup", "passed"))
    session.test_report(report("test_prices.py::test_kept", "call", "passed"))
    session.test_report(
        report(
            "test_prices.py::test_kept", "teardown", "passed", CheckEvent(MasterStatus.PASSED, kept)
        )
    )
    assert session.incomplete(RunEnd(OK)) is None
    assert session.finish(RunEnd(OK)) == FAILED
    assert session.tally.unused == {
        "__checks__/test_prices/test_kept/two.json": "its test passed without checking it",
        "__checks__/test_prices/test_gone/0.json": "its test no longer exists",
    }
    again = tmp_path / "again"
    again.mkdir()
    partial = fixture_project(again)
    partial.test_report(report("test_prices.py::test_kept", "call", "passed"))
    end = RunEnd(OK, selection="tests were selected with -k")
    assert partial.incomplete(end) == "tests were selected with -k"
    assert partial.finish(end) == OK
    assert partial.tally.unused == {}
    assert partial.tally.not_judged == "tests were selected with -k"


def test_why_a_run_is_incomplete(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    session.collected(["a.py::t", "a.py::u"])
    session.test_report(report("a.py::t", "call", "passed"))
    assert session.incomplete(RunEnd(OK)) == "1 collected test(s) did not run"
    assert session.incomplete(RunEnd(OK, stopped=True)) == "the session stopped early"
    assert session.incomplete(RunEnd(int(pytest.ExitCode.INTERRUPTED))) == (
        "the session ended with INTERRUPTED"
    )
    session.deselected(2)
    assert session.incomplete(RunEnd(OK)) == "2 test(s) deselected"
    failed_collection = make_session(tmp_path)
    failed_collection.collect_report("tests/test_x.py", failed=True)
    assert failed_collection.incomplete(RunEnd(OK)) == "collection error in tests/test_x.py"


def test_outcomes_keep_the_worst_phase_and_xfail_counts_as_skipped(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    session.test_report(report("a.py::t", "setup", "passed"))
    session.test_report(report("a.py::t", "call", "failed"))
    session.test_report(report("a.py::t", "teardown", "passed"))
    xfailed = report("a.py::x", "call", "skipped")
    xfailed.wasxfail = "known"  # type: ignore[attr-defined]
    session.test_report(xfailed)
    assert session.outcomes == {"a.py::t": "failed", "a.py::x": "skipped"}


def test_events_are_counted_and_summarised(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    events = [
        CheckEvent(MasterStatus.PASSED, "a/b/case-1.json"),
        CheckEvent(MasterStatus.CHANGED, "a/b/case-2.json", "title\nx: value differs"),
        CheckEvent(MasterStatus.UPDATED, "a/b/case-3.json", "title\ny: value differs"),
        CheckEvent(MasterStatus.CREATED, "__checks__/t/test/0.json"),
        CheckEvent(MasterStatus.MISSING, "__checks__/t/test/1.json"),
        CheckEvent(CaseStatus.ERROR, "a/b/case-4.json"),
    ]
    session.test_report(report("x.py::t", "teardown", "passed", *events))
    assert session.summary() == [
        "golden masters: 3 checked, 1 passed, 1 changed, 1 created, 1 updated, 0 unused,"
        " 1 missing, 1 errors",
        "updated a/b/case-3.json:",
        "  y: value differs",
    ]
    vanished = CheckEvent(CaseStatus.SKIPPED, "a/c/case-5.json", unused="a has no c")
    session.test_report(report("x.py::u", "teardown", "passed", vanished))
    assert session.tally.unused == {"a/c/case-5.json": "a has no c"}


def test_workers_only_gather_the_controller_decides(tmp_path: Path) -> None:
    write_case(tmp_path, "vanished_module:f")
    worker = make_session(tmp_path)
    worker.worker = True
    worker.test_report(report("x.py::t", "call", "passed"))
    assert worker.outcomes == {}
    assert worker.finish(RunEnd(OK)) == OK
    assert worker.summary() == []


def test_events_travel_as_plain_strings() -> None:
    event = CheckEvent(CaseStatus.SKIPPED, "m/q/case-1.json", "", unused="m has no q")
    wire = event.to_wire()
    assert all(type(field) is str for field in wire)
    assert CheckEvent.from_wire(wire) == event
    assert CheckEvent.from_wire(["updated", "m"]).kind is MasterStatus.UPDATED


def test_settings_speak_the_vocabulary() -> None:
    assert CheckSettings(mode="new").mode is RecordMode.NEW  # type: ignore[arg-type]
    assert CheckSettings(mode=RecordMode.NEW).may_create
    assert not CheckSettings(mode=RecordMode.NEW, ci=True).may_create
    assert CheckSettings(update=True).may_create
    assert CheckSettings(mode=RecordMode.ALL).rewrites_all
    with pytest.raises(ValueError):
        CheckSettings(mode="sometimes")  # type: ignore[arg-type]


def test_header_names_the_store_mode_and_a_fixture_clash(tmp_path: Path) -> None:
    session = make_session(tmp_path, update=True, ci=True)
    assert session.header() == [
        f"legacy-harness: store {tmp_path / 'golden'}, update, CI: missing masters fail"
    ]
    session.clash = "the fixture 'golden' belongs to plugin 'golden'"
    assert session.header()[1] == "legacy-harness: the fixture 'golden' belongs to plugin 'golden'"
