"""extract-function: parameters and results from scope analysis, comments kept."""

from __future__ import annotations

from typing import Any

import pytest
from libcst.codemod import CodemodTest

from legacy_harness.refactor import RefusalError, transform_source
from legacy_harness.refactor.extract_function import ExtractFunctionCommand

REPORT = """\
def report(items, rate):
    \"\"\"Summarise.\"\"\"
    total = 0
    count = len(items)
    # sum the lines
    for item in items:
        total += item * rate  # taxed
    mean = total / count
    label = f"{mean:.2f}"
    return label, total
"""


class TestExtractFunction(CodemodTest):
    # note: CodemodTest strips the fixtures' leading newline, so line 1 is the first code line
    TRANSFORM = ExtractFunctionCommand

    def test_inputs_and_tuple_of_outputs(self) -> None:
        after = """\
def report(items, rate):
    \"\"\"Summarise.\"\"\"
    total = 0
    count = len(items)
    total, mean = summed(items, total, rate, count)
    label = f"{mean:.2f}"
    return label, total


def summed(items, total, rate, count):
    # sum the lines
    for item in items:
        total += item * rate  # taxed
    mean = total / count
    return total, mean
"""
        self.assertCodemod(REPORT, after, function="report", lines="5-8", name="summed")

    def test_comment_above_range_stays_at_call_site(self) -> None:
        after = """\
def report(items, rate):
    \"\"\"Summarise.\"\"\"
    total = 0
    count = len(items)
    # sum the lines
    total = add_up(items, total, rate)
    mean = total / count
    label = f"{mean:.2f}"
    return label, total


def add_up(items, total, rate):
    for item in items:
        total += item * rate  # taxed
    return total
"""
        self.assertCodemod(REPORT, after, function="report", lines="6-7", name="add_up")

    def test_method_using_self_becomes_method(self) -> None:
        before = """
            class Cart:
                def price(self, qty):
                    base = self.unit * qty  # gross
                    if qty > 10:
                        base = base * 0.9
                    return base
        """
        after = """
            class Cart:
                def price(self, qty):
                    base = self.gross(qty)
                    if qty > 10:
                        base = base * 0.9
                    return base

                def gross(self, qty):
                    base = self.unit * qty  # gross
                    return base
        """
        self.assertCodemod(before, after, function="Cart.price", lines="3", name="gross")

    def test_method_block_without_self_goes_to_module_and_keeps_old_value(self) -> None:
        before = """
            class Cart:
                def price(self, qty):
                    base = self.unit * qty
                    if qty > 10:
                        base = base * 0.9
                    return base
        """
        after = """
            class Cart:
                def price(self, qty):
                    base = self.unit * qty
                    base = discount(qty, base)
                    return base


            def discount(qty, base):
                if qty > 10:
                    base = base * 0.9
                return base
        """
        self.assertCodemod(before, after, function="Cart.price", lines="4-5", name="discount")

    def test_nested_block_inside_loop(self) -> None:
        before = """
            def f(xs):
                out = []
                for x in xs:
                    y = x * 2
                    out.append(y)
                return out
        """
        after = """
            def f(xs):
                out = []
                for x in xs:
                    double_into(x, out)
                return out


            def double_into(x, out):
                y = x * 2
                out.append(y)
        """
        self.assertCodemod(before, after, function="f", lines="4-5", name="double_into")


def _load(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mod>", "exec"), namespace)
    return namespace


def test_idempotent_and_same_behaviour() -> None:
    once = transform_source("extract-function", REPORT, function="report", lines="5-8", name="s")
    again = transform_source("extract-function", once, function="report", lines="5-8", name="s")
    assert again == once
    for items, rate in (([1, 2, 3], 0.5), ([4.0], 2)):
        assert _load(REPORT)["report"](items, rate) == _load(once)["report"](items, rate)


LOOP = """\
def f(xs):
    total = 0
    for x in xs:
        if x < 0:
            break
        total += x
    return total


def g():
    global N
    N = 1
    yield N
"""


@pytest.mark.parametrize(
    ("function", "lines", "message"),
    [
        ("f", "4-5", "breaks out of an enclosing loop"),
        ("f", "2-7", "returns"),
        ("f", "3-4", "do not cover whole statements"),
        ("g", "11-12", "declares global"),
        ("g", "12", "N is declared global"),
        ("g", "13", "yields"),
        ("f", "2", "f: already defined"),
        ("f", "9-1", "START <= END"),
    ],
)
def test_refusals(function: str, lines: str, message: str) -> None:
    name = "f" if "already" in message else "new"
    with pytest.raises(RefusalError, match=message):
        transform_source("extract-function", LOOP, function=function, lines=lines, name=name)
