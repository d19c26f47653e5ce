"""Shared references: comparing, reporting and scrubbing graphs stays linear.

Golden files store a shared sub-value once (``$id``/``$ref``), so a small file can decode
into a graph whose levels each hold two references to the next: written out as a tree
it doubles per level. These tests build such graphs 40 levels deep (2**40 paths) and
count the work done, rather than timing it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from legacy_harness.compare import Difference, Policy, Scrubber, Tolerance, compare
from legacy_harness.compare.engine import Comparer
from legacy_harness.compare.scrub import scrub
from legacy_harness.report.render import render_json, render_text

DEPTH = 40


def dict_dag(depth: int, leaf: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"x": leaf}
    for _ in range(depth):
        node = {"l": node, "r": node}
    return node


def list_dag(depth: int, leaf: Any) -> list[Any]:
    node: list[Any] = [leaf]
    for _ in range(depth):
        node = [node, node]
    return node


@dataclasses.dataclass
class Pair:
    left: Any
    right: Any


def object_dag(depth: int, leaf: Any) -> Pair:
    node = Pair(leaf, None)
    for _ in range(depth):
        node = Pair(node, node)
    return node


@pytest.fixture
def visits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the comparison walks (main walk and unordered-matching trials)."""
    seen: list[str] = []
    node = Comparer.node

    def counting(self: Comparer, e: Any, a: Any, path: str, *rest: Any) -> None:
        seen.append(path)
        node(self, e, a, path, *rest)

    monkeypatch.setattr(Comparer, "node", counting)
    return seen


@pytest.mark.parametrize(
    "build,first_path",
    [
        (dict_dag, "l." * DEPTH + "x"),
        (list_dag, "[0]" * (DEPTH + 1)),
        (object_dag, "left." * DEPTH + "left"),
    ],
)
def test_a_shared_graph_is_compared_in_linear_steps(
    build: Any, first_path: str, visits: list[str]
) -> None:
    expected, actual = build(DEPTH, 1.0), build(DEPTH, 2.0)
    diffs = compare(expected, actual)
    assert len(visits) <= 3 * DEPTH + 3  # a tree walk would take 2**40 steps
    assert [(d.path, d.kind, d.expected, d.actual) for d in diffs] == [
        (first_path, "value", 1.0, 2.0)
    ]


def test_an_equal_shared_graph_takes_linear_steps_too(visits: list[str]) -> None:
    assert compare(dict_dag(DEPTH, 1.0), dict_dag(DEPTH, 1.0 + 1e-12)) == []
    assert len(visits) <= 2 * DEPTH + 2


def test_linear_whatever_the_policy(visits: list[str]) -> None:
    policy = Policy(
        paths=(("**.l.x", Tolerance(rtol=0.5)), ("l.r.**", Tolerance(atol=0.0))),
        types=(("dict", Tolerance(rtol=1e-6)),),
        scrubbers=(Scrubber(pattern="id-\\d+", replacement="id", path="**.x"),),
    )
    diffs = compare(dict_dag(DEPTH, 1.0), dict_dag(DEPTH, 1.4), policy)
    assert diffs == []  # the first path met, l.l...l.x, is within its rtol of 0.5
    assert len(visits) <= 2 * DEPTH + 2
    diffs = compare(dict_dag(DEPTH, 1.0), dict_dag(DEPTH, 3.0), policy)
    assert [d.path for d in diffs] == ["l." * DEPTH + "x"]


def test_expected_and_actual_shared_differently_stay_polynomial(visits: list[str]) -> None:
    expected = dict_dag(DEPTH, 1.0)
    inner = dict_dag(DEPTH - 1, 2.0)
    actual = {"l": inner, "r": dict_dag(DEPTH - 1, 2.0)}  # two distinct halves
    diffs = compare(expected, actual)
    assert [d.path for d in diffs] == ["l." * DEPTH + "x", "r" + ".l" * (DEPTH - 1) + ".x"]
    assert len(visits) <= 6 * DEPTH


def test_unordered_matching_of_shared_graphs_is_linear(visits: list[str]) -> None:
    policy = Policy(paths=(("**", Tolerance(unordered=True)),))
    assert compare(list_dag(DEPTH, 1.0), list_dag(DEPTH, 1.0), policy) == []
    assert len(visits) <= 4 * DEPTH + 4
    visits.clear()
    diffs = compare(list_dag(DEPTH, 1.0), list_dag(DEPTH, 2.0), policy)
    assert sorted((d.path, d.kind.value) for d in diffs) == [
        ("[0]", "extra key"),
        ("[0]", "missing key"),
        ("[1]", "extra key"),
        ("[1]", "missing key"),
    ]
    assert len(visits) <= 8 * DEPTH + 8


def test_temporaries_are_not_taken_for_pairs_already_seen() -> None:
    # Each object column is compared through a fresh array (Series.to_numpy); once a
    # column is done, the next column's arrays often land at the same addresses (ids).
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({f"c{i}": [[i]] for i in range(20)})
    other = pd.DataFrame({f"c{i}": [[i + 1]] for i in range(20)})
    assert [d.path for d in compare(frame, other)] == [f"c{i}[0][0]" for i in range(20)]


def test_cycles_through_unordered_lists_end() -> None:
    policy = Policy(paths=(("**", Tolerance(unordered=True)),))
    e: list[Any] = [1.0]
    e.append({"back": e})
    a: list[Any] = [1.0]
    a.append({"back": a})
    assert compare(e, a, policy) == []
    b: list[Any] = [2.0]
    b.append({"back": b})
    found = {
        (d.path, d.kind.value, repr(d.expected), repr(d.actual)) for d in compare(e, b, policy)
    }
    assert {("[0]", "missing key", "1.0", "None"), ("[0]", "extra key", "None", "2.0")} <= found


def test_an_object_array_holding_itself_ends() -> None:
    e = np.empty(2, dtype=object)
    e[0], e[1] = 1.0, e
    a = np.empty(2, dtype=object)
    a[0], a[1] = 2.0, a
    assert [(d.path, d.kind) for d in compare(e, a)] == [("[0]", "value")]


class CountedRepr:
    """A leaf that counts how often it is written out."""

    calls = 0

    def __repr__(self) -> str:
        CountedRepr.calls += 1
        return "leaf"


def test_reporting_a_shared_graph_is_bounded() -> None:
    CountedRepr.calls = 0
    graph = dict_dag(DEPTH, CountedRepr())
    diffs = compare(graph, None)
    assert [(d.path, d.kind) for d in diffs] == [("", "type")]
    text = render_text(diffs)
    assert len(text) < 1000 and text.splitlines()[1].endswith("...")
    data = render_json(diffs)
    assert len(data) < 5_000_000
    assert CountedRepr.calls < 100_000  # written out as a tree: 2**40 times


def test_scrubbing_a_shared_graph_keeps_it_shared() -> None:
    graph = dict_dag(DEPTH, "id-7")
    out = scrub(graph, [Scrubber(pattern="id-\\d+", replacement="id")])
    node = out
    for _ in range(DEPTH):
        assert node["l"] is node["r"]
        node = node["l"]
    assert node == {"x": "id"} and graph["l"]["l"] is graph["l"]["r"]


def test_difference_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown difference kind 'changed' at 'x'; use one of"):
        Difference("x", "changed", 1, 2)
