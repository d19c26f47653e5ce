"""Attacks on the store through committed golden files: every write and delete stays
inside the store root, follows no link, and recording leaves no trace of its own."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from paths import REPO

from legacy_harness.errors import GoldenFileError, TargetError
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation, case_to_tree
from legacy_harness.store.disk import CREATED, GoldenStore, atomic_write

TARGET = "pkg.mod:func"
BLOB = "ab" * 16 + ".npy"


def make_case(case_id: str = "0" * 15 + "1", target: str = TARGET) -> GoldenCase:
    return GoldenCase(
        target, case_id, {"args": [1], "kwargs": {}}, Observation({"returned": 2}), None, {}
    )


def with_blob(case: GoldenCase) -> GoldenCase:
    case.observation.outcome = {
        "returned": {"$ndarray": {"dtype": "<f8", "shape": [100], "blob": BLOB}}
    }
    case.blobs = {BLOB: b"payload"}
    return case


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ------------------------------------------------------------ ids that are paths


@pytest.mark.parametrize("bad_id", ["../../../tmp/x", "/etc/x", "..", "abc", "0" * 15 + "G"])
def test_a_case_id_that_is_a_path_is_never_written(tmp_path: Path, bad_id: str) -> None:
    store = GoldenStore(tmp_path / "golden")
    with pytest.raises(GoldenFileError, match="is not a hex digest as record writes it"):
        store.write(make_case(bad_id), overwrite=True)  # what update and approve call
    assert files_under(tmp_path) == []


def test_a_committed_case_whose_id_is_a_path_is_refused_on_load(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    store.write(make_case())
    (path,) = store.iter_paths()
    document = json.loads(path.read_text())
    document["id"] = "../../../../outside/x"
    path.write_text(json.dumps(document))
    with pytest.raises(
        GoldenFileError, match=r"field 'id' is '\.\./\.\./.*case-<id>\.json"
    ) as info:
        store.load(path)
    assert path.name in str(info.value)
    (item,) = store.iter_cases()  # the others still run; this one is an error in place
    assert isinstance(item, GoldenFileError)
    assert not (tmp_path / "outside").exists()


def test_a_target_that_is_a_path_is_refused(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    for target in ("..:x", "pkg/../..:f", "a:b/../../c"):
        with pytest.raises(TargetError, match="is not of the form|not a Python identifier"):
            store.write(make_case(target=target))
    assert files_under(tmp_path) == []


def test_remove_deletes_only_case_files_below_the_root(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    store.write(make_case())
    victim = tmp_path / ("case-" + "0" * 16 + ".json")
    victim.write_text("keep me")
    for path in (victim, store.root / "pkg.mod" / ".." / ".." / victim.name):
        with pytest.raises(GoldenFileError, match="is outside the golden store"):
            store.remove(path)
    with pytest.raises(GoldenFileError, match="is not a case file"):
        store.remove(store.root / "pkg.mod" / "func" / "notes.txt")
    assert victim.read_text() == "keep me"


# ------------------------------------------------------------------ symbolic links


def test_a_blob_folder_linked_elsewhere_is_never_emptied(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    store.write(make_case())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    precious = elsewhere / ("cd" * 16 + ".npy")  # named like a blob no case uses
    precious.write_bytes(b"precious")
    (store.target_dir(TARGET) / "blobs").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(GoldenFileError, match=r"blobs: is a symbolic link") as info:
        store.remove_unused_blobs(TARGET)
    assert "\n" not in str(info.value)
    assert precious.read_bytes() == b"precious"
    with pytest.raises(GoldenFileError, match="blobs: is a symbolic link"):
        store.write(with_blob(make_case("0" * 15 + "2")))
    assert files_under(elsewhere) == [precious.name]


def test_a_linked_module_folder_is_never_written_through(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store.root.mkdir()
    (store.root / "pkg.mod").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(GoldenFileError, match=r"pkg\.mod: is a symbolic link"):
        store.write(make_case(), overwrite=True)
    assert files_under(elsewhere) == []
    (elsewhere / "func").mkdir()
    planted = elsewhere / "func" / ("case-" + "0" * 15 + "1.json")
    planted.write_text("{}")
    with pytest.raises(GoldenFileError, match="is a symbolic link"):
        store.remove(store.root / "pkg.mod" / "func" / planted.name)
    assert planted.read_text() == "{}"


def test_a_case_file_linked_elsewhere_is_not_replaced_through_the_link(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    case = make_case()
    folder = store.target_dir(TARGET)
    folder.mkdir(parents=True)
    outside = tmp_path / "outside.json"
    outside.write_text("mine")
    store.case_path(case).symlink_to(outside)
    with pytest.raises(GoldenFileError, match="is a symbolic link"):
        store.write(case, overwrite=True)
    assert outside.read_text() == "mine"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_special_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    folder = store.target_dir(TARGET)
    (folder / "blobs").mkdir(parents=True)
    zero = folder / ("case-" + "0" * 16 + ".json")
    zero.symlink_to("/dev/zero")
    with pytest.raises(GoldenFileError, match="is not a regular file"):
        store.load(zero)
    os.mkfifo(folder / "blobs" / BLOB)  # a read would block forever
    with pytest.raises(GoldenFileError, match="is not a regular file"):
        store.read_blob(TARGET, BLOB)


def test_oversized_files_are_refused_before_reading(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden", limits=codec.Limits(max_case_bytes=100))
    store.write(make_case())
    (path,) = store.iter_paths()
    with pytest.raises(
        GoldenFileError, match=r"bytes, beyond the 100 a case file may have \(max_case_bytes\)"
    ):
        store.load(path)


# ------------------------------------------------------------- blob names in files


def test_a_blob_name_that_is_a_path_stops_the_clean_up(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    store.write(with_blob(make_case()))
    (path,) = store.iter_paths()
    document = json.loads(path.read_text())
    document["outcome"]["returned"]["$ndarray"]["blob"] = "../../../x.npy"
    path.write_text(json.dumps(document))
    with pytest.raises(
        GoldenFileError, match=r"field outcome\.returned\.\$ndarray\.blob names blob '\.\./"
    ):
        store.remove_unused_blobs(TARGET)
    assert store.read_blob(TARGET, BLOB) == b"payload"
    with pytest.raises(GoldenFileError, match="not a plain file name"):
        store.read_blob(TARGET, "../../../x.npy")


def test_clean_up_keeps_named_blobs_and_other_files(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    store.write(with_blob(make_case()))
    folder = store.target_dir(TARGET) / "blobs"
    unused = folder / ("ef" * 16 + ".npy")
    unused.write_bytes(b"old")
    temporary = folder / ".tmp-0123.npy"  # another writer's file in flight
    temporary.write_bytes(b"...")
    assert store.remove_unused_blobs(TARGET) == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([BLOB, temporary.name])


# ------------------------------------------------------------ recording leaves no trace


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_honour_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        store = GoldenStore(tmp_path / "golden")
        assert store.write(with_blob(make_case())) == CREATED
        loose = tmp_path / "loose.txt"
        atomic_write(loose, b"x")
    finally:
        os.umask(old)
    (case_path,) = store.iter_paths()
    blob_path = store.blob_path(TARGET, BLOB)
    for path in (case_path, blob_path, loose):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    assert stat.S_IMODE(case_path.parent.stat().st_mode) == 0o777 & ~umask
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_atomic_write_refuses_a_path_outside_its_root(tmp_path: Path) -> None:
    with pytest.raises(GoldenFileError, match="is outside the golden store"):
        atomic_write(tmp_path / "root" / ".." / "x.json", b"{}", root=tmp_path / "root")
    assert not (tmp_path / "x.json").exists()


VICTIM = """
def count(lock, items):
    return 1
"""

RECORD_TWICE = """
import sys, threading
sys.path[:0] = [{repo!r}, {folder!r}]
from legacy_harness.record.recorder import recording
import victim
with recording(["victim:count"], store={store!r}):
    victim.count(threading.Lock(), (x for x in [1, 2]))
"""


def test_an_unencodable_input_gets_the_same_case_id_in_every_process(tmp_path: Path) -> None:
    (tmp_path / "victim.py").write_text(VICTIM)
    script = tmp_path / "record.py"
    store = tmp_path / "golden"
    script.write_text(
        textwrap.dedent(RECORD_TWICE).format(repo=str(REPO), folder=str(tmp_path), store=str(store))
    )
    names = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, str(script)], check=True, env=env, capture_output=True)
        names.append(sorted(p.name for p in store.rglob("case-*.json")))
    assert len(names[0]) == 1 and names[0] == names[1]
    document = json.loads(next(store.rglob("case-*.json")).read_text())
    assert document["meta"]["unencodable"] and "$unencodable" in json.dumps(document["inputs"])


def test_case_ids_ignore_the_repr_of_unencodable_values() -> None:
    import threading

    locks = [threading.Lock(), threading.Lock()]  # both alive: two addresses
    first = codec.encode({"args": [locks[0]]}, problems=[])
    second = codec.encode({"args": [locks[1]]}, problems=[])
    assert first != second  # the reprs hold different addresses
    assert codec.tree_hash(first) == codec.tree_hash(second)
    assert codec.tree_hash(first) != codec.tree_hash(codec.encode({"args": [1]}))


def test_lone_surrogates_are_stored_and_read_back_exactly(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "golden")
    values = ["a\udc80b", "\ud83d\ude00", {"k\udcff": "\ud800"}]
    case = make_case()
    case.inputs = {"args": codec.encode(values), "kwargs": {}}
    assert store.write(case) == CREATED
    (path,) = store.iter_paths()
    path.read_bytes().decode("utf-8")  # strict UTF-8: no surrogate reached the file
    loaded = store.load(path).case
    assert codec.decode(loaded.inputs["args"]) == values
    assert case_to_tree(loaded)["inputs"] == case_to_tree(case)["inputs"]
