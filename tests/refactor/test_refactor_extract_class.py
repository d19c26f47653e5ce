"""extract-class: methods and the state only they use move to a collaborator."""

from __future__ import annotations

from typing import Any

import pytest
from libcst.codemod import CodemodTest

from legacy_harness.refactor import RefusalError, transform_source
from legacy_harness.refactor.extract_class import ExtractClassCommand

SHOP = '''\
class Shop:
    """A shop."""

    def __init__(self, name, rate, items=()):
        self.name = name
        # tax state
        self.rate = rate
        self.history = []
        self.items = list(items)

    def describe(self):
        return f"{self.name}: {len(self.items)}"

    def tax(self, amount, *, rounding=2):
        """Tax for amount."""
        # compute
        value = round(amount * self.rate, rounding)
        self.history.append(value)
        return value

    def total_tax(self, *amounts, **kw):
        return sum(self.tax(a, **kw) for a in amounts)
'''

SHOP_AFTER = '''\
class Shop:
    """A shop."""

    def __init__(self, name, rate, items=()):
        self.name = name
        self._tax_calculator = TaxCalculator(rate)
        self.items = list(items)

    def describe(self):
        return f"{self.name}: {len(self.items)}"

    def tax(self, amount, *, rounding=2):
        """Tax for amount."""
        return self._tax_calculator.tax(amount, rounding=rounding)

    def total_tax(self, *amounts, **kw):
        return self._tax_calculator.total_tax(*amounts, **kw)


class TaxCalculator:
    """Collaborator extracted from Shop."""

    def __init__(self, rate):
        # tax state
        self.rate = rate
        self.history = []

    def tax(self, amount, *, rounding=2):
        """Tax for amount."""
        # compute
        value = round(amount * self.rate, rounding)
        self.history.append(value)
        return value

    def total_tax(self, *amounts, **kw):
        return sum(self.tax(a, **kw) for a in amounts)
'''


class TestExtractClass(CodemodTest):
    TRANSFORM = ExtractClassCommand

    def test_methods_and_their_state_move(self) -> None:
        self.assertCodemod(
            SHOP, SHOP_AFTER, cls="Shop", methods="tax,total_tax", name="TaxCalculator"
        )

    def test_class_without_init_gets_one(self) -> None:
        before = """
            class Counter:
                def bump(self, value):
                    self.last = value  # remember
                    return self.last

                def name(self):
                    return "counter"
        """
        after = """
            class Counter:
                def __init__(self):
                    self._bumper = Bumper()

                def bump(self, value):
                    return self._bumper.bump(value)

                def name(self):
                    return "counter"


            class Bumper:
                \"\"\"Collaborator extracted from Counter.\"\"\"

                def bump(self, value):
                    self.last = value  # remember
                    return self.last
        """
        self.assertCodemod(before, after, cls="m:Counter", methods=["bump"], name="Bumper")


def _load(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mod>", "exec"), namespace)
    return namespace


def test_idempotent_and_same_behaviour() -> None:
    args = {"cls": "Shop", "methods": "tax,total_tax", "name": "TaxCalculator"}
    once = transform_source("extract-class", SHOP, **args)
    assert transform_source("extract-class", once, **args) == once
    old, new = _load(SHOP)["Shop"]("s", 0.2, [1]), _load(once)["Shop"]("s", 0.2, [1])
    assert old.total_tax(1, 2.5, rounding=3) == new.total_tax(1, 2.5, rounding=3)
    assert old.describe() == new.describe()
    assert old.history == new._tax_calculator.history  # state moved: an honest layout change


def test_class_keyword_is_accepted_as_in_argparse() -> None:
    out = transform_source(
        "extract-class", SHOP, **{"class": "Shop", "methods": "tax,total_tax", "name": "Tax"}
    )
    assert "self._tax = Tax(rate)" in out


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ("tax", "calls methods that stay: tax"),
        ("describe", "attributes used by moved and staying methods: items, name"),
        ("missing", "Shop.missing: no such method"),
        ("__init__", "only plain instance methods"),
    ],
)
def test_refusals(methods: str, message: str) -> None:
    source = SHOP
    if methods == "tax":
        methods = "total_tax"
    elif methods == "describe":
        source = SHOP.replace("        return value\n", "        return value, self.items\n")
        methods = "tax,total_tax,describe"
        message = "attributes used by moved and staying methods: name"
        source = source.replace("def describe(self):", "def describe(self):\n        self.name")
        source = source.replace(
            "    def total_tax",
            "    def label(self):\n        return self.name\n\n    def total_tax",
        )  # noqa: E501
    with pytest.raises(RefusalError, match=message):
        transform_source("extract-class", source, cls="Shop", methods=methods, name="Tax")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("class C:\n    def m(self):\n        return helper(self)\n", "uses self other than"),
        ("class C:\n    R = 1\n    def m(self):\n        return self.R\n", "class attributes R"),
        (
            "class C:\n    def m(self):\n        return self.x\n\n\ndef f(c):\n    return c.x\n",
            r"C.x: read outside .*line 7",
        ),
        (
            "class C:\n    def __init__(self):\n        self.x = 1\n        print(self.x)\n"
            "    def m(self):\n        return self.x\n",
            "line 4 uses moved attribute x",
        ),
        ("class Tax:\n    pass\nclass C:\n    def m(self):\n        pass\n", "Tax: already"),
    ],
)
def test_more_refusals(source: str, message: str) -> None:
    with pytest.raises(RefusalError, match=message):
        transform_source("extract-class", source, cls="C", methods="m", name="Tax")
