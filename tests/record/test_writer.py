"""The background writer: cases reach disk whole, at stop, at exit and on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from paths import REPO

from legacy_harness.errors import GoldenFileError
from legacy_harness.outcomes import WriteStatus
from legacy_harness.record.recorder import recording
from legacy_harness.record.writer import CaseWriter
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

MODULE = "def double(x):\n    return 2 * x\n"


def _case(x: int, target: str = "calc:double") -> GoldenCase:
    inputs = {"args": [x], "kwargs": {}}
    observation = Observation({"returned": 2 * x}, {}, {"stdout": "", "stderr": "", "logs": []})
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    return GoldenCase(target, case_id, inputs, observation, None, {"origin": "generated"})


def test_every_case_is_on_disk_and_counted_once_the_recording_stops(make_module, tmp_path):
    mod = make_module(MODULE)
    with recording([f"{mod.__name__}:double"], store=tmp_path / "golden") as recorder:
        for x in range(30):
            assert mod.double(x) == 2 * x
    (stats,) = recorder.summary().targets
    assert stats.cases == 30
    assert stats.outcomes[WriteStatus.CREATED] == 30
    assert len(list(GoldenStore(tmp_path / "golden").iter_paths())) == 30


def test_cases_are_written_in_order_and_a_failed_write_is_raised_after_the_others(tmp_path):
    store = GoldenStore(tmp_path / "golden")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "golden" / "bad").mkdir(parents=True)
    (tmp_path / "golden" / "bad" / "double").symlink_to(outside)
    seen: list[tuple[str, WriteStatus]] = []
    writer = CaseWriter(store)
    writer.submit(_case(1), lambda case, status: seen.append((case.id, status)))
    writer.submit(_case(2, "bad:double"), lambda case, status: seen.append((case.id, status)))
    writer.submit(_case(3), lambda case, status: seen.append((case.id, status)))
    with pytest.raises(GoldenFileError, match="link"):
        writer.close()
    assert seen == [(_case(1).id, WriteStatus.CREATED), (_case(3).id, WriteStatus.CREATED)]
    assert not list(outside.iterdir())  # nothing written through the link


def test_a_burst_of_cases_waits_for_a_pause_or_a_backlog(tmp_path, monkeypatch):
    """Cases arriving back to back are not written in the middle of the burst (the
    program keeps the interpreter), but once recording pauses; a backlog is written
    without waiting for the pause."""
    import time

    from legacy_harness.record import writer as writer_module

    monkeypatch.setattr(writer_module, "QUIET", 0.2)  # a wide margin on a busy machine
    writes: list[int] = []
    writer = CaseWriter(GoldenStore(tmp_path / "golden"))
    monkeypatch.setattr(writer, "_write", lambda batch: batch and writes.append(len(batch)))

    def burst(seconds: float, first: int) -> int:
        stop, x = time.monotonic() + seconds, first
        while time.monotonic() < stop:  # a case every millisecond: never a pause
            writer.submit(_case(x), lambda case, status: None)
            x += 1
            time.sleep(0.001)
        return x - first

    sent = burst(1.0, 0)
    assert writes == []  # nothing written during the burst
    deadline = time.monotonic() + 10
    while not writes and time.monotonic() < deadline:  # the pause: the burst is written
        time.sleep(0.05)
    assert writes == [sent]
    monkeypatch.setattr(writer_module, "BACKLOG", 3)
    sent += burst(1.0, sent)
    assert len(writes) > 2  # written along the burst, a backlog at a time
    writer.close()
    assert sum(writes) == sent


def test_foreground_writer_has_the_case_on_disk_when_submit_returns(tmp_path):
    store = GoldenStore(tmp_path / "golden")
    seen: list[WriteStatus] = []
    CaseWriter(store, background=False).submit(_case(4), lambda _, status: seen.append(status))
    assert seen == [WriteStatus.CREATED]
    assert store.load(store.case_path(_case(4))).case.id == _case(4).id


def test_prepare_runs_on_the_writer_thread_and_may_write_nothing(tmp_path):
    import threading

    store = GoldenStore(tmp_path / "golden")
    threads: list[str] = []
    seen: list[str] = []

    def prepare(case: GoldenCase) -> GoldenCase | None:
        threads.append(threading.current_thread().name)
        if case.inputs["args"] == [2]:
            return None  # nothing written, nothing told
        case.meta["prepared"] = True
        return case

    writer = CaseWriter(store)
    for x in (1, 2):
        writer.submit(_case(x), lambda case, _: seen.append(case.id), prepare)
    writer.close()
    assert threads == ["legacy-harness-writer"] * 2
    assert seen == [_case(1).id]
    assert store.load(store.case_path(_case(1))).case.meta["prepared"] is True
    assert not store.case_path(_case(2)).exists()


SCRIPT = """
import os, signal, sys
sys.path.insert(0, {folder!r})
from legacy_harness.record.recorder import Recorder
import calc
recorder = Recorder(["calc:double"], {store!r}, max_cases=10**6)
recorder.start()
import time
for x in range({calls}):
    calc.double(x)
    if x % 50 == 49 and {pause}:
        time.sleep(0.1)  # a pause in recording: the writer starts on what waits
{ending}
"""


def _run(
    tmp_path: Path, calls: int, ending: str, pause: bool = False
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "calc.py").write_text(MODULE)
    source = SCRIPT.format(
        folder=str(tmp_path), store=str(tmp_path / "golden"), calls=calls, ending=ending,
        pause=pause,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], env=env, capture_output=True, text=True
    )


def _case_files(tmp_path: Path) -> list[Path]:
    return list(GoldenStore(tmp_path / "golden").iter_paths())


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("os.kill(os.getpid(), signal.SIGTERM)", id="SIGTERM"),
        pytest.param("sys.exit(3)", id="exit without stop"),
    ],
)
def test_a_process_ending_without_stop_keeps_every_case_it_recorded(tmp_path, ending):
    done = _run(tmp_path, 200, ending)
    expected = -signal.SIGTERM if "SIGTERM" in ending else 3
    assert done.returncode == expected, done.stderr
    assert len(_case_files(tmp_path)) == 200


def test_sigkill_leaves_only_whole_case_files(tmp_path):
    done = _run(tmp_path, 400, "os.kill(os.getpid(), signal.SIGKILL)", pause=True)
    assert done.returncode == -signal.SIGKILL
    files = _case_files(tmp_path)
    assert 50 <= len(files) <= 400  # the pauses let batches reach disk; the last may not
    for path in files:  # whatever reached disk parses and loads: no torn file
        json.loads(path.read_text())
        GoldenStore(tmp_path / "golden").load(path)
