"""Crash-safe refactoring: the journal, its recovery, and real runs killed with SIGKILL."""

from __future__ import annotations

import io
import json
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_runner import REPO, cli_env, run_cli

from legacy_harness.errors import RefusalError
from legacy_harness.refactor.journal import (
    JOURNAL_NAME,
    TEMPORARY_NAME,
    Journal,
    JournalError,
    recover,
)
from legacy_harness.store.disk import GoldenStore

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL and flock")

EXAMPLES = REPO / "examples"


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` (bytes and permission bits), caches left out."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def folders(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()} - {
        p.relative_to(root).as_posix() for p in root.rglob("__pycache__")
    }


# -- the journal in-process -----------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two sources (one executable) and the masters of one target, with a blob."""
    root = tmp_path / "project"
    (root / "tests" / "golden" / "shop" / "Cart.checkout" / "blobs").mkdir(parents=True)
    (root / "shop.py").write_text("class Cart:\n    def checkout(self):\n        return 1\n")
    (root / "run.sh").write_text("#!/bin/sh\npython -c 'import shop'\n")
    (root / "run.sh").chmod(0o755)
    old = root / "tests" / "golden" / "shop" / "Cart.checkout"
    (old / "case-00aa.json").write_text('{"target": "shop:Cart.checkout"}\n')
    (old / "blobs" / "b1.npy").write_bytes(b"\x93NUMPY\x00\x01")
    return root


def begin(root: Path) -> Journal:
    store = root / "tests" / "golden"
    return Journal.begin(
        root,
        files=[root / "shop.py", root / "run.sh"],
        folders=[store / "shop" / "Cart.checkout", store / "shop" / "Cart.pay"],
        store=store,
        moves={"shop:Cart.checkout": "shop:Cart.pay"},
        command="refactor rename --old shop:Cart.checkout --new pay",
    )


def damage(root: Path) -> None:
    """What a rename does half-way, and worse: rewritten, truncated, moved, new folders."""
    (root / "shop.py").write_text("class Cart:\n    def pay(self):\n")
    (root / "run.sh").write_bytes(b"")
    (root / "run.sh").chmod(0o600)
    store = root / "tests" / "golden" / "shop"
    (store / "Cart.pay" / "blobs").mkdir(parents=True)
    shutil.move(store / "Cart.checkout" / "case-00aa.json", store / "Cart.pay" / "case-00aa.json")
    (store / "Cart.checkout" / ".tmp-x.json").write_text("{")
    (store / "Cart.pay" / "blobs" / "b1.npy").write_bytes(b"half")


def test_restore_puts_back_every_byte_mode_and_folder(project: Path) -> None:
    before, dirs = tree(project), folders(project)
    journal = begin(project)
    assert (project / JOURNAL_NAME).is_file()
    damage(project)
    written, fixed = journal.restore()
    assert tree(project) == before and folders(project) == dirs
    assert not (project / JOURNAL_NAME).exists()
    assert written == 3 and fixed == 2


def test_the_journal_holds_the_original_bytes_and_the_masters_paths(project: Path) -> None:
    journal = begin(project)
    document = json.loads((project / JOURNAL_NAME).read_text())
    journal.close()
    assert not (project / JOURNAL_NAME).exists()
    assert {entry["path"] for entry in document["files"]} == {
        "shop.py",
        "run.sh",
        "tests/golden/shop/Cart.checkout/case-00aa.json",
        "tests/golden/shop/Cart.checkout/blobs/b1.npy",
    }
    assert document["moves"] == [
        {
            "old": "shop:Cart.checkout",
            "new": "shop:Cart.pay",
            "old_folder": "tests/golden/shop/Cart.checkout",
            "new_folder": "tests/golden/shop/Cart.pay",
        }
    ]
    assert {(f["path"], f["existed"]) for f in document["folders"]} == {
        ("tests/golden/shop/Cart.checkout", True),
        ("tests/golden/shop/Cart.pay", False),
    }


KILLED_AFTER_DAMAGE = """
import os, signal, sys
sys.path[:0] = [{tests!r}, {helpers!r}, {repo!r}]
from pathlib import Path
from test_refactor_journal import begin, damage
root = Path({root!r})
journal = begin(root)
damage(root)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_recover_rolls_back_a_killed_run_once_and_says_so_in_one_line(project: Path) -> None:
    before = tree(project)
    script = KILLED_AFTER_DAMAGE.format(
        tests=str(Path(__file__).parent),
        helpers=str(REPO / "tests"),
        repo=str(REPO),
        root=str(project),
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert tree(project) != before and (project / JOURNAL_NAME).exists()
    said = io.StringIO()
    assert recover(project, stream=said) is True
    lines = said.getvalue().splitlines()
    assert len(lines) == 1 and "rolled back an interrupted refactoring" in lines[0]
    assert "refactor rename --old shop:Cart.checkout --new pay" in lines[0]
    assert tree(project) == before and not (project / JOURNAL_NAME).exists()
    assert recover(project, stream=said) is False and len(said.getvalue().splitlines()) == 1


def test_a_journal_whose_writer_is_alive_is_left_alone(project: Path) -> None:
    journal = begin(project)
    damage(project)
    changed = tree(project)
    assert recover(project) is False
    done = run_cli(project, "verify")  # any command, started while the refactoring runs
    assert "rolled back" not in done.stderr
    assert tree(project) == changed and (project / JOURNAL_NAME).exists()
    with pytest.raises(RefusalError, match="another refactoring is running"):
        begin(project)
    journal.restore()


def test_a_journal_that_was_never_finished_writing_is_removed(project: Path) -> None:
    (project / TEMPORARY_NAME).write_text('{"journal": "legacy-harness refact')
    before = tree(project)
    assert recover(project) is False
    assert not (project / TEMPORARY_NAME).exists()
    assert tree(project) == {k: v for k, v in before.items() if k != TEMPORARY_NAME}


def journal_with(root: Path, **changes: object) -> None:
    document: dict[str, object] = {
        "journal": "legacy-harness refactoring journal",
        "format": 1,
        "store": "",
        "folders": [],
        "files": [{"path": "shop.py", "mode": 0o644, "bytes": "cHduZWQ="}],
    }
    document.update(changes)
    (root / JOURNAL_NAME).write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"files": [{"path": "../outside.py", "bytes": "cHduZWQ="}]}, "files[0].path"),
        ({"files": [{"path": "/tmp/outside.py", "bytes": "cHduZWQ="}]}, "files[0].path"),
        ({"files": [{"path": "a/./b.py", "bytes": "cHduZWQ="}]}, "files[0].path"),
        ({"folders": [{"path": "tests/../..", "existed": True}]}, "folders[0].path"),
        ({"files": [{"path": "shop.py", "bytes": "not base64!"}]}, "files[0].bytes"),
        ({"files": [{"path": "shop.py", "mode": 0o4777 + 0o10000, "bytes": ""}]}, "files[0].mode"),
        ({"journal": "something else"}, "journal"),
        ({"format": 99}, "format"),
    ],
)
def test_a_journal_that_cannot_be_trusted_restores_nothing(
    project: Path, changes: dict[str, object], field: str
) -> None:
    """A journal sits where pull requests can put files: it is checked before any write."""
    journal_with(project, **changes)
    before = tree(project)
    with pytest.raises(JournalError) as raised:
        recover(project)
    assert repr(field) in str(raised.value) and "nothing was restored" in str(raised.value)
    assert tree(project) == before
    assert not (project.parent / "outside.py").exists()


def test_a_journal_path_through_a_symlink_restores_nothing(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "linked").symlink_to(elsewhere)
    journal_with(project, files=[{"path": "linked/x.py", "bytes": "cHduZWQ="}])
    with pytest.raises(JournalError, match="symbolic link"):
        recover(project)
    assert not (elsewhere / "x.py").exists()


def test_a_bad_journal_stops_every_command_with_one_line(project: Path) -> None:
    (project / JOURNAL_NAME).write_text("{not json")
    done = run_cli(project, "verify")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not valid JSON" in done.stderr
    assert "delete it if no refactoring was interrupted here" in done.stderr


def test_begin_refuses_files_outside_the_project_and_symlinks(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    with pytest.raises(RefusalError, match="outside the project root"):
        Journal.begin(project, files=[outside])
    (project / "alias.py").symlink_to(project / "shop.py")
    with pytest.raises(RefusalError, match="symbolic link"):
        Journal.begin(project, files=[project / "alias.py"])
    assert not (project / JOURNAL_NAME).exists()


# -- real runs of `refactor rename --apply`, killed at 20 points ------------------------

KILLER = """
import os, signal, sys

WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
EVENTS = {"os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.link", "os.symlink",
          "os.truncate", "os.chmod", "shutil.rmtree", "subprocess.Popen"}
WHEN = os.environ.get("KILL_AT", "")  # "N": the N-th change; "EVENT:N": its N-th time
counts = {}

def changes(event, args):
    if event == "open":
        mode, flags = args[1], args[2]
        return (isinstance(mode, str) and bool(set(mode) & set("wax+"))) or (
            mode is None and bool(flags & WRITES))
    return event in EVENTS

def hook(event, args):
    if not changes(event, args):
        return
    total = counts["*"] = counts.get("*", 0) + 1
    seen = counts[event] = counts.get(event, 0) + 1
    if WHEN in (str(total), f"{event}:{seen}"):
        os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
from legacy_harness.cli import main
status = main(sys.argv[1:])
if WHEN == "count":
    sys.stdout.write(f"\\nchanges={counts['*']}\\n")
sys.exit(status)
"""

RENAME = ["refactor", "rename", "--old", "shop:Cart.checkout", "--new", "pay",
          "--unique-attribute", "shop.py", "run_month_end.py", "--apply"]  # fmt: skip
POINTS = 20


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("journal") / "pricing"
    shutil.copytree(
        EXAMPLES / "legacy_pricing", root, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    done = run_cli(root, "record", "-t", "billing:compute_invoice", "-t", "shop:Cart.checkout",
                   "--", "run_month_end.py", "2024-03")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (root.parent / "killer.py").write_text(textwrap.dedent(KILLER))
    return root


def killed_run(root: Path, when: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = cli_env({"KILL_AT": when, "PYTHONDONTWRITEBYTECODE": "1"})
    return subprocess.run(
        [sys.executable, str(root.parent / "killer.py"), *RENAME, *extra],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def changes_in_a_run(recorded: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many file changes (and process starts) one whole rename makes."""
    root = tmp_path_factory.mktemp("count") / "pricing"
    shutil.copytree(recorded, root)
    shutil.copy(recorded.parent / "killer.py", root.parent / "killer.py")
    done = killed_run(root, "count")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "masters of shop:Cart.checkout moved to shop:Cart.pay" in done.stdout
    total = int(done.stdout.rsplit("changes=", 1)[1])
    assert total >= POINTS, total
    return total


def state(root: Path) -> dict[str, tuple[bytes, int]]:
    """What must come back as a whole: the sources and every master."""
    return {k: v for k, v in tree(root).items() if k.startswith("tests/") or k.endswith(".py")}


@pytest.fixture
def pricing(recorded: Path, tmp_path: Path) -> Path:
    root = tmp_path / "pricing"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(recorded.parent / "killer.py", tmp_path / "killer.py")
    return root


def assert_recovered(root: Path, original: dict[str, tuple[bytes, int]], killed: bool) -> None:
    journal_left = (root / JOURNAL_NAME).exists()
    done = run_cli(root, "verify")  # the next command, whatever it is, recovers first
    said = [line for line in done.stderr.splitlines() if "rolled back" in line]
    assert len(said) == (1 if journal_left else 0), done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    assert state(root) == original, "sources or masters were left half changed"
    assert not (root / JOURNAL_NAME).exists() and not (root / TEMPORARY_NAME).exists()
    assert "shop:Cart.pay" not in GoldenStore(root / "tests" / "golden").targets()
    assert killed


@pytest.mark.parametrize("point", range(1, POINTS + 1))
def test_rename_apply_killed_anywhere_is_rolled_back_by_the_next_command(
    pricing: Path, changes_in_a_run: int, point: int
) -> None:
    original = state(pricing)
    when = max(1, round(point * changes_in_a_run / POINTS))
    done = killed_run(pricing, str(when))
    assert_recovered(pricing, original, done.returncode == -signal.SIGKILL)


# Popen 1 measures which masters reach the file, 2 replays before the change, 3 after it
@pytest.mark.parametrize("when", ["os.remove:4", "subprocess.Popen:3"])
def test_rename_apply_verify_killed_mid_migration_or_mid_verify_is_rolled_back(
    pricing: Path, when: str
) -> None:
    original = state(pricing)
    done = killed_run(pricing, when, "--verify")
    assert_recovered(pricing, original, done.returncode == -signal.SIGKILL)


def test_an_uninterrupted_rename_apply_moves_the_masters_and_leaves_no_journal(
    pricing: Path,
) -> None:
    done = run_cli(pricing, *RENAME)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "masters of shop:Cart.checkout moved to shop:Cart.pay" in done.stdout
    assert "shop:Cart.pay" in GoldenStore(pricing / "tests" / "golden").targets()
    assert "shop:Cart.checkout" not in GoldenStore(pricing / "tests" / "golden").targets()
    assert not (pricing / JOURNAL_NAME).exists()
    assert run_cli(pricing, "verify").returncode == 0
