"""Scrubbers: rewrite values that legitimately change between runs before comparing.

A timestamp, a UUID or the address in a ``repr`` differs on every run although the
behaviour did not change. A scrubber replaces such text (or a whole value) by a fixed
placeholder on *both* sides, so the comparison only sees what matters.

- A regex scrubber (``pattern``) rewrites ``str`` leaves, including stdout, stderr and
  log messages; other values pass through untouched.
- A callable scrubber (``func``) receives every value at its path (every value when
  ``path`` is None, containers included) and must return it unchanged when it does not
  apply.
- ``path`` is a glob as in :mod:`legacy_harness.compare.paths` (``outcome.**.created_at``);
  None means everywhere.
"""

from __future__ import annotations

import datetime as _dt
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from legacy_harness.compare.paths import glob_to_regex, internal_path, key_segment
from legacy_harness.errors import ConfigError

__all__ = [
    "BUILTINS",
    "DATES",
    "HEX_ADDRESSES",
    "TEMP_PATHS",
    "TIMESTAMPS",
    "UUIDS",
    "Scrubber",
    "builtin",
    "scrub",
    "scrub_text",
]


@dataclass(frozen=True)
class Scrubber:
    """One rewrite rule; exactly one of ``pattern`` and ``func`` is given."""

    pattern: str | re.Pattern[str] | None = None
    replacement: str = "<scrubbed>"
    func: Callable[[Any], Any] | None = None
    path: str | None = None
    #: Name of the built-in this scrubber is (or derives from), for config round trips.
    name: str | None = None

    def __post_init__(self) -> None:
        if (self.pattern is None) == (self.func is None):
            raise ValueError("Scrubber needs exactly one of pattern= or func=")
        if isinstance(self.pattern, str):
            try:
                object.__setattr__(self, "pattern", re.compile(self.pattern))
            except re.error as exc:
                raise ConfigError(
                    f"scrub pattern {self.pattern!r} is not a valid regex ({exc}); fix the pattern"
                ) from None

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled pattern, or None for a callable scrubber."""
        return self.pattern if isinstance(self.pattern, re.Pattern) else None

    def scrub_text(self, text: str) -> str:
        """Apply to a piece of text (stdout, a log message); callables see the text too."""
        rx = self.regex
        if rx is not None:
            return rx.sub(self.replacement, text)
        assert self.func is not None
        out = self.func(text)
        return out if isinstance(out, str) else text

    def apply(self, value: Any) -> Any:
        """Scrub one value (not recursively): regex on ``str``, callable on anything."""
        rx = self.regex
        if rx is not None:
            if isinstance(value, str):
                return rx.sub(self.replacement, value)
            return value
        assert self.func is not None
        return self.func(value)

    def at(self, path: str | None) -> Scrubber:
        """The same rule restricted to ``path`` (a glob)."""
        return replace(self, path=path)


_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
_TZ = r"(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2}))?"
_ZONE = r"(?:[A-Z]{2,5}|[+-]\d{4})"
#: Numeric dates, optionally with a time: ISO (months and days of one digit too),
#: 2024/03/01, 01/03/2024.
_NUMERIC = rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{4}}/\d{{2}}/\d{{2}}|\d{{2}}/\d{{2}}/\d{{4}})(?:[T ]{_TIME}{_TZ})?"
#: 20210505T091112Z and 20250527_125703.
_COMPACT = r"\d{8}T\d{6}Z|[12]\d{3}[01]\d[0-3]\d_[0-2]\d[0-5]\d[0-5]\d"
#: C's ctime and its relatives: Tue May 13 16:30:00 [EET|-0800] [2014], Tue May 13 2014 23:30:00.789.
_CTIME = (
    rf"{_DAY}\s+{_MONTH}\s+\d{{1,2}}\s+(?:\d{{4}}\s+{_HMS}|{_HMS}(?:\s+{_ZONE})?(?:\s+\d{{4}})?)"
)
#: 13 May 2014 23:50:49,999 and May 13, 2014 11:30:00 PM PST.
_WORDS = (
    rf"\d{{1,2}}\s+{_MONTH}\s+\d{{4}}(?:\s+{_HMS})?"
    rf"|{_MONTH}\s+\d{{1,2}},\s+\d{{4}}(?:\s+{_TIME}(?:\s+[AP]M)?(?:\s+[A-Z]{{2,5}})?)?"
)
_DATES_RX = (
    rf"\b(?:{_CTIME}|{_WORDS})\b"
    rf"|(?<![\d/:.-])(?:{_COMPACT}|{_NUMERIC}|{_HMS})(?![\d/:])"
)


def _temp_roots() -> list[str]:
    import os

    roots = {"/tmp", "/var/tmp"}
    try:
        gettemp = tempfile.gettempdir()
        roots.add(gettemp)
        roots.add(os.path.realpath(gettemp))
    except OSError:  # pragma: no cover - no usable temp dir
        pass
    # Longest first so "/private/var/folders/.." wins over a shorter prefix.
    return sorted((r.rstrip("/\\") for r in roots if r.strip("/\\")), key=len, reverse=True)


_TEMP_RX = (
    r"(?<![\w.])(?:"
    + "|".join(re.escape(r) for r in _temp_roots())
    + r")(?:[/\\][^\s'\"<>,;:)\]}]*)?"
)


def _datetime_to_placeholder(value: Any) -> Any:
    """Callable for TIMESTAMPS: datetime/date/time objects become ``"<datetime>"``."""
    if isinstance(value, (_dt.date, _dt.time)):
        return "<datetime>"
    return value


#: Dates and times as programs print them: ISO dates and datetimes (``2024-03-01``,
#: ``2024-03-01T12:00:00.123+00:00``, ``2020-9-10T8:07Z``), ``2024/03/01``,
#: ``01/03/2024``, compact stamps (``20210505T091112Z``), ctime (``Tue May 13 16:30:00
#: 2014``), ``13 May 2014 23:50:49,999``, ``May 13, 2014 11:30:00 PM PST`` and a bare
#: ``23:30:00``: every format approvaltests' DateScrubber knows.
DATES = Scrubber(pattern=_DATES_RX, replacement="<date>", name="dates")
#: Hyphenated UUIDs, any case.
UUIDS = Scrubber(
    pattern=r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    replacement="<uuid>",
    name="uuids",
)
#: Memory addresses as printed in default reprs (``<Foo object at 0x7f3a1c2b>``).
HEX_ADDRESSES = Scrubber(
    pattern=r"\b0x[0-9a-fA-F]{6,16}\b", replacement="0x<address>", name="hex_addresses"
)
#: Paths under /tmp, /var/tmp and ``tempfile.gettempdir()``.
TEMP_PATHS = Scrubber(pattern=_TEMP_RX, replacement="<tmp>", name="temp_paths")
#: datetime/date/time *objects* (not text) become ``"<datetime>"``.
TIMESTAMPS = Scrubber(func=_datetime_to_placeholder, name="timestamps")

BUILTINS: dict[str, Scrubber] = {
    "dates": DATES,
    "uuids": UUIDS,
    "hex_addresses": HEX_ADDRESSES,
    "temp_paths": TEMP_PATHS,
    "timestamps": TIMESTAMPS,
}


def builtin(name: str, path: str | None = None) -> Scrubber:
    """The built-in scrubber called ``name``, optionally restricted to ``path``."""
    try:
        s = BUILTINS[name]
    except KeyError:
        known = ", ".join(sorted(BUILTINS))
        raise ConfigError(
            f"unknown built-in scrubber {name!r}; use one of {known} or give pattern=..."
        ) from None
    return s if path is None else s.at(path)


def scrub_text(text: str, scrubbers: Iterable[Scrubber]) -> str:
    """Apply every scrubber (ignoring their paths) to ``text``, in order."""
    for s in scrubbers:
        text = s.scrub_text(text)
    return text


def scrub(value: Any, scrubbers: Iterable[Scrubber], path: str = "") -> Any:
    """Return a scrubbed copy of nested dict/list/tuple/set data, honouring paths.

    Comparison scrubs on the fly; this is for showing or storing scrubbed values. When
    no scrubber is restricted to a path, a value shared by several places is scrubbed
    once and stays shared in the copy, so a graph of shared values is copied in
    linear time (and never expanded into a tree).
    """
    rules = [(s, glob_to_regex(s.path) if s.path is not None else None) for s in scrubbers]
    by_path = any(rx is not None for _, rx in rules)
    done: dict[tuple[int, str], tuple[Any, Any]] = {}

    def walk(v: Any, p: str, depth: int) -> Any:
        key = (id(v), p if by_path else "")
        hit = done.get(key)
        if hit is not None:
            return hit[1]
        out = v
        for s, rx in rules:
            if rx is None or rx.fullmatch(p):
                out = s.apply(out)
        if depth <= 200:
            t = type(out)
            if t is dict:
                out = {k: walk(x, p + key_segment(k), depth + 1) for k, x in out.items()}
            elif t is list or t is tuple:
                items = [walk(x, f"{p}[{i}]", depth + 1) for i, x in enumerate(out)]
                out = items if t is list else tuple(items)
            elif t is set or t is frozenset:
                out = t(walk(x, p + "{...}", depth + 1) for x in out)
        done[key] = (v, out)  # holding v keeps its id from being reused meanwhile
        return out

    return walk(value, internal_path(path), 0)
