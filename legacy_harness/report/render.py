"""Render differences for people (plain or ANSI-coloured text) and for tools (JSON).

One list of :class:`~legacy_harness.compare.difference.Difference` renders three ways so
the CLI, the pytest plugin and CI annotations all say the same thing. The text of each
difference is the comparison's own (:func:`~legacy_harness.compare.difference.describe`,
also used by ``assert_close``); this module colours it. Long reports are cut at
``limit`` with an explicit "N more differences" line: never silently.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import IO, Any

from legacy_harness.compare.difference import Difference, plain, report_lines

__all__ = ["render_json", "render_text", "supports_color", "to_data"]

_RESET = "\x1b[0m"
_STYLES = {
    "path": "\x1b[1m",
    "kind": "\x1b[33m",
    "expected": "\x1b[32m",
    "actual": "\x1b[31m",
    "hunk": "\x1b[36m",
    "dim": "\x1b[2m",
    "title": "\x1b[1;4m",
}


def supports_color(stream: IO[Any] | Any) -> bool:
    """Whether to colour output for ``stream``: NO_COLOR / FORCE_COLOR, TERM, isatty."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force and force != "0":
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


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
