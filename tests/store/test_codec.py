"""Tests of legacy_harness.store.codec: exact round trips, stable output, safe decoding."""

from __future__ import annotations

import collections
import datetime as dt
import enum
import hashlib
import io
import math
import pathlib
import re
import struct
import sys
import threading
import typing
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from paths import DATA

from legacy_harness.errors import CodecError
from legacy_harness.store.codec import (
    ClassPolicy,
    Unencodable,
    canonical,
    decode,
    dumps,
    encode,
    loads,
    register_codec,
    tree_hash,
    unregister_codec,
)

POLICY = ClassPolicy(frozenset({__name__.split(".")[0]}))
MOD = __name__


# ----------------------------------------------------------------- test classes


class Color(enum.Enum):
    RED = 1
    GREEN = "g"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Perm(enum.Flag):
    R = 1
    W = 2


Point = collections.namedtuple("Point", "x y")


class Pair(typing.NamedTuple):
    a: int
    b: str


@dataclass
class Cart:
    items: list[str]
    total: float


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class FrozenSlots:
    x: int
    y: tuple[int, ...]


class Plain:
    def __init__(self) -> None:
        raise AssertionError("decode must not call __init__")


class Slotted:
    __slots__ = ("a", "b", "__secret")


class SlotBase:
    __slots__ = ("x",)


class SlotChild(SlotBase):  # has a __dict__ as well as the inherited slot
    pass


class Node:
    def __init__(self, name: str) -> None:
        self.name = name
        self.next: Node | None = None


class WithState:
    def __init__(self) -> None:
        self.value = 1
        self.lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"value": self.value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.value = state["value"]
        self.lock = threading.Lock()


class MyList(list):  # type: ignore[type-arg]
    pass


class MyStr(str):
    pass


class MyError(ValueError):
    pass


class Temperature:
    __slots__ = ("celsius",)

    def __init__(self, celsius: float) -> None:
        self.celsius = celsius

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.celsius == self.celsius  # type: ignore[attr-defined]


class Kelvin(Temperature):
    __slots__ = ()


def module_function(x: int) -> int:
    return x + 1


class Opaque:
    """Registered with a custom codec by the every-tag test."""

    def __init__(self, code: str) -> None:
        self.code = code


def _unimportable() -> Any:
    class Hidden:
        def __repr__(self) -> str:
            return "<Hidden>"

    return Hidden()


def every_tag_value() -> dict[str, Any]:
    """One value of every tag the codec writes (``$str`` aside: it is newer than the
    fixture), built the same way in every run."""
    import pandas as pd

    shared = [1, 2]
    cyclic: list[Any] = ["self"]
    cyclic.append(cyclic)
    return {
        "int": 2**70,
        "float": [math.nan, math.inf, -0.0, 0.1],
        "complex": complex(1.5, -2.0),
        "bytes": b"\x00\xff",
        "bytearray": bytearray(b"ab"),
        "tuple": (1, "a"),
        "shared": [shared, shared],
        "cyclic": cyclic,
        "dict": {1: "one", (2, 3): "pair"},
        "ordered": {"z": 1, "a": 2},
        "set": {3, 1, 2},
        "frozenset": frozenset({"x", "y"}),
        "datetime": dt.datetime(
            2024, 10, 27, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"), fold=1
        ),
        "date": dt.date(2024, 3, 1),
        "time": dt.time(8, 0, 1, 5),
        "timedelta": dt.timedelta(days=-1, seconds=5),
        "decimal": Decimal("1.10"),
        "fraction": Fraction(1, 3),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "path": pathlib.PurePosixPath("a/b"),
        "enum": [Color.GREEN, Perm.R | Perm.W],
        "namedtuple": Point(1, 2),
        "object": [Cart(["apple"], 2.5), WithState(), MyList([1]), MyError("bad")],
        "class": Temperature,
        "function": [module_function, len],
        "npscalar": [np.float32(0.5), np.datetime64("2024-01-02", "D"), np.str_("s")],
        "ndarray": [np.arange(6.0).reshape(2, 3), np.arange(100), np.array(["a", "b"])],
        "series": pd.Series([1.5, 2.5], index=pd.Index(["a", "b"], name="k"), name="price"),
        "dataframe": pd.DataFrame({"n": [1, 2], "c": pd.Categorical(["u", "v"])}),
        "pdscalar": [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timedelta(5), pd.NaT],
        "custom": Opaque("X1"),
        "unencodable": _unimportable(),
    }


# -------------------------------------------------------------------- helpers


def same(a: Any, b: Any) -> bool:
    """Type-strict equality where NaN equals NaN and the sign of zero matters."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "V":  # structured or raw: every byte, padding included
            return a.tobytes() == b.tobytes()
        if a.dtype.kind in "fc":  # the sign of a NaN is not kept, the sign of zero is
            parts = [(a.real, b.real), (a.imag, b.imag)]
            return bool(np.array_equal(a, b, equal_nan=True)) and all(
                np.array_equal(np.signbit(x) & ~np.isnan(x), np.signbit(y) & ~np.isnan(y))
                for x, y in parts
            )
        if a.dtype.kind in "Mm":
            return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
        if a.dtype.kind == "O":
            return all(same(x, y) for x, y in zip(a.ravel(), b.ravel(), strict=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and same(np.asarray(a), np.asarray(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        for key, value in a.items():
            if key not in b:
                return False
            other = next(k for k in b if k == key)
            if not same(key, other) or not same(value, b[key]):
                return False
        return True
    if isinstance(a, (set, frozenset)):
        return len(a) == len(b) and all(any(same(x, y) for y in b) for x in a)
    return bool(a == b)


def roundtrip(value: Any, **kwargs: Any) -> Any:
    tree = encode(value, **kwargs)
    text = dumps(tree)
    back = decode(loads(text), policy=POLICY, blobs=kwargs.get("blobs"))
    again = dumps(encode(back, **kwargs))
    assert again == text, "re-encoding the decoded value must give the same bytes"
    return back


def state_of(obj: Any) -> dict[str, Any]:
    out = dict(getattr(obj, "__dict__", {}))
    for name in ("a", "b", "_Slotted__secret", "x", "y", "celsius"):
        try:
            out[name] = object.__getattribute__(obj, name)
        except AttributeError:
            pass
    return out


# ------------------------------------------------------------- scalar values

SCALARS = [
    None,
    True,
    False,
    0,
    -7,
    2**53,
    -(2**53),
    2**53 + 1,
    -(2**64) - 3,
    10**40,
    1.0,
    -0.0,
    0.1,
    5e-324,
    1.7976931348623157e308,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "héllo\n\u2603",
    "$not-a-tag",
    b"",
    b"\x00\xffbytes",
    bytearray(b"mutable"),
    complex(1.5, -0.0),
    complex(math.nan, math.inf),
    dt.datetime(2024, 3, 1, 12, 0, 0, 123456),
    dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone.utc),
    dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
    dt.datetime(2024, 10, 27, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"), fold=1),
    dt.date(1999, 12, 31),
    dt.time(23, 59, 59, 999),
    dt.time(8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.timedelta(days=-3, seconds=5, microseconds=7),
    Decimal("1.10"),
    Decimal("-0"),
    Decimal("NaN"),
    Decimal("1E+3"),
    Fraction(1, 3),
    Fraction(-4),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    pathlib.PurePosixPath("a/b"),
    pathlib.PosixPath("/tmp/x"),
    pathlib.PureWindowsPath(r"C:\temp\x"),
]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_scalar_round_trip(value: Any) -> None:
    back = roundtrip(value)
    assert same(value, back), (value, back)
    if isinstance(value, (dt.datetime, dt.time)):
        assert back.tzinfo == value.tzinfo and back.fold == value.fold
    if isinstance(value, Decimal):
        assert str(back) == str(value)


def test_json_shapes() -> None:
    assert encode(1.0) == 1.0 and isinstance(encode(1.0), float)
    assert encode(2**53) == 2**53
    assert encode(2**53 + 1) == {"$int": str(2**53 + 1)}
    assert encode(math.nan) == {"$float": "nan"}
    assert encode(-math.inf) == {"$float": "-inf"}
    assert encode((1, "a")) == {"$tuple": [1, "a"]}
    assert encode({"a": [None], "b": 1}) == {"a": [None], "b": 1}
    assert encode({"b": 1, "a": [None]}) == {"a": [None], "b": 1, "$keys": ["b", "a"]}
    assert encode({"$x": 1}) == {"$dict": [["$x", 1]]}
    assert encode({1: "a"}) == {"$dict": [[1, "a"]]}
    assert encode(Decimal("1.10")) == {"$decimal": "1.10"}
    assert encode(Fraction(1, 3)) == {"$fraction": "1/3"}
    assert encode(dt.timedelta(1, 2, 3)) == {"$timedelta": [1, 2, 3]}
    assert encode(pathlib.PurePosixPath("a/b")) == {"$path": "a/b", "flavour": "PurePosixPath"}
    assert encode({3, 1, 2}) == {"$set": [1, 2, 3]}
    assert dumps(-0.0) == "-0.0\n"
    assert dumps({"b": 1, "a": 2}) == '{\n  "a": 2,\n  "b": 1\n}\n'


def test_negative_zero_and_nan_exact() -> None:
    back = roundtrip([-0.0, 0.0, complex(-0.0, math.nan)])
    assert math.copysign(1.0, back[0]) == -1.0
    assert math.copysign(1.0, back[1]) == 1.0
    assert math.copysign(1.0, back[2].real) == -1.0 and math.isnan(back[2].imag)


def test_huge_int() -> None:
    value = 7**20000  # more digits than int/str conversion allows by default
    assert roundtrip(value) == value
    assert roundtrip(-(2**70)) == -(2**70)


def test_containers_round_trip() -> None:
    value = {
        "list": [1, [2, (3, 4)], {"k": {5, 6}}],
        "tuple": (),
        "frozen": frozenset({(1, 2), "x"}),
        "mixed keys": {1: "one", (2, 3): "tuple", None: 0, "s": 1},
        "nested": {"$dollar": {"inner": [b"x"]}},
    }
    assert same(roundtrip(value), value)


# -------------------------------------------------------------------- objects

OBJECT_VALUES: list[Any] = [
    Color.RED,
    Color.GREEN,
    Level.HIGH,
    Perm.R | Perm.W,
    Point(1, [2]),
    Pair(3, "x"),
    Cart(["apple"], 2.5),
    Money(Decimal("9.99"), "EUR"),
    FrozenSlots(1, (2, 3)),
    Temperature,
    module_function,
    len,
    float,
    MyList([1, 2, [3]]),
    MyStr("text"),
]


@pytest.mark.parametrize(
    "value", OBJECT_VALUES, ids=lambda v: re.sub(" at 0x[0-9a-f]+", "", repr(v))
)
def test_object_round_trip(value: Any) -> None:
    back = roundtrip(value)
    assert type(back) is type(value)
    assert back == value
    if isinstance(value, enum.Enum) or isinstance(value, type) or callable(value):
        assert back is value


def test_plain_and_slotted_objects() -> None:
    plain = Plain.__new__(Plain)
    plain.x = [1, 2]  # type: ignore[attr-defined]
    plain.y = {"a": 1.5}  # type: ignore[attr-defined]
    slotted = Slotted()
    slotted.a = 1  # type: ignore[attr-defined]
    slotted._Slotted__secret = "s"  # type: ignore[attr-defined]
    child = SlotChild()
    child.x = 5  # type: ignore[attr-defined]
    child.extra = "dict"  # type: ignore[attr-defined]
    for value in (plain, slotted, child):
        back = roundtrip(value)
        assert type(back) is type(value)
        assert state_of(back) == state_of(value)
    tree = encode(slotted)
    assert tree == {"$object": f"{MOD}:Slotted", "state": {"_Slotted__secret": "s", "a": 1}}
    assert not hasattr(roundtrip(slotted), "b")


def test_dataclass_frozen_and_setstate() -> None:
    back = roundtrip(Money(Decimal("1.10"), "USD"))
    assert back == Money(Decimal("1.10"), "USD") and str(back.amount) == "1.10"
    with_state = WithState()
    tree = encode(with_state)
    assert tree["getstate"] == {"value": 1}
    back = decode(tree, policy=POLICY)
    assert back.value == 1 and back.lock is not with_state.lock


def test_exception_values() -> None:
    for err in (ValueError("bad", 3), MyError("mine")):
        back = roundtrip(err)
        assert type(back) is type(err) and back.args == err.args


def test_stdlib_containers_keep_type_and_order() -> None:
    od = collections.OrderedDict(b=1, a=2)
    od.move_to_end("b")
    dd: collections.defaultdict[str, list[int]] = collections.defaultdict(list, {"x": [1]})
    dq = collections.deque([1, 2, 3], maxlen=5)
    counter = collections.Counter("abracadabra")
    back = roundtrip([od, dd, dq, counter])  # no policy entry needed for these
    assert [type(x) for x in back] == [type(x) for x in (od, dd, dq, counter)]
    assert list(back[0].items()) == list(od.items())
    assert back[1] == dd and back[1].default_factory is list
    assert back[2] == dq and back[2].maxlen == 5
    assert back[3].most_common() == counter.most_common()


def test_builtin_subclass_cycle() -> None:
    value = MyList([1])
    value.append(value)
    value.note = "n"  # type: ignore[attr-defined]
    back = roundtrip(value)
    assert type(back) is MyList and back[1] is back and back.note == "n"  # type: ignore[attr-defined]


def test_deep_nesting_does_not_raise() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    problems: list[str] = []
    assert encode(deep, problems=problems)["$unencodable"] == "builtins:list"
    assert "nested too deeply" in problems[0]
    tree: Any = []
    for _ in range(100_000):
        tree = {"$tuple": [tree]}
    with pytest.raises(CodecError, match=r"levels\).*nested deeper than max_depth = 200"):
        decode(tree)


# ------------------------------------------------------------ shared and cyclic


def test_list_containing_itself() -> None:
    a: list[Any] = [1]
    a.append(a)
    tree = encode(a)
    assert tree == {"$list": [1, {"$ref": 1}], "$id": 1}
    back = roundtrip(a)
    assert back[0] == 1 and back[1] is back


def test_shared_arguments_stay_shared() -> None:
    shared = [1, 2]
    table = {"x": 1}
    args = [shared, shared, table, (table,)]
    back = roundtrip(args)
    assert back[0] is back[1] and back[0] == [1, 2]
    assert back[2] is back[3][0] and back[2] == {"x": 1}
    unshared = encode([[1], [1]])
    assert unshared == [[1], [1]]


def test_object_cycle_via_attributes() -> None:
    a, b = Node("a"), Node("b")
    a.next, b.next = b, a
    back = roundtrip([a, b])
    assert back[0].next is back[1] and back[1].next is back[0]
    assert back[0].name == "a"


def test_cycle_through_tuple_and_dict() -> None:
    d: dict[str, Any] = {}
    d["self"] = (d, [d])
    back = roundtrip(d)
    assert back["self"][0] is back and back["self"][1][0] is back


def test_forward_ref_decodes() -> None:
    tree = [{"$ref": 1}, {"$list": [1], "$id": 1}]
    back = decode(tree)
    assert back[0] is back[1] == [1]


def test_shared_array_and_set() -> None:
    arr = np.arange(3)
    s = {1, 2}
    back = roundtrip([arr, arr, s, s])
    assert back[0] is back[1] and back[2] is back[3]


# ----------------------------------------------------------------------- numpy

ARRAYS = [
    np.array([1.5, -0.0, np.nan, np.inf, -np.inf], dtype=np.float64),
    np.array([0.1, np.nan], dtype=np.float32),
    np.array([0.5, 65504, -np.inf], dtype=np.float16),
    *[np.array([0, 1, -1 if np.dtype(t).kind == "i" else 2], dtype=t) for t in "bhilBHIL"],
    np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max], dtype=np.int64),
    np.array([np.iinfo(np.uint64).max], dtype=np.uint64),
    np.array([True, False]),
    np.array([1 + 2j, complex(np.nan, -0.0)], dtype=np.complex128),
    np.array([1 - 1j], dtype=np.complex64),
    np.array(["a", "héllo", ""]),
    np.array([b"a", b"\x00b"], dtype="S3"),
    np.array(["2024-01-01T00:00:00.123456789", "NaT"], dtype="datetime64[ns]"),
    np.array([1, -5, "NaT"], dtype="timedelta64[s]"),
    np.array(3.5),
    np.array([], dtype=np.float64),
    np.zeros((0, 3), dtype=np.int32),
    np.arange(12.0).reshape(3, 4).T,
    np.array([1.0, 2.0], dtype=">f8"),
    np.array([1, "a", None, [1, 2]], dtype=object),
    np.array([1.25], dtype=np.longdouble),
    np.array([(1, 2.5, b"ab")], dtype=[("a", "<i4"), ("b", "<f8"), ("c", "S2")]),
    np.zeros(3, dtype=np.dtype([("t", "M8[ns]"), ("v", [("x", "<f4", (2,))])], align=True)),
    np.array([b"\x00\x01raw"], dtype="V5"),
    np.array(["a\udc80", "\ud83d\ude00"]),
]


@pytest.mark.parametrize("arr", ARRAYS, ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_array_round_trip(arr: np.ndarray) -> None:
    back = roundtrip(arr)
    assert same(arr, back), (arr, back)
    assert back.flags.writeable


def test_array_inline_form() -> None:
    tree = encode(np.array([[1.0, np.nan], [3.0, 4.0]]))
    assert tree == {
        "$ndarray": {"dtype": "<f8", "shape": [2, 2], "data": [1.0, {"$float": "nan"}, 3.0, 4.0]}
    }
    ns = encode(np.array(["1970-01-01T00:00:01"], dtype="datetime64[ns]"))
    assert ns["$ndarray"] == {"dtype": "<M8[ns]", "shape": [1], "data": [10**9]}


def test_big_array_goes_to_blob() -> None:
    arr = np.arange(1000, dtype=np.float64).reshape(100, 10)
    blobs: dict[str, bytes] = {}
    tree = encode({"a": arr}, blobs=blobs)
    name = tree["a"]["$ndarray"]["blob"]
    assert tree["a"]["$ndarray"]["dtype"] == "<f8" and tree["a"]["$ndarray"]["shape"] == [100, 10]
    assert list(blobs) == [name]
    assert name == hashlib.sha256(blobs[name]).hexdigest()[:32] + ".npy"
    assert np.array_equal(decode(tree, blobs=blobs)["a"], arr)
    assert np.array_equal(decode(tree, blobs=blobs.__getitem__)["a"], arr)
    fortran: dict[str, bytes] = {}
    assert encode(np.asfortranarray(arr), blobs=fortran) == tree["a"] and fortran == blobs
    small: dict[str, bytes] = {}
    assert "data" in encode(np.arange(64), blobs=small)["$ndarray"] and not small
    assert "data" in encode(arr)["$ndarray"]  # no blob store: inline
    assert "blob" in encode(np.arange(5), blobs=small, inline_limit=2)["$ndarray"]


SCALAR_NP = [
    np.float32(0.1),
    np.float64(-0.0),
    np.float16(np.nan),
    np.int8(-3),
    np.uint64(2**64 - 1),
    np.bool_(True),
    np.complex64(1 - 2j),
    np.datetime64("2024-01-02", "D"),
    np.timedelta64(5, "ms"),
    np.str_("abc"),
    np.bytes_(b"xy"),
    np.longdouble("0.1"),
    np.array((7, -0.0), dtype=[("n", "<i8"), ("x", "<f8")])[()],
    np.str_("lone \udc80"),
]


@pytest.mark.parametrize("value", SCALAR_NP, ids=repr)
def test_numpy_scalar_round_trip(value: np.generic) -> None:
    back = roundtrip(value)
    assert type(back) is type(value) and same(value, back)


def test_numpy_scalar_form() -> None:
    assert encode(np.float32(1.5)) == {"$npscalar": "float32", "value": 1.5}


# ------------------------------------------------------------ unencodable


def _gen() -> Any:
    yield 1


def test_unencodable_values_become_placeholders(tmp_path: pathlib.Path) -> None:
    class Local:
        pass

    with open(tmp_path / "f.txt", "w") as handle:
        values = [_gen(), handle, threading.Lock(), lambda x: x, Local(), sys]
        problems: list[str] = []
        tree = encode(values, problems=problems)
    assert len(problems) == len(values)
    assert all("legacy_harness.store.codec.register_codec(" in p for p in problems)
    assert tree[0]["$unencodable"] == "builtins:generator"
    assert "generator" in problems[0]
    back = decode(loads(dumps(tree)))
    assert all(isinstance(x, Unencodable) for x in back)
    assert back[0] == Unencodable("builtins:generator", tree[0]["repr"])
    gen = _gen()
    assert encode(gen) == {"$unencodable": "builtins:generator", "repr": repr(gen)[:200]}


def test_broken_repr_does_not_raise() -> None:
    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    problems: list[str] = []
    assert "$unencodable" in encode(Bad(), problems=problems) and problems


# --------------------------------------------------------------- registry


def test_register_and_unregister_codec() -> None:
    register_codec(
        Temperature,
        name="temperature",
        encode=lambda t: {"c": t.celsius},
        decode=lambda v: Temperature(v["c"]),
    )
    try:
        tree = encode([Temperature(21.5), Kelvin(3.0)])
        assert tree[0] == {"$custom": "temperature", "value": {"c": 21.5}}
        assert tree[1]["$custom"] == "temperature"  # isinstance match for subclasses
        assert decode(tree)[0] == Temperature(21.5)
    finally:
        unregister_codec("temperature")
    unregister_codec("temperature")  # unknown names are ignored
    with pytest.raises(CodecError, match=r"\[0\]\.\$custom.*no codec registered"):
        decode(tree)
    assert encode(Temperature(1.0))["$object"] == f"{MOD}:Temperature"


def test_failing_custom_codec_is_reported() -> None:
    def broken(_: Any) -> Any:
        raise RuntimeError("boom")

    register_codec(Temperature, name="t", encode=broken, decode=lambda v: v)
    try:
        problems: list[str] = []
        assert "$unencodable" in encode(Temperature(1.0), problems=problems)
        assert "boom" in problems[0]
    finally:
        unregister_codec("t")


# ----------------------------------------------------------------- policy


def test_policy_allows_prefixes() -> None:
    policy = ClassPolicy(frozenset({"billing", "shop.core"}))
    assert policy.allows("billing") and policy.allows("billing.tax")
    assert policy.allows("shop.core.cart") and not policy.allows("shop")
    assert not policy.allows("billingx") and not policy.allows("os")


@pytest.mark.parametrize(
    "tree",
    [
        {"$object": "os:PathLike", "state": {}},
        {"$function": "subprocess:run"},
        {"$enum": "signal:Signals", "name": "SIGINT"},
        {"$class": "collections:ChainMap"},
        {"$namedtuple": "os:stat_result", "fields": {}},
    ],
)
def test_policy_refuses_other_modules(tree: Any) -> None:
    policy = ClassPolicy(frozenset({"billing", "shop"}))
    with pytest.raises(CodecError, match=r"is outside the allowed modules \(billing, shop\)"):
        decode(tree, policy=policy)


def test_refused_module_is_never_imported(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("this", "antigravity", "no_such_module_xyz"):
        assert name not in sys.modules
        with pytest.raises(CodecError, match=f"add '{name}' to allow"):
            decode({"$object": f"{name}:Thing", "state": {}}, policy=POLICY)
        assert name not in sys.modules
    assert capsys.readouterr().out == ""


def test_no_policy_refuses_project_classes() -> None:
    with pytest.raises(CodecError, match=r"\(none\)"):
        decode(encode(Cart([], 0.0)))


def test_builtins_are_limited() -> None:
    assert decode({"$class": "builtins:float"}) is float
    assert decode({"$function": "builtins:len"}) is len
    for name in ("eval", "exec", "open", "__import__"):
        with pytest.raises(CodecError, match=f"builtins:{name}"):
            decode({"$function": f"builtins:{name}"})


def test_allowed_but_missing_module() -> None:
    policy = ClassPolicy(frozenset({"no_such_pkg_q"}))
    with pytest.raises(CodecError, match="cannot import module no_such_pkg_q"):
        decode({"$class": "no_such_pkg_q.mod:X"}, policy=policy)


# -------------------------------------------------------------- malformed

MALFORMED = [
    ({"$nope": 1}, r"^\(root\): unknown tag \$nope"),
    ({"a": [{"$int": 5}]}, r"^a\[0\]\.\$int: expected an integer string"),
    ({"$int": "12abc"}, r"\$int"),
    ({"$float": "nope"}, r"^\$float: expected 'nan'"),
    ({"$tuple": 3}, r"^\$tuple: expected a list"),
    ({"$tuple": [], "$set": []}, r"two tags"),
    ({"$tuple": [], "extra": 1}, r"unexpected key 'extra'"),
    ({"$id": 1}, r"\$id without a tag"),
    ({"$list": [], "$id": "x"}, r"\$id must be an integer"),
    ([{"$list": [], "$id": 1}, {"$list": [], "$id": 1}], r"^\[1\]\.\$id: \$id 1 is defined twice"),
    ({"$ref": 7}, r"^\$ref: \$ref 7 has no matching \$id"),
    ({"$bytes": "!!"}, r"^\$bytes: invalid base64"),
    ({"$set": [[1]]}, r"^\$set\[0\]: unhashable"),
    ({"$dict": [[1]]}, r"^\$dict\[0\]: expected a \[key, value\] pair"),
    ({"$complex": [1.0]}, r"^\$complex"),
    ({"$datetime": "garbage"}, r"^\$datetime"),
    ({"$timedelta": [1, 2]}, r"^\$timedelta"),
    ({"$decimal": "1.2.3"}, r"^\$decimal: invalid decimal"),
    ({"$uuid": "xyz"}, r"^\$uuid"),
    ({"$path": "a", "flavour": "Nope"}, r"^flavour: unknown path flavour"),
    ({"$enum": f"{MOD}:Color", "name": "BLUE"}, r"^name: .* has no member 'BLUE'"),
    ({"$enum": f"{MOD}:Cart", "name": "x"}, r"is not a Enum subclass"),
    ({"$object": f"{MOD}:Cart", "state": []}, r"^state: expected an object"),
    ({"$object": "not a ref", "state": {}}, r"^\$object: expected 'module:qualname'"),
    ({"$object": f"{MOD}:Missing", "state": {}}, r"has no attribute Missing"),
    ({"$namedtuple": f"{MOD}:Point", "fields": {"x": 1}}, r"^fields: fields"),
    ({"$npscalar": "float32", "value": "x"}, r"^value: expected a float"),
    ({"$npscalar": "nonsense", "value": 1}, r"^\$npscalar: unknown dtype"),
    ({"$ndarray": {"dtype": 5, "shape": [1], "data": [1]}}, r"^\$ndarray\.dtype: expected a"),
    ({"$ndarray": {"dtype": "<f8", "shape": [2], "data": [1.0]}}, r"^\$ndarray\.data: expected"),
    ({"$ndarray": {"dtype": "<i8", "shape": [1], "data": [1.5]}}, r"^\$ndarray\.data\[0\]"),
    ({"$ndarray": {"dtype": "|i1", "shape": [1], "data": [300]}}, r"do not fit dtype int8"),
    ({"$ndarray": {"dtype": "<f8", "shape": -1, "data": []}}, r"^\$ndarray\.shape"),
    ({"$ndarray": {"dtype": "<f8", "shape": [0]}}, r"exactly one of 'data' and 'blob'"),
    ({"$ndarray": {"dtype": "<f8", "shape": [1], "blob": "../../x"}}, r"bad blob name"),
    ({"$ndarray": {"dtype": "<f8", "shape": [9], "blob": "a" * 32 + ".npy"}}, r"missing blob"),
    ({"$unencodable": 3, "repr": ""}, r"^\$unencodable"),
    ({"$custom": "nobody", "value": 1}, r"no codec registered under 'nobody'"),
    ({1.5j: 1}, r"not a JSON value|not a string"),
]


@pytest.mark.parametrize("tree,message", MALFORMED, ids=lambda x: repr(x)[:50])
def test_malformed_trees_name_the_path(tree: Any, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        decode(tree, policy=POLICY, blobs={})


def test_root_prefix_in_path() -> None:
    tree = {"$ndarray": {"dtype": 5, "shape": [1], "data": [1]}}
    with pytest.raises(CodecError, match=r"^inputs\.args\[0\]\.\$ndarray\.dtype: "):
        decode(tree, root="inputs.args[0]")


def test_blob_mismatch_and_corruption() -> None:
    blobs: dict[str, bytes] = {}
    tree = encode(np.arange(100), blobs=blobs)
    tree["$ndarray"]["shape"] = [99]
    with pytest.raises(CodecError, match=r"\$ndarray\.blob: blob holds"):
        decode(tree, blobs=blobs)
    name = tree["$ndarray"]["blob"]
    with pytest.raises(CodecError, match="not a valid .npy"):
        decode(tree, blobs={name: b"garbage"})


def test_object_dtype_blob_is_refused() -> None:
    buf = io.BytesIO()
    np.save(buf, np.array([1, None], dtype=object), allow_pickle=True)
    name = "b" * 32 + ".npy"
    tree = {"$ndarray": {"dtype": "|O", "shape": [2], "blob": name}}
    with pytest.raises(CodecError, match="not a valid .npy"):
        decode(tree, blobs={name: buf.getvalue()})


def test_structured_arrays_keep_their_dtype_inline_and_in_blobs() -> None:
    dtype = np.dtype([("when", "M8[ms]"), ("pos", "<f8", (2,)), ("tag", "U3")], align=True)
    arr = np.array([(1, (0.5, -0.0), "ab"), (-5, (np.nan, 1e300), "")], dtype=dtype)
    tree = encode(arr)
    assert tree["$ndarray"]["dtype"] == [
        ["when", "<M8[ms]"],
        ["pos", "<f8", [2]],
        ["tag", "<U3"],
        ["", "|V4"],  # the padding an aligned dtype keeps
    ]
    blobs: dict[str, bytes] = {}
    assert "blob" in encode(arr, blobs=blobs)["$ndarray"]  # raw records go to a blob
    for back in (decode(loads(dumps(tree))), decode(encode(arr, blobs=blobs), blobs=blobs)):
        assert back.dtype == dtype and back.tobytes() == arr.tobytes()


def test_lone_surrogates_are_kept_exactly() -> None:
    assert encode("ok \u2603") == "ok \u2603"
    assert encode("a\udc80b") == {"$str": ["a", 0xDC80, "b"]}
    pair = "\ud83d\ude00"  # two code points, not the one emoji JSON would make of them
    assert encode(pair) == {"$str": [0xD83D, 0xDE00]}
    back = decode(loads(dumps(encode({"k\udcff": pair, "s": {pair}}))))
    assert back == {"k\udcff": pair, "s": {pair}} and len(next(iter(back))) == 2
    assert dumps({"stdout": "x\udc80"}).encode("utf-8")  # text outside the codec is escaped
    assert loads(dumps({"stdout": "x\udc80"})) == {"stdout": "x\udc80"}


def test_walk_visits_every_container_with_its_path_and_tag() -> None:
    from legacy_harness.store.codec import blob_names, class_refs, walk

    blobs: dict[str, bytes] = {}
    tree = encode({"a": [np.arange(100), Cart(["x"], 1.0)], "b": (1,)}, blobs=blobs)
    visits = [(v.path, v.tag) for v in walk(tree, ("outcome",))]
    assert visits == [
        (("outcome",), None),
        (("outcome", "a"), None),
        (("outcome", "a", 0), "$ndarray"),
        (("outcome", "a", 0, "$ndarray"), None),
        (("outcome", "a", 0, "$ndarray", "shape"), None),
        (("outcome", "a", 1), "$object"),
        (("outcome", "a", 1, "state"), None),
        (("outcome", "a", 1, "state", "items"), None),
        (("outcome", "b"), "$tuple"),
        (("outcome", "b", "$tuple"), None),
    ]
    assert blob_names(tree, None, {"blob": "x", "dtype": 1}) == set(blobs)
    assert class_refs(tree) == {f"{MOD}:Cart"}
    deep: Any = []
    for _ in range(100_000):  # no recursion: a hostile file may nest this deep
        deep = [deep]
    assert sum(1 for _ in walk(deep)) == 100_001


def test_a_family_registers_through_the_same_mechanism_as_register_codec() -> None:
    from legacy_harness.store.codec import Tag, TagFamily, register_family, unregister_family

    family = TagFamily(
        "temperatures",
        tags={"$celsius": Tag(lambda d, v, node, p, n: Temperature(v))},
        types={Temperature: lambda e, obj: {"$celsius": obj.celsius}},
    )
    register_family(family)
    try:
        assert encode([Temperature(3.5)]) == [{"$celsius": 3.5}]
        assert decode({"$celsius": 2.0}) == Temperature(2.0)
        register_codec(Temperature, name="t", encode=lambda t: t.celsius, decode=Temperature)
        try:  # a user codec ranks before every family
            assert encode(Temperature(1.0)) == {"$custom": "t", "value": 1.0}
        finally:
            unregister_codec("t")
        with pytest.raises(CodecError, match=r"tag \$celsius .* already decoded by family"):
            register_family(TagFamily("again", tags=family.tags))
        with pytest.raises(CodecError, match="belongs to the codec's own numpy family"):
            register_codec(Temperature, name="numpy", encode=str, decode=str)
    finally:
        unregister_family("temperatures")
    assert "$object" in encode(Temperature(1.0))
    with pytest.raises(CodecError, match="unknown tag"):
        decode({"$celsius": 2.0})


# ---------------------------------------------------------------- stable bytes

EVERY_TAG = DATA / "codec_every_tag.json"


def test_every_tag_is_written_as_it_always_was() -> None:
    """The fixture was written by the codec before it was split by concern: a value of
    every tag family must still give the very same bytes, blob names included."""
    pytest.importorskip("pandas")
    register_codec(
        Opaque, name="opaque", encode=lambda o: {"code": o.code}, decode=lambda v: Opaque(v["code"])
    )
    try:
        blobs: dict[str, bytes] = {}
        problems: list[str] = []
        text = dumps(encode(every_tag_value(), blobs=blobs, problems=problems))
        assert text == EVERY_TAG.read_text(encoding="utf-8")
        assert len(problems) == 1 and "Hidden" in problems[0]
        (name,) = blobs
        assert name == hashlib.sha256(blobs[name]).hexdigest()[:32] + ".npy"
        back = decode(loads(text), blobs=blobs, policy=POLICY)
    finally:
        unregister_codec("opaque")
    assert back["custom"].code == "X1" and back["shared"][0] is back["shared"][1]
    assert back["cyclic"][1] is back["cyclic"] and list(back["ordered"]) == ["z", "a"]
    assert np.array_equal(back["ndarray"][1], np.arange(100))
    assert back["unencodable"] == Unencodable(f"{MOD}:_unimportable.<locals>.Hidden", "<Hidden>")


# -------------------------------------------------------------- json layer


def test_loads_rejects_non_json() -> None:
    for text in ("NaN", "[Infinity]", "-Infinity", "1e999", '{"a": 1, "a": 2}', "{"):
        with pytest.raises(CodecError):
            loads(text)
    assert loads('{"a": [1.5, -0.0]}') == {"a": [1.5, -0.0]}


def test_dumps_rejects_nan_and_canonical_hash() -> None:
    with pytest.raises(CodecError):
        dumps(math.nan)
    assert canonical({"b": [1, 2], "a": "é"}) == '{"a":"é","b":[1,2]}'
    assert tree_hash({"a": 1}) == tree_hash({"a": 1}) != tree_hash({"a": 2})
    assert len(tree_hash({"a": 1})) == 16 and len(tree_hash(None, length=8)) == 8


# ----------------------------------------------------------------- pandas


def test_pandas_round_trip() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "i": [1, 2, 3],
            "f": [0.5, np.nan, -0.0],
            "s": ["a", "b", "c"],
            "o": pd.Series(["x", None, "z"], dtype=object),
            "cat": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
            "when": pd.date_range("2024-01-01", periods=3, tz="Europe/Paris"),
            "n": pd.array([1, None, 3], dtype="Int64"),
        },
        index=pd.Index([10, 20, 30], name="id"),
    )
    back = roundtrip(frame)
    pd.testing.assert_frame_equal(back, frame)
    series = pd.Series(
        [1.5, 2.5],
        index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "n"]),
        name="price",
    )
    pd.testing.assert_series_equal(roundtrip(series), series)
    plain = pd.Series(range(3), name=None)
    pd.testing.assert_series_equal(roundtrip(plain), plain)


def test_pandas_scalars_and_compiled_classes() -> None:
    pd = pytest.importorskip("pandas")
    values = [
        pd.Timestamp("2024-01-01 00:00:00.000000001"),
        pd.Timestamp("2024-10-27 02:30").tz_localize("Europe/Paris", ambiguous=False),
        pd.Timestamp("2024-01-01", tz="UTC").as_unit("s"),
        pd.Timedelta(1),
        pd.NaT,
        pd.NA,
    ]
    back = roundtrip(values)
    for old, new in zip(values[:4], back[:4], strict=True):
        assert type(new) is type(old) and new == old and new.unit == old.unit
        assert str(getattr(new, "tz", None)) == str(getattr(old, "tz", None))
    assert back[4] is pd.NaT and back[5] is pd.NA
    # A compiled class keeps its data in C fields: never rebuilt from attributes.
    problems: list[str] = []
    assert "$unencodable" in encode(pd.Period("2024-01", freq="M"), problems=problems)
    assert problems


def test_dataframe_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    tree = {"$dataframe": {"index": {"range": [0, 0, 1]}, "columns": {}, "data": []}}
    with pytest.raises(CodecError, match="pip install pandas"):
        decode(tree)


# --------------------------------------------------------------- property

_finite_keys = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.binary(max_size=8)
)
_keys = st.recursive(
    _finite_keys | st.floats(allow_nan=False),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=10)
    | st.complex_numbers()
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(_keys, inner, max_size=4)
        | st.sets(_keys, max_size=4)
        | st.frozensets(_keys, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_values)
def test_property_round_trip_and_stability(value: Any) -> None:
    tree = encode(value)
    text = dumps(tree)
    back = decode(loads(text))
    assert same(back, value)
    assert dumps(encode(back)) == text
    assert dumps(encode(value)) == text


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from(["<f8", "<f4", "<f2", "<i8", "<u8", "|i1", "|b1", "<c16", "<U3"]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    ),
    st.booleans(),
)
def test_property_arrays(arr: np.ndarray, use_blobs: bool) -> None:
    blobs: dict[str, bytes] | None = {} if use_blobs else None
    tree = encode(arr, blobs=blobs, inline_limit=8)
    text = dumps(tree)
    back = decode(loads(text), blobs=blobs)
    assert same(back, arr)
    assert dumps(encode(back, blobs=blobs, inline_limit=8)) == text


_any_text = st.text(st.characters(blacklist_categories=()), max_size=8)  # lone surrogates too
_numpy_dtypes = (
    hnp.scalar_dtypes()
    | hnp.datetime64_dtypes()
    | hnp.timedelta64_dtypes()
    | hnp.unicode_string_dtypes()
    | hnp.byte_string_dtypes()
    | hnp.array_dtypes()
    | hnp.nested_dtypes()
).filter(lambda d: d.subdtype is None and not d.hasobject)
_numpy_arrays = hnp.arrays(
    _numpy_dtypes, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4)
)
_numpy_values = _numpy_arrays | _numpy_arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()])
_surrogate_arrays = st.lists(_any_text, max_size=4).map(lambda xs: np.array(xs, dtype="<U8"))
_wide_leaves = (
    _leaves
    | _any_text
    | st.integers(min_value=-(2**300), max_value=2**300)
    | _numpy_values
    | _surrogate_arrays
)
_wide_keys = _keys | _any_text | st.integers(min_value=-(2**100), max_value=2**100)
_wide_values = st.recursive(
    _wide_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(_any_text, inner, max_size=3)
        | st.dictionaries(_wide_keys, inner, max_size=3)
        | st.sets(_wide_keys, max_size=3)
        | st.frozensets(_wide_keys, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(_wide_values, st.booleans())
def test_property_every_kind_of_value_round_trips(value: Any, use_blobs: bool) -> None:
    """Numpy values of every dtype (structured, datetime64, ...), lone surrogates, big
    ints and hashed containers with any keys come back exactly, through the file text."""
    blobs: dict[str, bytes] | None = {} if use_blobs else None
    problems: list[str] = []
    tree = encode(value, blobs=blobs, problems=problems, inline_limit=4)
    assert problems == []
    text = dumps(tree)
    text.encode("utf-8")  # strict: a file can hold it
    back = decode(loads(text), blobs=blobs)
    assert same(back, value), (value, back)
    assert dumps(encode(back, blobs=blobs, inline_limit=4)) == text


@st.composite
def _shared_and_cyclic(draw: st.DrawFn) -> list[Any]:
    shared: list[Any] = draw(st.lists(_values, max_size=3))
    table: dict[str, Any] = {"items": shared}
    value = [shared, (shared, table), table, {"again": shared}]
    if draw(st.booleans()):
        shared.append(shared)
    if draw(st.booleans()):
        table["self"] = table
    if draw(st.booleans()):
        shared.append(value)
    return value


@settings(max_examples=100, deadline=None)
@given(_shared_and_cyclic())
def test_property_shared_and_cyclic_values_keep_their_identity(value: list[Any]) -> None:
    back = decode(loads(dumps(encode(value))))
    shared, table = back[0], back[2]
    assert back[1][0] is shared and back[1][1] is table and back[3]["again"] is shared
    assert table["items"] is shared
    assert ("self" in table) == ("self" in value[2]) and table.get("self", table) is table
    for original, copy in zip(value[0], shared, strict=True):
        if original is value[0]:
            assert copy is shared
        elif original is value:
            assert copy is back
        else:
            assert same(copy, original)


def test_dict_insertion_order_survives_a_round_trip() -> None:
    # legacy code may iterate a dict it was given; replay must hand it the same order
    value = {"sku": "A1", "qty": 2, "price": 1.5, "nested": {"b": 1, "a": 2}}
    tree = encode(value)
    assert tree["$keys"] == ["sku", "qty", "price", "nested"]
    assert "$keys" not in encode({"a": 1, "b": 2})  # sorted already: nothing extra
    back = decode(loads(dumps(tree)))
    assert list(back) == list(value) and list(back["nested"]) == ["b", "a"]
    shared = {"z": 1, "y": 2}
    again = decode(encode([shared, shared]))
    assert list(again[0]) == ["z", "y"] and again[0] is again[1]


def test_keys_marker_must_match_the_object() -> None:
    with pytest.raises(CodecError, match=r"\$keys"):
        decode({"a": 1, "$keys": ["a", "b"]})


#: Trees of what JSON holds, to check the writers against the standard encoder.
JSON_TREES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_TREES)
def test_golden_files_are_written_byte_for_byte_as_the_standard_encoder_writes(tree: Any) -> None:
    import json

    expected = json.dumps(tree, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    assert dumps(tree) == expected + "\n"  # st.text() holds no lone surrogates


def test_trees_with_keys_that_are_not_text_still_go_through_the_standard_encoder() -> None:
    assert dumps({1: "a", 2: [True]}) == '{\n  "1": "a",\n  "2": [\n    true\n  ]\n}\n'
    with pytest.raises(CodecError, match="not JSON-serialisable"):
        dumps({"x": float("nan")})
    with pytest.raises(CodecError, match="not JSON-serialisable"):
        dumps({"x": object()})


class _Text(str):
    pass


class _Number(int):
    pass


class _Table(dict):  # type: ignore[type-arg]
    pass


class _Row(list):  # type: ignore[type-arg]
    pass


def test_subclasses_of_json_types_are_written_as_the_standard_encoder_writes_them() -> None:
    import json

    tree = {
        "a": _Table({"z": _Row([_Text("x"), _Number(3), 1.5, True, None]), _Text("k"): (1, "t")}),
        "b": [_Table(), _Row(), {"c": _Table({"d": [False]})}],
        _Text("e"): 2,
    }
    expected = json.dumps(tree, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    assert dumps(tree) == expected + "\n"


@settings(max_examples=200, deadline=None)
@given(JSON_TREES)
def test_canonical_text_is_what_the_standard_encoder_writes(tree: Any) -> None:
    import json

    expected = json.dumps(
        tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    assert canonical(tree) == expected


def test_canonical_text_refuses_what_json_cannot_hold() -> None:
    looped: list[Any] = []
    looped.append(looped)
    for bad in ({"x": float("nan")}, {"x": object()}, looped, {1: "a", "b": 2}):
        with pytest.raises(CodecError, match="not JSON-serialisable"):
            canonical(bad)
    assert canonical({2: "b", 1: [_Text("a")]}) == '{"1":["a"],"2":"b"}'
