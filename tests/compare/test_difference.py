"""Tests of Difference itself: its kind, its JSON form, its short repr and its text form."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legacy_harness.compare import assert_close
from legacy_harness.compare.difference import Difference, describe, report_lines, short_repr
from legacy_harness.outcomes import DifferenceKind


def test_kind_is_the_vocabulary_and_json_keeps_its_string() -> None:
    d = Difference("a.b", "missing key", 1, None)
    assert d.kind is DifferenceKind.MISSING_KEY
    data = d.to_dict()
    assert type(data["kind"]) is str and data["kind"] == "missing key"
    assert json.loads(json.dumps(data))["kind"] == "missing key"
    assert Difference("a.b", DifferenceKind.MISSING_KEY, 1, None) == d


def test_every_kind_keeps_its_string() -> None:
    assert [k.value for k in DifferenceKind] == [
        "value",
        "type",
        "shape",
        "dtype",
        "missing key",
        "extra key",
        "length",
        "exception changed",
        "output changed",
        "unstable",
    ]


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.binary(max_size=4)
)
_nested = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
        | st.frozensets(st.integers() | st.text(max_size=3), max_size=3)
        | st.sets(st.integers(), max_size=3)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_nested, st.integers(5, 300))
def test_short_repr_is_repr_cut_to_width(value: Any, width: int) -> None:
    text = repr(value)
    expect = text if len(text) <= width else text[: width - 3] + "..."
    assert short_repr(value, width) == expect


def test_short_repr_of_self_containing_values_matches_repr() -> None:
    a: list[Any] = [1]
    a.append(a)
    d: dict[str, Any] = {"k": a}
    d["me"] = d
    t = (a, [d])
    for value in (a, d, t, {frozenset({1}): set()}, set(), frozenset()):
        assert short_repr(value, 10_000) == repr(value)


def test_short_repr_survives_a_failing_repr() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert short_repr([1, Broken()]) == "<list with failing repr: no>"


def test_to_dict_is_json_safe() -> None:
    d = Difference(
        "x",
        "value",
        {"a": [1.0, math.nan], 3: np.float32(0.5)},
        np.arange(3),
        math.inf,
        None,
        {"first": [((0,), 1.0, 2.0)], "big": np.zeros(50)},
    )
    assert d.to_dict() == {
        "path": "x",
        "kind": "value",
        "expected": {"a": [1.0, "nan"], "3": 0.5},
        "actual": [0, 1, 2],
        "abs_err": "inf",
        "rel_err": None,
        "detail": {"first": [[[0], 1.0, 2.0]], "big": "array(shape=(50,), dtype=float64)"},
    }
    json.dumps(d.to_dict(), allow_nan=False)


def test_to_dict_shortens_deep_long_and_huge_values() -> None:
    deep: list[Any] = [1]
    for _ in range(25):
        deep = [deep]
    long = list(range(101))
    wide = [[i] for i in range(100)]
    huge = {str(i): wide for i in range(100)}  # 10,000 containers
    data = Difference("x", "value", {"deep": deep, "long": long}, huge).to_dict()
    level, original = data["expected"]["deep"], deep
    for _ in range(20):  # the list 20 levels below "deep" is 21 levels deep
        level, original = level[0], original[0]
    assert level == short_repr(original) == "[[[[[[1]]]]]]"
    assert data["expected"]["long"] == short_repr(long)
    tables = list(data["actual"].values())
    marker = "<list not shown: the value is too large>"
    assert tables[0][:3] == [[0], [1], [2]] and tables[-1] == marker
    written = sum(1 + sum(isinstance(row, list) for row in t) for t in tables if t != marker)
    assert 4900 <= written <= 5000


def test_text_form_is_shared_by_assert_close() -> None:
    d = Difference("total", "value", 105.0, 104.5, 0.5, 0.5 / 105)
    assert describe(d) == [
        "total: value differs",
        "  expected: 105.0",
        "  actual:   104.5  (abs 0.5, rel 0.00476)",
    ]
    with pytest.raises(AssertionError) as info:
        assert_close({"total": 104.5}, {"total": 105.0})
    assert str(info.value).splitlines() == ["values differ (1 difference)", *describe(d)]


def test_report_lines_mark_roles_and_cut_at_limit() -> None:
    diffs = [Difference(f"k{i}", "extra key", None, i) for i in range(3)]
    lines = report_lines(diffs, limit=2, title="T", style=lambda role, text: f"<{role}>{text}")
    assert lines == [
        "<title>T",
        "<path>k0: <kind>unexpected",
        "  <actual>actual:   0",
        "<path>k1: <kind>unexpected",
        "  <actual>actual:   1",
        "<dim>... 1 more difference",
    ]
    assert len(report_lines(diffs, limit=None)) == 6
