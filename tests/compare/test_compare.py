"""Tests of the comparison engine: policy rules, values, globs, targets, properties."""

from __future__ import annotations

import collections
import copy
import dataclasses
import datetime as dt
import enum
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePosixPath
from uuid import UUID

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from legacy_harness.compare import (
    DEFAULT_TOLERANCE,
    Difference,
    Policy,
    Tolerance,
    assert_close,
    compare,
    compare_observed,
    glob_to_regex,
    policy_from_config,
    ulp_distance,
)
from legacy_harness.compare.paths import (
    glob_specificity,
    internal_path,
    key_segment,
    names_literal_index,
    public_path,
)
from legacy_harness.compare.scrub import DATES, Scrubber
from legacy_harness.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def kinds(diffs: list[Difference]) -> list[tuple[str, str]]:
    return [(d.path, d.kind) for d in diffs]


def pol(**tol: object) -> Policy:
    return Policy().with_overrides(**tol)


# ---------------------------------------------------------------- tolerance basics


class TestTolerance:
    def test_merged_non_none_wins(self) -> None:
        t = Tolerance(rtol=1e-3, atol=1.0).merged(Tolerance(atol=2.0, exact=True))
        assert (t.rtol, t.atol, t.exact) == (1e-3, 2.0, True)

    def test_max_ulp_alone_means_ulps_only(self) -> None:
        t = Tolerance(max_ulp=3)
        assert (t.rtol, t.atol) == (0.0, 0.0)
        assert Tolerance(max_ulp=3, rtol=1e-6).atol is None

    def test_defaults(self) -> None:
        d = Policy().default
        assert d == DEFAULT_TOLERANCE
        assert (d.rtol, d.atol, d.nan_equal, d.signed_zero) == (1e-9, 0.0, True, False)


class TestFloats:
    def test_exact_types_exact(self) -> None:
        assert compare(1, 1) == [] and kinds(compare(1, 2)) == [("", "value")]
        assert compare("a", "a") == [] and compare(b"x", b"x") == []
        assert kinds(compare(b"x", b"y")) == [("", "value")]
        assert kinds(compare(True, False)) == [("", "value")]

    def test_default_rtol(self) -> None:
        assert compare(1.0, 1.0 + 1e-12) == []
        d = compare(1.0, 1.0 + 1e-6)
        assert kinds(d) == [("", "value")]
        assert d[0].abs_err == pytest.approx(1e-6) and d[0].rel_err == pytest.approx(1e-6)

    def test_rtol_relative_to_expected(self) -> None:
        assert compare(100.0, 101.0, pol(rtol=0.01)) == []
        assert compare(101.0, 100.0, pol(rtol=0.0099)) != []

    def test_atol(self) -> None:
        assert compare(0.0, 1e-12, pol(atol=1e-11)) == []
        d = compare(0.0, 1e-12)
        assert d[0].rel_err == math.inf

    @pytest.mark.parametrize("nan_equal,expect", [(True, 0), (False, 1)])
    def test_nan(self, nan_equal: bool, expect: int) -> None:
        assert len(compare(math.nan, math.nan, pol(nan_equal=nan_equal))) == expect
        arr = np.array([1.0, np.nan])
        assert len(compare(arr, arr.copy(), pol(nan_equal=nan_equal))) == expect

    def test_nan_vs_number(self) -> None:
        assert kinds(compare(math.nan, 1.0)) == [("", "value")]
        assert kinds(compare(np.array([np.nan]), np.array([1.0]))) == [("", "value")]

    @pytest.mark.parametrize("signed_zero,expect", [(False, 0), (True, 1)])
    def test_signed_zero(self, signed_zero: bool, expect: int) -> None:
        p = pol(signed_zero=signed_zero)
        assert len(compare(-0.0, 0.0, p)) == expect
        assert len(compare(np.array([1.0, -0.0]), np.array([1.0, 0.0]), p)) == expect

    def test_inf(self) -> None:
        inf = math.inf
        assert compare(inf, inf) == []
        assert kinds(compare(inf, -inf)) == [("", "value")]
        assert kinds(compare(inf, 1e308, pol(rtol=0.5))) == [("", "value")]
        arr = np.array([inf, -inf, 1.0])
        assert compare(arr, arr.copy()) == []
        assert len(compare(arr, np.array([-inf, -inf, 1.0]))) == 1
        # An expected inf must not swallow a finite actual through rtol * |inf| == inf.
        d = compare(np.array([inf, 1.0]), np.array([5.0, 1.0]), pol(rtol=0.5))
        assert d and d[0].detail["count"] == 1

    def test_exact_flag(self) -> None:
        assert compare(1.0, 1.0 + 1e-15, Policy(paths=(("**", Tolerance(exact=True)),))) != []
        arr = np.ones(3)
        assert compare(arr, arr + 1e-15, pol(exact=True)) != []

    def test_complex_by_parts(self) -> None:
        assert compare(1 + 1j, 1 + 1j) == []
        assert compare(1 + 1j, 1 + (1 + 1e-12) * 1j) == []
        assert kinds(compare(1 + 1j, 1 + 1.1j)) == [("", "value")]
        a = np.array([1 + 1j, 2 + 2j])
        b = a.copy()
        b[1] = 2 + 2.5j
        d = compare(a, b)
        assert d[0].detail["count"] == 1 and d[0].detail["worst_index"] == (1,)
        assert d[0].detail["max_abs"] == pytest.approx(0.5)

    def test_mixed_int_float(self) -> None:
        assert compare(1, 1.0) == []
        assert compare(3, 3.0 + 1e-12) == []
        assert kinds(compare(1, 1.5)) == [("", "value")]
        assert kinds(compare(1, 1.0, Policy(strict_number_types=True))) == [("", "type")]

    def test_bool_vs_int_is_type(self) -> None:
        assert kinds(compare(1, True)) == [("", "type")]
        assert kinds(compare([0], [False])) == [("[0]", "type")]

    def test_huge_ints(self) -> None:
        big = 10**400
        assert compare(big, big) == []
        d = compare(big, big + 1)
        assert kinds(d) == [("", "value")] and d[0].abs_err == 1.0
        assert kinds(compare(big, 1.0)) == [("", "value")]


class TestUlp:
    def test_ulp_distance_vectorised(self) -> None:
        x = np.array([1.0, -1.0, 0.0, -0.0, 5e-324])
        y = np.nextafter(x, np.inf)
        assert ulp_distance(x, y).tolist() == [1, 1, 1, 1, 1]
        assert ulp_distance(np.array([-5e-324]), np.array([5e-324])).tolist() == [2]
        assert ulp_distance(np.float32([1.0]), np.float32([1.0])).tolist() == [0]

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_max_ulp(self, dtype: type) -> None:
        one = dtype(1.0)
        three = np.nextafter(np.nextafter(np.nextafter(one, dtype(2)), dtype(2)), dtype(2))
        assert compare(one, three, pol(max_ulp=3)) == []
        assert compare(one, three, pol(max_ulp=2)) != []
        arr = np.full(4, one)
        assert compare(arr, np.full(4, three), pol(max_ulp=3)) == []
        assert compare(arr, np.full(4, three), pol(max_ulp=2)) != []

    def test_ulp_across_zero(self) -> None:
        tiny = 5e-324
        assert compare(-tiny, tiny, pol(max_ulp=2)) == []
        assert compare(-tiny, tiny, pol(max_ulp=1)) != []


# ---------------------------------------------------------------- containers & objects


@dataclasses.dataclass
class Item:
    name: str
    quality: float


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a: object, b: object) -> None:
        self.a, self.b = a, b


class Plain:
    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


class Color(enum.Enum):
    RED = 1
    BLUE = 2


Point = collections.namedtuple("Point", "x y")


class TestContainers:
    def test_dict_order_ignored_and_keys(self) -> None:
        assert compare({"a": 1, "b": 2}, {"b": 2, "a": 1}) == []
        d = compare({"a": 1, "b": 2}, {"a": 1, "c": 3})
        assert kinds(d) == [("b", "missing key"), ("c", "extra key")]

    def test_non_string_keys(self) -> None:
        d = compare({3: 1.0, (1, 2): "x", "a b": 1}, {3: 2.0, (1, 2): "y", "a b": 2})
        assert sorted(p for p, _ in kinds(d)) == ["['a b']", "[(1, 2)]", "[3]"]

    def test_list_order_and_length(self) -> None:
        assert kinds(compare([1, 2], [2, 1])) == [("[0]", "value"), ("[1]", "value")]
        d = compare([1, 2, 3], [1, 2])
        assert kinds(d) == [("", "length")] and d[0].detail["missing"] == [3]

    def test_unordered_with_duplicates(self) -> None:
        p = Policy(paths=(("items", Tolerance(unordered=True)),))
        assert compare({"items": [1, 2, 2, 3]}, {"items": [2, 3, 1, 2]}, p) == []
        d = compare({"items": [1, 1, 2]}, {"items": [1, 2, 2]}, p)
        assert sorted(k for _, k in kinds(d)) == ["extra key", "missing key"]
        # tolerant pairing of floats
        assert compare({"items": [1.0, 2.0]}, {"items": [2.0 + 1e-12, 1.0]}, p) == []
        d = compare({"items": [1.0, 2.0, 3.0]}, {"items": [3.0, 1.0, 2.5]}, p)
        assert kinds(d) == [("items[1]", "missing key"), ("items[2]", "extra key")]
        big = [float(i) for i in range(3000)]
        assert compare({"items": big}, {"items": big[::-1]}, p) == []

    def test_unordered_not_inherited(self) -> None:
        p = Policy(paths=(("items", Tolerance(unordered=True)),))
        d = compare({"items": [[1, 2]]}, {"items": [[2, 1]]}, p)
        assert kinds(d) == [("items[0]", "missing key"), ("items[0]", "extra key")]

    def test_sets(self) -> None:
        assert compare({1, 2, 3}, {3, 2, 1}) == []
        assert compare(frozenset({1.0}), frozenset({1.0 + 1e-12})) == []
        d = compare({1, 2}, {1, 3})
        assert sorted(kinds(d)) == [("{...}", "extra key"), ("{...}", "missing key")]
        assert kinds(compare({1}, {True})) != []

    def test_tuple_vs_list(self) -> None:
        assert compare((1, 2), [1, 2]) == []
        assert kinds(compare((1, 2), [1, 2], Policy(strict_sequence_types=True))) == [("", "type")]

    def test_cyclic(self) -> None:
        a: list[object] = [1]
        a.append(a)
        b: list[object] = [1]
        b.append(b)
        assert compare(a, b) == []
        c: dict[str, object] = {"x": 1.0}
        c["self"] = c
        d: dict[str, object] = {"x": 2.0}
        d["self"] = d
        assert kinds(compare(c, d)) == [("x", "value")]

    def test_objects(self) -> None:
        assert compare(Item("a", 1.0), Item("a", 1.0 + 1e-12)) == []
        assert kinds(compare(Item("a", 1.0), Item("a", 2.0))) == [("quality", "value")]
        assert kinds(compare(Item("a", 1.0), Plain(name="a", quality=1.0))) == [("", "type")]
        assert kinds(compare(Slotted(1, [2]), Slotted(1, [3]))) == [("b[0]", "value")]
        assert kinds(compare(Plain(a=1), Plain(b=1))) == [("a", "missing key"), ("b", "extra key")]

    def test_namedtuple(self) -> None:
        assert compare(Point(1, 2.0), Point(1, 2.0)) == []
        assert kinds(compare(Point(1, 2.0), Point(1, 3.0))) == [("y", "value")]
        assert kinds(compare(Point(1, 2), (1, 2))) == [("", "type")]

    def test_value_types_exact(self) -> None:
        values = [
            dt.datetime(2024, 3, 1, 12),
            dt.date(2024, 3, 1),
            dt.time(1, 2),
            dt.timedelta(3),
            Decimal("1.10"),
            Fraction(1, 3),
            UUID(int=5),
            PurePosixPath("a/b"),
            Color.RED,
        ]
        for v in values:
            assert compare(v, copy.deepcopy(v)) == [], v
        assert kinds(compare(Color.RED, Color.BLUE)) == [("", "value")]
        assert kinds(compare(Decimal("1.1"), Decimal("1.2"))) == [("", "value")]
        assert kinds(compare(dt.date(2024, 3, 1), dt.date(2024, 3, 2))) == [("", "value")]

    def test_unencodable_duck_typed(self) -> None:
        @dataclasses.dataclass(frozen=True)
        class Unencodable:
            type_name: str
            repr: str

        Unencodable.__module__ = "legacy_harness.store.codec"
        assert compare(Unencodable("g", "<g>"), Unencodable("g", "<g>")) == []
        assert kinds(compare(Unencodable("g", "<g>"), Unencodable("g", "<h>"))) == [("", "value")]

    def test_long_strings_get_unified_diff(self) -> None:
        d = compare("line1\nline2\n", "line1\nlineX\n")
        assert "-line2" in d[0].detail["diff"] and "+lineX" in d[0].detail["diff"]


# ---------------------------------------------------------------- numpy


class TestArrays:
    def test_shape(self) -> None:
        assert kinds(compare(np.zeros(3), np.zeros(4))) == [("", "shape")]
        assert kinds(compare(np.zeros((0, 3)), np.zeros((0, 4)))) == [("", "shape")]

    def test_empty_and_0d(self) -> None:
        assert compare(np.zeros(0), np.zeros(0)) == []
        assert compare(np.array(1.5), np.array(1.5)) == []
        d = compare(np.array(1.5), np.array(2.5))
        assert d[0].detail["worst_index"] == () and d[0].detail["count"] == 1

    def test_dtype_kind_strict(self) -> None:
        assert kinds(compare(np.arange(3), np.arange(3.0))) == [("", "dtype")]
        assert compare(np.arange(3), np.arange(3.0), Policy(strict_dtype_kind=False)) == []
        assert kinds(compare(np.array(["a"]), np.array([b"a"]))) == [("", "dtype")]

    def test_int_width(self) -> None:
        a32, a64 = np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int64)
        assert compare(a32, a64) == []
        assert kinds(compare(a32, a64, Policy(strict_int_width=True))) == [("", "dtype")]
        assert compare(np.int32(3), np.int64(3)) == []
        assert kinds(compare(np.int32(3), np.int64(3), Policy(strict_int_width=True))) == [
            ("", "dtype")
        ]
        assert compare(3, np.int64(3)) == []
        assert kinds(compare(3, np.int64(3), Policy(strict_int_width=True))) == [("", "dtype")]

    def test_exact_kinds(self) -> None:
        assert compare(np.array(["a", "b"]), np.array(["a", "b"])) == []
        d = compare(np.array([True, False]), np.array([True, True]))
        assert d[0].detail["count"] == 1 and d[0].detail["max_abs"] == 1.0
        d = compare(np.array(["a", "b"]), np.array(["a", "c"]))
        assert d[0].detail["worst_index"] == (1,) and d[0].detail["max_abs"] is None
        nat = np.array(["NaT", "2024-01-01"], dtype="M8[s]")
        assert compare(nat, nat.copy()) == []

    def test_summary(self) -> None:
        e = np.linspace(1, 2, 1000)
        a = e.copy()
        a[[3, 417, 900]] += [0.1, 0.31, 0.2]
        (d,) = compare(e, a)
        det = d.detail
        assert det["count"] == 3 and det["total"] == 1000 and det["share"] == 0.003
        assert det["worst_index"] == (417,) and det["max_abs"] == pytest.approx(0.31)
        assert det["worst_expected"] == e[417] and det["worst_actual"] == a[417]
        assert [f[0] for f in det["first"]] == [(3,), (417,), (900,)]
        assert d.abs_err == det["max_abs"] and d.rel_err == det["max_rel"]

    def test_multidim_and_noncontiguous(self) -> None:
        e = np.arange(24.0).reshape(4, 6)
        a = e.copy()
        a[2, 3] = 99
        (d,) = compare(e.T, a.T)
        assert d.detail["worst_index"] == (3, 2)

    def test_large_chunked(self) -> None:
        e = np.arange(100_003, dtype=np.float64)
        a = e.copy()
        a[[0, 50_000, 100_002]] += 1
        (d,) = compare(e, a)
        assert d.detail["count"] == 3

    def test_object_and_structured(self) -> None:
        e = np.array([1, "a", None], dtype=object)
        a = np.array([1, "b", None], dtype=object)
        assert kinds(compare(e, a)) == [("[1]", "value")]
        st_ = np.array([(1, 2.0)], dtype=[("i", "i4"), ("f", "f8")])
        other = st_.copy()
        other["f"] = 3.0
        assert kinds(compare(st_, other)) == [("['f']", "value")]

    def test_numpy_scalars(self) -> None:
        assert compare(np.float32(1.0), np.float32(1.0)) == []
        assert compare(np.float64(1.0), 1.0) == []
        assert kinds(compare(np.float64(1.0), np.int64(1))) == [("", "dtype")]
        assert kinds(compare(np.bool_(True), np.int64(1))) == [("", "type")]

    def test_array_vs_list_type(self) -> None:
        assert kinds(compare(np.zeros(2), [0.0, 0.0])) == [("", "type")]


# ---------------------------------------------------------------- globs and policy


class TestGlobs:
    @pytest.mark.parametrize(
        "glob,path,hit",
        [
            ("outcome.metrics.*.loss", "outcome.metrics.train.loss", True),
            ("outcome.metrics.*.loss", "outcome.metrics.a.b.loss", False),
            ("outcome.metrics.*.loss", "outcome.metrics[3].loss", True),
            ("effects.self.items[*].quality", "effects.self.items[2].quality", True),
            ("effects.self.items[*].quality", "effects.self.items.x.quality", False),
            ("**.score", "score", True),
            ("**.score", "a.b[3].score", True),
            ("**.score", "a.scores", False),
            ("outcome.**", "outcome", True),
            ("outcome.**", "outcome.x[1]", True),
            ("a.**.b", "a.b", True),
            ("loss_*", "loss_train", True),
            ("loss_*", "loss", False),
            ("[3]", "[3]", True),
            ("['a b']", "['a b']", True),
            ("tags{...}", "tags{...}", True),
        ],
    )
    def test_matching(self, glob: str, path: str, hit: bool) -> None:
        assert bool(glob_to_regex(glob).fullmatch(internal_path(path))) is hit

    def test_path_forms_and_segments(self) -> None:
        assert internal_path("outcome.x") == ".outcome.x" and internal_path("[3].y") == "[3].y"
        assert public_path(".outcome.x") == "outcome.x" and public_path("[3]") == "[3]"
        assert [key_segment(k) for k in ("name", "a b", 3, (1, "x"))] == [
            ".name",
            "['a b']",
            "[3]",
            "[(1, 'x')]",
        ]
        assert names_literal_index("rows[2].v") and not names_literal_index("rows[*].v")
        ranked = sorted(["a.b", "**", "a.*", "a.**"], key=glob_specificity)
        assert ranked == ["**", "a.**", "a.*", "a.b"]
        with pytest.raises(ValueError, match=r"unclosed '\[' in 'a\['; close it"):
            glob_to_regex("a[")

    def test_paths_in_compare(self) -> None:
        e = {"metrics": {"train": {"loss": 1.0, "acc": 1.0}, "val": {"loss": 1.0}}}
        a = {"metrics": {"train": {"loss": 1.01, "acc": 1.01}, "val": {"loss": 1.01}}}
        p = Policy(paths=(("metrics.*.loss", Tolerance(rtol=0.1)),))
        assert kinds(compare(e, a, p)) == [("metrics.train.acc", "value")]

    def test_container_tolerance_inherited(self) -> None:
        p = Policy(paths=(("metrics", Tolerance(rtol=0.1)),))
        assert compare({"metrics": [1.0, {"x": 2.0}]}, {"metrics": [1.01, {"x": 2.01}]}, p) == []

    def test_specificity_and_order(self) -> None:
        loose = Tolerance(rtol=0.1)
        strict = Tolerance(rtol=0.0)
        p = Policy(paths=(("a.b", strict), ("**", loose)))
        assert compare({"a": {"b": 1.0}}, {"a": {"b": 1.01}}, p) != []  # specific wins
        p2 = Policy(paths=(("a.*", loose), ("a.*", strict)))
        assert compare({"a": {"b": 1.0}}, {"a": {"b": 1.01}}, p2) != []  # later wins

    def test_literal_index_glob(self) -> None:
        p = Policy(paths=(("x[1]", Tolerance(rtol=0.1)),))
        d = compare({"x": [1.0, 1.0, 1.0]}, {"x": [1.01, 1.01, 1.01]}, p)
        assert [x.path for x in d] == ["x[0]", "x[2]"]
        p2 = Policy(paths=(("x[*]", Tolerance(rtol=0.1)),))
        assert compare({"x": [1.0, [1.0]]}, {"x": [1.01, [1.01]]}, p2) == []

    def test_rules_cached_across_calls(self) -> None:
        p = Policy(paths=(("rows[*].v", Tolerance(rtol=0.1)),))
        e = {"rows": [{"v": 1.0, "w": 1.0} for _ in range(3)]}
        for _ in range(2):
            loose = {"rows": [{"v": 1.01, "w": 1.0} for _ in range(3)]}
            assert kinds(compare(e, loose, p)) == []
            strict = {"rows": [{"v": 1.0, "w": 1.01} for _ in range(3)]}
            assert [x.path for x in compare(e, strict, p)] == [
                "rows[0].w",
                "rows[1].w",
                "rows[2].w",
            ]

    def test_shared_pair_reported_once_at_its_first_path(self) -> None:
        row, other = {"v": 1.0, "w": 1.0}, {"v": 1.0, "w": 1.01}
        diffs = compare({"rows": [row] * 3, "last": row}, {"rows": [other] * 3, "last": other})
        assert [x.path for x in diffs] == ["rows[0].w"]
        # only a pair shared on both sides is one pair: distinct actual rows are each compared
        distinct = {"rows": [dict(other) for _ in range(3)], "last": dict(other)}
        assert len(compare({"rows": [row] * 3, "last": row}, distinct)) == 4

    def test_ignore(self) -> None:
        p = Policy(paths=(("**.id", Tolerance(ignore=True)),))
        assert compare({"x": [{"id": 1, "v": 2}]}, {"x": [{"id": 9, "v": 2}]}, p) == []

    def test_per_type(self) -> None:
        p = Policy(types=(("float32", Tolerance(rtol=1e-3)),))
        assert compare(np.float32(1.0), np.float32(1.0001), p) == []
        assert compare(np.ones(3, np.float32), np.full(3, 1.0001, np.float32), p) == []
        assert compare(1.0, 1.0001, p) != []
        p2 = Policy(types=((f"{__name__}:Item", Tolerance(rtol=0.1)),))
        assert compare(Item("a", 1.0), Item("a", 1.01), p2) == []

    def test_path_beats_type(self) -> None:
        p = Policy(types=(("float", Tolerance(rtol=0.5)),), paths=(("x", Tolerance(rtol=0.0)),))
        assert compare({"x": 1.0, "y": 1.0}, {"x": 1.1, "y": 1.1}, p) == [
            Difference("x", "value", 1.0, 1.1, abs(1.1 - 1.0), abs(1.1 - 1.0))
        ]

    def test_per_target(self) -> None:
        p = Policy(targets=(("pkg.*:train", Policy(default=Tolerance(rtol=0.1))),))
        e, a = {"outcome": 1.0}, {"outcome": 1.01}
        assert compare_observed(e, a, p, target="pkg.mod:train") == []
        assert compare_observed(e, a, p, target="pkg.mod:other") != []
        assert compare_observed(e, a, p) != []

    def test_with_overrides_paths_mapping(self) -> None:
        p = Policy().with_overrides(paths={"x": {"rtol": 0.1}}, strict_sequence_types=True)
        assert p.strict_sequence_types and compare({"x": 1.0}, {"x": 1.05}, p) == []
        with pytest.raises(TypeError):
            Policy().with_overrides(bogus=1)


class TestFromConfig:
    def test_full_table(self) -> None:
        table = tomllib.loads(
            """
            rtol = 1e-6
            atol = 1e-12
            strict_int_width = true
            store = "tests/golden"
            scrub = ["dates", { path = "outcome.id", pattern = "id-\\\\d+", replacement = "id" }]
            [tolerances]
            "outcome.metrics.*.loss" = { rtol = 1e-3 }
            "outcome.tags" = { unordered = true }
            "outcome.debug" = { ignore = true }
            [type_tolerances]
            float32 = { max_ulp = 4 }
            [targets."pkg.mod:func"]
            rtol = 0.5
            [targets."pkg.mod:func".tolerances]
            "outcome.x" = { exact = true }
            """
        )
        p = policy_from_config(table)
        assert p.default.rtol == 1e-6 and p.default.atol == 1e-12 and p.strict_int_width
        assert p.default.nan_equal is True
        assert dict(p.paths)["outcome.tags"].unordered is True
        assert dict(p.types)["float32"].max_ulp == 4
        assert len(p.scrubbers) == 2 and p.scrubbers[0] is DATES
        t = p.for_target("pkg.mod:func")
        assert t.default.rtol == 0.5 and t.default.atol == 1e-12 and t.strict_int_width
        assert dict(t.paths)["outcome.x"].exact is True
        ok = compare_observed({"outcome": {"id": "id-1"}}, {"outcome": {"id": "id-2"}}, p)
        assert ok == []

    @pytest.mark.parametrize(
        "table,needle",
        [
            ({"rtol": -1}, "rtol"),
            ({"rtol": "x"}, "rtol"),
            ({"nan_equal": 1}, "nan_equal"),
            ({"max_ulp": 1.5}, "max_ulp"),
            ({"rtoll": 1e-6}, "did you mean 'rtol'"),
            ({"tolerances": {"x": {"rtl": 1}}}, "rtl"),
            ({"tolerances": {"x": 3}}, "inline table"),
            ({"tolerances": {"a[": {"rtol": 1}}}, "glob"),
            ({"scrub": ["nope"]}, "nope"),
            ({"scrub": [{"pattern": "("}]}, "regex"),
            ({"scrub": [{"path": "x"}]}, "pattern"),
            ({"scrub": [{"path": "a[", "builtin": "dates"}]}, "scrub[0].path: bad path glob"),
            ({"targets": {"a:b": {"bogus": 1}}}, "bogus"),
            ({"targets": {"a:b": {"targets": {}}}}, "nest"),
        ],
    )
    def test_errors(self, table: dict[str, object], needle: str) -> None:
        with pytest.raises(ConfigError, match=None) as info:
            policy_from_config(table)
        msg = str(info.value)
        assert needle in msg and "\n" not in msg

    def test_other_settings_are_left_alone(self) -> None:
        assert policy_from_config({"store": "x", "redact": {}}) == Policy()
        with pytest.raises(ConfigError, match="targets.\"a:b\": unknown key 'store'"):
            policy_from_config({"targets": {"a:b": {"store": "x"}}})

    def test_errors_name_the_key_under_where(self) -> None:
        with pytest.raises(ConfigError) as info:
            policy_from_config({"tolerances": {"x": {"rtol": -1}}}, where="pyproject.toml: x")
        assert str(info.value).startswith('pyproject.toml: x.tolerances."x".rtol = -1 is invalid')


# ---------------------------------------------------------------- observed views


class TestObserved:
    def test_paths_and_effects(self) -> None:
        e = {"outcome": {"total": 1.0}, "effects": {"self": {"items": [Item("a", 1.0)]}}}
        a = {"outcome": {"total": 2.0}, "effects": {"self": {"items": [Item("a", 2.0)]}}}
        assert kinds(compare_observed(e, a)) == [
            ("outcome.total", "value"),
            ("effects.self.items[0].quality", "value"),
        ]

    def test_exception_changed(self) -> None:
        raised = {"type": "builtins.ValueError", "message": "bad", "args": ("bad",)}
        assert kinds(compare_observed({"outcome": 1}, {"raised": raised})) == [
            ("raised", "exception changed")
        ]
        other = dict(raised, type="builtins.KeyError")
        assert kinds(compare_observed({"raised": raised}, {"raised": other})) == [
            ("raised", "exception changed")
        ]
        same_type = dict(raised, message="worse", args=("worse",))
        assert kinds(compare_observed({"raised": raised}, {"raised": same_type})) == [
            ("raised.message", "value"),
            ("raised.args[0]", "value"),
        ]

    def test_output_changed(self) -> None:
        d = compare_observed({"stdout": "a\nb\n"}, {"stdout": "a\nc\n"})
        assert kinds(d) == [("stdout", "output changed")]
        assert "-b" in d[0].detail["diff"] and "+c" in d[0].detail["diff"]
        logs_e = [{"level": "INFO", "logger": "x", "message": "at 2024-01-01 10:00:00"}]
        logs_a = [{"level": "INFO", "logger": "x", "message": "at 2025-02-02 11:00:00"}]
        assert kinds(compare_observed({"logs": logs_e}, {"logs": logs_a})) == [
            ("logs", "output changed")
        ]
        p = Policy(scrubbers=(DATES,))
        assert compare_observed({"logs": logs_e}, {"logs": logs_a}, p) == []
        assert compare_observed({"stderr": "t=2024-01-01"}, {"stderr": "t=2025-01-01"}, p) == []

    def test_missing_effect(self) -> None:
        d = compare_observed({"effects": {"cart": [1]}}, {"effects": {}})
        assert kinds(d) == [("effects.cart", "missing key")]


# ---------------------------------------------------------------- scrubbers in compare


def test_scrubbers_both_sides_and_per_path() -> None:
    p = Policy(scrubbers=(Scrubber(pattern=r"\d+", replacement="N", path="a"),))
    assert compare({"a": "x1", "b": "x1"}, {"a": "x2", "b": "x1"}, p) == []
    assert kinds(compare({"a": "x1", "b": "x1"}, {"a": "x1", "b": "x2"}, p)) == [("b", "value")]
    f = Scrubber(func=lambda v: round(v) if isinstance(v, float) else v)
    assert compare([1.2, "a"], [0.9, "a"], Policy(scrubbers=(f,))) == []


# ---------------------------------------------------------------- assert_close


def test_assert_close_message() -> None:
    assert_close({"x": [1.0, 2.0]}, {"x": [1.0, 2.0 + 1e-12]})
    with pytest.raises(AssertionError) as info:
        assert_close({"total": 105.0}, {"total": 104.5})
    msg = str(info.value)
    assert "total: value differs" in msg and "104.5" in msg and "105.0" in msg
    assert_close({"total": 105.0}, {"total": 104.5}, rtol=0.01)
    assert_close({"t": 1.01}, {"t": 1.0}, paths={"t": Tolerance(rtol=0.1)})
    assert_close(1.0 + 2e-16, 1.0, max_ulp=1)
    with pytest.raises(AssertionError):
        assert_close(1.0 + 1e-12, 1.0, max_ulp=1)


# ---------------------------------------------------------------- pandas


def test_pandas() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"loss": [1.0, 2.0], "name": ["a", "b"], "n": [1, 2]})
    assert compare(df, df.copy()) == []
    other = df.copy()
    other["loss"] = [1.0, 2.001]
    assert kinds(compare(df, other)) == [("loss", "value")]
    p = Policy(paths=(("loss", Tolerance(rtol=1e-2)),))
    assert compare(df, other, p) == []  # per-column tolerance
    assert kinds(compare(df, df.drop(columns=["n"]))) == [("n", "missing key")]
    assert kinds(compare(df, df[["name", "loss", "n"]])) == [("columns", "value")]
    assert kinds(compare(df, df.set_index(pd.Index([5, 6])))) == [("index", "value")]
    assert kinds(compare(df, df.astype({"n": "float64"}))) == [("n", "dtype")]
    s = pd.Series([1.0, np.nan], name="s")
    assert compare(s, s.copy()) == []
    assert kinds(compare(s, s.rename("t"))) == [("name", "value")]
    assert kinds(compare(s, pd.Series([1.0, 3.0], name="s"))) == [("", "value")]
    cat = pd.Series(["a", "b"], dtype="category")
    assert kinds(compare(cat, pd.Series(["a", "b"]))) == [("", "dtype")]
    na = pd.Series([1, None], dtype="Int64")
    assert compare(na, na.copy()) == []


# ---------------------------------------------------------------- properties

_floats = st.floats(allow_nan=True, allow_infinity=True)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | _floats
    | st.complex_numbers(allow_nan=True)
    | st.text(max_size=20)
    | st.binary(max_size=10)
    | hnp.arrays(
        dtype=hnp.floating_dtypes() | hnp.integer_dtypes() | hnp.boolean_dtypes(),
        shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
    )
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)
        | st.frozensets(st.integers() | st.text(max_size=3), max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_values)
def test_value_matches_its_copy(x: object) -> None:
    assert compare(x, copy.deepcopy(x)) == []


_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_finite, min_size=1, max_size=5),
    st.lists(_finite, min_size=5, max_size=5),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_rtol_atol_monotone(e: list[float], noise: list[float], r1: float, extra: float) -> None:
    a = [x + n * 1e-3 for x, n in zip(e, noise, strict=False)]
    r2 = r1 + extra
    for x, y in ((e, a), (np.array(e), np.array(a))):
        if compare(x, y, pol(rtol=r1 * 1e-6, atol=0.0)) == []:
            assert compare(x, y, pol(rtol=r2 * 1e-6, atol=0.0)) == []
        if compare(x, y, pol(rtol=0.0, atol=r1)) == []:
            assert compare(x, y, pol(rtol=0.0, atol=r2)) == []


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(np.float32, 4, elements=st.floats(-1e3, 1e3, width=32)),
    st.lists(st.integers(-20, 20), min_size=4, max_size=4),
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_max_ulp_monotone(e: np.ndarray, steps: list[int], u1: int, extra: int) -> None:
    a = e.copy()
    for i, s in enumerate(steps):
        for _ in range(abs(s)):
            a[i] = np.nextafter(a[i], np.float32(np.inf if s > 0 else -np.inf))
    if compare(e, a, pol(max_ulp=u1)) == []:
        assert compare(e, a, pol(max_ulp=u1 + extra)) == []
    assert (compare(e, a, pol(max_ulp=int(ulp_distance(e, a).max()))) == []) is True
