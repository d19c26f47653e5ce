"""Targets at every grain: a module, a class, a package walk, globs, and exclusions."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from legacy_harness.config import config_from_table
from legacy_harness.errors import TargetError
from legacy_harness.record.targets import (
    KIND_CLASSMETHOD,
    KIND_METHOD,
    KIND_STATICMETHOD,
    expand,
    resolve,
)
from legacy_harness.store.layout import TargetPattern

BILLING = """
import functools
from dataclasses import dataclass
from os.path import join


def compute_tax(x):
    return x * 0.2


def compute_total(x):
    return x + compute_tax(x)


def helper():
    return 1


alias = helper


def lines(n):
    yield from range(n)


@functools.lru_cache
def cached_rate(region):
    return 0.2


@dataclass
class Product:
    name: str
    price: float

    def __eq__(self, other):
        return self.name == getattr(other, "name", None)

    __hash__ = None

    def __repr__(self):
        return self.name

    @property
    def label(self):
        return self.name.upper()

    @staticmethod
    def make(name):
        return Product(name, 1.0)

    @classmethod
    def build(cls, name):
        return cls(name, 2.0)

    class Pricing:
        def rate(self):
            return 3


class Cart:
    def __init__(self):
        self.items = []

    def __call__(self, x):
        return x

    def add(self, item):
        self.items.append(item)
"""


def names(specs) -> list[str]:
    return [str(spec) for spec in specs]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package ``shopkit`` with a module, a sub-package, and a __main__ that must not run."""
    root = tmp_path / "shopkit"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "billing.py").write_text(textwrap.dedent(BILLING))
    (root / "sub" / "__init__.py").write_text("def top():\n    return 0\n")
    (root / "sub" / "orders.py").write_text(
        "class Order:\n    def __init__(self, n):\n        self.n = n\n\n"
        "    def total(self):\n        return self.n\n"
    )
    (root / "__main__.py").write_text("raise SystemExit('the walk ran __main__')\n")
    (root / "broken.py").write_text("raise RuntimeError('imported an excluded module')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "shopkit"
    for name in [n for n in sys.modules if n == "shopkit" or n.startswith("shopkit.")]:
        del sys.modules[name]


def test_pattern_parse_and_match_by_name() -> None:
    module = TargetPattern.parse("billing")
    assert module.matches("billing:compute") and module.matches("billing:Cart.add")
    assert not module.matches("billing2:compute") and not module.matches("pkg.billing:f")
    cls = TargetPattern.parse("shop:Cart")
    assert cls.matches("shop:Cart.__init__") and not cls.matches("shop:CartItem.add")
    glob = TargetPattern.parse("billing:compute_*")
    assert glob.matches("billing:compute_tax") and not glob.matches("billing:helper")
    walk = TargetPattern.parse("pkg.**")
    assert walk.matches("pkg:f") and walk.matches("pkg.a.b:C.m") and not walk.matches("pkgx:f")
    star = TargetPattern.parse("pkg.*:*")
    assert star.matches("pkg.a:f") and not star.matches("pkg.a.b:f") and not star.matches("pkg:f")
    assert not TargetPattern.parse("shop:Cart.add").glob and star.glob


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (":f", "names no module"),
        ("billing:", "names no module"),
        ("bill ing", "neither a Python identifier"),
        ("billing:Cart..add", "neither a Python identifier"),
        ("billing:**", "module part only"),
        ("pkg.**.x.**", "once"),
        ("pkg.a**", "once"),
    ],
)
def test_pattern_parse_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        TargetPattern.parse(text)


def test_module_grain_takes_every_function_and_method_defined_there(package: str) -> None:
    selection = expand([f"{package}.billing"])
    assert names(selection.specs) == [
        f"{package}.billing:{name}"
        for name in (
            "Cart.__call__",
            "Cart.__init__",
            "Cart.add",
            "Product.Pricing.rate",
            "Product.__init__",  # the dataclass's generated constructor
            "Product.build",
            "Product.label",
            "Product.make",
            "compute_tax",
            "compute_total",
            "helper",
        )
    ]  # not: join (imported), alias (a second name), __eq__/__repr__ (the harness calls them)
    assert sorted(selection.skipped) == [f"{package}.billing:{n}" for n in ("cached_rate", "lines")]
    assert "generator" in selection.skipped[f"{package}.billing:lines"]
    assert (
        "_lru_cache_wrapper around a function"
        in selection.skipped[f"{package}.billing:cached_rate"]
    )


def test_class_grain_and_the_kinds_it_resolves_to(package: str) -> None:
    specs = names(expand([f"{package}.billing:Product"]).specs)
    assert [s.split(":")[1] for s in specs] == [
        "Product.Pricing.rate",
        "Product.__init__",
        "Product.build",
        "Product.label",
        "Product.make",
    ]
    kinds = {s.split(":")[1]: resolve(s).kind for s in specs}
    assert kinds["Product.build"] == KIND_CLASSMETHOD
    assert kinds["Product.make"] == KIND_STATICMETHOD
    assert kinds["Product.label"] == kinds["Product.__init__"] == KIND_METHOD
    getter = resolve(f"{package}.billing:Product.label")
    product = sys.modules[f"{package}.billing"].Product("tea", 1.0)
    assert getter.bound_callable(product)() == "TEA"


def test_a_special_method_named_exactly_is_taken(package: str) -> None:
    assert names(expand([f"{package}.billing:Product.__eq__"]).specs) == [
        f"{package}.billing:Product.__eq__"
    ]


def test_globs_and_package_walks(package: str) -> None:
    assert names(expand([f"{package}.billing:compute_*"]).specs) == [
        f"{package}.billing:compute_tax",
        f"{package}.billing:compute_total",
    ]
    walked = names(expand([f"{package}.**"], [f"{package}.broken"]).specs)
    assert f"{package}.sub:top" in walked
    assert f"{package}.sub.orders:Order.__init__" in walked
    assert f"{package}.billing:Cart.add" in walked
    one_level = names(expand([f"{package}.*:*"], [f"{package}.broken"]).specs)
    assert f"{package}.sub:top" in one_level
    assert not any(s.startswith(f"{package}.sub.orders:") for s in one_level)
    assert f"{package}.__main__" not in sys.modules  # a walk never runs the program


def test_exclude_by_module_class_or_glob(package: str) -> None:
    selection = expand(
        [f"{package}.**"],
        [f"{package}.broken", f"{package}.billing:Product", f"{package}.*:compute_*"],
    )
    chosen = names(selection.specs)
    assert f"{package}.billing:helper" in chosen
    assert not any("Product" in s or "compute_" in s for s in chosen)
    assert f"{package}.broken" not in sys.modules  # excluded whole: never imported


def test_an_excluded_generator_is_not_reported_as_skipped(package: str) -> None:
    selection = expand([f"{package}.billing"], [f"{package}.billing:lines", "**:cached_*"])
    assert selection.skipped == {}


def test_a_module_that_fails_to_import_names_itself(package: str) -> None:
    with pytest.raises(TargetError, match=rf"{package}.broken.*RuntimeError"):
        expand([f"{package}.**"])


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("shopkit.billing:nothing_*", "matches no function or method"),
        ("shopkit.nowhere.*", "cannot be found"),
        ("shopkit.billing:Prodct", "did you mean shopkit.billing:Product"),
    ],
)
def test_a_pattern_that_matches_nothing_is_an_error(
    package: str, pattern: str, message: str
) -> None:
    with pytest.raises(TargetError, match=message):
        expand([pattern])


def test_a_top_level_glob_walks_only_the_project_folders(package: str, tmp_path: Path) -> None:
    config = config_from_table({}, root=tmp_path)
    with pytest.raises(TargetError, match="matches no function"):
        expand(["*"], config=config)  # top-level modules only: shopkit/__init__ defines none
    walked = names(expand(["**"], ["shopkit.broken"], config=config).specs)
    assert walked and all(s.startswith("shopkit") for s in walked)


def test_a_class_named_where_one_function_is_expected_says_what_to_do(package: str) -> None:
    with pytest.raises(TargetError, match="is a class.*all its methods"):
        resolve(f"{package}.billing:Cart")
