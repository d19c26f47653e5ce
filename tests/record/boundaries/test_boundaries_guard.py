"""Undeclared I/O: noted when recording, blocked on replay; named function boundaries;
and the CI gate counting cases that cannot replay as errors."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import rewrite, verify
from cli_runner import run_cli

from legacy_harness.errors import ConfigError
from legacy_harness.record.boundaries import BoundarySet, suggestion
from legacy_harness.record.recorder import recording
from legacy_harness.report.summary import summarize
from legacy_harness.store import codec
from legacy_harness.store.case import case_from_tree, case_to_tree
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import (
    CHANGED,
    ERROR,
    PASSED,
)

SERVICE = """
import subprocess

class Mailer:
    def __init__(self, outbox):
        self.outbox = outbox

    def send(self, to, body):
        with open(self.outbox, "a") as handle:
            handle.write(f"{to}: {body}\\n")
        if not to:
            raise ValueError("no recipient")
        return len(body)

def remind(mailer, customers):
    sent = 0
    for name, due in customers:
        try:
            sent += mailer.send(name, f"pay {due:.2f}")
        except ValueError as error:
            print("skipped:", error)
    return sent

def archive(folder):
    return subprocess.run(["true", folder], check=True).returncode
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_named_method_is_a_boundary(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(SERVICE)
    name = mod.__name__
    customers = [("ann", 10.0), ("", 5.0), ("bo", 7.25)]
    with recording(
        [f"{name}:remind"], store=project / "golden", boundaries=[f"{name}:Mailer.send"]
    ):
        assert mod.remind(mod.Mailer("outbox.txt"), customers) == 17
    (project / "outbox.txt").unlink()
    assert [r.status for r in verify(project)] == [PASSED]
    assert not (project / "outbox.txt").exists()  # the real send never ran on replay
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    tape = stored.case.tape or []
    assert [item["boundary"] for item in tape] == [f"{name}:Mailer.send"] * 3
    assert tape[0]["call"] == {"args": ["ann", "pay 10.00"], "kwargs": {}}
    assert tape[0]["result"] == {"returned": 9}
    assert tape[1]["result"]["raised"]["type"] == "builtins.ValueError"
    rewrite(mod, 'f"pay {due:.2f}"', 'f"pay {due:.1f}"')
    [result] = verify(project)
    assert result.status == CHANGED
    assert "differs in: arguments" in (result.explanation or "")


def test_processes_are_named_and_blocked(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(SERVICE)
    with recording([f"{mod.__name__}:archive"], store=project / "golden", boundaries=[]) as rec:
        assert mod.archive("2024") == 0
    summary = rec.summary().render()
    assert "started a process (true 2024)" in summary
    assert "declare the function doing it as MODULE:QUALNAME" in summary
    [result] = verify(project)
    assert result.status == ERROR and summarize([result]).exit_code == 2
    assert "blocked on replay: the call started a process (true 2024)" in (result.error or "")


def test_suggestion_names_what_to_add() -> None:
    notes = {"opened billing.db (sqlite3)": "sqlite3", "read the clock": "clock"}
    assert suggestion(notes) == (
        'opened billing.db (sqlite3) and read the clock: add boundaries = ["sqlite3", "clock"]'
    )
    assert suggestion({"wrote out/a.csv": "files"}, ["http"]) == (
        'wrote out/a.csv: add boundaries = ["http", "files"]'
    )
    assert suggestion({}) == ""


def test_unknown_boundaries_are_refused_with_the_names_to_use() -> None:
    with pytest.raises(ConfigError, match=r"unknown boundary 'sqlite'; use one of clock, uuid"):
        BoundarySet(["sqlite"])
    with pytest.raises(ConfigError, match=r"dbapi:MODULE.connect"):
        BoundarySet(["dbapi:"])
    with pytest.raises(ConfigError, match="must be a list of names"):
        BoundarySet.from_config({"boundaries": "clock"})
    assert BoundarySet.from_config({"boundaries": ["clock"]}, ["clock", "files"]).names == (
        "clock",
        "files",
    )


def test_a_golden_file_cannot_name_a_boundary_outside_the_project(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module("def add(a, b):\n    return a + b\n")
    with recording([f"{mod.__name__}:add"], store=project / "golden", boundaries=[]):
        mod.add(1, 2)
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    tree = case_to_tree(stored.case)
    tree["meta"]["boundaries"] = ["os:system"]
    stored.path.write_text(codec.dumps(tree))
    [result] = verify(project)
    assert result.status == ERROR
    assert "declares boundary 'os:system' outside the allowed modules" in (result.error or "")


def test_a_bad_tape_is_an_error_naming_the_field() -> None:
    tree = {
        "format": 1, "target": "m:f", "id": "x", "inputs": {"args": [], "kwargs": {}},
        "outcome": {"returned": 1}, "effects": {}, "output": {},
        "tape": [{"boundary": "clock", "kind": "peek", "call": {}}],
    }  # fmt: skip
    with pytest.raises(ValueError, match=r"tape\[0\]'.kind must be 'read' or 'write'"):
        case_from_tree(tree)


JOB = """
def export(n):
    with open("out.txt", "w") as handle:
        handle.write(str(n))
    return n
"""


def test_check_counts_cases_that_cannot_replay_as_errors(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (tmp_path / "jobs.py").write_text(textwrap.dedent(JOB))
    (tmp_path / "run.py").write_text("import jobs\njobs.export(3)\n")
    recorded = run_cli(tmp_path, "record", "--target", "jobs:export", "--", "run.py")
    assert recorded.returncode == 0, recorded.stderr
    assert 'jobs:export wrote out.txt: add boundaries = ["files"]' in recorded.stderr
    (tmp_path / "out.txt").unlink()
    checked = run_cli(tmp_path, "check", "--format", "json")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert not (tmp_path / "out.txt").exists()
    report = json.loads(checked.stdout)
    assert "blocked on replay: the call wrote out.txt" in json.dumps(report)
    shutil.rmtree(tmp_path / "golden")
    recorded = run_cli(
        tmp_path, "record", "--target", "jobs:export", "--boundary", "files", "--", "run.py"
    )
    assert recorded.returncode == 0, recorded.stderr
    (tmp_path / "out.txt").unlink()
    checked = run_cli(tmp_path, "check", "--allow-unreviewed")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not (tmp_path / "out.txt").exists()
