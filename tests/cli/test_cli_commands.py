"""The command line's structure: one module per command keeping the ``Command`` protocol,
a table that lets ``--help`` and ``--version`` load none of them, exit codes from the
vocabulary."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import get_type_hints

import pytest
from cli_runner import cli_env

import legacy_harness.cli
from legacy_harness import __version__
from legacy_harness.cli import COMMANDS, build_parser, main
from legacy_harness.cli.command import Command
from legacy_harness.cli.support import exit_code_of
from legacy_harness.outcomes import ExitCode

#: Modules of the cli package that are not commands.
SHARED = {"command", "support"}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_module_keeps_the_protocol(name: str) -> None:
    entry = COMMANDS[name]
    assert entry.module == f"legacy_harness.cli.{name.replace('-', '_')}"
    command = importlib.import_module(entry.module).COMMAND
    assert isinstance(command, Command)
    assert command.name == name
    assert command.help == entry.help, "the table's help line must be the command's own"
    assert command.description.strip()
    assert get_type_hints(type(command).run)["return"] is ExitCode


def test_every_command_module_is_in_the_table() -> None:
    modules = {m.name for m in pkgutil.iter_modules(legacy_harness.cli.__path__)}
    # a command of two words lives in a module of the same words: merge-reports, merge_reports
    assert modules - SHARED == {name.replace("-", "_") for name in COMMANDS}


def test_the_table_lists_the_commands_in_help_order() -> None:
    assert list(COMMANDS) == [
        "record", "verify", "coverage", "characterize", "minimize",
        "mutate", "check", "merge-reports", "review", "approve", "refactor", "docs", "drift",
    ]  # fmt: skip
    assert [name for name, entry in COMMANDS.items() if entry.program] == ["record", "drift"]


def _imported(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime -m legacy_harness ARGS``; return it and what it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "legacy_harness", *args],
        env=cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    modules = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "legacy_harness.cli" in modules, done.stderr[-2000:]
    return done, modules


def _command_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("legacy_harness.cli.")} - {
        f"legacy_harness.cli.{name}" for name in SHARED
    }


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_command_module_and_no_numpy(flag: str) -> None:
    done, modules = _imported(flag)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _command_modules(modules) == set()
    assert not {m for m in modules if m == "numpy" or m.startswith("numpy.")}
    if flag == "--version":
        assert done.stdout.strip() == f"legacy-harness {__version__}"
    else:
        for name, entry in COMMANDS.items():
            assert name in done.stdout and entry.help in " ".join(done.stdout.split())


def test_running_a_command_imports_only_its_own_module() -> None:
    done, modules = _imported("minimize", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--keep-boundary" in done.stdout
    assert _command_modules(modules) == {"legacy_harness.cli.minimize"}


def test_a_selected_command_gets_its_options_and_the_others_only_their_line() -> None:
    parser = build_parser("coverage")
    args = parser.parse_args(["coverage", "--fail-under", "80"])
    assert args.fail_under == 80.0
    full = build_parser()
    assert full.parse_args(["verify", "--runs", "3"]).runs == 3


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) is ExitCode.ERROR
    assert "COMMAND" in capsys.readouterr().out


def test_an_unknown_command_is_one_line_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verfy"]) is ExitCode.ERROR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "invalid choice: 'verfy'" in err and "verify" in err


def test_a_program_after_dashes_is_refused_by_commands_that_run_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "--", "run.py"]) is ExitCode.ERROR
    assert "legacy-harness verify: unexpected '-- run.py'" in capsys.readouterr().err


def test_a_missing_store_is_an_error_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["approve", "--all"]) is ExitCode.ERROR
    assert "legacy-harness approve: no golden store" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("returncode", "expected"),
    [(0, ExitCode.SAME), (1, ExitCode.CHANGED), (2, ExitCode.ERROR), (3, ExitCode.POLICY),
     (4, ExitCode.ERROR), (-9, ExitCode.ERROR)],
)  # fmt: skip
def test_a_child_exit_status_outside_the_vocabulary_is_an_error(
    returncode: int, expected: ExitCode
) -> None:
    assert exit_code_of(returncode) is expected


def test_the_command_line_looks_for_the_journal_by_its_own_names() -> None:
    from legacy_harness.refactor import journal

    assert legacy_harness.cli.JOURNAL_FILES == (journal.JOURNAL_NAME, journal.TEMPORARY_NAME)
