"""Large sub-values shared by many cases of a target are stored once, content-addressed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from legacy_harness.errors import GoldenFileError
from legacy_harness.record.recorder import recording
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import BLOB_FOLDER, GoldenStore
from legacy_harness.store.shared import SHARE_FROM, expand, extract

SHOP = """
class Shop:
    def __init__(self):
        self.catalog = {f"sku-{i:04d}": {"name": f"item {i}", "price": i * 1.25, "tags": ["a", "b"]}
                        for i in range(800)}
        self.visits = 0

    def quote(self, sku, qty):
        self.visits += 1
        return round(self.catalog[sku]["price"] * qty, 2)
"""


def store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def record_quotes(mod, store: Path, calls: range) -> None:
    shop = mod.Shop()
    with recording([f"{mod.__name__}:Shop.quote"], store=store, mode="all"):
        for n in calls:
            shop.visits = 0  # the same state before every call: only the arguments vary
            shop.quote(f"sku-{n:04d}", 2)


def test_a_catalog_in_self_is_stored_once_and_each_case_stays_small(make_module, tmp_path):
    mod = make_module(SHOP)
    catalog = len(json.dumps(mod.Shop().catalog))
    assert catalog > 50_000
    record_quotes(mod, tmp_path / "one", range(1))
    record_quotes(mod, tmp_path / "many", range(40))
    one, many = store_bytes(tmp_path / "one"), store_bytes(tmp_path / "many")
    assert (many - one) / 39 < 5_000  # each further case: its own inputs and outcome only
    store = GoldenStore(tmp_path / "many")
    loaded = [store.load(path).case for path in store.iter_paths()]
    assert len(loaded) == 40
    for case in loaded:  # what review, docs and replay read: the whole value
        state = case.inputs["self"]
        assert "catalog" in json.dumps(state) and '"$shared"' not in json.dumps(state)
    (shared,) = [p for p in (store.root.rglob(f"{BLOB_FOLDER}/*.json"))]
    assert json.loads(shared.read_text())["sku-0001"]["name"] == "item 1"  # readable


def test_rerecording_unchanged_behaviour_changes_no_byte(make_module, tmp_path):
    mod = make_module(SHOP)
    record_quotes(mod, tmp_path / "golden", range(5))
    before = {p: p.read_bytes() for p in (tmp_path / "golden").rglob("*") if p.is_file()}
    record_quotes(mod, tmp_path / "golden", range(5))
    after = {p: p.read_bytes() for p in (tmp_path / "golden").rglob("*") if p.is_file()}
    assert after == before


def _case(target: str, x: int, table: list) -> GoldenCase:
    inputs = {"args": [x, table], "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    observation = Observation({"returned": x}, {}, {"stdout": "", "stderr": "", "logs": []})
    return GoldenCase(target, case_id, inputs, observation, None, {"origin": "generated"})


def test_orphan_shared_values_are_removed_like_orphan_blobs(tmp_path):
    store = GoldenStore(tmp_path)
    old = _case("calc:f", 1, [f"row {i}" for i in range(400)])
    new = _case("calc:f", 2, [f"line {i}" for i in range(400)])
    store.write(old)
    store.write(new)
    folder = store.target_dir("calc:f") / BLOB_FOLDER
    assert len(list(folder.glob("*.json"))) == 2
    store.remove(store.case_path(old))
    assert store.remove_unused_blobs("calc:f") == 1
    (kept,) = folder.glob("*.json")
    assert "line 0" in kept.read_text()
    assert store.load(store.case_path(new)).case.inputs == new.inputs


def test_small_values_and_arrays_stay_in_the_case_file():
    small = {"inputs": {"args": [[1, 2, 3]]}, "outcome": {"returned": "x" * 100}}
    assert extract(small) == (small, {})
    array = {
        "inputs": {"args": [{"$ndarray": {"blob": "ab" * 8 + ".npy"}, "pad": "x" * SHARE_FROM}]}
    }
    assert extract(array)[1] == {}


def test_shared_values_are_untrusted_input(tmp_path):
    store = GoldenStore(tmp_path)
    case = _case("calc:f", 3, [f"row {i}" for i in range(400)])
    store.write(case)
    path = store.case_path(case)
    tree = json.loads(path.read_text())
    ref = tree["inputs"]["args"][1]
    for bad, message in (("../../pyproject.toml", "sha256"), ("0" * 64 + ".json", "missing")):
        tree["inputs"]["args"][1] = {"$shared": bad}
        path.write_text(json.dumps(tree))
        with pytest.raises(GoldenFileError, match=message):
            store.load(path)
    (shared,) = (store.target_dir("calc:f") / BLOB_FOLDER).glob("*.json")
    tree["inputs"]["args"][1] = ref
    path.write_text(json.dumps(tree))
    shared.write_text(json.dumps({"$shared": shared.name}))  # refers to itself
    with pytest.raises(GoldenFileError, match="refers to itself"):
        store.load(path)
    shared.write_text(json.dumps(["x" * 1000]))
    small = GoldenStore(tmp_path, limits=codec.Limits(max_case_bytes=len(path.read_text()) + 500))
    with pytest.raises(GoldenFileError, match="max_case_bytes"):
        small.load(path)
    os.unlink(shared)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    folder = store.target_dir("calc:f") / BLOB_FOLDER
    for entry in folder.iterdir():
        entry.unlink()
    folder.rmdir()
    folder.symlink_to(outside)
    with pytest.raises(GoldenFileError, match="link"):
        store.load(path)


def test_expand_follows_nested_references():
    files = {"a" * 64 + ".json": '{"inner": {"$shared": "' + "b" * 64 + '.json"}}',
             "b" * 64 + ".json": "[1, 2]"}  # fmt: skip
    tree = {"x": {"$shared": "a" * 64 + ".json"}}
    assert expand(tree, files.__getitem__, json.loads, 10_000) == {"x": {"inner": [1, 2]}}
