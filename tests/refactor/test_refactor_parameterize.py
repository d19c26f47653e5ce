"""parameterize: seams for globals, clocks, environment and resource factories."""

from __future__ import annotations

import textwrap
import time
from typing import Any

import pytest
from libcst.codemod import CodemodTest

from legacy_harness.refactor import RefusalError, transform_source
from legacy_harness.refactor.parameterize import ParameterizeCommand


class TestParameterize(CodemodTest):
    TRANSFORM = ParameterizeCommand

    def test_constant_assigned_once_becomes_direct_default(self) -> None:
        before = """
            TAX_RATE = 0.2  # statutory


            def total(net):
                \"\"\"Gross amount.\"\"\"
                # apply tax
                return net * (1 + TAX_RATE)
        """
        after = """
            TAX_RATE = 0.2  # statutory


            def total(net, *, tax_rate=TAX_RATE):
                \"\"\"Gross amount.\"\"\"
                # apply tax
                return net * (1 + tax_rate)
        """
        self.assertCodemod(before, after, function="total", name="TAX_RATE")

    def test_reassigned_global_uses_none_sentinel(self) -> None:
        before = """
            RATE = 1


            def total(net, **options):
                \"\"\"Doc.\"\"\"
                return net * RATE


            def set_rate(value):
                global RATE
                RATE = value
        """
        after = """
            RATE = 1


            def total(net, *, rate=None, **options):
                \"\"\"Doc.\"\"\"
                if rate is None:
                    rate = RATE
                return net * rate


            def set_rate(value):
                global RATE
                RATE = value
        """
        self.assertCodemod(before, after, function="total", name="RATE")

    def test_clock_call_becomes_callable_param(self) -> None:
        before = """
            from datetime import datetime


            class Invoice:
                def stamp(self):
                    return datetime.now().isoformat()  # local time
        """
        after = """
            from datetime import datetime


            class Invoice:
                def stamp(self, *, now=datetime.now):
                    return now().isoformat()  # local time
        """
        self.assertCodemod(before, after, function="Invoice.stamp", name="datetime.datetime.now")

    def test_environ_mapping_and_connection_factory(self) -> None:
        before = """
            import os
            import sqlite3


            def load(key):
                home = os.environ.get("HOME", "")
                db = sqlite3.connect(os.environ["DB"])
                return home, db
        """
        after = """
            import os
            import sqlite3


            def load(key, *, environ=os.environ):
                home = environ.get("HOME", "")
                db = sqlite3.connect(environ["DB"])
                return home, db
        """
        self.assertCodemod(before, after, function="load", name='os.environ["DB"]')
        after_connect = """
            import os
            import sqlite3


            def load(key, *, connect=sqlite3.connect):
                home = os.environ.get("HOME", "")
                db = connect(os.environ["DB"])
                return home, db
        """
        self.assertCodemod(before, after_connect, function="load", name="sqlite3.connect")

    def test_open_builtin(self) -> None:
        before = """
            def read(path):
                with open(path) as fh:
                    return fh.read()
        """
        after = """
            def read(path, *, open_file=open):
                with open_file(path) as fh:
                    return fh.read()
        """
        self.assertCodemod(before, after, function="read", name="open")


SOURCE = textwrap.dedent(
    """
    import time

    RATE = 2
    LIMIT = 10


    def bump():
        global RATE
        RATE += 1


    def compute(x):
        started = time.time()
        return min(x * RATE, LIMIT), time.time() >= started
    """
)


@pytest.mark.parametrize("name", ["RATE", "LIMIT", "time.time"])
def test_idempotent(name: str) -> None:
    once = transform_source("parameterize", SOURCE, function="compute", name=name)
    assert once != SOURCE
    assert transform_source("parameterize", once, function="compute", name=name) == once


def _load(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mod>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", ["RATE", "LIMIT", "time.time"])
def test_bit_identical_including_later_reassignment(name: str) -> None:
    after = transform_source("parameterize", SOURCE, function="compute", name=name)
    old, new = _load(SOURCE), _load(after)
    for x in (1, 3, 7):
        assert old["compute"](x) == new["compute"](x)
        old["bump"]()
        new["bump"]()
        assert old["compute"](x) == new["compute"](x)


def test_seam_can_be_replaced_in_tests() -> None:
    after = transform_source("parameterize", SOURCE, function="compute", name="time.time")
    compute = _load(after)["compute"]
    assert compute(1, clock=iter([5.0, 4.0]).__next__) == (2, False)
    assert compute(1) == (2, True)
    assert time.time() > 0


@pytest.mark.parametrize(
    ("source", "args", "message"),
    [
        ("X = 1\ndef f():\n    return 2\n", {"name": "X"}, "X does not occur"),
        ("X = 1\ndef f():\n    x = 2\n    return X + x\n", {"name": "X"}, "name x is already used"),
        ("X = 1\ndef f(*, x=2):\n    return X\n", {"name": "X"}, "already has a parameter x"),
        ("X = 1\ndef f():\n    global X\n    X = 2\n", {"name": "X"}, "declares global X"),
        ("def f():\n    return 1\n", {"name": "1 +"}, "not a Python expression"),
        ("class C:\n    pass\n", {"name": "X", "function": "C"}, "is a class"),
    ],
)
def test_refusals(source: str, args: dict[str, str], message: str) -> None:
    args = {"function": "f", **args}
    with pytest.raises(RefusalError, match=message):
        transform_source("parameterize", source, **args)
