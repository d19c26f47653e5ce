"""Render differences for people (plain or ANSI-coloured text) and for tools (JSON).

One list of :class:`~legacy_harness.compare.difference.Difference` renders three ways so
the CLI, the pytest plugin and CI annotations all say the same thing. The text of each
difference is the comparison's own (:func:`~legacy_harness.compare.difference.describe`,
also used by ``assert_close``); this module colours it. Long reports are cut at
``limit`` with an explicit "N more differences" line: never silently. Colours are
pytest's: what was expected (a ``-`` line) in red, what happened (``+``) in green.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import IO, Any

from legacy_harness.compare.difference import Difference, plain, report_lines
from legacy_harness.terminal import color_enabled

__all__ = ["paint", "paint_report", "render_json", "render_text", "supports_color", "to_data"]

_RESET = "\x1b[0m"
_STYLES = {
    "path": "\x1b[1m",
    "kind": "\x1b[33m",
    "expected": "\x1b[31m",
    "actual": "\x1b[32m",
    # the words of a run's report: a case that failed, one to look at, a pass
    "failed": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "passed": "\x1b[1;32m",
    "hunk": "\x1b[36m",
    "dim": "\x1b[2m",
    "title": "\x1b[1;4m",
}


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


def _ansi(role: str, text: str) -> str:
    """The colouring style: one ANSI sequence per role, reset after the text."""
    return f"{_STYLES[role]}{text}{_RESET}"


def render_text(
    diffs: Sequence[Difference], *, limit: int = 50, color: bool = False, title: str | None = None
) -> str:
    """The report as text; ANSI colours only when ``color`` is true."""
    return "\n".join(report_lines(diffs, limit=limit, title=title, style=_ansi if color else plain))


def to_data(diffs: Sequence[Difference]) -> list[dict[str, Any]]:
    """The report as JSON-safe data (all differences, no truncation)."""
    return [d.to_dict() for d in diffs]


def render_json(diffs: Sequence[Difference], *, indent: int | None = 2) -> str:
    """The report as strict JSON (no NaN literals)."""
    return json.dumps(to_data(diffs), indent=indent, allow_nan=False)
