"""The behaviour pages' model: what the masters show about each target, as plain data.

:func:`build_site` is a pure function of the golden cases (their encoded trees, as the
files hold them) and of the facts measured beside them (the code paths each case
reaches, coverage, the mutation score, the calls between targets, statistics of
stochastic leaves). The same store gives the same model and so the same bytes on the
page, which is what lets pages be committed, reviewed and checked for staleness.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.report.pages.values import columns_of, shape_of, short, type_name

__all__ = [
    "PROGRAM",
    "Cell",
    "BoundaryDoc",
    "CaseFacts",
    "CoverageFacts",
    "ExampleDoc",
    "ExceptionDoc",
    "LeafStats",
    "MutationFacts",
    "ParameterDoc",
    "Site",
    "TargetFacts",
    "TargetPage",
    "build_page",
    "build_site",
    "coverage_line",
    "index_cells",
    "mutation_line",
    "page_edges",
    "page_facts",
    "plural",
    "slug",
    "sparkline",
    "stats_cells",
]

#: How the pages name calls made from code that is no target (the program itself).
PROGRAM = "(program)"
#: Examples shown per target; the rest of the cases stay in the store.
MAX_EXAMPLES = 15
#: Distinct messages shown per exception type.
MAX_MESSAGES = 3


# -- what the builder is given ------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """One golden case as the page builder reads it: the file's trees, never decoded."""

    id: str
    inputs: Mapping[str, Any]
    outcome: Mapping[str, Any]
    effects: Mapping[str, Any] = field(default_factory=dict)
    output: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: the boundary interactions on the case's tape ({boundary, kind, call, result})
    tape: Sequence[Mapping[str, Any]] = ()
    #: the code paths replaying the case reaches in the target: (line, next line) arcs,
    #: a negative next line being an exit from the function
    arcs: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class CoverageFacts:
    percent: float
    lines_covered: int
    lines_total: int
    branches_covered: int
    branches_total: int
    #: the branches no master takes, in words (``line 57 -> 58: `if x` never went on to ...``)
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class MutationFacts:
    killed: int
    total: int
    #: said beside the score (e.g. that it was measured on an older version of the code)
    note: str = ""

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0


@dataclass(frozen=True)
class LeafStats:
    """A stochastic leaf of one case: its recorded samples, summarised."""

    case_id: str
    leaf: str
    runs: int
    mean: float | None = None
    sd: float | None = None
    low: float | None = None
    high: float | None = None
    #: counts on equal-width bins from ``low`` to ``high``
    histogram: tuple[int, ...] = ()
    #: for categorical leaves: value -> runs
    categories: tuple[tuple[str, int], ...] = ()


@dataclass
class TargetFacts:
    """What was measured beside the cases of one target."""

    target: str
    kind: str = "function"
    parameters: tuple[str, ...] = ()
    varargs: str | None = None
    #: ``billing.py:61-140``
    source: str = ""
    coverage: CoverageFacts | None = None
    mutation: MutationFacts | None = None
    #: caller -> calls, from the input profile record kept (:data:`PROGRAM` for the program)
    callers: dict[str, int] = field(default_factory=dict)
    #: calls the input profile saw (all of them, not only the stored cases)
    calls: int | None = None
    stochastic: list[LeafStats] = field(default_factory=list)
    #: problems met while collecting (unreadable files, a target that no longer resolves)
    notes: list[str] = field(default_factory=list)


# -- what a page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterDoc:
    name: str
    types: str
    seen: str


@dataclass(frozen=True)
class ExampleDoc:
    case_id: str
    inputs: tuple[tuple[str, str], ...]
    outcome: str
    raised: bool
    effects: tuple[tuple[str, str], ...]
    output: str
    #: the branches this example is the first to take (``57->58``, ``61->exit``)
    branches: tuple[str, ...]


@dataclass(frozen=True)
class ExceptionDoc:
    type: str
    count: int
    #: (message, case id, the inputs that raise it)
    examples: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class BoundaryDoc:
    boundary: str
    kind: str
    interactions: int
    cases: int
    example: str


@dataclass
class TargetPage:
    target: str
    slug: str
    kind: str
    source: str
    cases: int
    origins: dict[str, int]
    reviewed: int
    signature: str
    parameters: list[ParameterDoc]
    returns: str
    examples: list[ExampleDoc]
    exceptions: list[ExceptionDoc]
    boundaries: list[BoundaryDoc]
    callers: list[tuple[str, int]]
    callees: list[tuple[str, int]]
    coverage: CoverageFacts | None
    mutation: MutationFacts | None
    stochastic: list[LeafStats]
    calls: int | None
    notes: list[str]


@dataclass
class Site:
    """Every page, and the calls between targets (caller, callee, calls), sorted."""

    pages: list[TargetPage]
    edges: list[tuple[str, str, int]]

    def page(self, target: str) -> TargetPage:
        return next(page for page in self.pages if page.target == target)


def slug(target: str) -> str:
    """``shop:Cart.checkout`` -> ``shop-Cart.checkout`` (module names hold no ``-``)."""
    return target.replace(":", "-", 1)


# -- building -----------------------------------------------------------------------------


def _named_inputs(case: CaseFacts, facts: TargetFacts) -> list[tuple[str, Any]]:
    named: list[tuple[str, Any]] = []
    if "self" in case.inputs:
        named.append(("self", case.inputs["self"]))
    args = case.inputs.get("args")
    for index, value in enumerate(args if isinstance(args, list) else []):
        if index < len(facts.parameters):
            name = facts.parameters[index]
        else:
            name = f"{facts.varargs or 'args'}[{index - len(facts.parameters)}]"
        named.append((name, value))
    kwargs = case.inputs.get("kwargs")
    if isinstance(kwargs, dict):
        named += sorted(kwargs.items())
    return named


def _numbers(trees: list[Any]) -> list[float]:
    out: list[float] = []
    for tree in trees:
        if isinstance(tree, (int, float)) and not isinstance(tree, bool):
            out.append(float(tree))
        elif isinstance(tree, dict) and "$npscalar" in tree:
            inner = tree.get("value")
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                out.append(float(inner))
    return out


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}..{high}"


def _seen(trees: list[Any]) -> str:
    """What values a parameter took across the cases, in a few words."""
    parts: list[str] = []
    numbers = _numbers(trees)
    if numbers:
        low, high = min(numbers), max(numbers)
        parts.append(f"{low:g}" if low == high else f"{low:g} .. {high:g}")
    strings = sorted({tree for tree in trees if isinstance(tree, str)})
    if strings:
        listed = ", ".join(repr(s) if len(s) <= 24 else repr(s[:21] + "...") for s in strings[:5])
        more = f" and {len(strings) - 5} more" if len(strings) > 5 else ""
        parts.append(f"{len(strings)} distinct: {listed}{more}" if len(strings) > 1 else listed)
    flags = sorted({repr(tree) for tree in trees if isinstance(tree, bool)})
    if flags:
        parts.append(" or ".join(flags))
    shapes = [shape for tree in trees if (shape := shape_of(tree)) is not None]
    if shapes:
        dims = {len(shape) for shape in shapes}
        if len(dims) == 1:
            spans = [_span([shape[axis] for shape in shapes]) for axis in range(dims.pop())]
            parts.append(f"shape ({', '.join(spans)}{',' if len(spans) == 1 else ''})")
        else:
            parts.append(f"{len(dims)} different numbers of dimensions")
    columns = sorted({c for tree in trees for c in (columns_of(tree) or [])})
    if columns:
        parts.append("columns " + ", ".join(columns[:12]) + (" ..." if len(columns) > 12 else ""))
    lengths = [len(tree) for tree in trees if isinstance(tree, list)]
    if lengths:
        parts.append(f"length {_span(lengths)}")
    keys = sorted(
        {k for t in trees if isinstance(t, dict) and not _tagged(t) for k in t if k != "$keys"}
    )
    if keys:
        parts.append(f"{len(keys)} keys" if len(keys) > 1 else "1 key")
    return "; ".join(parts)


def _tagged(tree: dict[str, Any]) -> bool:
    return any(key.startswith("$") and key not in ("$id", "$keys") for key in tree)


def _children(tree: Any) -> list[tuple[str, Any]]:
    """The named parts of a plain dict (``['key']``), an object's state (``.attr``) or a
    list's items (``[*]``, all under one name)."""
    if isinstance(tree, list):
        return [("[*]", item) for item in tree]
    if not isinstance(tree, dict):
        return []
    if not any(key.startswith("$") and key not in ("$id", "$keys") for key in tree):
        return [(f"[{key!r}]", value) for key, value in tree.items() if key != "$keys"]
    if "$object" in tree and isinstance(tree.get("state"), dict):
        return [(f".{key}", value) for key, value in tree["state"].items()]
    if "$list" in tree and isinstance(tree["$list"], list):
        return [("[*]", item) for item in tree["$list"]]
    return []


def _rows(
    name: str, trees: list[Any], depth: int, docs: list[ParameterDoc], note: str = ""
) -> None:
    seen = _seen(trees)
    if note:
        seen = f"{seen}; {note}" if seen else note
    docs.append(ParameterDoc(name, " | ".join(_type_union(trees)), seen))
    if depth >= 3 or len(docs) > 80:
        return
    parts: dict[str, list[Any]] = {}
    holders: dict[str, int] = {}
    for tree in trees:
        children = _children(tree)
        for key, child in children:
            parts.setdefault(key, []).append(child)
        for key in {key for key, _ in children}:
            holders[key] = holders.get(key, 0) + 1
    for key in sorted(parts)[:40]:
        partial = key != "[*]" and holders[key] < len(trees)
        _rows(f"{name}{key}", parts[key], depth + 1, docs,
              f"in {holders[key]} of {len(trees)}" if partial else "")  # fmt: skip


def _parameters(cases: Sequence[CaseFacts], facts: TargetFacts) -> list[ParameterDoc]:
    values: dict[str, list[Any]] = {}
    for case in cases:
        for name, tree in _named_inputs(case, facts):
            values.setdefault(name, []).append(tree)
    order = ["self", *facts.parameters]
    names = sorted(values, key=lambda n: (order.index(n) if n in order else len(order), n))
    docs: list[ParameterDoc] = []
    for name in names:
        _rows(name, values[name], 0, docs)
    return docs


def _type_union(trees: list[Any]) -> list[str]:
    names = {type_name(tree) for tree in trees}
    for bare in ("list", "dict", "tuple", "set"):  # an empty one says nothing more
        if bare in names and any(n.startswith(bare + "[") for n in names):
            names.discard(bare)
    return sorted(names, key=lambda n: (n == "None", n))


def _branch_points(cases: Sequence[CaseFacts]) -> set[int]:
    """Lines the masters leave by more than one way: the branches they take."""
    successors: dict[int, set[int]] = {}
    for case in cases:
        for start, end in case.arcs:
            successors.setdefault(start, set()).add(end)
    return {line for line, ends in successors.items() if len(ends) > 1 and line > 0}


def _arc_text(arc: tuple[int, int]) -> str:
    return f"{arc[0]}->{'exit' if arc[1] < 0 else arc[1]}"


def _choose_examples(cases: Sequence[CaseFacts]) -> list[tuple[CaseFacts, tuple[str, ...]]]:
    """Few cases that together take every branch the masters take (greedy set cover,
    ties to the smaller id), then one case per exception type not yet shown."""
    ordered = sorted(cases, key=lambda case: case.id)
    points = _branch_points(ordered)
    remaining = set().union(*(case.arcs for case in ordered)) if ordered else set()
    chosen: list[tuple[CaseFacts, tuple[str, ...]]] = []
    taken: set[str] = set()
    while remaining and len(chosen) < MAX_EXAMPLES:
        index = max(range(len(ordered)), key=lambda i: (len(ordered[i].arcs & remaining), -i))
        best = ordered[index]
        gained = best.arcs & remaining
        if not gained:
            break
        remaining -= gained
        branches = tuple(_arc_text(arc) for arc in sorted(gained) if arc[0] in points)
        chosen.append((best, branches))
        taken.add(best.id)
    kinds = {_raised_type(case) for case, _ in chosen}
    if not chosen and ordered:
        first = next((case for case in ordered if _raised_type(case) is None), ordered[0])
        chosen.append((first, ()))
        taken.add(first.id)
        kinds.add(_raised_type(first))
    for case in ordered:
        kind = _raised_type(case)
        if kind not in kinds and case.id not in taken and len(chosen) < MAX_EXAMPLES:
            chosen.append((case, ()))
            kinds.add(kind)
    return chosen


def _raised_type(case: CaseFacts) -> str | None:
    raised = case.outcome.get("raised")
    return str(raised.get("type")) if isinstance(raised, dict) else None


def _outcome_text(case: CaseFacts) -> tuple[str, bool]:
    raised = case.outcome.get("raised")
    if isinstance(raised, dict):
        kind = str(raised.get("type", "?")).rpartition(".")[2]
        return f"raises {kind}: {short(raised.get('message', ''), 50)}", True
    return short(case.outcome.get("returned")), False


def _output_text(case: CaseFacts) -> str:
    stdout = str(case.output.get("stdout") or "")
    stderr = str(case.output.get("stderr") or "")
    logs = case.output.get("logs") or []
    lines = [line for line in (stdout + stderr).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(text) > 50:
        text = text[:47] + "..."
    if len(lines) > 1:
        text += f" (+{len(lines) - 1} lines)"
    if isinstance(logs, list) and logs:
        first = logs[0] if isinstance(logs[0], dict) else {}
        record = f"{first.get('level', '?')} {first.get('logger', '?')}: {first.get('message', '')}"
        record = record if len(record) <= 50 else record[:47] + "..."
        text = f"{text}; log {record}" if text else f"log {record}"
        if len(logs) > 1:
            text += f" (+{len(logs) - 1} records)"
    return text


def _example(case: CaseFacts, facts: TargetFacts, branches: tuple[str, ...]) -> ExampleDoc:
    outcome, raised = _outcome_text(case)
    inputs = tuple((name, short(tree)) for name, tree in _named_inputs(case, facts))
    effects = tuple((name, short(tree)) for name, tree in sorted(case.effects.items()))
    return ExampleDoc(case.id, inputs, outcome, raised, effects, _output_text(case), branches)


def _exceptions(cases: Sequence[CaseFacts], facts: TargetFacts) -> list[ExceptionDoc]:
    by_type: dict[str, list[CaseFacts]] = {}
    for case in sorted(cases, key=lambda c: c.id):
        kind = _raised_type(case)
        if kind is not None:
            by_type.setdefault(kind, []).append(case)
    docs = []
    for kind, raising in sorted(by_type.items()):
        messages: dict[str, list[CaseFacts]] = {}
        for case in raising:
            message = str(case.outcome["raised"].get("message", ""))
            messages.setdefault(message, []).append(case)
        top = sorted(messages.items(), key=lambda item: (-len(item[1]), item[0]))[:MAX_MESSAGES]
        examples = tuple(
            (
                message,
                group[0].id,
                ", ".join(
                    f"{name}={short(tree, 40)}" for name, tree in _named_inputs(group[0], facts)
                ),
            )
            for message, group in top
        )
        docs.append(ExceptionDoc(kind, len(raising), examples))
    return docs


def _boundaries(cases: Sequence[CaseFacts]) -> list[BoundaryDoc]:
    groups: dict[tuple[str, str], list[tuple[str, Mapping[str, Any]]]] = {}
    for case in sorted(cases, key=lambda c: c.id):
        for item in case.tape:
            if isinstance(item, Mapping):
                key = (str(item.get("boundary", "?")), str(item.get("kind", "?")))
                call = item.get("call")
                groups.setdefault(key, []).append(
                    (case.id, call if isinstance(call, Mapping) else {})
                )
    docs = []
    for (boundary, kind), items in sorted(groups.items()):
        call = items[0][1]
        example = ", ".join(f"{key}={short(value, 50)}" for key, value in sorted(call.items())[:3])
        docs.append(BoundaryDoc(boundary, kind, len(items), len({i for i, _ in items}), example))
    return docs


def _returns(cases: Sequence[CaseFacts]) -> str:
    types = _type_union([c.outcome["returned"] for c in cases if "returned" in c.outcome])
    return " | ".join(types) if types else "(never returned)"


def _signature(
    target: str, facts: TargetFacts, parameters: list[ParameterDoc], returns: str
) -> str:
    by_name = {doc.name: doc.types for doc in parameters}
    names = [*(["self"] if facts.kind == "method" else []), *facts.parameters]
    names += sorted(n for n in by_name if n not in names and "[" not in n and "." not in n)
    params = ", ".join(f"{n}: {by_name[n]}" if n in by_name and n != "self" else n for n in names)
    name = target.rpartition(":")[2].rpartition(".")[2]
    return f"{name}({params}) -> {returns}"


def build_page(
    target: str,
    cases: Sequence[CaseFacts],
    facts: TargetFacts,
    edges: Sequence[tuple[str, str, int]] = (),
) -> TargetPage:
    """The page of one target from its cases and what was measured beside them."""
    parameters = _parameters(cases, facts)
    returns = _returns(cases)
    origins: dict[str, int] = {}
    for case in cases:
        origin = str(case.meta.get("origin", "recorded"))
        origins[origin] = origins.get(origin, 0) + 1
    return TargetPage(
        target=target,
        slug=slug(target),
        kind=facts.kind,
        source=facts.source,
        cases=len(cases),
        origins=dict(sorted(origins.items())),
        reviewed=sum(1 for case in cases if "reviewed" in case.meta),
        signature=_signature(target, facts, parameters, returns),
        parameters=parameters,
        returns=returns,
        examples=[_example(case, facts, branches) for case, branches in _choose_examples(cases)],
        exceptions=_exceptions(cases, facts),
        boundaries=_boundaries(cases),
        callers=sorted(((a, n) for a, b, n in edges if b == target), key=lambda e: (-e[1], e[0])),
        callees=sorted(((b, n) for a, b, n in edges if a == target), key=lambda e: (-e[1], e[0])),
        coverage=facts.coverage,
        mutation=facts.mutation,
        stochastic=sorted(facts.stochastic, key=lambda s: (s.case_id, s.leaf)),
        calls=facts.calls,
        notes=list(facts.notes),
    )


def build_site(cases: Mapping[str, Sequence[CaseFacts]], facts: Mapping[str, TargetFacts]) -> Site:
    """Every target's page; the edges of the call graph come from the targets' callers."""
    edges = sorted(
        (caller, target, count)
        for target, measured in facts.items()
        for caller, count in measured.callers.items()
        if count
    )
    targets = sorted(set(cases) | set(facts))
    pages = [
        build_page(target, cases.get(target, ()), facts.get(target) or TargetFacts(target), edges)
        for target in targets
    ]
    return Site(pages, edges)


# -- what both formats say ----------------------------------------------------------------
# The Markdown and HTML renderers say the same things in two markups: the wording lives
# here once, and each renderer passes how it writes code and plain text.

#: One table cell's text, and whether it is shown as code.
Cell = tuple[str, bool]
_BLOCKS = " ▁▂▃▄▅▆▇█"


def plural(count: int, word: str) -> str:
    """``1 case``, ``3 cases``."""
    return f"{count} {word}{'s' if count != 1 else ''}"


def sparkline(counts: Sequence[int]) -> str:
    """A histogram in one line of block characters (empty bins are spaces)."""
    top = max(counts, default=0)
    if top <= 0:
        return ""
    return "".join(_BLOCKS[0 if n == 0 else max(1, round(n / top * 8))] for n in counts)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def page_facts(
    page: TargetPage, code: Callable[[str], str], text: Callable[[str], str]
) -> list[str]:
    """The line under a page's title: kind and source, cases by origin, reviews, calls."""
    facts = [text(page.kind) + (f" in {code(page.source)}" if page.source else "")]
    origins = ", ".join(f"{n} {text(origin)}" for origin, n in page.origins.items())
    facts.append(plural(page.cases, "case") + (f" ({origins})" if origins else ""))
    if page.reviewed:
        facts.append(f"{page.reviewed} reviewed")
    if page.calls is not None:
        facts.append(f"{page.calls} calls profiled")
    return facts


def coverage_line(coverage: CoverageFacts) -> str:
    return (
        f"replaying the masters covers {coverage.percent:.1f}%: lines"
        f" {coverage.lines_covered}/{coverage.lines_total},"
        f" branches {coverage.branches_covered}/{coverage.branches_total}"
    )


def mutation_line(mutation: MutationFacts, text: Callable[[str], str]) -> str:
    note = f" ({text(mutation.note)})" if mutation.note else ""
    return f"mutation score {mutation.score:.1f}%: {mutation.killed} of {mutation.total} mutants killed{note}"


def page_edges(page: TargetPage) -> list[tuple[str, str, int]]:
    """The calls into and out of the page's target, sorted, for its call graph."""
    edges = [(caller, page.target, n) for caller, n in page.callers]
    edges += [(page.target, callee, n) for callee, n in page.callees]
    return sorted(edges)


def index_cells(page: TargetPage) -> tuple[str, str, str]:
    """A target's coverage, mutation score and the exceptions it raises, for the index."""
    coverage = f"{page.coverage.percent:.1f}%" if page.coverage else "-"
    mutation = f"{page.mutation.score:.1f}%" if page.mutation else "-"
    raised = ", ".join(doc.type.rpartition(".")[2] for doc in page.exceptions) or "-"
    return coverage, mutation, raised


def stats_cells(leaf: LeafStats) -> list[Cell]:
    """One row of the stochastic results table: case, leaf, runs, mean, sd, min, max and
    the histogram (or, for a categorical leaf, the most frequent values)."""
    head: list[Cell] = [(leaf.case_id, True), (leaf.leaf, True), (str(leaf.runs), False)]
    if leaf.categories:
        spread = ", ".join(f"{value}: {runs}" for value, runs in leaf.categories[:6])
        return [*head, *[("", False)] * 4, (spread, False)]
    figures = [(_number(v), False) for v in (leaf.mean, leaf.sd, leaf.low, leaf.high)]
    return [*head, *figures, (sparkline(leaf.histogram), True)]
