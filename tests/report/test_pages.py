"""Behaviour pages from case trees: types, examples, exceptions, tapes, both renderers."""

from __future__ import annotations

from typing import Any

from legacy_harness.report.pages import (
    CaseFacts,
    CoverageFacts,
    LeafStats,
    MutationFacts,
    TargetFacts,
    build_site,
    render,
)
from legacy_harness.report.pages.markdown import mermaid, sparkline
from legacy_harness.report.pages.values import columns_of, shape_of, short, type_name

ARRAY = {"$ndarray": {"dtype": "<f8", "shape": [120, 5], "blob": "ab" * 16 + ".npy"}}
FRAME = {
    "$dataframe": {
        "index": {"range": [0, 3, 1], "names": [None]},
        "columns": {
            "levels": [
                {
                    "dtype": "object",
                    "values": {"$ndarray": {"dtype": "|O", "shape": [2], "data": ["a", "b"]}},
                }
            ],
            "names": [None],
        },
        "data": [{}, {}],
    }
}


def test_types_are_named_from_tags_without_decoding() -> None:
    assert type_name({"a": 1, "b": None}) == "dict[str, int | None]"
    assert type_name([1, 2.5]) == "list[float | int]"
    assert type_name({"$tuple": [1, "x"]}) == "tuple[int, str]"
    assert type_name(ARRAY) == "ndarray[float64]"
    assert type_name({"$object": "shop:Cart", "state": {}}) == "Cart"
    assert type_name({"$enum": "m:Color", "name": "RED"}) == "Color"
    assert type_name({"$decimal": "1.50"}) == "Decimal"
    assert shape_of(ARRAY) == (120, 5) and shape_of(FRAME) == (3, 2)
    assert columns_of(FRAME) == ["a", "b"]


def test_short_text_reads_like_repr_and_is_cut() -> None:
    assert short({"$decimal": "1.50"}) == "Decimal('1.50')"
    assert (
        short({"$object": "shop:Item", "state": {"qty": 2, "sku": "A"}}) == "Item(qty=2, sku='A')"
    )
    assert short(ARRAY) == "array(float64, shape 120x5)"
    assert short(FRAME) == "DataFrame(3 rows x 2 columns: a, b)"
    assert short({"$tuple": [1]}) == "(1,)"
    long = short(list(range(100)), 30)
    assert len(long) <= 30 and "more" in long


def case(
    case_id: str, args: list[Any], outcome: dict[str, Any], arcs: set[tuple[int, int]], **more: Any
) -> CaseFacts:
    return CaseFacts(case_id, {"args": args, "kwargs": {}}, outcome, arcs=frozenset(arcs), **more)


CASES = [
    case("a1", [1, None], {"returned": 2.0}, {(10, 11), (11, 12), (12, -9)}),
    case("b2", [5, "x"], {"returned": 10.0}, {(10, 11), (11, 13), (13, -9)},
         output={"stdout": "big order\n", "logs": [{"level": "INFO", "logger": "m", "message": "ok"}]},
         tape=[{"boundary": "sqlite3", "kind": "read", "call": {"sql": "SELECT 1"}, "result": {}}]),
    case("c3", [6, "y"], {"returned": 12.0}, {(10, 11), (11, 13), (13, -9)}),
    case("d4", [-1, None], {"raised": {"type": "builtins.ValueError", "message": "negative -1", "args": []}},
         {(10, 14), (14, -9)}, effects={"qty": 0}),
]  # fmt: skip


def site() -> Any:
    facts = TargetFacts(
        "m:price",
        parameters=("qty", "note"),
        source="m.py:9-15",
        coverage=CoverageFacts(90.0, 9, 10, 3, 4, ("line 12 -> 15: `if x` never went on to `y`",)),
        mutation=MutationFacts(8, 10),
        callers={"(program)": 30, "m:total": 4},
        calls=34,
        stochastic=[LeafStats("a1", "outcome", 20, 1.0, 0.5, 0.1, 2.0, (1, 3, 8, 5, 3))],
    )
    return build_site({"m:price": CASES}, {"m:price": facts, "m:total": TargetFacts("m:total")})


def test_the_page_shows_types_examples_exceptions_and_tapes() -> None:
    page = site().page("m:price")
    assert page.signature == "price(qty: int, note: str | None) -> float"
    assert [(p.name, p.types) for p in page.parameters] == [("qty", "int"), ("note", "str | None")]
    assert page.parameters[0].seen == "-1 .. 6"
    # three cases take every branch: a1, one of b2/c3 (the smaller id), d4 for the raise
    assert [e.case_id for e in page.examples] == ["a1", "b2", "d4"]
    assert page.examples[0].branches == ("10->11", "11->12")  # lines 10 and 11 branch
    assert page.examples[2].raised and page.examples[2].effects == (("qty", "0"),)
    assert page.examples[1].output == "big order; log INFO m: ok"
    assert [(e.type, e.count) for e in page.exceptions] == [("builtins.ValueError", 1)]
    assert page.exceptions[0].examples[0] == ("negative -1", "d4", "qty=-1, note=None")
    assert [(b.boundary, b.kind, b.interactions) for b in page.boundaries] == [
        ("sqlite3", "read", 1)
    ]
    assert page.callers == [("(program)", 30), ("m:total", 4)]
    assert site().page("m:total").callees == [("m:price", 4)]


def test_pages_are_the_same_bytes_for_the_same_store() -> None:
    for fmt in ("markdown", "html"):
        first, second = render(site(), fmt), render(site(), fmt)
        assert first == second
        assert sorted(first) == sorted({"markdown": ["index.md", "m-price.md", "m-total.md"],
                                        "html": ["index.html", "m-price.html", "m-total.html"]}[fmt])  # fmt: skip


def test_markdown_page_has_tables_a_mermaid_graph_and_the_figures() -> None:
    text = render(site(), "markdown")["m-price.md"]
    assert "| `a1` | `qty` = `1`<br>`note` = `None` | `2.0` |" in text
    assert "```mermaid\ngraph LR" in text and "-->|4|" in text
    assert "mutation score 80.0%: 8 of 10 mutants killed" in text
    assert "covers 90.0%: lines 9/10, branches 3/4" in text
    assert sparkline((1, 3, 8, 5, 3)) in text
    index = render(site(), "markdown")["index.md"]
    assert "[`m:price`](m-price.md)" in index


def test_html_escapes_values_and_draws_the_graph_inline() -> None:
    hostile = case("e5", ["<script>alert(1)</script>", None], {"returned": 1.0}, set())
    html = render(
        build_site({"m:f": [hostile]}, {"m:f": TargetFacts("m:f", callers={"(program)": 1})}),
        "html",
    )
    page = html["m-f.html"]
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<svg" in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_mermaid_ids_follow_sorted_names() -> None:
    assert mermaid([("b:g", "a:f", 2)]) == [
        "```mermaid", "graph LR", '  n0["a:f"]', '  n1["b:g"]', "  n1 -->|2| n0", "```",
    ]  # fmt: skip
