"""Hostile golden files against the codec: sizes, nesting, blobs and class names are
bounded and checked before anything is allocated, imported or run."""

from __future__ import annotations

import io
import json
import pickle
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from legacy_harness.config import config_from_table
from legacy_harness.errors import CodecError, ConfigError, GoldenFileError
from legacy_harness.store import codec
from legacy_harness.store.codec import ClassPolicy, Limits, decode, loads
from legacy_harness.store.disk import GoldenStore

CASE_ID = "0123456789abcdef"
BLOB = "ab" * 16 + ".npy"
HUGE_STRING = {"$ndarray": {"dtype": "<U536870911", "shape": [1], "data": ["x"]}}


def write_case(root: Path, returned: Any, *, text: str | None = None) -> Path:
    """A case file as an attacker would commit it (written by hand, not by the store)."""
    folder = root / "pkg" / "func"
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "format": 1, "target": "pkg:func", "id": CASE_ID, "meta": {}, "effects": {},
        "output": {}, "inputs": {"args": [], "kwargs": {}}, "outcome": {"returned": returned},
    }  # fmt: skip
    path = folder / f"case-{CASE_ID}.json"
    path.write_text(text if text is not None else json.dumps(document))
    return path


def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


# ------------------------------------------------------------------ declared sizes


def test_a_tiny_master_declaring_a_2_gib_string_allocates_nothing(tmp_path: Path) -> None:
    path = write_case(tmp_path, HUGE_STRING)
    assert path.stat().st_size < 600
    tracemalloc.start()
    try:
        with pytest.raises(GoldenFileError) as info:
            GoldenStore(tmp_path).load(path)
        with pytest.raises(CodecError) as direct:
            decode(HUGE_STRING)
        with pytest.raises(CodecError, match=r"^\$npscalar: a numpy scalar.*max_array_bytes"):
            decode({"$npscalar": "<U536870911", "value": "x"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    message = str(info.value)
    assert path.name in message and "outcome.returned.$ndarray" in message
    assert "2147483644 bytes, beyond max_array_bytes = 268435456" in message
    assert "[tool.legacy_harness.limits]" in message and "\n" not in message
    assert str(direct.value).startswith("$ndarray: an array of <U536870911 [1] declares")


@pytest.mark.parametrize(
    "shape", [[10**12], [2**31, 2**31], [1] * 63 + [10**9], [10**30, 0, 10**30]]
)
def test_giant_shapes_are_refused_by_their_declared_size(shape: list[int]) -> None:
    tree = {"$ndarray": {"dtype": "<f8", "shape": shape, "blob": BLOB}}
    if 0 in shape:  # nothing to allocate: only the blob is missing
        with pytest.raises(CodecError, match="missing blob"):
            decode(tree, blobs={})
        return
    with pytest.raises(CodecError, match=r"^\$ndarray: an array of float64 .* max_array_bytes"):
        decode(tree, blobs={})


def test_too_many_dimensions_are_refused() -> None:
    tree = {"$ndarray": {"dtype": "<f8", "shape": [1] * 65, "data": [1.0]}}
    with pytest.raises(CodecError, match=r"^\$ndarray\.shape: 65 dimensions"):
        decode(tree)


def test_the_arrays_of_one_case_share_one_budget(tmp_path: Path) -> None:
    big = {"$ndarray": {"dtype": "<f8", "shape": [30 * 2**20], "blob": BLOB}}  # 240 MiB each
    path = write_case(tmp_path, [big] * 5)
    with pytest.raises(GoldenFileError, match=r"returned\[4\]\.\$ndarray: .*max_case_bytes"):
        GoldenStore(tmp_path).load(path)
    small = codec.encode(np.arange(100.0))  # 800 bytes, inline
    policy = ClassPolicy(frozenset(), Limits(max_array_bytes=1000, max_case_bytes=2500))
    assert len(decode([small] * 3, policy=policy)) == 3
    with pytest.raises(CodecError, match=r"^\[3\]\.\$ndarray: arrays declared so far take 3200"):
        decode([small] * 4, policy=policy)


def test_limits_can_be_raised_or_lowered_in_the_configuration(tmp_path: Path) -> None:
    table = {"limits": {"max_array_bytes": "1 KiB", "max_depth": 50, "max_case_bytes": 4096}}
    config = config_from_table(table, root=tmp_path)  # the config layer accepts the key
    limits = Limits.from_table(config.table)
    assert limits == Limits(max_array_bytes=1024, max_depth=50, max_case_bytes=4096)
    policy = ClassPolicy(frozenset(), limits)
    small = codec.encode(np.arange(64, dtype=np.int16))  # 128 bytes
    assert np.array_equal(decode(small, policy=policy), np.arange(64, dtype=np.int16))
    with pytest.raises(CodecError, match="max_array_bytes = 1024"):
        decode(codec.encode(np.arange(200.0)), policy=policy)
    roomy = ClassPolicy(frozenset(), Limits(max_array_bytes=2**32, max_case_bytes=2**33))
    with pytest.raises(CodecError, match="data: expected a list of 1 elements") as info:
        decode({"$ndarray": {"dtype": "<U536870911", "shape": [1], "data": []}}, policy=roomy)
    assert "max_array_bytes" not in str(info.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"limits": 5}, "must be a table"),
        ({"limits": {"max_bytes": 1}}, "unknown key 'max_bytes'"),
        ({"limits": {"max_depth": "deep"}}, "max_depth must be a positive integer"),
        ({"limits": {"max_array_bytes": "12 parsecs"}}, 'such as "256 MiB"'),
        ({"limits": {"max_case_bytes": 0}}, "must be a positive integer"),
    ],
)
def test_bad_limits_are_one_line_config_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Limits.from_table(table)
    assert "[tool.legacy_harness.limits]" in str(info.value)


# ------------------------------------------------------------------------ nesting


@pytest.mark.parametrize("depth", [201, 300, 600, 900, 5_000, 100_000])
def test_deep_nesting_is_refused_naming_the_path_and_the_limit(tmp_path: Path, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    with pytest.raises(CodecError, match=f"nested {depth} levels deep, beyond max_depth = 200"):
        loads(nested)
    path = write_case(tmp_path, None, text='{"outcome": {"returned": ' + nested + "}}")
    with pytest.raises(GoldenFileError) as info:
        GoldenStore(tmp_path).load(path)
    message = str(info.value)
    assert path.name in message and "max_depth = 200" in message
    assert message.split(": ")[1].startswith("outcome.returned[0][0]")
    tree: Any = 1
    for _ in range(depth):
        tree = {"$tuple": [tree]}
    with pytest.raises(CodecError, match="nested deeper than max_depth = 200"):
        decode(tree)


def test_strings_that_look_like_brackets_are_not_nesting() -> None:
    text = json.dumps({"a": "[" * 1000, "b": '\\"[[[' * 300})
    assert loads(text)["a"] == "[" * 1000
    assert codec.jsonlayer.nesting_depth(text) == 1


def test_nesting_up_to_the_limit_decodes() -> None:
    tree: Any = "leaf"
    for _ in range(99):  # every $tuple is two levels: 198 in all
        tree = {"$tuple": [tree]}
    text = codec.dumps(tree)
    back = decode(loads(text))
    for _ in range(99):
        back = back[0]
    assert back == "leaf"


# -------------------------------------------------------------------------- blobs


def test_a_blob_name_that_is_a_path_is_refused_naming_the_field() -> None:
    tree = {"x": {"$ndarray": {"dtype": "<f8", "shape": [1], "blob": "../x"}}}
    with pytest.raises(CodecError, match=r"^outcome\.x\.\$ndarray\.blob: bad blob name '\.\./x'"):
        decode(tree, blobs=lambda name: b"", root="outcome")


@pytest.mark.parametrize("kind", ["npz", "pickle", "text", "empty", "truncated", "lying"])
def test_blobs_that_are_not_the_declared_npy_are_refused(kind: str) -> None:
    arr = np.arange(100.0)
    if kind == "npz":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("arr_0.npy", npy(arr))
        payload = buf.getvalue()
    elif kind == "pickle":
        payload = pickle.dumps(arr)
    elif kind == "text":
        payload = b"not an array at all"
    elif kind == "empty":
        payload = b""
    elif kind == "truncated":
        payload = npy(arr)[:-8]
    else:  # the header claims a terabyte of the same dtype
        payload = npy(arr).replace(b"(100,)", b"(137438953472,)")
    tree = {"$ndarray": {"dtype": "<f8", "shape": [100], "blob": BLOB}}
    expected = {
        "truncated": "blob holds 792 bytes of data, its header declares 800",
        "lying": r"blob holds float64 \(137438953472,\), tree says float64 \(100,\)",
    }.get(kind, "blob is not a valid .npy file")
    with pytest.raises(CodecError, match=r"^\$ndarray\.blob: " + expected):
        decode(tree, blobs={BLOB: payload})


def test_an_object_blob_is_never_unpickled() -> None:
    buf = io.BytesIO()
    np.save(buf, np.array([1, None], dtype=object), allow_pickle=True)
    tree = {"$ndarray": {"dtype": "|O", "shape": [2], "blob": BLOB}}
    with pytest.raises(CodecError, match="object arrays need pickle and are never loaded"):
        decode(tree, blobs={BLOB: buf.getvalue()})


def test_a_fortran_order_blob_still_loads() -> None:
    arr = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr)
    tree = {"$ndarray": {"dtype": "<f8", "shape": [3, 4], "blob": BLOB}}
    assert np.array_equal(decode(tree, blobs={BLOB: buf.getvalue()}), arr)


# ------------------------------------------------------------------ names in files


def test_a_class_is_named_only_where_it_is_defined(make_module: Any, tmp_path: Path) -> None:
    mod = make_module("import tempfile\n\nclass Own:\n    pass\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    policy = ClassPolicy(frozenset({mod.__name__}))
    tree = {
        "$object": f"{mod.__name__}:tempfile._TemporaryFileCloser",
        "state": {"file": None, "name": str(victim), "delete": True, "close_called": False},
    }
    with pytest.raises(CodecError, match="is tempfile:_TemporaryFileCloser, defined outside"):
        decode(tree, policy=policy)
    assert victim.read_text() == "keep"
    assert (
        type(decode({"$object": f"{mod.__name__}:Own", "state": {}}, policy=policy)).__name__
        == "Own"
    )


def test_folder_names_never_widen_the_allow_list(tmp_path: Path) -> None:
    """The policy is what the caller passes; a case stored under tempfile/x/ adds nothing."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    tree = {
        "$object": "tempfile:_TemporaryFileCloser",
        "state": {"file": None, "name": str(victim), "delete": True, "close_called": False},
    }
    path = write_case(tmp_path / "golden", tree)
    stored = GoldenStore(tmp_path / "golden").load(path)
    with pytest.raises(CodecError, match="tempfile:_TemporaryFileCloser is outside the allowed"):
        decode(stored.case.observation.outcome["returned"], policy=ClassPolicy(frozenset({"pkg"})))
    assert victim.read_text() == "keep"


@pytest.mark.parametrize(
    "tree",
    [
        {"$fraction": "1e-99999999"},
        {"$fraction": "1/3e9"},
        {"$npscalar": "V" + "9" * 30, "value": {"$bytes": ""}},
        {"$ndarray": {"dtype": [["a", "<f8", [2**40]]], "shape": [1], "data": [""]}},
        {"$str": [0x41]},
        {"$str": ["a", "\ud800"]},
    ],
    ids=repr,
)
def test_values_costly_or_ambiguous_to_parse_are_refused(tree: Any) -> None:
    with pytest.raises(CodecError, match=r"^\$"):
        decode(tree)
