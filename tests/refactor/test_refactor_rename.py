"""rename: definitions, imports and references by qualified name, across files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from libcst.codemod import CodemodTest

from legacy_harness.refactor import (
    RefusalError,
    rename_target_spec,
    transform_files,
    transform_source,
    unified_diff,
)
from legacy_harness.refactor.rename import RenameCommand


class TestRename(CodemodTest):
    TRANSFORM = RenameCommand

    def test_function_and_references_strings_untouched(self) -> None:
        before = """
            \"\"\"calc is documented here.\"\"\"


            def calc(items):  # calc the sum
                return sum(items)


            def report(items):
                label = "calc"
                return label, calc(items), [calc]


            def shadowed():
                calc = 3
                return calc
        """
        after = """
            \"\"\"calc is documented here.\"\"\"


            def total(items):  # calc the sum
                return sum(items)


            def report(items):
                label = "calc"
                return label, total(items), [total]


            def shadowed():
                calc = 3
                return calc
        """
        self.assertCodemod(before, after, old="billing:calc", new="total")

    def test_method_via_self_cls_and_class(self) -> None:
        before = """
            class Cart:
                def add(self, x):
                    return x

                def twice(self, x):
                    return self.add(self.add(x))

                @classmethod
                def unbound(cls):
                    return cls.add, Cart.add
        """
        after = """
            class Cart:
                def add_item(self, x):
                    return x

                def twice(self, x):
                    return self.add_item(self.add_item(x))

                @classmethod
                def unbound(cls):
                    return cls.add_item, Cart.add_item
        """
        self.assertCodemod(before, after, old="shop:Cart.add", new="add_item")

    def test_class_rename(self) -> None:
        before = """
            class Cart:
                pass


            def make() -> Cart:
                return Cart()
        """
        after = """
            class Basket:
                pass


            def make() -> Basket:
                return Basket()
        """
        self.assertCodemod(before, after, old="shop:Cart", new="Basket")


def test_idempotent() -> None:
    source = "def calc():\n    return 1\n\n\nx = calc()\n"
    once = transform_source("rename", source, old="m:calc", new="total")
    assert "calc" not in once
    assert transform_source("rename", once, old="m:calc", new="total") == once


@pytest.mark.parametrize(
    ("source", "old", "message"),
    [
        ("def a():\n    pass\n\n\ndef b():\n    pass\n", "m:a", "b already exists"),
        ("def a():\n    pass\n\n\nb = 1\n", "m:a", "b already exists"),
        ("import os as b\n\n\ndef a():\n    pass\n", "m:a", "already bound"),
        (
            "def a():\n    pass\n\n\ndef f():\n    b = 1\n    return a() + b\n",
            "m:a",
            "would shadow",
        ),
        (
            "class C:\n    def a(self):\n        pass\n\n\ndef f(o):\n    return o.a()\n",
            "m:C.a",
            r"receivers whose type is unknown \(line 7\)",
        ),
        ("def x():\n    pass\n", "m:a", "not defined or referenced"),
    ],
)
def test_refusals(source: str, old: str, message: str) -> None:
    with pytest.raises(RefusalError, match=message):
        transform_source("rename", source, old=old, new="b")


def test_target_spec() -> None:
    assert rename_target_spec("pkg.mod:Cart.add", "add_item") == "pkg.mod:Cart.add_item"
    assert rename_target_spec("pkg.mod:calc", "total") == "pkg.mod:total"


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_across_files_with_aliases_and_relative_imports(tmp_path: Path) -> None:
    _write(tmp_path, "pkg/__init__.py", "")
    mod = _write(
        tmp_path,
        "pkg/mod.py",
        """
        class Cart:
            def add(self, x):
                return x


        def calc(items):
            return sum(items)
        """,
    )
    use = _write(
        tmp_path,
        "pkg/use.py",
        """
        import pkg.mod
        import pkg.mod as pm
        from pkg.mod import calc
        from pkg.mod import calc as c2
        from .mod import Cart, calc as rel
        from . import mod

        # calc is called below
        print("calc", calc(1), c2(2), pkg.mod.calc(3), pm.calc, rel, mod.calc)
        Cart().add(3)
        """,
    )
    paths = [mod, use]
    changes = transform_files("rename", paths, old="pkg.mod:calc", new="total")
    assert mod.read_text().count("calc") == 1  # pure: nothing written
    new_use = changes[use][1]
    assert "from pkg.mod import total\n" in new_use
    assert "from pkg.mod import total as c2" in new_use
    assert "from .mod import Cart, total as rel" in new_use
    assert '# calc is called below\nprint("calc", total(1), c2(2), pkg.mod.total(3)' in new_use
    assert "pm.total, rel, mod.total)" in new_use
    assert "def total(items):" in changes[mod][1]
    assert "+++ b/" in unified_diff(changes)
    # the method name is unique in the project, so Cart().add is renamed too
    changes = transform_files("rename", paths, old="pkg.mod:Cart.add", new="add_item")
    assert "Cart().add_item(3)" in changes[use][1]
    # applying and running again changes nothing
    for path, (_, new) in transform_files("rename", paths, old="pkg.mod:calc", new="total").items():
        path.write_text(new)
    assert transform_files("rename", paths, old="pkg.mod:calc", new="total") == {}


def test_ambiguous_method_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "shop.py", "class Cart:\n    def add(self):\n        pass\n")
    _write(tmp_path, "other.py", "class Set:\n    def add(self):\n        pass\n")
    user = _write(tmp_path, "user.py", "def f(thing):\n    thing.add()\n")
    paths = sorted(tmp_path.glob("*.py"))
    with pytest.raises(RefusalError, match=rf"{user}: .*line 2"):
        transform_files("rename", paths, old="shop:Cart.add", new="put")


CART = """\
class Cart:
    LIMIT = 3

    def __init__(self, items):
        self.items = list(items)
        self.status = "open"

    def pay(self):
        self.status = "paid"
        return len(self.items), self.status


def show(cart):
    return cart.status
"""


def test_an_instance_attribute_is_renamed_where_the_class_uses_it() -> None:
    after = transform_source("rename", CART, old="shop:Cart.status", new="state",
                             unique_attribute=True)  # fmt: skip
    assert after == CART.replace("status", "state")
    assert transform_source("rename", after, old="shop:Cart.status", new="state") == after
    with pytest.raises(RefusalError, match=r"name status is used on receivers .*\(line 14\)"):
        transform_source("rename", CART, old="shop:Cart.status", new="state")


def test_a_class_level_attribute_is_renamed() -> None:
    after = transform_source("rename", CART, old="shop:Cart.LIMIT", new="MAX")
    assert "    MAX = 3\n" in after and "LIMIT" not in after


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from dataclasses import dataclass\n\n\n@dataclass\n" + CART, "is decorated"),
        (CART.replace("LIMIT = 3", "__slots__ = ('items', 'status')"), "defines __slots__"),
        (
            CART + "\n\ndef peek(c):\n    return getattr(c, 'status')\n",
            "string 'status' on line 18",
        ),
        (CART.replace("self.items = list(items)", "self.state = 0"), "already has state"),
        (
            CART.replace(
                "    def pay", "    def __getattr__(self, n):\n        return n\n\n    def pay"
            ),
            "defines __getattr__",
        ),  # fmt: skip
        (
            CART.replace("class Cart:\n    LIMIT = 3", "class Cart(Base):\n    status = 3"),
            "has bases and binds status",
        ),  # fmt: skip
    ],
)
def test_attribute_renames_that_strings_or_machinery_could_break_are_refused(
    source: str, message: str
) -> None:
    with pytest.raises(RefusalError, match=message):
        transform_source("rename", source, old="shop:Cart.status", new="state",
                         unique_attribute=True)  # fmt: skip


def test_renamed_attribute_and_subclasses_are_found_in_the_source() -> None:
    from legacy_harness.refactor._common import subclass_names
    from legacy_harness.refactor.rename import renamed_attribute

    assert renamed_attribute(CART, "shop:Cart.status") == ("Cart", "status")
    assert renamed_attribute(CART, "shop:Cart.LIMIT") == ("Cart", "LIMIT")
    assert renamed_attribute(CART, "shop:Cart.pay") is None  # a method
    assert renamed_attribute(CART, "shop:Cart.missing") is None
    assert renamed_attribute(CART, "shop:show") is None
    family = CART + "\n\nclass Web(Cart):\n    pass\n\n\nclass Promo(m.Web, Web):\n    pass\n"
    assert subclass_names(family, "Cart") == ["Web", "Promo"]
    assert subclass_names(family, "Promo") == []
