"""Behaviour pages as a static site: one HTML page per target and an index.

Every page stands alone (its style inline, the call graph an inline SVG, no script, no
font or file fetched), so the folder can be opened from disk or served by anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from legacy_harness.report.pages.markdown import MARKER
from legacy_harness.report.pages.model import (
    Cell,
    Site,
    TargetPage,
    coverage_line,
    index_cells,
    mutation_line,
    page_edges,
    page_facts,
    plural,
    stats_cells,
)

__all__ = ["INDEX", "graph_svg", "page_name", "render_index", "render_page", "render_site"]

INDEX = "index.html"

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1b1f24; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
h1 code, h2 code, h3 code { font-size: .9em; }
pre { background: #f4f6f8; padding: .8em 1em; overflow-x: auto; }
table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { border: 1px solid #d0d7de; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f4f6f8; }
td.raised { color: #a40e26; }
.facts { color: #57606a; }
.note { border-left: 4px solid #bf8700; padding: .2em .8em; background: #fff8c5; }
svg text { font: 12px system-ui, sans-serif; }
""".strip()


def page_name(page: TargetPage) -> str:
    return f"{page.slug}.html"


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>" if text else ""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> list[str]:
    lines = [
        f'<table class="{css}">',
        "<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    lines += ["<tr>" + "".join(cell for cell in row) + "</tr>" for row in rows]
    lines += ["</tbody>", "</table>"]
    return lines


def _td(content: str, css: str = "") -> str:
    return f'<td class="{css}">{content}</td>' if css else f"<td>{content}</td>"


def _document(title: str, body: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        MARKER,
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        '<link rel="icon" href="data:,">',
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>"]) + "\n"


def _layers(names: list[str], edges: Sequence[tuple[str, str, int]]) -> dict[str, int]:
    """Column of each node: its distance from the nodes nobody calls (cycles stay put)."""
    layer = dict.fromkeys(names, 0)
    for _ in range(len(names)):
        changed = False
        for caller, callee, _count in edges:
            if caller != callee and layer[callee] < layer[caller] + 1 <= len(names):
                layer[callee] = layer[caller] + 1
                changed = True
        if not changed:
            break
    return layer


def graph_svg(edges: Sequence[tuple[str, str, int]]) -> str:
    """The calls between targets as an inline SVG: callers left of the targets they call."""
    names = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges})
    layer = _layers(names, edges)
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(layer[name], []).append(name)
    width, height, gap_x, gap_y = 230, 34, 90, 28
    place: dict[str, tuple[int, int]] = {}
    for column, members in sorted(columns.items()):
        for row, name in enumerate(members):
            place[name] = (20 + column * (width + gap_x), 20 + row * (height + gap_y))
    total_w = 40 + (max(columns) + 1) * (width + gap_x) - gap_x
    total_h = 40 + max(len(m) for m in columns.values()) * (height + gap_y) - gap_y
    parts = [
        f'<svg class="calls" xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}"'
        f' viewBox="0 0 {total_w} {total_h}" role="img" aria-label="calls between targets">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
        ' markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>',
    ]
    for caller, callee, count in edges:
        x1, y1 = place[caller]
        x2, y2 = place[callee]
        if caller == callee:
            d = f"M{x1 + width - 30},{y1} C{x1 + width},{y1 - 30} {x1 + width + 30},{y1 + 10} {x1 + width},{y1 + height // 2}"
            lx, ly = x1 + width + 8, y1 - 8
        else:
            sx, sy = (x1 + width, y1 + height // 2) if x2 > x1 else (x1, y1 + height // 2)
            ex, ey = (x2, y2 + height // 2) if x2 > x1 else (x2 + width, y2 + height // 2)
            d = f"M{sx},{sy} L{ex},{ey}"
            lx, ly = (sx + ex) // 2, (sy + ey) // 2 - 4
        parts.append(f'<path d="{d}" fill="none" stroke="#57606a" marker-end="url(#arrow)"/>')
        parts.append(f'<text x="{lx}" y="{ly}" text-anchor="middle">{count}</text>')
    for name in names:
        x, y = place[name]
        label = name if len(name) <= 34 else name[:31] + "..."
        parts.append(
            f'<g><title>{escape(name)}</title><rect x="{x}" y="{y}" width="{width}" height="{height}"'
            f' rx="5" fill="#f4f6f8" stroke="#57606a"/><text x="{x + width // 2}" y="{y + 21}"'
            f' text-anchor="middle">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _cells(cells: Sequence[Cell]) -> list[str]:
    return [_td(_code(text) if as_code else escape(text)) for text, as_code in cells]


def render_page(page: TargetPage) -> str:
    body = [f"<h1>{_code(page.target)}</h1>"]
    facts = " · ".join(page_facts(page, _code, escape))
    body += [f'<p class="facts">{facts}</p>', f"<pre>{escape(page.signature)}</pre>",
             '<p><a href="index.html">All targets</a></p>']  # fmt: skip
    body += [f'<p class="note">{escape(note)}</p>' for note in page.notes]
    if page.parameters:
        body += ["<h2>Inputs</h2>", "<p>Types and values observed in the masters.</p>"]
        body += _table(
            ["parameter", "types observed", "values seen"],
            [
                [_td(_code(p.name)), _td(_code(p.types)), _td(escape(p.seen))]
                for p in page.parameters
            ],
            "inputs",
        )
    if page.examples:
        body += ["<h2>Examples</h2>", "<p>Cases chosen so that together they take every branch the"
                 " masters take; <em>branches</em> lists those each is the first to take.</p>"]  # fmt: skip
        rows = []
        for example in page.examples:
            inputs = "<br>".join(f"{_code(name)} = {_code(text)}" for name, text in example.inputs)
            effects = "<br>".join(
                f"{_code(name)} → {_code(text)}" for name, text in example.effects
            )
            rows.append([
                _td(_code(example.case_id)), _td(inputs),
                _td(_code(example.outcome), "raised" if example.raised else ""), _td(effects),
                _td(escape(example.output)), _td(escape(", ".join(example.branches))),
            ])  # fmt: skip
        body += _table(
            ["case", "inputs", "outcome", "changes", "prints", "branches"], rows, "examples"
        )
    if page.exceptions:
        body.append("<h2>Exceptions</h2>")
        for doc in page.exceptions:
            body.append(f"<h3>{_code(doc.type)} ({plural(doc.count, 'case')})</h3>")
            body += _table(
                ["message", "raised by (case)"],
                [
                    [_td(_code(m)), _td(f"{_code(inputs)} ({_code(case)})")]
                    for m, case, inputs in doc.examples
                ],
                "exceptions",
            )
    if page.boundaries:
        body += [
            "<h2>Boundaries</h2>",
            "<p>What the calls read and write, from the cases' tapes.</p>",
        ]
        body += _table(
            ["boundary", "reads or writes", "interactions", "cases", "example"],
            [[_td(_code(b.boundary)), _td(escape(b.kind)), _td(str(b.interactions)), _td(str(b.cases)),
              _td(_code(b.example))] for b in page.boundaries],
            "boundaries",
        )  # fmt: skip
    if page.callers or page.callees:
        body += [
            "<h2>Calls between targets</h2>",
            "<p>Observed while recording.</p>",
            graph_svg(page_edges(page)),
        ]
    body.append("<h2>Coverage and strength</h2>")
    items = []
    if page.coverage is not None:
        c = page.coverage
        items.append(
            coverage_line(c)
            + (
                "<ul>" + "".join(f"<li>not taken: {escape(t)}</li>" for t in c.missing) + "</ul>"
                if c.missing
                else ""
            )
        )
    else:
        items.append("coverage: not measured")
    if page.mutation is not None:
        items.append(mutation_line(page.mutation, escape))
    else:
        items.append("mutation score: unknown (run <code>legacy-harness mutate</code>)")
    body += ["<ul>", *(f"<li>{item}</li>" for item in items), "</ul>"]
    if page.stochastic:
        body += [
            "<h2>Stochastic results</h2>",
            "<p>Leaves that vary with the seed, over the recorded runs.</p>",
        ]
        body += _table(
            ["case", "leaf", "runs", "mean", "sd", "min", "max", "histogram"],
            [_cells(stats_cells(leaf)) for leaf in page.stochastic],
            "stochastic",
        )
    return _document(page.target, body)


def render_index(site: Site) -> str:
    body = ["<h1>Behaviour of the characterized code</h1>",
            "<p>Written by <code>legacy-harness docs</code> from the golden masters.</p>"]  # fmt: skip
    rows = []
    for page in site.pages:
        coverage, mutation, raised = index_cells(page)
        rows.append([
            _td(f'<a href="{escape(page_name(page))}">{_code(page.target)}</a>'), _td(escape(page.kind)),
            _td(str(page.cases)), _td(coverage), _td(mutation), _td(escape(raised)),
        ])  # fmt: skip
    body += _table(
        ["target", "kind", "cases", "coverage", "mutation score", "raises"], rows, "targets"
    )
    if site.edges:
        body += ["<h2>Calls between targets</h2>", graph_svg(site.edges)]
    return _document("Behaviour of the characterized code", body)


def render_site(site: Site) -> dict[str, str]:
    """File name -> text of every page, the index included."""
    files = {INDEX: render_index(site)}
    for page in site.pages:
        files[page_name(page)] = render_page(page)
    return files
