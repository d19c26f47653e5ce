"""dedupe: two near-duplicates call one parameterised function."""

from __future__ import annotations

from typing import Any

import pytest
from libcst.codemod import CodemodTest

from legacy_harness.refactor import RefusalError, transform_source
from legacy_harness.refactor.dedupe import DedupeCommand

PRICES = '''\
VAT = 0.2
GST = 0.1


def uk_price(net, qty=1, *, rounding=2):
    """UK."""
    # gross it
    gross = net * (1 + VAT) * qty
    return round(gross, rounding), "GBP"


def au_price(amount, qty=1, *, rounding=2):
    """AU."""
    total = amount * (1 + GST) * qty
    return round(total, rounding), "AUD"
'''


class TestDedupe(CodemodTest):
    TRANSFORM = DedupeCommand

    def test_constants_and_globals_become_parameters(self) -> None:
        after = '''\
VAT = 0.2
GST = 0.1


def uk_price(net, qty=1, *, rounding=2):
    """UK."""
    return price_with_tax(VAT, "GBP", net, qty, rounding=rounding)


def au_price(amount, qty=1, *, rounding=2):
    """AU."""
    return price_with_tax(GST, "AUD", amount, qty, rounding=rounding)


def price_with_tax(vat, value2, net, qty=1, *, rounding=2):
    # gross it
    gross = net * (1 + vat) * qty
    return round(gross, rounding), value2
'''
        self.assertCodemod(PRICES, after, functions="uk_price,au_price", name="price_with_tax")

    def test_identical_up_to_local_names_and_formatting(self) -> None:
        before = """
            def a(xs, *args, **kw):
                out = [x * 2 for x in xs]
                return out, args, kw


            def b(ys, *rest, **options):
                res = [ y * 2 for y in ys ]
                return (res, rest, options)
        """
        after = """
            def a(xs, *args, **kw):
                return doubled(xs, *args, **kw)


            def b(ys, *rest, **options):
                return doubled(ys, *rest, **options)


            def doubled(xs, *args, **kw):
                out = [x * 2 for x in xs]
                return out, args, kw
        """
        self.assertCodemod(before, after, functions=["a", "b"], name="doubled")


def _load(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mod>", "exec"), namespace)
    return namespace


def test_idempotent_and_same_behaviour() -> None:
    args = {"functions": "uk_price,au_price", "name": "price_with_tax"}
    once = transform_source("dedupe", PRICES, **args)
    assert transform_source("dedupe", once, **args) == once
    old, new = _load(PRICES), _load(once)
    for fn in ("uk_price", "au_price"):
        assert old[fn](10, 3, rounding=1) == new[fn](10, 3, rounding=1)
        assert old[fn](7.5) == new[fn](7.5)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def a(x):\n    return x + 1\n\n\ndef b(x):\n    return x - 1\n",
            r"a line 2 and b line 6 diverge: 'x \+ 1' vs 'x - 1'",
        ),
        (
            "def a(x):\n    return x.real\n\n\ndef b(x):\n    return x.imag\n",
            "diverge",
        ),
        ("def a(x):\n    return x\n\n\ndef b(x, y):\n    return x\n", "different shapes"),
        ("def a(x=1):\n    return x\n\n\ndef b(x=2):\n    return x\n", "different defaults"),
        (
            "def a(x):\n    y = 1\n    return x + y\n\n\ndef b(x):\n    y = 1\n    return y + x\n",
            "diverge",
        ),
        ("def a(x):\n    yield x\n\n\ndef b(x):\n    yield x\n", "generator"),
        ("def a(x):\n    return x\n\n\ndef b(x):\n    x += 1\n    return x\n", "statements"),
        ("def new():\n    pass\n\n\ndef a():\n    pass\n\n\ndef b():\n    pass\n", "new: already"),
        ("class C:\n    def a(self):\n        pass\n\n\ndef b():\n    pass\n", "module-level"),
    ],
)
def test_refusals(source: str, message: str) -> None:
    funcs = "C.a,b" if "class C" in source else "a,b"
    with pytest.raises(RefusalError, match=message):
        transform_source("dedupe", source, functions=funcs, name="new")


def test_needs_two_functions() -> None:
    with pytest.raises(RefusalError, match="two different functions"):
        transform_source("dedupe", "def a():\n    pass\n", functions="a", name="new")
