"""Identity that holds: dict keys and set members by content, case ids by inputs alone."""

from __future__ import annotations

import collections
import enum
import json

import pytest

from legacy_harness.compare import Policy, compare_observed
from legacy_harness.errors import CodecError
from legacy_harness.store.case import case_id
from legacy_harness.store.codec import (
    ClassPolicy,
    ContentKey,
    canonical,
    decode,
    encode,
    order_free,
    tree_hash,
)

POLICY = ClassPolicy(frozenset({__name__.split(".")[0]}))


class Unit(enum.Enum):
    EACH = 1
    KILO = 2


class Product:
    """Hashed by address, as most legacy classes are."""

    def __init__(self, name: str, unit: Unit) -> None:
        self.name = name
        self.unit = unit


def products() -> tuple[Product, Product, Product]:
    return Product("apple", Unit.EACH), Product("rice", Unit.KILO), Product("tea", Unit.EACH)


def test_a_dict_keyed_by_objects_encodes_the_same_in_any_insertion_order() -> None:
    a, b, c = products()
    first = encode({"catalog": [a, b, c], "offers": {c: 3, a: 1, b: 2}})
    second = encode({"catalog": [a, b, c], "offers": {a: 1, b: 2, c: 3}})
    assert first["offers"]["$dict"] == second["offers"]["$dict"]  # pairs sorted by key content
    assert first["catalog"] == second["catalog"]  # the same $id numbers either way
    assert first["offers"]["order"] == [2, 0, 1] and "order" not in second["offers"]
    assert tree_hash(first) == tree_hash(second)
    assert case_id("m:f", first) == case_id("m:f", second)


def test_the_insertion_order_survives_decoding() -> None:
    a, b, c = products()
    value = decode(encode({c: 3, a: 1, b: 2}), policy=POLICY)
    assert [(p.name, n) for p, n in value.items()] == [("tea", 3), ("apple", 1), ("rice", 2)]
    counter = decode(encode(collections.Counter({"z": 1, "a": 2})), policy=POLICY)
    assert list(counter) == ["z", "a"] and counter == {"z": 1, "a": 2}


def test_set_members_that_share_objects_encode_the_same_whatever_the_set_order() -> None:
    """The $id/$ref numbers follow the members' content, not the set's hash order."""
    trees = set()
    for trial in range(12):
        made = list(products())
        made = made[trial % 3 :] + made[: trial % 3]  # objects created at other addresses
        apple = next(p for p in made if p.name == "apple")
        for product in made:
            product.related = apple  # every member refers to one of them
        trees.add(canonical(encode({"members": set(made), "then": [apple]})))
    assert len(trees) == 1


def test_files_written_in_insertion_order_keep_loading_and_keep_their_id() -> None:
    a, b, _ = products()
    new = encode({b: 2, a: 1})
    old = {"$dict": new["$dict"][::-1]}  # the form written before pairs were sorted
    assert [p.name for p in decode(old, policy=POLICY)] == ["rice", "apple"]
    assert tree_hash(old) == tree_hash(new)
    assert order_free({"b": 1, "a": 2, "$keys": ["b", "a"]}) == {"a": 2, "b": 1}


def test_a_malformed_order_is_an_error_naming_the_field() -> None:
    a, b, _ = products()
    tree = encode({b: 2, a: 1})
    for bad in ([0, 0], [0], ["0", 1], "01"):
        tree["order"] = bad
        with pytest.raises(CodecError, match=r"order.*positions once"):
            decode({"x": tree}, policy=POLICY, root="effects")
    with pytest.raises(CodecError, match="only for a dict-based class"):
        decode({"$object": f"{__name__}:Product", "state": {}, "order": [0]}, policy=POLICY)


def test_keys_decoded_for_comparison_match_by_content() -> None:
    a, b, _ = products()
    tree = encode({"offers": {a: 1, b: 2}, "plain": {(1, "x"): 5}})
    expected = decode(tree, policy=POLICY, content_keys=True)
    actual = decode(json.loads(json.dumps(tree)), policy=POLICY, content_keys=True)
    assert all(isinstance(k, ContentKey) for k in expected["offers"])
    assert list(expected["plain"]) == [(1, "x")]  # keys hashed by value stay as they are
    assert compare_observed({"effects": expected}, {"effects": actual}, Policy()) == []
    changed = decode(encode({"offers": {a: 1, b: 3}, "plain": {(1, "x"): 5}}), policy=POLICY,
                     content_keys=True)  # fmt: skip
    (difference,) = compare_observed({"effects": expected}, {"effects": changed}, Policy())
    assert difference.path == "effects.offers[Product(name='rice', unit=Unit.KILO)]"
    assert (difference.expected, difference.actual) == (2, 3)
    # values handed to code are the objects themselves
    assert all(type(k) is Product for k in decode(tree, policy=POLICY)["offers"])


def test_the_id_ignores_the_order_plain_dicts_were_built_in() -> None:
    rows = [{"name": "a", "age": 1, "!": 0}, {"age": 2, "name": "b", "#": 1}]
    flipped = [{k: row[k] for k in sorted(row, reverse=True)} for row in rows]
    tricky = {"note": 'text with "$keys":["x"] in it', "z": 1, "a": 2}
    for left, right in ((rows, flipped), (tricky, dict(sorted(tricky.items())))):
        assert '"$keys"' in canonical(encode(left)) + canonical(encode(right))
        assert tree_hash(encode(left)) == tree_hash(encode(right))
        assert tree_hash(encode(left)) == tree_hash(order_free(encode(left)))
    assert tree_hash(encode(tricky)) != tree_hash(encode({**tricky, "note": "other"}))


def test_a_defaultdict_keyed_by_objects_keeps_its_order_and_compares_by_content() -> None:
    a, b, _ = products()
    stock: collections.defaultdict[Product, int] = collections.defaultdict(int)
    stock[b] += 2
    stock[a] += 1
    tree = encode(stock)
    assert tree["order"] == [1, 0]  # pairs sorted (apple first), inserted rice first
    rebuilt = decode(tree, policy=POLICY)
    assert [p.name for p in rebuilt] == ["rice", "apple"] and rebuilt.default_factory is int
    left = decode(tree, policy=POLICY, content_keys=True)
    right = decode(encode(collections.defaultdict(int, {a: 1, b: 2})), policy=POLICY,
                   content_keys=True)  # fmt: skip
    assert compare_observed({"outcome": left}, {"outcome": right}, Policy()) == []
