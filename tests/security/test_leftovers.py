"""What killed recordings leave (torn ``.tmp-*`` files, blobs no case names) is deleted
by ``record`` and shown by ``check``; ``--max-cases`` caps a target's folder across
processes and runs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

from legacy_harness.record.recorder import recording
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import CREATED, LEFTOVER_AGE, UNCHANGED, GoldenStore

TARGET = "pkg.mod:func"
NAMED = "ab" * 16 + ".npy"
ORPHAN = "cd" * 16 + ".npy"


def _old(path: Path) -> Path:
    """As a file a process killed long ago left it."""
    when = path.stat().st_mtime - 10 * LEFTOVER_AGE
    os.utime(path, (when, when))
    return path


def _store_with_leftovers(root: Path) -> tuple[GoldenStore, dict[str, Path]]:
    store = GoldenStore(root)
    case = GoldenCase(
        TARGET,
        "0" * 15 + "1",
        {"args": [1], "kwargs": {}},
        Observation({"returned": {"$ndarray": {"dtype": "<f8", "shape": [1], "blob": NAMED}}}),
        None,
        {},
        {NAMED: b"named"},
    )
    store.write(case)
    folder = store.target_dir(TARGET)
    blobs = folder / "blobs"
    files = {
        "torn case": folder / ".tmp-0123456789abcdef.json",
        "torn blob": blobs / ".tmp-fedcba9876543210.npy",
        "orphan": blobs / ORPHAN,
        "fresh": folder / ".tmp-00000000000000aa.json",  # another writer, in flight
    }
    for name, path in files.items():
        path.write_bytes(b'{"target": "pkg.mo')  # cut off mid-write
        if name != "fresh":
            _old(path)
    _old(blobs / NAMED)
    return store, files


def test_leftovers_are_the_torn_files_and_unnamed_blobs(tmp_path: Path) -> None:
    store, files = _store_with_leftovers(tmp_path / "golden")
    everything = store.leftovers()  # what check shows: every one, whatever its age
    assert everything == sorted(files.values())
    assert store.leftovers(TARGET, older_than=LEFTOVER_AGE) == sorted(
        files[name] for name in ("torn case", "torn blob", "orphan")
    )
    assert store.target_dir(TARGET) / "blobs" / NAMED not in everything


def test_remove_leftovers_keeps_named_blobs_and_writes_in_flight(tmp_path: Path) -> None:
    store, files = _store_with_leftovers(tmp_path / "golden")
    removed = store.remove_leftovers(TARGET)
    assert sorted(removed) == sorted(files[n] for n in ("torn case", "torn blob", "orphan"))
    assert files["fresh"].exists()
    assert (store.target_dir(TARGET) / "blobs" / NAMED).read_bytes() == b"named"
    (stored,) = store.iter_cases()
    assert not isinstance(stored, Exception)


def test_a_blob_named_again_is_no_longer_a_leftover(tmp_path: Path) -> None:
    """A recorder that finds the blob it needs already there renews it, so another
    recorder's clean-up does not take it for a leftover in between."""
    store, _ = _store_with_leftovers(tmp_path / "golden")
    orphan = store.target_dir(TARGET) / "blobs" / ORPHAN
    case = GoldenCase(
        TARGET,
        "0" * 15 + "2",
        {"args": [2], "kwargs": {}},
        Observation({"returned": {"$ndarray": {"dtype": "<f8", "shape": [1], "blob": ORPHAN}}}),
        None,
        {},
        {ORPHAN: b"other bytes"},
    )
    store.write(case)
    assert orphan not in store.leftovers(TARGET, older_than=LEFTOVER_AGE)


def test_blobs_named_by_the_fixtures_masters_are_not_leftovers(tmp_path: Path) -> None:
    """``__checks__`` masters are ``<name>.json``, not case files; their blobs are theirs."""
    store = GoldenStore(tmp_path / "golden")
    folder = store.root / "__checks__" / "tests" / "test_x.py" / "test_y"
    (folder / "blobs").mkdir(parents=True)
    (folder / "0.json").write_text(json.dumps({"value": {"$ndarray": {"blob": NAMED}}}))
    named, unnamed = _old_file(folder / "blobs" / NAMED), _old_file(folder / "blobs" / ORPHAN)
    assert store.leftovers() == [unnamed]
    assert named.exists()


def _old_file(path: Path) -> Path:
    path.write_bytes(b"\x93NUMPY")
    return _old(path)


def test_the_clean_up_never_follows_a_linked_blob_folder(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim, torn = outside / ORPHAN, outside / ".tmp-0123456789abcdef.npy"
    for path in (victim, torn):
        path.write_bytes(b"keep me")
        _old(path)
    folder = store.target_dir(TARGET)
    folder.mkdir(parents=True)
    (folder / "blobs").symlink_to(outside, target_is_directory=True)
    assert store.remove_leftovers(TARGET) == []
    assert store.leftovers() == []
    assert victim.exists() and torn.exists()


# -- the commands ----------------------------------------------------------------------


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n'
        "[tool.legacy_harness.check]\nallow_unreviewed = true\n"
    )
    (root / "calc.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "run.py").write_text(
        "import sys\nimport calc\n\nfor x in sys.argv[1:]:\n    calc.double(int(x))\n"
    )
    return root


def test_check_shows_leftovers_without_failing_and_record_deletes_them(tmp_path: Path) -> None:
    project = _project(tmp_path)
    recorded = run_cli(project, "record", "--target", "calc:double", "--", "run.py", "1")
    assert recorded.returncode == 0, recorded.stderr
    folder = project / "golden" / "calc" / "double"
    torn = folder / ".tmp-0123456789abcdef.json"
    torn.write_bytes(b'{"tar')
    (folder / "blobs").mkdir()
    orphan = folder / "blobs" / ORPHAN
    orphan.write_bytes(b"\x93NUMPY")
    _old(torn), _old(orphan)

    checked = run_cli(project, "check", "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    document = json.loads(checked.stdout)
    assert sorted(document["leftovers"]) == sorted([str(torn), str(orphan)])
    text = run_cli(project, "check")
    assert text.returncode == 0
    assert "LEFTOVER 2 files killed recordings left" in text.stdout
    assert "`legacy-harness record` of their target deletes them" in text.stdout
    assert "golden/calc/double/blobs/" + ORPHAN in text.stdout

    again = run_cli(project, "record", "--target", "calc:double", "--", "run.py", "2")
    assert again.returncode == 0, again.stderr
    assert "cleaned 2 leftover files of killed recordings" in again.stderr
    assert not torn.exists() and not orphan.exists()
    assert GoldenStore(project / "golden").leftovers() == []


def test_max_cases_caps_the_target_across_processes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    first = run_cli(
        project, "record", "--target", "calc:double", "--max-cases", "4", "--", "run.py",
        "1", "2", "3",
    )  # fmt: skip
    second = run_cli(
        project, "record", "--target", "calc:double", "--max-cases", "4", "--", "run.py",
        "4", "5", "6",
    )  # fmt: skip
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "3 cases (3 new" in first.stderr
    assert "1 cases (1 new" in second.stderr
    assert "cap reached: 2 later calls not recorded" in second.stderr
    cases = sorted((project / "golden" / "calc" / "double").glob("case-*.json"))
    assert len(cases) == 4


def test_mode_all_counts_only_its_own_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--mode all re-records the folder afresh (stale cases are pruned), so its cap
    counts the cases of that run, not those it is replacing."""
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.delitem(sys.modules, "calc", raising=False)  # another test's calc
    import calc  # type: ignore[import-not-found]

    store = GoldenStore(project / "golden")
    for mode, values in (("new", [1, 2]), ("all", [1, 7, 8])):
        with recording(["calc:double"], store=store.root, max_cases=2, mode=mode) as recorder:
            for value in values:
                calc.double(value)
    stats = recorder.summary().targets[0]
    assert stats.outcomes[UNCHANGED] == 1 and stats.outcomes[CREATED] == 1
    assert stats.dropped == 1  # 8: this run's cap is reached
