"""One way observed behaviour differs from its master, and how it reads.

A :class:`Difference` is the unit every consumer shares: the CLI and the pytest plugin
print it, ``check`` turns it into JSON, JUnit and GitHub annotations, ``verify --runs``
marks it unstable. Its text form lives here, beside it, so ``assert_close`` (in this
package) and the report layer (above it) say exactly the same thing without the
comparison importing the reports; the report layer adds colour, JSON and summaries.

Values in a difference come from golden files, which are untrusted: a value may be a
graph of shared references that would be exponentially large written out as a tree.
:func:`short_repr` and :meth:`Difference.to_dict` therefore do bounded work whatever
the value, and write normal values exactly as ``repr`` and ``json`` would.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from legacy_harness.outcomes import DifferenceKind

__all__ = [
    "DIFF_LINES",
    "Difference",
    "Style",
    "describe",
    "plain",
    "report_lines",
    "short_repr",
    "unified_diff",
]

#: Lines of a unified diff shown per difference before it is cut.
DIFF_LINES = 40
#: Containers written out per :meth:`Difference.to_dict` field before the rest is only named.
_JSON_NODES = 5_000


@dataclass(init=False)
class Difference:
    """One way ``actual`` differs from ``expected`` at ``path``.

    ``kind`` is a :class:`~legacy_harness.outcomes.DifferenceKind` (its plain string
    value is accepted too). For arrays, ``detail`` holds the summary (count, total,
    share, max_abs, max_rel, worst_index, worst_expected, worst_actual,
    first=[(index, expected, actual)...]); for long or multi-line strings and printed
    output, ``detail["diff"]`` holds a unified diff.
    """

    path: str
    kind: DifferenceKind
    expected: Any
    actual: Any
    abs_err: float | None = None
    rel_err: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        path: str,
        kind: DifferenceKind | str,
        expected: Any,
        actual: Any,
        abs_err: float | None = None,
        rel_err: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        if type(kind) is not DifferenceKind:
            try:
                kind = DifferenceKind(kind)
            except ValueError:
                known = ", ".join(repr(k.value) for k in DifferenceKind)
                raise ValueError(
                    f"unknown difference kind {kind!r} at {path!r}; use one of {known}"
                ) from None
        self.path = path
        self.kind = kind
        self.expected = expected
        self.actual = actual
        self.abs_err = abs_err
        self.rel_err = rel_err
        self.detail = {} if detail is None else detail

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: non-finite floats become "nan"/"inf", other objects reprs."""
        return {
            "path": self.path,
            "kind": self.kind.value,
            "expected": _jsonable(self.expected),
            "actual": _jsonable(self.actual),
            "abs_err": _jsonable(self.abs_err),
            "rel_err": _jsonable(self.rel_err),
            "detail": _jsonable(self.detail),
        }

    def __eq__(self, other: object) -> bool:  # arrays inside make field-wise == ambiguous
        if not isinstance(other, Difference):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- bounded forms


class _Full(Exception):
    """Raised inside :func:`_bounded_repr` once enough text is written."""


_OPEN: dict[type, str] = {list: "[", tuple: "(", dict: "{", set: "{", frozenset: "frozenset({"}
_CLOSE: dict[type, str] = {list: "]", tuple: ")", dict: "}", set: "}", frozenset: "})"}
_EMPTY: dict[type, str] = {
    list: "[]",
    tuple: "()",
    dict: "{}",
    set: "set()",
    frozenset: "frozenset()",
}
_AGAIN: dict[type, str] = {
    list: "[...]",
    tuple: "(...)",
    dict: "{...}",
    set: "set(...)",
    frozenset: "frozenset(...)",
}


def _bounded_repr(value: Any, limit: int) -> str:
    """``repr(value)``, or its first ``limit``-odd characters when it is longer.

    The built-in containers are written here, as ``repr`` writes them, stopping once
    the text is long enough: ``repr`` itself would first expand every shared reference.
    Anything else is its own ``repr``.
    """
    parts: list[str] = []
    size = 0
    open_ids: set[int] = set()

    def put(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size > limit:
            raise _Full

    def walk(v: Any) -> None:
        t = type(v)
        if t not in _OPEN:
            put(repr(v))
            return
        if id(v) in open_ids:
            put(_AGAIN[t])
            return
        if not v:
            put(_EMPTY[t])
            return
        open_ids.add(id(v))
        put(_OPEN[t])
        if t is dict:
            for i, (k, x) in enumerate(v.items()):
                if i:
                    put(", ")
                walk(k)
                put(": ")
                walk(x)
        else:
            for i, x in enumerate(v):
                if i:
                    put(", ")
                walk(x)
            if t is tuple and len(v) == 1:
                put(",")
        put(_CLOSE[t])
        open_ids.discard(id(v))

    try:
        walk(value)
    except _Full:
        pass
    return "".join(parts)


def short_repr(value: Any, width: int = 200) -> str:
    """``repr`` cut to ``width`` characters (ending "..."), never failing.

    Bounded work for any value, so a report on a hostile golden file stays fast; a
    ``__repr__`` that raises is shown as such rather than breaking the report.
    """
    try:
        text = _bounded_repr(value, width)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not break reports
        text = f"<{type(value).__name__} with failing repr: {exc}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _jsonable(value: Any) -> Any:
    """JSON-safe copy of ``value``: nested data as data, other objects as short reprs.

    Nesting beyond 20 levels and lists over 100 items become short reprs; after
    ``_JSON_NODES`` containers (a graph of shared references written out as a tree
    would never end) further ones are only named.
    """
    left = _JSON_NODES

    def conv(value: Any, depth: int) -> Any:
        nonlocal left
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return float(value)
            return "nan" if value != value else ("inf" if value > 0 else "-inf")
        if isinstance(value, np.generic) and not isinstance(value, (np.void, np.object_)):
            try:
                return conv(value.item(), depth)
            except Exception:  # noqa: BLE001 - odd scalar types fall back to repr
                return repr(value)
        if isinstance(value, (Mapping, list, tuple, np.ndarray)):
            left -= 1
            if left < 0:
                return f"<{type(value).__name__} not shown: the value is too large>"
        if depth > 20:
            return short_repr(value)
        if isinstance(value, np.ndarray):
            if value.size <= 20 and value.dtype.kind in "biufcUS":
                return conv(value.tolist(), depth + 1)
            return f"array(shape={value.shape}, dtype={value.dtype})"
        if isinstance(value, complex):
            return {"real": conv(value.real, depth), "imag": conv(value.imag, depth)}
        if isinstance(value, Mapping):
            return {
                (k if isinstance(k, str) else repr(k)): conv(v, depth + 1) for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            if len(value) > 100:
                return short_repr(value)
            return [conv(v, depth + 1) for v in value]
        return short_repr(value)

    return conv(value, 0)


def unified_diff(expected: str, actual: str) -> str:
    """Unified diff of two texts, as ``detail["diff"]`` holds it and reports show it."""
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile="expected",
        tofile="actual",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


# --------------------------------------------------------------------------- text form

#: Marks up a piece of text by its role: "path", "kind", "expected", "actual", "hunk",
#: "dim" or "title". The report layer passes one that adds colour.
Style = Callable[[str, str], str]


def plain(role: str, text: str) -> str:
    """The :data:`Style` that adds nothing."""
    return text


def report_lines(
    diffs: Sequence[Difference],
    *,
    limit: int | None = 50,
    title: str | None = None,
    style: Style = plain,
) -> list[str]:
    """The text report: ``title``, then each difference, cut after ``limit`` (None or a
    negative number shows all) with an explicit "N more differences" line."""
    lines: list[str] = []
    if title:
        lines.append(style("title", title))
    shown = diffs if limit is None or limit < 0 else diffs[:limit]
    for d in shown:
        lines.extend(describe(d, style))
    rest = len(diffs) - len(shown)
    if rest:
        lines.append(style("dim", f"... {rest:,} more difference{'s' if rest != 1 else ''}"))
    return lines


_LABELS = {
    DifferenceKind.VALUE: "value differs",
    DifferenceKind.EXCEPTION_CHANGED: "exception changed",
    DifferenceKind.UNSTABLE: "unstable between runs",
}


def describe(d: Difference, style: Style = plain) -> list[str]:
    """The lines that show one difference: a head line (path and what differs), then
    expected and actual, an array summary or a unified diff."""
    K = DifferenceKind
    path = style("path", d.path or "<root>")
    det = d.detail or {}
    exp = "  " + style("expected", "expected:") + " "
    act = "  " + style("actual", "actual:") + "   "
    if d.kind in (K.VALUE, K.UNSTABLE) and "count" in det:
        return _array_lines(d, path, det, style)
    if d.kind in (K.SHAPE, K.DTYPE):
        key = d.kind.value
        e = det.get(f"expected_{key}", _value(d.expected))
        a = det.get(f"actual_{key}", _value(d.actual))
        return [f"{path}: {style('kind', key + ' differs')}", exp + str(e), act + str(a)]
    if d.kind is K.LENGTH:
        head = f"{path}: {style('kind', 'length differs')}"
        return [head, exp + _value(d.expected), act + _value(d.actual)]
    if d.kind is K.MISSING_KEY:
        return [f"{path}: {style('kind', 'missing')}", exp + _value(d.expected)]
    if d.kind is K.EXTRA_KEY:
        return [f"{path}: {style('kind', 'unexpected')}", act + _value(d.actual)]
    if d.kind is K.OUTPUT_CHANGED or (d.kind is K.VALUE and "diff" in det):
        label = "output changed" if d.kind is K.OUTPUT_CHANGED else "value differs"
        return [f"{path}: {style('kind', label)}", *_diff_lines(det.get("diff", ""), style)]
    if d.kind is K.TYPE:
        return [
            f"{path}: {style('kind', 'type differs')}",
            exp + f"{_type_name(d.expected)} {_value(d.expected)}",
            act + f"{_type_name(d.actual)} {_value(d.actual)}",
        ]
    head = f"{path}: {style('kind', _LABELS.get(d.kind, d.kind.value))}"
    lines = [head, exp + _value(d.expected), act + _value(d.actual) + _errors(d)]
    if "diff" in det:
        lines.extend(_diff_lines(det["diff"], style))
    return lines


def _array_lines(d: Difference, path: str, det: dict[str, Any], style: Style) -> list[str]:
    what = f"{det['count']:,} of {det['total']:,} elements differ"
    if d.kind is DifferenceKind.UNSTABLE:
        what += " between runs"
    head = f"{path}: {style('kind', what)} ({_share(det['share'])})"
    worst = (
        f" at {_index(det.get('worst_index'))} (expected {_value(det.get('worst_expected'))}"
        f", actual {_value(det.get('worst_actual'))})"
    )
    if det.get("max_abs") is not None:
        head += f", max abs {_num(det['max_abs'])}{worst}, max rel {_num(det.get('max_rel'))}"
    else:
        head += f", first{worst}"
    lines = [head]
    for ix, e, a in det.get("first", []):
        lines.append(
            f"  {_index(ix)} {style('expected', 'expected')} {_value(e)}, "
            f"{style('actual', 'actual')} {_value(a)}"
        )
    if det["count"] > len(det.get("first", [])):
        lines.append("  " + style("dim", "..."))
    return lines


def _diff_lines(text: str, style: Style, indent: str = "  ") -> list[str]:
    lines = text.splitlines()
    out = []
    for line in lines[:DIFF_LINES]:
        if line.startswith(("---", "+++")):
            role = "path"
        elif line.startswith("@@"):
            role = "hunk"
        elif line.startswith("+"):
            role = "actual"
        elif line.startswith("-"):
            role = "expected"
        else:
            role = ""
        out.append(indent + (style(role, line) if role else line))
    if len(lines) > DIFF_LINES:
        out.append(indent + style("dim", f"... {len(lines) - DIFF_LINES} more diff lines"))
    return out


def _num(x: Any) -> str:
    if x is None:
        return "?"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.3g}"
    return str(x)


def _index(ix: Any) -> str:
    if isinstance(ix, (tuple, list)):
        return "[" + ", ".join(str(i) for i in ix) + "]" if ix else "[()]"
    return f"[{ix}]"


def _value(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array(shape={v.shape}, dtype={v.dtype})"
    if isinstance(v, np.generic):  # numpy 2 reprs read np.float64(0.5): show the number
        return f"{v.item()!r} ({v.dtype})"
    return short_repr(v)


def _share(share: float) -> str:
    pct = share * 100
    return f"{pct:.1f}%" if pct >= 0.1 else f"{pct:.2g}%"


def _errors(d: Difference) -> str:
    parts = []
    if d.abs_err is not None:
        parts.append(f"abs {_num(d.abs_err)}")
    if d.rel_err is not None:
        parts.append(f"rel {_num(d.rel_err)}")
    return f"  ({', '.join(parts)})" if parts else ""


def _type_name(v: Any) -> str:
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
