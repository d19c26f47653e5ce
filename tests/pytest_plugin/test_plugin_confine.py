"""Writes and deletes of masters: inside the store, whole files, through no link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError
from legacy_harness.pytest_plugin.confine import (
    confined,
    remove_file,
    remove_folder_if_unused,
    write_file,
)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "golden"
    root.mkdir()
    return root


def test_writes_create_folders_replace_whole_files_and_honour_the_umask(store: Path) -> None:
    path = store / "__checks__" / "t" / "test" / "0.json"
    old = os.umask(0o027)
    try:
        write_file(store, path, b"one")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"one"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    write_file(store, path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["0.json"]  # no temporary left


def test_paths_that_leave_the_store_are_refused(store: Path) -> None:
    with pytest.raises(GoldenFileError, match="is outside the golden store"):
        write_file(store, store / "m" / "q" / ".." / ".." / ".." / "x.json", b"x")
    with pytest.raises(GoldenFileError, match="is outside the golden store"):
        remove_file(store, store.parent / "x.json")
    assert not (store.parent / "x.json").exists()
    assert confined(store, store / "m" / ".." / "n") == store / "n"


def test_links_are_refused_by_name_and_never_followed(store: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.json").write_text("keep")
    (store / "m").symlink_to(outside, target_is_directory=True)
    with pytest.raises(GoldenFileError) as refused:
        write_file(store, store / "m" / "q" / "case-1.json", b"x")
    assert str(refused.value).startswith(shown(store / "m"))
    assert "is a symbolic link" in str(refused.value)
    with pytest.raises(GoldenFileError, match="is a symbolic link"):
        remove_file(store, store / "m" / "keep.json")
    (store / "n").mkdir()
    (store / "n" / "case-1.json").symlink_to(outside / "keep.json")
    with pytest.raises(GoldenFileError, match="is a symbolic link"):
        write_file(store, store / "n" / "case-1.json", b"x")
    assert sorted(p.name for p in outside.iterdir()) == ["keep.json"]
    assert (outside / "keep.json").read_text() == "keep"


def test_a_folder_goes_with_its_last_master_and_blobs_only(store: Path, tmp_path: Path) -> None:
    folder = store / "m" / "q"
    (folder / "blobs").mkdir(parents=True)
    (folder / "blobs" / "a.npy").write_bytes(b"a")
    (folder / "case-1.json").write_text("{}")
    assert not remove_folder_if_unused(store, folder)  # a master is still there
    remove_file(store, folder / "case-1.json")
    assert remove_folder_if_unused(store, folder)
    assert not folder.exists() and (store / "m").is_dir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.npy").write_bytes(b"b")
    (folder / "blobs").mkdir(parents=True)
    (folder / "blobs" / "a.npy").write_bytes(b"a")
    (folder / "blobs" / "b.npy").symlink_to(outside / "b.npy")
    with pytest.raises(GoldenFileError, match="b.npy: is a symbolic link"):
        remove_folder_if_unused(store, folder)
    assert (folder / "blobs" / "a.npy").exists()  # checked all before removing any
    assert (outside / "b.npy").read_bytes() == b"b"


def test_named_shows_a_link_as_the_link(store: Path, tmp_path: Path) -> None:
    (store / "link").symlink_to(tmp_path, target_is_directory=True)
    assert shown(store / "link", tmp_path) == "golden/link"
    assert shown(Path("/elsewhere/x"), tmp_path) == "/elsewhere/x"
