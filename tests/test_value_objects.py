"""Config, Output, TargetSpec and TargetPattern: plain classes (importing dataclasses is a
fifth of an interpreter's start-up) that keep what the dataclasses gave them."""

from __future__ import annotations

import copy
import os
import pickle
import shutil
from pathlib import Path

import pytest

from legacy_harness.config import Config
from legacy_harness.store.layout import TargetPattern, TargetSpec
from legacy_harness.terminal import Output, terminal_columns


def test_target_specs_compare_order_hash_and_stay_read_only() -> None:
    a, b = TargetSpec("billing", "compute"), TargetSpec("billing", "total")
    assert a == TargetSpec("billing", "compute") and a != b and a < b <= b and b > a >= a
    assert sorted([b, a]) == [a, b] and {a: 1}[TargetSpec("billing", "compute")] == 1
    assert hash(a) == hash(("billing", "compute"))
    assert (
        repr(a) == "TargetSpec(module='billing', qualname='compute')"
        and str(a) == "billing:compute"
    )
    assert a != ("billing", "compute")
    with pytest.raises(TypeError):
        assert a < ("billing", "x")  # type: ignore[operator]
    with pytest.raises(AttributeError, match="read-only"):
        a.module = "shop"  # type: ignore[misc]
    for twin in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
        assert twin == a and twin is not a


def test_target_patterns_compare_and_stay_read_only() -> None:
    pattern = TargetPattern.parse("shop.**:Cart")
    assert pattern == TargetPattern.parse("shop.**:Cart") != TargetPattern.parse("shop")
    assert (
        repr(pattern)
        == "TargetPattern(text='shop.**:Cart', module=('shop', '**'), qualname=('Cart',))"
    )
    assert pickle.loads(pickle.dumps(pattern)) == pattern
    with pytest.raises(AttributeError, match="read-only"):
        pattern.text = "x"  # type: ignore[misc]


def test_a_config_is_read_only_compares_by_its_fields_and_is_replaced_by_copy(
    tmp_path: Path,
) -> None:
    config = Config(root=tmp_path, store=tmp_path / "golden")
    assert config.table == {} and config.allow == () and config.source is None
    assert config == Config(tmp_path, tmp_path / "golden")
    moved = config.replace(store=tmp_path / "other")
    assert moved.store == tmp_path / "other" and config.store == tmp_path / "golden"
    assert moved != config and moved.root == config.root
    with pytest.raises(AttributeError, match="read-only"):
        config.store = tmp_path  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field 'nowhere'"):
        config.replace(nowhere=1)
    with pytest.raises(TypeError):
        hash(config)  # it holds the table, a dict
    assert pickle.loads(pickle.dumps(config)) == config == copy.deepcopy(config)
    assert repr(config).startswith(f"Config(root={tmp_path!r}, store=")


def test_an_output_is_read_only_and_compares_by_its_fields() -> None:
    output = Output(format="json", verbosity=1)
    assert output == Output("json", "auto", 1, None) != Output()
    assert hash(output) == hash(Output(format="json", verbosity=1))
    assert pickle.loads(pickle.dumps(output)) == output
    with pytest.raises(AttributeError, match="read-only"):
        output.format = "text"  # type: ignore[misc]


@pytest.mark.parametrize("columns", [None, "123", "0", "wide"])
def test_terminal_columns_is_what_shutil_would_say(
    columns: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", "40")
    assert terminal_columns() == shutil.get_terminal_size().columns
    assert "COLUMNS" not in os.environ or os.environ["COLUMNS"] == columns
