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

from legacy_harness.errors import GoldenFileError
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import CREATED, KEPT, UNCHANGED, UPDATED, GoldenStore

REPO = Path(__file__).resolve().parent.parent


def make_case(
    value: object = 1, case_id: str = "abc", target: str = "pkg.mod:Cls.meth"
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
    assert (tmp_path / "pkg.mod" / "Cls.meth" / "case-abc.json").is_file()
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
    store.write(make_case(1, "good1"))
    store.write(make_case(2, "good2"))
    bad = store.target_dir("pkg.mod:Cls.meth") / "case-bad.json"
    bad.write_text("[]")
    items = list(store.iter_cases())
    assert sum(isinstance(i, GoldenFileError) for i in items) == 1
    assert sorted(i.case.id for i in items if not isinstance(i, GoldenFileError)) == [
        "good1",
        "good2",
    ]


def test_missing_blob_and_unsafe_blob_names(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    with pytest.raises(GoldenFileError, match="blob is missing"):
        store.read_blob("a:b", "0" * 32 + ".npy")
    with pytest.raises(GoldenFileError, match="not a plain file name"):
        store.read_blob("a:b", "../../etc/passwd")


def test_rename_target_moves_cases_and_blobs(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path)
    case = make_case({"$ndarray": {"dtype": "<f8", "shape": [100], "blob": "b1.npy"}})
    case.blobs = {"b1.npy": b"payload"}
    store.write(case)
    assert store.rename_target("pkg.mod:Cls.meth", "pkg.mod:Cls.renamed") == 1
    assert store.targets() == ["pkg.mod:Cls.renamed"]
    assert store.read_blob("pkg.mod:Cls.renamed", "b1.npy") == b"payload"
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
        case = GoldenCase("m:f", f"c{{i:05d}}", {{"args": [i], "kwargs": {{}}}},
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
