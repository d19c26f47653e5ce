"""The codec's shortcut for immutable builtins: the trees ``encode`` gives, or nothing."""

from __future__ import annotations

from enum import IntEnum

from legacy_harness.store import codec
from legacy_harness.store.codec.builtin_tags import immutable_dict_tree, immutable_trees


def test_immutable_trees_are_what_encode_gives() -> None:
    values = [
        0,
        -(2**70),
        1.5,
        float("nan"),
        "é\udc80",
        b"\x01",
        True,
        None,
        1j,
        (1, ("a", (b"",))),
    ]
    assert immutable_trees(values) == [codec.encode(v) for v in values]
    kwargs = {"b": 1, "a": (2.0,)}
    assert immutable_dict_tree(kwargs) == codec.encode(kwargs)
    assert immutable_dict_tree({}) == codec.encode({})


def test_anything_else_is_refused() -> None:
    assert immutable_dict_tree({"$a": 1}) is None
    assert immutable_trees([[1]]) is None
    assert immutable_trees([IntEnum("Level", "LOW")(1)]) is None
    assert immutable_trees([((((1,),),),)], depth=2) is None


def test_a_user_codec_for_one_of_the_types_turns_the_shortcut_off() -> None:
    class Text(str):
        pass

    codec.register_codec(str, name="upper_text", encode=str.upper, decode=Text)
    try:
        assert immutable_trees(["x"]) is None
    finally:
        codec.unregister_codec("upper_text")
    assert immutable_trees(["x"]) == ["x"]
