"""The files boundary with real files: reads answered from the tape, writes compared."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import rewrite, verify

from legacy_harness.record.recorder import recording
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import CHANGED, PASSED

EXPORT = """
import csv
import os
import pathlib
import shutil
import tempfile

def export(month):
    rates = pathlib.Path("data/rates.csv").read_text().splitlines()
    os.makedirs("out", exist_ok=True)
    scratch = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
    scratch.write("scratch")
    scratch.close()
    os.remove(scratch.name)
    path = os.path.join("out", f"report-{month}.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        for line in rates[1:]:
            name, rate = line.split(",")
            writer.writerow([name, float(rate) * 2])
    shutil.copy(path, path + ".bak")
    os.replace(path + ".bak", f"out/latest.csv")
    if os.path.exists("out/old.csv"):
        os.remove("out/old.csv")
    return path
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rates.csv").write_text("name,rate\neur,1.0\nusd,1.5\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.csv").write_text("old")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record_export(mod: ModuleType, root: Path) -> None:
    with recording([f"{mod.__name__}:export"], store=root / "golden", boundaries=["files"]):
        assert mod.export("2024-03") == "out/report-2024-03.csv"
    assert (root / "out" / "latest.csv").read_bytes() == b"eur,2.0\r\nusd,3.0\r\n"
    assert not (root / "out" / "old.csv").exists()


def test_replay_reads_from_the_tape_and_writes_nothing(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(EXPORT)
    record_export(mod, project)
    shutil.rmtree(project / "data")
    shutil.rmtree(project / "out")
    assert [r.status for r in verify(project)] == [PASSED]
    assert not (project / "out").exists() and not (project / "data").exists()
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    calls = [
        (item["kind"], item["call"]["op"], item["call"]["path"]) for item in stored.case.tape or []
    ]
    assert calls == [
        ("read", "read", "data/rates.csv"),
        ("write", "makedirs", "out"),  # one write: its own checks are inside it
        ("write", "write", "out/report-2024-03.csv"),
        ("write", "copy", "out/report-2024-03.csv"),
        ("write", "rename", "out/report-2024-03.csv.bak"),
        ("read", "exists", "out/old.csv"),
        ("write", "remove", "out/old.csv"),
    ]  # the temporary file the call made and removed itself is not on the tape
    written = stored.case.tape[2]["call"]  # type: ignore[index]
    assert written == {
        "op": "write",
        "path": "out/report-2024-03.csv",
        "mode": "w",
        "text": "eur,2.0\r\nusd,3.0\r\n",
    }


def test_changed_file_content_fails_with_a_diff(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(EXPORT)
    record_export(mod, project)
    rewrite(mod, "float(rate) * 2", "float(rate) * 3")
    [result] = verify(project)
    assert result.status == CHANGED
    [difference] = result.differences
    assert difference.path == "writes[1].text"
    assert "-usd,3.0" in difference.detail["diff"] and "+usd,4.5" in difference.detail["diff"]


def test_reading_another_file_fails_naming_it(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(EXPORT)
    record_export(mod, project)
    rewrite(mod, "data/rates.csv", "data/rates-v2.csv")
    [result] = verify(project)
    assert result.status == CHANGED
    assert "path=data/rates-v2.csv" in (result.explanation or "")
    assert "nearest recorded: files read op=read, path=data/rates.csv" in (result.explanation or "")
    assert "differs in: path" in (result.explanation or "")


def test_writing_without_the_boundary_is_named_and_blocked(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(EXPORT)
    with recording([f"{mod.__name__}:export"], store=project / "golden", boundaries=[]) as rec:
        mod.export("2024-04")
    summary = rec.summary().render()
    assert "wrote out/report-2024-04.csv" in summary and "read data/rates.csv" in summary
    assert 'add boundaries = ["files"]' in summary
    (project / "out" / "report-2024-04.csv").unlink()
    [result] = verify(project)
    assert result.status == "error"
    assert "blocked on replay: the call wrote out/report-2024-04.csv" in (result.error or "")
    assert not (project / "out" / "report-2024-04.csv").exists()  # verification changed nothing
