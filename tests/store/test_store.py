"""The golden store: layout, atomic and concurrent writes, and loading bad files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from paths import REPO

from legacy_harness.config import config_from_table
from legacy_harness.errors import GoldenFileError
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import (
    CREATED,
    KEPT,
    UNCHANGED,
    UPDATED,
    GoldenStore,
    case_blob_names,
)


def hex_id(n: int) -> str:
    """A case id of the form record writes (16 hex digits)."""
    return f"{n:016x}"


def make_case(
    value: object = 1, case_id: str = hex_id(0xABC), target: str = "pkg.mod:Cls.meth"
) -> GoldenCase:
    return GoldenCase(
        target,
        case_id,
        {"args": [value], "kwargs": {}},
        Observation({"returned": value}),
        None,
        {"origin": "recorded"},
    )


def test_layout_is_module_then_qualname(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    assert store.write(make_case()) == CREATED
    assert (tmp_path / "pkg.mod" / "Cls.meth" / f"case-{hex_id(0xABC)}.json").is_file()
    assert store.targets() == ["pkg.mod:Cls.meth"]


def test_write_outcomes(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    assert store.write(make_case(1)) == CREATED
    assert store.write(make_case(1)) == UNCHANGED
    assert store.write(make_case(2)) == KEPT
    assert store.load(next(store.iter_paths())).case.observation.outcome == {"returned": 1}
    assert store.write(make_case(2), overwrite=True) == UPDATED
    assert store.load(next(store.iter_paths())).case.observation.outcome == {"returned": 2}


def test_files_are_sorted_and_end_with_newline(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    store.write(make_case({"b": 1, "a": 2}))
    text = next(store.iter_paths()).read_text()
    assert text.endswith("}\n")
    assert text.index('"a"') < text.index('"b"')
    assert list(json.loads(text)) == sorted(json.loads(text))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": 1}', "field 'target' is missing"),
        ('{"format": 99, "target": "a:b", "id": "x"}', "reads format 1"),
        (
            '{"format": 1, "target": "a:b", "id": "x", "inputs": {}, "outcome": {"returned": 1, "raised": {}},'
            ' "effects": {}, "output": {}}',
            "exactly one of 'returned' or 'raised'",
        ),
        (
            '{"format": 1, "target": "a:b", "id": "x", "inputs": [], "outcome": {}, "effects": {}, "output": {}}',
            "field 'inputs' must be dict",
        ),
    ],
)
def test_bad_files_name_the_file_and_the_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "a" / "b" / "case-x.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(GoldenFileError, match="case-x.json") as info:
        GoldenStore(tmp_path).load(path)
    assert message in str(info.value)


def test_iter_cases_yields_errors_in_place_and_keeps_going(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    store.write(make_case(1, hex_id(1)))
    store.write(make_case(2, hex_id(2)))
    bad = store.target_dir("pkg.mod:Cls.meth") / f"case-{hex_id(0xBAD)}.json"
    bad.write_text("[]")
    items = list(store.iter_cases())
    assert sum(isinstance(i, GoldenFileError) for i in items) == 1
    assert sorted(i.case.id for i in items if not isinstance(i, GoldenFileError)) == [
        hex_id(1),
        hex_id(2),
    ]


def test_missing_blob_and_unsafe_blob_names(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    with pytest.raises(GoldenFileError, match="blob is missing"):
        store.read_blob("a:b", "0" * 32 + ".npy")
    with pytest.raises(GoldenFileError, match="not a plain file name"):
        store.read_blob("a:b", "../../etc/passwd")


def test_rename_target_moves_cases_and_blobs(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    blob = "b1" * 16 + ".npy"
    case = make_case({"$ndarray": {"dtype": "<f8", "shape": [100], "blob": blob}})
    case.blobs = {blob: b"payload"}
    store.write(case)
    assert store.rename_target("pkg.mod:Cls.meth", "pkg.mod:Cls.renamed") == 1
    assert store.targets() == ["pkg.mod:Cls.renamed"]
    assert store.read_blob("pkg.mod:Cls.renamed", blob) == b"payload"
    loaded = next(iter(store.iter_cases()))
    assert not isinstance(loaded, GoldenFileError) and loaded.case.target == "pkg.mod:Cls.renamed"


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from legacy_harness.store.case import GoldenCase, Observation
    from legacy_harness.store.disk import GoldenStore
    store = GoldenStore({root!r})
    start, stop = int(sys.argv[1]), int(sys.argv[2])
    big = list(range(20000))
    for i in range(start, stop):
        case = GoldenCase("m:f", f"{{i:016x}}", {{"args": [i], "kwargs": {{}}}},
                          Observation({{"returned": big}}), None, {{}})
        store.write(case)
        if i == start:
            print("started", flush=True)
    """
)


def _writer(tmp_path: Path) -> Path:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO), root=str(tmp_path / "store")))
    return script


def test_concurrent_writers_lose_no_case(tmp_path: Path) -> None:
    script = _writer(tmp_path)
    ranges = [(0, 60), (40, 100), (80, 140), (0, 140)]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(a), str(b)], stdout=subprocess.DEVNULL)
        for a, b in ranges
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    store = GoldenStore(tmp_path / "store")
    loaded = list(store.iter_cases())
    assert not [item for item in loaded if isinstance(item, GoldenFileError)]
    assert len(loaded) == 140


def test_sigkill_leaves_no_half_written_case(tmp_path: Path) -> None:
    script = _writer(tmp_path)
    proc = subprocess.Popen([sys.executable, str(script), "0", "100000"], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"started"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = GoldenStore(tmp_path / "store")
    loaded = list(store.iter_cases())
    assert loaded and not [item for item in loaded if isinstance(item, GoldenFileError)]


def test_case_blob_names_cover_every_tree_of_a_case() -> None:
    names = [f"{n:032x}.npy" for n in range(5)]

    def array(name: str) -> dict[str, object]:
        return {"$ndarray": {"dtype": "<f8", "shape": [100], "blob": name}}

    case = make_case(array(names[0]))  # inputs.args[0] and outcome.returned
    case.observation.effects = {"x": array(names[1])}
    case.rng = {"numpy": array(names[2])}
    case.distribution = {"seeds": [1], "numeric": array(names[3]), "categorical": {}}
    case.meta = {"note": array(names[4])}  # meta is not a value tree: never a blob
    case.observation.output = {"stdout": names[4]}
    assert case_blob_names(case) == set(names[:4])


def test_the_store_of_a_project_takes_its_limits(tmp_path: Path) -> None:
    table = {"store": "golden", "limits": {"max_case_bytes": "4 KiB", "max_depth": 10}}
    store = GoldenStore.from_config(config_from_table(table, root=tmp_path))
    assert store.root == tmp_path / "golden"
    assert (store.limits.max_case_bytes, store.limits.max_depth) == (4096, 10)
    deep: object = 1
    for _ in range(12):
        deep = [deep]
    store.write(make_case(deep))
    (path,) = store.iter_paths()
    with pytest.raises(GoldenFileError, match=r"inputs\.args\[0\].*beyond max_depth = 10"):
        store.load(path)


def test_the_cases_of_some_targets_are_read_from_their_folders_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording asks for one target's cases among thousands: only its folder is
    listed, and a folder reached through a link is left out, as the whole walk does."""
    store = GoldenStore(tmp_path / "store")
    for n, target in enumerate(["a:f", "a:g", "b:h"]):
        store.write(make_case(n, hex_id(n + 1), target))
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "store" / "c").mkdir()
    (tmp_path / "store" / "c" / "k").symlink_to(outside)
    GoldenStore(outside.parent / "decoy").write(make_case(9, hex_id(9), "c:k"))
    for path in (outside.parent / "decoy" / "c" / "k").iterdir():
        path.rename(outside / path.name)
    everything = [item.path for item in store.iter_cases() if not isinstance(item, Exception)]

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole store was walked")

    monkeypatch.setattr(os, "walk", no_walk)
    some = [item.path for item in store.iter_cases(["b:h", "a:f", "c:k"])]
    assert [p.parent.name for p in some] == ["f", "h"]  # walk order; the link left out
    assert [p for p in everything if p.parent.name in ("f", "h")] == some
