"""Behaviour pages as Markdown: one file per target and an index, for a code host to show.

Tables are GitHub-flavoured Markdown, the call graph a Mermaid block (code hosts draw
it), histograms of stochastic leaves a line of block characters. Nothing depends on the
time or the machine, so the same store gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from legacy_harness.report.pages.model import PROGRAM, LeafStats, Site, TargetPage

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
_BLOCKS = " ▁▂▃▄▅▆▇█"


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


def sparkline(counts: Sequence[int]) -> str:
    """A histogram in one line of block characters (empty bins are spaces)."""
    top = max(counts, default=0)
    if top <= 0:
        return ""
    return "".join(_BLOCKS[0 if n == 0 else max(1, round(n / top * 8))] for n in counts)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


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


def _stats_rows(stats: Sequence[LeafStats]) -> list[list[str]]:
    rows = []
    for leaf in stats:
        if leaf.categories:
            spread = ", ".join(f"{value}: {runs}" for value, runs in leaf.categories[:6])
            rows.append(
                [code(leaf.case_id), code(leaf.leaf), str(leaf.runs), "", "", "", "", cell(spread)]
            )
        else:
            rows.append([
                code(leaf.case_id), code(leaf.leaf), str(leaf.runs), _number(leaf.mean),
                _number(leaf.sd), _number(leaf.low), _number(leaf.high),
                code(sparkline(leaf.histogram)),
            ])  # fmt: skip
    return rows


def render_page(page: TargetPage) -> str:
    """One target's page."""
    lines = [MARKER, f"# {code(page.target)}", ""]
    facts = [f"{page.kind}" + (f" in {code(page.source)}" if page.source else "")]
    origins = ", ".join(f"{n} {origin}" for origin, n in page.origins.items())
    facts.append(
        f"{page.cases} case{'s' if page.cases != 1 else ''}" + (f" ({origins})" if origins else "")
    )
    if page.reviewed:
        facts.append(f"{page.reviewed} reviewed")
    if page.calls is not None:
        facts.append(f"{page.calls} calls profiled")
    lines += [" · ".join(facts), "", "```python", page.signature, "```", ""]
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
            lines += [f"### {code(doc.type)} ({doc.count} case{'s' if doc.count != 1 else ''})", ""]
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
        edges = [(a, page.target, n) for a, n in page.callers]
        edges += [(page.target, b, n) for b, n in page.callees]
        lines += mermaid(sorted(edges))
    lines += ["", "## Coverage and strength", ""]
    if page.coverage is not None:
        c = page.coverage
        lines.append(
            f"- replaying the masters covers {c.percent:.1f}%: lines {c.lines_covered}/{c.lines_total},"
            f" branches {c.branches_covered}/{c.branches_total}"
        )
        lines += [f"  - not taken: {cell(text)}" for text in c.missing]
    else:
        lines.append("- coverage: not measured")
    if page.mutation is not None:
        m = page.mutation
        note = f" ({m.note})" if m.note else ""
        lines.append(
            f"- mutation score {m.score:.1f}%: {m.killed} of {m.total} mutants killed{note}"
        )
    else:
        lines.append("- mutation score: unknown (run `legacy-harness mutate`)")
    if page.stochastic:
        lines += ["", "## Stochastic results", "", "Leaves that vary with the seed, over the"
                  " recorded runs.", ""]  # fmt: skip
        lines += _table(
            ["case", "leaf", "runs", "mean", "sd", "min", "max", "histogram"],
            _stats_rows(page.stochastic),
        )
    return "\n".join(lines) + "\n"


def render_index(site: Site) -> str:
    lines = [MARKER, "# Behaviour of the characterized code", "",
             "Written by `legacy-harness docs` from the golden masters.", ""]  # fmt: skip
    rows = []
    for page in site.pages:
        coverage = f"{page.coverage.percent:.1f}%" if page.coverage else "-"
        mutation = f"{page.mutation.score:.1f}%" if page.mutation else "-"
        raised = ", ".join(doc.type.rpartition(".")[2] for doc in page.exceptions) or "-"
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
