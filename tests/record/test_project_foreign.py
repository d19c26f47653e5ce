"""Which classes in a recorded case need ``allow``: only packages outside the project."""

from __future__ import annotations

from pathlib import Path

from legacy_harness.config import config_from_table
from legacy_harness.record.project import ForeignClasses, allow_hint


def watcher(tmp_path: Path, **table: object) -> ForeignClasses:
    (tmp_path / "model_objects.py").write_text("class Product:\n    pass\n")
    (tmp_path / "teller.py").write_text("")
    return ForeignClasses(config_from_table(dict(table), root=tmp_path))


def test_codec_families_builtins_and_the_project_need_nothing(tmp_path: Path) -> None:
    foreign = watcher(tmp_path)
    trees = [
        {"frame": {"$dataframe": {"columns": []}}, "array": {"$ndarray": "blob"}},
        [{"$object": "model_objects:Product", "state": {}}],  # a flat-layout sibling
        {"$object": "teller:Teller", "state": {"$class": "builtins:int"}},
        {"$object": "collections:OrderedDict"},
    ]
    assert foreign.note("teller:Teller.total", trees) == {}


def test_a_package_outside_is_named_once_with_the_class_that_needs_it(tmp_path: Path) -> None:
    foreign = watcher(tmp_path)
    case = {"self": {"$object": "teller:Teller", "state": {
        "money": {"$object": "somepkg.money:Money", "state": {}},
        "kind": {"$enum": "somepkg.kinds:Kind", "name": "A"},
        "when": {"$object": "otherpkg:Clock"},
    }}}  # fmt: skip
    new = foreign.note("teller:Teller.pay", [case])
    assert set(new) == {"somepkg", "otherpkg"} and new["otherpkg"] == "otherpkg:Clock"
    assert new["somepkg"] in ("somepkg.money:Money", "somepkg.kinds:Kind")
    assert foreign.note("teller:Teller.pay", [case]) == {}  # said once
    assert allow_hint(foreign.seen) == 'allow = ["otherpkg", "somepkg"] in [tool.legacy_harness]'


def test_allow_silences_it(tmp_path: Path) -> None:
    foreign = watcher(tmp_path, allow=["somepkg"])
    assert foreign.note("teller:f", [{"$object": "somepkg.money:Money"}]) == {}
