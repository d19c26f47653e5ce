"""Tests of report rendering: plain text, ANSI colour, JSON, truncation."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from legacy_harness.compare import Difference, compare, compare_observed
from legacy_harness.report.render import render_json, render_text, supports_color, to_data


def test_value_line() -> None:
    text = render_text(compare({"total": 104.5}, {"total": 105.0}), title=None)
    assert text.splitlines() == [
        "total: value differs",
        "  expected: 104.5",
        "  actual:   105.0  (abs 0.5, rel 0.00478)",
    ]


def test_array_summary_line() -> None:
    e = np.linspace(0, 1, 1000)
    a = e.copy()
    a[list(range(0, 12))] += 0.01
    a[417] += 0.31
    text = render_text(compare({"scores": e}, {"scores": a}))
    head = text.splitlines()[0]
    assert head.startswith("scores: 13 of 1,000 elements differ (1.3%), max abs 0.31 at [417]")
    assert "max rel" in head
    assert "  [0] expected 0.0, actual 0.01" in text
    assert text.splitlines()[-1] == "  ..."


def test_output_changed_diff() -> None:
    text = render_text(compare_observed({"stdout": "a\nb\n"}, {"stdout": "a\nc\n"}))
    assert text.splitlines()[:3] == ["stdout: output changed", "  --- expected", "  +++ actual"]
    assert "  -b" in text and "  +c" in text


def test_kinds_render() -> None:
    diffs = [
        Difference("a", "missing key", 1, None),
        Difference("b", "extra key", None, 2),
        Difference("c", "type", 1, "1"),
        Difference(
            "d",
            "shape",
            np.zeros(2),
            np.zeros(3),
            detail={"expected_shape": (2,), "actual_shape": (3,)},
        ),
        Difference(
            "e", "dtype", None, None, detail={"expected_dtype": "int64", "actual_dtype": "float64"}
        ),
        Difference("f", "length", 3, 2),
        Difference("raised", "exception changed", {"returned": 1}, {"type": "builtins.KeyError"}),
        Difference("g", "unstable", "x", "y"),
        Difference("", "value", 1, 2),
    ]
    text = render_text(diffs)
    for needle in (
        "a: missing",
        "b: unexpected",
        "c: type differs",
        "int 1",
        "str '1'",
        "d: shape differs",
        "(3,)",
        "e: dtype differs",
        "float64",
        "f: length differs",
        "raised: exception changed",
        "g: unstable between runs",
        "<root>: value",
    ):
        assert needle in text, needle


def test_truncation_never_silent() -> None:
    diffs = compare(list(range(80)), [x + 1 for x in range(80)])
    text = render_text(diffs, limit=50)
    assert text.splitlines()[-1] == "... 30 more differences"
    assert text.count("value differs") == 50
    assert render_text(diffs[:51], limit=50).endswith("... 1 more difference")
    assert "more difference" not in render_text(diffs, limit=100)


def test_long_diff_cut() -> None:
    e = "\n".join(f"line {i}" for i in range(200))
    a = "\n".join(f"LINE {i}" for i in range(200))
    text = render_text(compare(e, a))
    assert "more diff lines" in text


def test_json_loadable_and_strict() -> None:
    e = {"x": math.nan, "arr": np.array([1.0, np.inf]), "big": 10**30, "k": {1: 2}}
    a = {"x": 1.0, "arr": np.array([1.0, 2.0]), "big": 10**30 + 1, "k": {1: 3}}
    diffs = compare(e, a)
    data = json.loads(render_json(diffs))
    assert data == to_data(diffs)
    assert {d["path"] for d in data} == {"x", "arr", "big", "k[1]"}
    arr = next(d for d in data if d["path"] == "arr")
    assert arr["detail"]["count"] == 1 and arr["abs_err"] == "inf"


def test_color_only_when_asked() -> None:
    diffs = compare_observed({"outcome": 1.0, "stdout": "a"}, {"outcome": 2.0, "stdout": "b"})
    plain = render_text(diffs, title="T")
    colored = render_text(diffs, color=True, title="T")
    assert "\x1b[" not in plain
    assert "\x1b[" in colored
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "env,tty,expect",
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, False, False),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_supports_color(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, expect: bool
) -> None:
    for key in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = _Tty() if tty else io.StringIO()
    assert supports_color(stream) is expect


def test_numpy_scalars_are_shown_as_numbers_with_their_dtype() -> None:
    import numpy as np

    from legacy_harness.compare import compare
    from legacy_harness.report.render import render_text

    text = render_text(compare({"b": np.float32(0.5)}, {"b": np.float32(0.75)}))
    assert "expected: 0.5 (float32)" in text and "np.float32" not in text
