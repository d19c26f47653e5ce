"""Invariants: canonical forms for cluster ids, vector signs, row order and sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from legacy_harness.compare.engine import assert_close, compare, compare_observed
from legacy_harness.compare.invariants import InvariantError, InvariantRules, canonical
from legacy_harness.compare.policy import Policy, Tolerance
from legacy_harness.compare.settings import policy_from_config
from legacy_harness.errors import ConfigError


def _policy(**paths: str) -> Policy:
    return Policy(paths=tuple((glob, Tolerance(invariant=name)) for glob, name in paths.items()))


def test_labels_renumber_by_first_appearance_keeping_dtype_and_container() -> None:
    out = canonical(np.array([7, 7, 2, 9, 2], dtype=np.int32), "labels")
    assert out.tolist() == [0, 0, 1, 2, 1] and out.dtype == np.int32
    assert canonical(["b", "a", "b"], "labels") == [0, 1, 0]
    assert canonical((3, 3, 1), "labels") == (0, 0, 1)
    assert canonical(np.array([[1, 0], [0, 1]]), "labels").tolist() == [[0, 1], [1, 0]]
    mixed = canonical(np.array([1, "x", 1], dtype=object), "labels")
    assert mixed.tolist() == [0, 1, 0]
    series = canonical(pd.Series([5, 4, 5], index=["p", "q", "r"], name="c"), "labels")
    assert series.tolist() == [0, 1, 0] and list(series.index) == ["p", "q", "r"]


def test_labels_invariant_accepts_a_relabelling_but_not_another_partition() -> None:
    policy = _policy(**{"outcome.labels": "labels"})
    expected = {"outcome": {"labels": np.array([2, 2, 0, 1, 0])}}
    relabelled = {"outcome": {"labels": np.array([0, 0, 1, 2, 1])}}
    moved = {"outcome": {"labels": np.array([0, 0, 1, 2, 2])}}
    assert compare_observed(expected, relabelled) != []  # raw ids differ
    assert compare_observed(expected, relabelled, policy) == []
    [diff] = compare_observed(expected, moved, policy)
    assert diff.path == "outcome.labels" and diff.detail["count"] == 1


def test_sign_flips_vectors_and_columns_so_the_largest_entry_is_positive() -> None:
    assert canonical([0.5, -2.0, 1.0], "sign") == [-0.5, 2.0, -1.0]
    columns = np.array([[0.6, -0.1], [-0.8, -0.9]])
    assert canonical(columns, "sign").tolist() == [[-0.6, 0.1], [0.8, 0.9]]
    unchanged = np.array([1.0, -0.5])
    assert canonical(unchanged, "sign") is unchanged
    # eigenvectors from two solvers differ by sign per column, and by rounding
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 5))
    _, vectors = np.linalg.eigh(a + a.T)
    flipped = vectors * np.array([1, -1, -1, 1, -1]) + 1e-12
    assert compare(vectors, flipped, Policy(default=Tolerance(rtol=1e-6, atol=1e-9))) != []
    assert_close(flipped, vectors, rtol=1e-6, atol=1e-9, invariant="sign")
    with pytest.raises(InvariantError, match="real numbers"):
        canonical(np.zeros((2, 2, 2)), "sign")


def test_rows_sorts_lists_arrays_and_frames_lexicographically() -> None:
    assert canonical([[2, "b"], [1, "z"], [1, "a"]], "rows") == [[1, "a"], [1, "z"], [2, "b"]]
    array = np.array([[3, 1], [1, 2], [1, 1]])
    assert canonical(array, "rows").tolist() == [[1, 1], [1, 2], [3, 1]]
    records = [{"id": 2, "v": None}, {"id": 1, "v": 3.5}]
    assert canonical(records, "rows") == [{"id": 1, "v": 3.5}, {"id": 2, "v": None}]
    frame = pd.DataFrame({"k": ["b", "a"], "v": [1, 2]})
    out = canonical(frame, "rows")
    assert out["k"].tolist() == ["a", "b"] and out.index.tolist() == [0, 1]
    policy = _policy(**{"outcome": "rows"})
    shuffled = {"outcome": pd.DataFrame({"k": ["a", "b"], "v": [2, 1]})}
    assert compare_observed({"outcome": frame}, shuffled, policy) == []


def test_set_ignores_order_and_repetition() -> None:
    assert canonical([3, 1, 3, 2], "set") == [1, 2, 3]
    assert canonical(np.array([2, 2, 1]), "set").tolist() == [1, 2]
    assert canonical({"b", "a"}, "set") == ["a", "b"]
    assert canonical([[1], [1], [0]], "set") == [[0], [1]]


def test_invariant_is_not_inherited_by_children_and_most_specific_glob_wins() -> None:
    rules = InvariantRules([("outcome.*", "set"), ("outcome.labels", "labels")])
    assert rules.at(".outcome.labels") == "labels"
    assert rules.at(".outcome.other") == "set"
    assert rules.at(".outcome.labels[0]") is None
    policy = _policy(**{"outcome": "labels"})
    # the invariant applies to outcome itself; the lists inside a dict keep their order
    nested_e = {"outcome": {"a": [1, 2]}}
    nested_a = {"outcome": {"a": [2, 1]}}
    assert (
        compare_observed(nested_e, nested_a, policy)[0]
        .detail.get("diff", "")
        .startswith("not compared")
    )


def test_wrong_kind_of_value_is_a_difference_that_says_why() -> None:
    policy = _policy(**{"outcome": "sign"})
    [diff] = compare_observed({"outcome": {"x": 1}}, {"outcome": {"x": 1}}, policy)
    assert "invariant 'sign' needs a list, tuple or numpy array, got dict" in diff.detail["diff"]


def test_apply_canonicalises_a_whole_tree_copying_only_what_changed() -> None:
    rules = InvariantRules([("outcome[*].labels", "labels")])
    untouched = {"n": 1}
    view = {"outcome": [{"labels": [4, 4, 1]}, {"labels": [0, 1]}], "effects": untouched}
    out = rules.apply(view, "")
    assert out["outcome"][0]["labels"] == [0, 0, 1] and out["effects"] is untouched
    assert view["outcome"][0]["labels"] == [4, 4, 1]  # the input is never changed
    with pytest.raises(InvariantError, match=r"^outcome\[0\]\.labels: "):
        InvariantRules([("outcome[*].labels", "labels")]).apply(
            {"outcome": [{"labels": {"a": 1}}]}, ""
        )


def test_config_names_the_key_of_an_unknown_invariant() -> None:
    with pytest.raises(ConfigError) as error:
        policy_from_config({"tolerances": {"outcome.labels": {"invariant": "lables"}}})
    message = str(error.value)
    assert 'tolerances."outcome.labels".invariant' in message and "did you mean 'labels'" in message
    with pytest.raises(ConfigError, match=r'targets\."km:fit"\.tolerances\."outcome"\.invariant'):
        policy_from_config({"targets": {"km:fit": {"tolerances": {"outcome": {"invariant": "x"}}}}})
    with pytest.raises(ConfigError, match="set it under"):
        policy_from_config({"type_tolerances": {"ndarray": {"invariant": "sign"}}})
    with pytest.raises(ValueError, match="unknown invariant"):
        Tolerance(invariant="perm")
    policy = policy_from_config(
        {"targets": {"km:*": {"tolerances": {"outcome": {"invariant": "labels"}}}}}
    )
    assert (
        compare_observed({"outcome": [1, 1, 0]}, {"outcome": [0, 0, 1]}, policy, target="km:fit")
        == []
    )
    assert (
        compare_observed({"outcome": [1, 1, 0]}, {"outcome": [0, 0, 1]}, policy, target="x:y") != []
    )
