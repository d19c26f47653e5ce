"""annotate: annotations from observed types, imports added, existing ones kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from libcst.codemod import CodemodTest

from legacy_harness.refactor import (
    RefusalError,
    observed_types_from_cases,
    transform_files,
    transform_source,
)
from legacy_harness.refactor.annotate import AnnotateCommand, type_of_encoded


class TestAnnotate(CodemodTest):
    TRANSFORM = AnnotateCommand

    def test_unions_none_imports_and_existing_kept(self) -> None:
        before = """
            import numpy as np


            def price(qty, unit=1.0, *, cart=None):  # price it
                return qty * unit


            class Cart:
                def add(self, item: str, n=1):
                    return self
        """
        after = """
            import numpy as np
            from decimal import Decimal


            def price(qty: int | float, unit: Decimal | None = 1.0, *, cart: "Cart | None" = None) -> np.ndarray:  # price it
                return qty * unit


            class Cart:
                def add(self, item: str, n: int = 1) -> "Cart":
                    return self
        """  # noqa: E501
        observed = {
            "price": {
                "qty": ["int", "float"],
                "unit": ["None", "decimal:Decimal"],
                "cart": ["shop:Cart", "None"],
                "return": ["numpy:ndarray"],
            },
            "shop:Cart.add": {"item": ["int"], "n": ["int"], "return": ["shop:Cart"]},
        }
        self.assertCodemod(before, after, observed=observed)

    def test_future_annotations_and_project_class_import(self) -> None:
        before = """
            from __future__ import annotations


            def ship(order, when):
                pass
        """
        after = """
            from __future__ import annotations
            from datetime import datetime
            from shop.models import Order


            def ship(order: Order, when: datetime) -> None:
                pass
        """
        observed = {
            "ship": {"order": ["shop.models:Order"], "when": ["datetime"], "return": ["None"]}
        }
        self.assertCodemod(before, after, observed=observed)


def test_idempotent() -> None:
    source = "def f(a, b=2):\n    return a\n"
    observed = {"f": {"a": ["float"], "b": ["int", "None"], "return": ["float"]}}
    once = transform_source("annotate", source, observed=observed)
    assert once == "def f(a: float, b: int | None = 2) -> float:\n    return a\n"
    assert transform_source("annotate", once, observed=observed) == once


def test_types_file_and_files(tmp_path: Path) -> None:
    module = tmp_path / "calc.py"
    module.write_text("def f(a):\n    return a\n")
    other = tmp_path / "other.py"
    other.write_text("def g():\n    pass\n")
    types = tmp_path / "types.json"
    types.write_text(json.dumps({"calc:f": {"a": ["str"], "return": ["str"]}}))
    changes = transform_files("annotate", [module, other], types=str(types))
    assert changes == {module: (module.read_text(), "def f(a: str) -> str:\n    return a\n")}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "int"),
        (True, "bool"),
        (1.5, "float"),
        (None, "None"),
        ("x", "str"),
        ([1], "list"),
        ({"a": 1}, "dict"),
        ({"$tuple": [1]}, "tuple"),
        ({"$dict": [[1, 2]]}, "dict"),
        ({"$object": "pkg.mod:Cart", "state": {}}, "pkg.mod:Cart"),
        ({"$id": 3, "$object": "pkg.mod:Cart", "state": {}}, "pkg.mod:Cart"),
        ({"$ndarray": {"dtype": "<f8", "shape": [1], "data": [1.0]}}, "numpy:ndarray"),
        ({"$datetime": "2024-03-01T12:00:00+00:00"}, "datetime:datetime"),
        ({"$decimal": "1.10"}, "decimal:Decimal"),
        ({"$npscalar": "float32", "value": 1.0}, "numpy:float32"),
        ({"$ref": 1}, None),
    ],
)
def test_type_of_encoded(value: object, expected: str | None) -> None:
    assert type_of_encoded(value) == expected


def test_observed_types_from_cases() -> None:
    cases = [
        {
            "target": "billing:total",
            "inputs": {"args": [1, {"$decimal": "0.2"}], "kwargs": {"cart": None}},
            "outcome": {"returned": 1.2},
        },
        {
            "target": "billing:total",
            "inputs": {"args": [2.5, {"$ref": 1}], "kwargs": {}},
            "outcome": {"raised": {"type": "builtins.ValueError", "message": "", "args": []}},
        },
        {
            "target": "billing:Cart.add",
            "inputs": {"args": [{"$tuple": [1]}], "kwargs": {}, "self": {}},
            "outcome": {"returned": None},
        },
    ]
    names = {"billing:total": ["qty", "rate"], "Cart.add": ["self", "item"]}
    assert observed_types_from_cases(cases, names) == {
        "billing:total": {
            "qty": ["int", "float"],
            "rate": ["decimal:Decimal"],
            "cart": ["None"],
            "return": ["float"],
        },
        "billing:Cart.add": {"item": ["tuple"], "return": ["None"]},
    }
    # without parameter names only keyword arguments and results are used
    assert observed_types_from_cases(cases[:1]) == {
        "billing:total": {"cart": ["None"], "return": ["float"]}
    }


@pytest.mark.parametrize(
    ("observed", "message"),
    [
        ({"f": {"a": ["Mystery"]}}, "Mystery: unknown type"),
        ({"f": {"a": ["other:json"]}}, "json is already bound"),
        ({"g": {"a": ["int"]}}, "none of the observed functions"),
    ],
)
def test_refusals(observed: dict[str, dict[str, list[str]]], message: str) -> None:
    with pytest.raises(RefusalError, match=message):
        transform_source("annotate", "import json\n\n\ndef f(a):\n    pass\n", observed=observed)
