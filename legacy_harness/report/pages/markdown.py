"""Behaviour pages as Markdown: one file per target and an index, for a code host to show.

Tables are GitHub-flavoured Markdown, the call graph a Mermaid block (code hosts draw
it), histograms of stochastic leaves a line of block characters. Nothing depends on the
time or the machine, so the same store gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from legacy_harness.report.pages.model import (
    PROGRAM,
    Cell,
    Site,
    TargetPage,
    coverage_line,
    index_cells,
    mutation_line,
    page_edges,
    page_facts,
    plural,
    sparkline,
    stats_cells,
)

__all__ = [
    "INDEX",
    "MARKER",
    "mermaid",
    "page_name",
    "render_index",
    "render_page",
    "render_site",
    "sparkline",
]

INDEX = "index.md"
#: The first line of every page: what ``docs`` may replace or remove, and nothing else.
MARKER = "<!-- written by legacy-harness docs from the golden masters; do not edit -->"


def page_name(page: TargetPage) -> str:
    return f"{page.slug}.md"


def code(text: str) -> str:
    """``text`` as an inline code span, safe inside a table cell."""
    text = text.replace("\n", " ").replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}" if text else ""


def cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def mermaid(edges: Sequence[tuple[str, str, int]]) -> list[str]:
    """The calls between targets as a Mermaid flowchart (node ids follow sorted names)."""
    names = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges})
    ids = {name: f"n{index}" for index, name in enumerate(names)}
    lines = ["```mermaid", "graph LR"]
    for name in names:
        label = PROGRAM if name == PROGRAM else name
        lines.append(f'  {ids[name]}["{label}"]')
    for caller, callee, count in edges:
        lines.append(f"  {ids[caller]} -->|{count}| {ids[callee]}")
    lines.append("```")
    return lines


def _cells(cells: Sequence[Cell]) -> list[str]:
    return [code(text) if as_code else cell(text) for text, as_code in cells]


def render_page(page: TargetPage) -> str:
    """One target's page."""
    lines = [MARKER, f"# {code(page.target)}", ""]
    lines += [" · ".join(page_facts(page, code, str)), "", "```python", page.signature, "```", ""]
    lines.append("[All targets](index.md)")
    for note in page.notes:
        lines += ["", f"> **Note:** {cell(note)}"]
    if page.parameters:
        lines += ["", "## Inputs", "", "Types and values observed in the masters."
                  " `Optional` shows as `| None`.", ""]  # fmt: skip
        lines += _table(
            ["parameter", "types observed", "values seen"],
            [[code(p.name), code(p.types), cell(p.seen)] for p in page.parameters],
        )
    if page.examples:
        lines += ["", "## Examples", "", "Cases chosen so that together they take every branch"
                  " the masters take; *branches* lists those each is the first to take.", ""]  # fmt: skip
        rows = []
        for example in page.examples:
            inputs = "<br>".join(f"{code(name)} = {code(text)}" for name, text in example.inputs)
            effects = "<br>".join(f"{code(name)} -> {code(text)}" for name, text in example.effects)
            rows.append([
                code(example.case_id), inputs, ("**" if example.raised else "") + code(example.outcome)
                + ("**" if example.raised else ""), effects, cell(example.output),
                cell(", ".join(example.branches)),
            ])  # fmt: skip
        lines += _table(["case", "inputs", "outcome", "changes", "prints", "branches"], rows)
    if page.exceptions:
        lines += ["", "## Exceptions", ""]
        for doc in page.exceptions:
            lines += [f"### {code(doc.type)} ({plural(doc.count, 'case')})", ""]
            lines += _table(
                ["message", "raised by (case)"],
                [[code(m), f"{code(inputs)} ({code(case)})"] for m, case, inputs in doc.examples],
            )
            lines.append("")
        lines.pop()
    if page.boundaries:
        lines += [
            "",
            "## Boundaries",
            "",
            "What the calls read and write, from the cases' tapes.",
            "",
        ]
        lines += _table(
            ["boundary", "reads or writes", "interactions", "cases", "example"],
            [[code(b.boundary), b.kind, str(b.interactions), str(b.cases), code(b.example)]
             for b in page.boundaries],
        )  # fmt: skip
    if page.callers or page.callees:
        lines += ["", "## Calls between targets", "", "Observed while recording.", ""]
        lines += mermaid(page_edges(page))
    lines += ["", "## Coverage and strength", ""]
    if page.coverage is not None:
        lines.append(f"- {coverage_line(page.coverage)}")
        lines += [f"  - not taken: {cell(text)}" for text in page.coverage.missing]
    else:
        lines.append("- coverage: not measured")
    if page.mutation is not None:
        lines.append(f"- {mutation_line(page.mutation, str)}")
    else:
        lines.append("- mutation score: unknown (run `legacy-harness mutate`)")
    if page.stochastic:
        lines += ["", "## Stochastic results", "", "Leaves that vary with the seed, over the"
                  " recorded runs.", ""]  # fmt: skip
        lines += _table(
            ["case", "leaf", "runs", "mean", "sd", "min", "max", "histogram"],
            [_cells(stats_cells(leaf)) for leaf in page.stochastic],
        )
    return "\n".join(lines) + "\n"


def render_index(site: Site) -> str:
    lines = [MARKER, "# Behaviour of the characterized code", "",
             "Written by `legacy-harness docs` from the golden masters.", ""]  # fmt: skip
    rows = []
    for page in site.pages:
        coverage, mutation, raised = index_cells(page)
        rows.append([
            f"[{code(page.target)}]({page_name(page)})", page.kind, str(page.cases), coverage,
            mutation, cell(raised),
        ])  # fmt: skip
    lines += _table(["target", "kind", "cases", "coverage", "mutation score", "raises"], rows)
    if site.edges:
        lines += ["", "## Calls between targets", ""]
        lines += mermaid(site.edges)
    return "\n".join(lines) + "\n"


def render_site(site: Site) -> dict[str, str]:
    """File name -> text of every page, the index included."""
    files = {INDEX: render_index(site)}
    for page in site.pages:
        files[page_name(page)] = render_page(page)
    return files
