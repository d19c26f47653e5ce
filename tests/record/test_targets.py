from __future__ import annotations

import sys

import pytest

from legacy_harness.errors import TargetError
from legacy_harness.record.targets import (
    KIND_CLASSMETHOD,
    KIND_FUNCTION,
    KIND_METHOD,
    KIND_STATICMETHOD,
    Patch,
    TargetSpec,
    function_copy,
    resolve,
)

SOURCE = """
def compute(x):
    return x * 2

class Cart:
    def checkout(self, coupon=None):
        return 1

    @classmethod
    def build(cls, rows):
        return cls()

    @staticmethod
    def round_money(x):
        return round(x, 2)

    class Policy:
        def max_discount(self, tier):
            return 0.1
"""


def test_parse_and_str_round_trip() -> None:
    spec = TargetSpec.parse("pkg.mod:Cart.checkout")
    assert (spec.module, spec.qualname, spec.package) == ("pkg.mod", "Cart.checkout", "pkg")
    assert str(spec) == "pkg.mod:Cart.checkout"


@pytest.mark.parametrize("text", ["billing", "billing:", ":f", "bill ing:f", "billing:Cart.1x"])
def test_parse_rejects_malformed_specs(text: str) -> None:
    with pytest.raises(TargetError, match="target"):
        TargetSpec.parse(text)


def test_resolve_kinds(make_module) -> None:
    mod = make_module(SOURCE)
    name = mod.__name__
    assert resolve(f"{name}:compute").kind == KIND_FUNCTION
    assert resolve(f"{name}:Cart.checkout").kind == KIND_METHOD
    assert resolve(f"{name}:Cart.build").kind == KIND_CLASSMETHOD
    assert resolve(f"{name}:Cart.round_money").kind == KIND_STATICMETHOD
    nested = resolve(f"{name}:Cart.Policy.max_discount")
    assert nested.kind == KIND_METHOD and nested.cls is mod.Cart.Policy


def test_unknown_target_names_closest_matches(make_module) -> None:
    mod = make_module(SOURCE)
    with pytest.raises(TargetError, match=rf"did you mean {mod.__name__}:Cart.checkout"):
        resolve(f"{mod.__name__}:Cart.chekout")
    with pytest.raises(TargetError, match=rf"did you mean {mod.__name__}:compute"):
        resolve(f"{mod.__name__}:compte")


def test_unknown_module_says_how_to_fix() -> None:
    with pytest.raises(TargetError, match="cannot be imported.*sys.path"):
        resolve("no_such_module_xyz:f")


def test_non_callable_target_is_refused(make_module) -> None:
    mod = make_module("RATE = 3\n")
    with pytest.raises(TargetError, match="not a function"):
        resolve(f"{mod.__name__}:RATE")


def test_patch_replaces_from_imports_and_undo_restores(make_module) -> None:
    mod = make_module(SOURCE)
    user = make_module(f"from {mod.__name__} import compute\n\ndef run():\n    return compute(2)\n")
    target = resolve(f"{mod.__name__}:compute")
    original = function_copy(target.function)
    calls = []

    def wrapper(x):
        calls.append(x)
        return original(x)

    patch = Patch(target, wrapper)
    patch.apply()
    assert user.run() == 4 and mod.compute(3) == 6
    assert calls == [2, 3]
    patch.undo()
    assert mod.compute is target.function and user.compute is target.function
    assert sys.modules[user.__name__].run() == 4 and calls == [2, 3]


def test_patch_method_variants(make_module) -> None:
    mod = make_module(SOURCE)
    seen = []
    for qualname in ("Cart.checkout", "Cart.build", "Cart.round_money"):
        target = resolve(f"{mod.__name__}:{qualname}")
        original = function_copy(target.function)

        def wrapper(*args, _f=original, _q=qualname, **kwargs):
            seen.append(_q)
            return _f(*args, **kwargs)

        patch = Patch(target, wrapper)
        patch.apply()
        cart = mod.Cart()
        if qualname == "Cart.checkout":
            assert cart.checkout() == 1
        elif qualname == "Cart.build":
            assert isinstance(mod.Cart.build([]), mod.Cart)
        else:
            assert cart.round_money(1.234) == 1.23
        patch.undo()
    assert seen == ["Cart.checkout", "Cart.build", "Cart.round_money"]
    assert isinstance(mod.Cart.__dict__["build"], classmethod)
    assert isinstance(mod.Cart.__dict__["round_money"], staticmethod)
