"""Render differences for people (plain or ANSI-coloured text) and for tools (JSON).

One list of :class:`~legacy_harness.compare.engine.Difference` renders three ways so the CLI,
the pytest plugin and CI annotations all say the same thing. Long reports are cut at
``limit`` with an explicit "N more differences" line: never silently. Colours are
pytest's: what was expected (a ``-`` line) in red, what happened (``+``) in green.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import IO, Any

from legacy_harness.compare.engine import Difference, _short_repr
from legacy_harness.terminal import color_enabled

__all__ = ["paint", "paint_report", "render_json", "render_text", "supports_color", "to_data"]

_RESET = "\x1b[0m"
_STYLES = {
    "path": "\x1b[1m",
    "kind": "\x1b[33m",
    "expected": "\x1b[31m",
    "actual": "\x1b[32m",
    "hunk": "\x1b[36m",
    "dim": "\x1b[2m",
    "title": "\x1b[1;4m",
    # the words of a run's report: a case that failed, one to look at, a pass
    "failed": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "passed": "\x1b[1;32m",
}

#: Lines of a unified diff shown per difference before it is cut.
DIFF_LINES = 40


def supports_color(stream: IO[Any] | Any) -> bool:
    """Whether to colour output for ``stream``: NO_COLOR / FORCE_COLOR, TERM, isatty
    (the terminal layer's rule, so every command decides alike)."""
    return color_enabled(stream)


def paint(role: str, text: str, color: bool = True) -> str:
    """``text`` in the colour of ``role`` (a key of the style table) when ``color``."""
    return f"{_STYLES[role]}{text}{_RESET}" if color and text else text


#: Lines of a plain report and the role each shows: the labels of expected and actual
#: values, the lines of a unified diff, array elements.
_PLAIN_LINES = (
    (re.compile(r"^(\s*)(expected:)(.*)$"), ("", "expected", "")),
    (re.compile(r"^(\s*)(actual:)(.*)$"), ("", "actual", "")),
    (re.compile(r"^(\s*)((?:---|\+\+\+) .*)$"), ("", "path")),
    (re.compile(r"^(\s*)(@@.*)$"), ("", "hunk")),
    (re.compile(r"^(\s*)(-.*)$"), ("", "expected")),
    (re.compile(r"^(\s*)(\+.*)$"), ("", "actual")),
    (
        re.compile(r"^(\s*\[[^\]]*\] )(expected)( .*, )(actual)( .*)$"),
        ("", "expected", "", "actual", ""),
    ),
)


#: What a difference's first line says after its path (the "kind" role).
_KIND = re.compile(
    r"(value differs|type differs|shape differs|dtype differs|length differs|missing"
    r"|unexpected|output changed|exception changed|unstable between runs"
    r"|[\d,]+ of [\d,]+ elements differ(?: between runs)?)(.*)"
)


def _paint_head(line: str) -> str:
    """``path: kind ...``, the first line of a difference, as :func:`render_text` colours it."""
    if line.startswith("... "):
        return paint("dim", line)
    path, separator, rest = line.partition(": ")
    kind = _KIND.fullmatch(rest)
    if not separator or kind is None:
        return line
    return f"{paint('path', path)}: {paint('kind', kind.group(1))}{kind.group(2)}"


def paint_report(text: str) -> str:
    """Colour a report :func:`render_text` wrote without colour (as ``check``'s workers
    do, to send plain text between processes): the same roles, found by line shape."""
    out = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            out.append(_paint_head(line))
            continue
        for pattern, roles in _PLAIN_LINES:
            match = pattern.match(line)
            if match:
                line = "".join(
                    paint(role, part) if role else part
                    for part, role in zip(match.groups(), roles, strict=True)
                )
                break
        out.append(line)
    return "\n".join(out)


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
    try:
        import numpy as np

        if isinstance(v, np.ndarray):
            return f"array(shape={v.shape}, dtype={v.dtype})"
        if isinstance(v, np.generic):  # numpy 2 reprs read np.float64(0.5): show the number
            return f"{v.item()!r} ({v.dtype})"
    except ImportError:  # pragma: no cover
        pass
    return _short_repr(v)


def _share(share: float) -> str:
    pct = share * 100
    return f"{pct:.1f}%" if pct >= 0.1 else f"{pct:.2g}%"


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.color else text

    def diff(self, text: str, indent: str = "  ") -> list[str]:
        lines = text.splitlines()
        out = []
        for line in lines[:DIFF_LINES]:
            if line.startswith(("---", "+++")):
                style = "path"
            elif line.startswith("@@"):
                style = "hunk"
            elif line.startswith("+"):
                style = "actual"
            elif line.startswith("-"):
                style = "expected"
            else:
                style = ""
            out.append(indent + (self(style, line) if style else line))
        if len(lines) > DIFF_LINES:
            out.append(indent + self("dim", f"... {len(lines) - DIFF_LINES} more diff lines"))
        return out


def _errs(d: Difference) -> str:
    parts = []
    if d.abs_err is not None:
        parts.append(f"abs {_num(d.abs_err)}")
    if d.rel_err is not None:
        parts.append(f"rel {_num(d.rel_err)}")
    return f"  ({', '.join(parts)})" if parts else ""


def _render_one(d: Difference, p: _Painter) -> list[str]:
    path = p("path", d.path or "<root>")
    det = d.detail or {}
    exp = "  " + p("expected", "expected:") + " "
    act = "  " + p("actual", "actual:") + "   "
    if d.kind in ("value", "unstable") and "count" in det:
        what = f"{det['count']:,} of {det['total']:,} elements differ"
        if d.kind == "unstable":
            what += " between runs"
        head = f"{path}: {p('kind', what)} ({_share(det['share'])})"
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
                f"  {_index(ix)} {p('expected', 'expected')} {_value(e)}, "
                f"{p('actual', 'actual')} {_value(a)}"
            )
        if det["count"] > len(det.get("first", [])):
            lines.append("  " + p("dim", "..."))
        return lines
    if d.kind in ("shape", "dtype"):
        key = "shape" if d.kind == "shape" else "dtype"
        e = det.get(f"expected_{key}", _value(d.expected))
        a = det.get(f"actual_{key}", _value(d.actual))
        return [f"{path}: {p('kind', d.kind + ' differs')}", exp + str(e), act + str(a)]
    if d.kind == "length":
        return [
            f"{path}: {p('kind', 'length differs')}",
            exp + _value(d.expected),
            act + _value(d.actual),
        ]
    if d.kind == "missing key":
        return [f"{path}: {p('kind', 'missing')}", exp + _value(d.expected)]
    if d.kind == "extra key":
        return [f"{path}: {p('kind', 'unexpected')}", act + _value(d.actual)]
    if d.kind == "output changed" or (d.kind == "value" and "diff" in det):
        label = "output changed" if d.kind == "output changed" else "value differs"
        return [f"{path}: {p('kind', label)}", *p.diff(det.get("diff", ""))]
    if d.kind == "type":
        return [
            f"{path}: {p('kind', 'type differs')}",
            exp + f"{_tname(d.expected)} {_value(d.expected)}",
            act + f"{_tname(d.actual)} {_value(d.actual)}",
        ]
    label = {
        "value": "value differs",
        "exception changed": "exception changed",
        "unstable": "unstable between runs",
    }.get(d.kind, d.kind)
    head = f"{path}: {p('kind', label)}"
    lines = [head, exp + _value(d.expected), act + _value(d.actual) + _errs(d)]
    if "diff" in det:
        lines.extend(p.diff(det["diff"]))
    return lines


def _tname(v: Any) -> str:
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def render_text(
    diffs: Sequence[Difference], *, limit: int = 50, color: bool = False, title: str | None = None
) -> str:
    """The report as text; ANSI colours only when ``color`` is true."""
    p = _Painter(color)
    lines: list[str] = []
    if title:
        lines.append(p("title", title))
    shown = diffs if limit is None or limit < 0 else diffs[:limit]
    for d in shown:
        lines.extend(_render_one(d, p))
    rest = len(diffs) - len(shown)
    if rest:
        lines.append(p("dim", f"... {rest:,} more difference{'s' if rest != 1 else ''}"))
    return "\n".join(lines)


def to_data(diffs: Sequence[Difference]) -> list[dict[str, Any]]:
    """The report as JSON-safe data (all differences, no truncation)."""
    return [d.to_dict() for d in diffs]


def render_json(diffs: Sequence[Difference], *, indent: int | None = 2) -> str:
    """The report as strict JSON (no NaN literals)."""
    return json.dumps(to_data(diffs), indent=indent, allow_nan=False)
