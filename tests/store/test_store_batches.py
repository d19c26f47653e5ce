"""Cases written in batches: the same bytes and outcomes as one at a time, whole files
only, and still no write through a link swapped in while the batch runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from legacy_harness.errors import GoldenFileError
from legacy_harness.store import codec, confine
from legacy_harness.store.case import GoldenCase, Observation, case_to_tree
from legacy_harness.store.disk import CREATED, KEPT, UNCHANGED, UPDATED, GoldenStore, document
from legacy_harness.store.shared import SHARE_FROM, extract

TARGET = "pkg.mod:func"
BLOB = "cd" * 16 + ".npy"


def make_case(n: int, value: object = None, target: str = TARGET) -> GoldenCase:
    returned = n * 2 if value is None else value
    return GoldenCase(
        target, f"{n:016x}", {"args": [n], "kwargs": {}}, Observation({"returned": returned}),
        None, {"origin": "recorded"},
    )  # fmt: skip


def with_blob(case: GoldenCase) -> GoldenCase:
    case.observation.outcome = {
        "returned": {"$ndarray": {"dtype": "<f8", "shape": [1], "blob": BLOB}}
    }
    case.blobs = {BLOB: b"payload"}
    return case


def tree_of(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its bytes (hidden files too)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(params=["unnamed", "temporary name", "by path"])
def creation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every way a new file is put in place: created unnamed and linked in (Linux),
    written under a temporary name and linked to its own, and that by path where
    folders cannot be opened (Windows)."""
    if request.param != "unnamed":
        monkeypatch.setattr(confine, "_UNNAMED", [False])
    if request.param == "by path":
        monkeypatch.setattr(confine, "_AT_FOLDER", False)
    return str(request.param)


def test_a_batch_writes_what_single_writes_write(tmp_path: Path, creation: str) -> None:
    cases = [make_case(n) for n in range(20)] + [with_blob(make_case(99))]
    cases.append(make_case(100, {"catalog": [f"item {i}" for i in range(400)]}))  # shared
    single = GoldenStore(tmp_path / "single")
    batched = GoldenStore(tmp_path / "batched")
    assert [single.write(case) for case in cases] == [CREATED] * len(cases)
    with batched.writes() as writes:
        assert [writes.write(case) for case in cases] == [CREATED] * len(cases)
    assert tree_of(batched.root) == tree_of(single.root)
    assert len([name for name in tree_of(batched.root) if name.endswith(".json")]) == 23
    assert not [name for name in tree_of(batched.root) if ".tmp-" in name]
    loaded = [item for item in batched.iter_cases() if not isinstance(item, GoldenFileError)]
    assert len(loaded) == len(cases)


def test_a_batch_reports_unchanged_kept_and_updated_cases(tmp_path: Path, creation: str) -> None:
    store = GoldenStore(tmp_path)
    store.write(make_case(1))
    store.write(make_case(2))
    with store.writes() as writes:
        assert writes.write(make_case(1)) == UNCHANGED
        assert writes.write(make_case(2, "other")) == KEPT
        assert writes.write(make_case(3)) == CREATED
        assert writes.write(make_case(3, "again")) == KEPT
    with store.writes(overwrite=True) as writes:
        assert writes.write(make_case(2, "other")) == UPDATED
        assert writes.write(make_case(2, "other")) == UNCHANGED
    outcome = store.load(store.case_path(make_case(2))).case.observation.outcome
    assert outcome == {"returned": "other"}


def test_a_case_of_a_longer_or_shorter_text_is_kept_not_replaced(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    store.write(make_case(1, "x" * 50))
    before = store.case_path(make_case(1)).read_bytes()
    assert store.write(make_case(1, "x")) == KEPT
    assert store.write(make_case(1, "x" * 500)) == KEPT
    assert store.case_path(make_case(1)).read_bytes() == before


def test_a_folder_swapped_for_a_link_during_a_batch_is_never_written_through(
    tmp_path: Path,
) -> None:
    store = GoldenStore(tmp_path / "golden")
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = store.target_dir(TARGET)
    with store.writes() as writes:
        assert writes.write(make_case(1)) == CREATED
        folder.rename(folder.with_name("moved"))  # the open folder is now "moved"
        folder.symlink_to(outside, target_is_directory=True)
        assert writes.write(make_case(2)) == CREATED  # into the folder it checked
        with pytest.raises(GoldenFileError, match="is a symbolic link"):
            writes.write(with_blob(make_case(3)))  # its blob folder is checked when first used
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in folder.with_name("moved").iterdir()) == [
        f"case-{1:016x}.json",
        f"case-{2:016x}.json",
    ]
    with pytest.raises(GoldenFileError, match="is a symbolic link"):
        store.write(make_case(4))  # the next batch checks the folders again
    assert list(outside.iterdir()) == []


def test_a_folder_deleted_during_a_batch_is_made_again(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    with store.writes() as writes:
        assert writes.write(make_case(1)) == CREATED
        shutil.rmtree(store.target_dir(TARGET))
        assert writes.write(make_case(2)) == CREATED
    assert [path.name for path in store.iter_paths()] == [f"case-{2:016x}.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_special_file_in_place_of_a_case_is_refused_without_reading_it(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    store.target_dir(TARGET).mkdir(parents=True)
    os.mkfifo(store.case_path(make_case(1)))  # a read would block forever
    with store.writes() as writes:
        with pytest.raises(GoldenFileError, match="is not a regular file"):
            writes.write(make_case(1))
        assert writes.write(make_case(2)) == CREATED  # the batch goes on


def test_a_blob_removed_by_another_process_is_written_again(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    with store.writes() as writes:
        writes.write(with_blob(make_case(1)))
        store.blob_path(TARGET, BLOB).unlink()  # a clean-up elsewhere took it
        writes.write(with_blob(make_case(2)))
    assert store.read_blob(TARGET, BLOB) == b"payload"


@pytest.mark.parametrize("items", [1, 40, 150, 203, 205, 300])
def test_a_case_file_is_the_text_of_its_tree_with_large_values_shared(items: int) -> None:
    """The search for values to share is skipped below SHARE_FROM characters of
    indented text: the bytes are those of the full search, on either side of it."""
    case = make_case(1, {"rows": [f"row {i:03d}" for i in range(items)]})
    tree, values = extract(case_to_tree(case))
    data, found = document(case)
    assert data == codec.dumps(tree).encode("utf-8")
    assert found == values
    assert bool(found) == (items >= 205)  # the compact text of 205 rows reaches SHARE_FROM
    if not found:  # the indented text of 150 rows reaches it: the search runs, finds none
        assert (len(data) < SHARE_FROM) == (items <= 40)


def test_a_write_that_fails_before_its_file_is_linked_leaves_no_file(
    tmp_path: Path, creation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = GoldenStore(tmp_path)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(confine.os, "link", full_disk)
    with store.writes() as writes, pytest.raises(OSError, match="No space"):
        writes.write(make_case(1))
    assert list(store.target_dir(TARGET).iterdir()) == []  # no case, no temporary file
