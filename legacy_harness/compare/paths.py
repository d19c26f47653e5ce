"""Paths into compared values, and the glob grammar that selects them.

A path names one place in an observed call, as reports show it:
``outcome.metrics.train.loss``, ``effects.self.items[2].quality``. A dict key that is
not a ``str`` identifier is written ``[repr(key)]``, a list index ``[3]``, a set
element ``{...}``.

Internally every path keeps the leading "." of its first key (``.outcome.x``), so a
segment always starts with ".", "[" or "{" and globs can be matched segment by segment
with one regex; :func:`internal_path` and :func:`public_path` convert between the two
forms.

Globs: ``*`` is one segment (key or index), ``[*]`` one bracketed segment, ``**`` any
number of segments (zero included), and ``*`` or ``?`` inside a name match part of it
(``loss_*``). A glob is specific by its literal segments, then by fewer ``**``, then by
fewer wildcards: :func:`glob_specificity` gives that order.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = [
    "glob_specificity",
    "glob_to_regex",
    "internal_path",
    "key_segment",
    "names_literal_index",
    "public_path",
]

#: One segment of an internal path: ``.name``, ``[...]`` (quotes may hold ``]``), ``{...}``.
_SEG = r"(?:\.[^.\[{]+|\[(?:[^\]'\"]|'[^']*'|\"[^\"]*\")*\]|\{\.\.\.\})"
_BRACKET = r"\[(?:[^\]'\"]|'[^']*'|\"[^\"]*\")*\]"
_LITERAL_INDEX = re.compile(r"\[\s*-?\d")


@lru_cache(maxsize=4096)
def _parse(glob: str) -> tuple[str, tuple[int, int, int]]:
    """Regex source and specificity key (literals, -doublestars, -wildcards) of a glob."""
    out: list[str] = []
    literals = doubles = wilds = 0
    i, n = 0, len(glob)
    while i < n:
        ch = glob[i]
        if ch == ".":
            i += 1
            continue
        if ch == "[":
            j = i + 1
            quote = ""
            while j < n and (glob[j] != "]" or quote):
                if glob[j] in "'\"":
                    quote = "" if quote == glob[j] else (quote or glob[j])
                j += 1
            if j >= n:
                raise ValueError(f"unclosed '[' in {glob!r}; close it with ']'")
            if glob[i + 1 : j] == "*":
                out.append(_BRACKET)
                wilds += 1
            else:
                out.append(re.escape(glob[i : j + 1]))
                literals += 1
            i = j + 1
            continue
        if ch == "{":
            if not glob.startswith("{...}", i):
                raise ValueError(f"only '{{...}}' may appear in braces in {glob!r}")
            out.append(re.escape("{...}"))
            literals += 1
            i += 5
            continue
        j = i
        while j < n and glob[j] not in ".[{":
            j += 1
        name = glob[i:j]
        i = j
        if name == "**":
            out.append(_SEG + "*")
            doubles += 1
        elif name == "*":
            out.append(_SEG)
            wilds += 1
        elif "*" in name or "?" in name:
            body = "".join(
                "[^.\\[{]*" if c == "*" else "[^.\\[{]" if c == "?" else re.escape(c) for c in name
            )
            out.append(r"\." + body)
            wilds += 1
        else:
            out.append(r"\." + re.escape(name))
            literals += 1
    return "".join(out), (literals, -doubles, -wilds)


@lru_cache(maxsize=4096)
def glob_to_regex(glob: str) -> re.Pattern[str]:
    """Compile a path glob to a regex to ``fullmatch`` against internal paths.

    Raises ValueError naming the glob when it is malformed (an unclosed ``[``, braces
    other than ``{...}``).
    """
    return re.compile(_parse(glob)[0])


def glob_specificity(glob: str) -> tuple[int, int, int]:
    """Sort key of a glob, least specific first: literal segments, then fewer ``**``,
    then fewer wildcards (so ``a.b`` outranks ``a.*``, which outranks ``**``)."""
    return _parse(glob)[1]


def names_literal_index(glob: str) -> bool:
    """Whether a glob names a list index literally (``x[1]``): then list elements differ
    in the rules they match, and a comparison cannot share rule lookups between them."""
    return _LITERAL_INDEX.search(glob) is not None


def internal_path(path: str) -> str:
    """The internal form of a public path: ``outcome.x`` -> ``.outcome.x``."""
    if not path or path[0] in ".[{":
        return path
    return "." + path


def public_path(path: str) -> str:
    """The form reports show: ``.outcome.x`` -> ``outcome.x``."""
    return path[1:] if path.startswith(".") else path


def key_segment(key: Any) -> str:
    """The path segment of a dict key: ``.name`` for identifiers, else ``[repr(key)]``."""
    if type(key) is str and key.isidentifier():
        return "." + key
    return f"[{key!r}]"
