"""Find what differs between runs of the *same* code, and suggest config to tame it.

A golden master is only useful if re-running unchanged code reproduces it. Fields that
change anyway (timestamps, ids, summation-order noise) would otherwise be reported as
behaviour changes. ``verify --runs N`` observes a case N times, asks
:func:`find_unstable` which paths moved, reports those as "unstable", and prints
:func:`suggest_config`'s TOML so the user can scrub or tolerate them.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from legacy_harness.compare.difference import Difference
from legacy_harness.compare.engine import compare_observed
from legacy_harness.compare.policy import Policy
from legacy_harness.compare.scrub import BUILTINS
from legacy_harness.outcomes import DifferenceKind

__all__ = ["find_unstable", "partition_unstable", "suggest_config"]

#: Built-in text scrubbers tried, in order, to explain a changing string.
_TEXT_BUILTINS = ("dates", "uuids", "hex_addresses", "temp_paths")


def find_unstable(
    observations: Sequence[Mapping[str, Any]], policy: Policy | None = None
) -> list[Difference]:
    """Paths whose values differ between runs, as Differences of kind "unstable".

    Each run is compared to the first (under ``policy``, so what it already tolerates
    is not reported); a path seen in several runs is reported once, with the largest
    errors seen and the run numbers in ``detail["runs"]``.
    """
    if len(observations) < 2:
        return []
    base = observations[0]
    found: dict[str, Difference] = {}
    for run, obs in enumerate(observations[1:], start=2):
        for d in compare_observed(base, obs, policy):
            old = found.get(d.path)
            if old is None:
                detail = dict(d.detail)
                detail["original_kind"] = d.kind.value
                detail["runs"] = [run]
                found[d.path] = Difference(
                    d.path,
                    DifferenceKind.UNSTABLE,
                    d.expected,
                    d.actual,
                    d.abs_err,
                    d.rel_err,
                    detail,
                )
                continue
            old.detail["runs"].append(run)
            old.abs_err = _max(old.abs_err, d.abs_err)
            old.rel_err = _max(old.rel_err, d.rel_err)
            for key in ("max_abs", "max_rel"):
                if key in old.detail or key in d.detail:
                    old.detail[key] = _max(old.detail.get(key), d.detail.get(key))
    return list(found.values())


def partition_unstable(
    diffs: Sequence[Difference], unstable: Sequence[Difference]
) -> tuple[list[Difference], list[Difference]]:
    """Split ``diffs`` into (behaviour changes, differences at unstable paths).

    A difference is unstable when its path is an unstable path or lies under one.
    """
    paths = {u.path for u in unstable}
    changed: list[Difference] = []
    flaky: list[Difference] = []
    for d in diffs:
        p = d.path
        hit = p in paths or any(
            p.startswith(u) and p[len(u) : len(u) + 1] in (".", "[", "{") for u in paths
        )
        (flaky if hit else changed).append(d)
    return changed, flaky


def _max(x: float | None, y: float | None) -> float | None:
    if x is None:
        return y
    if y is None:
        return x
    if x != x or y != y:
        return math.nan
    return max(x, y)


def _pow10_above(x: float) -> float:
    """The smallest power of ten strictly above ``x`` (> 0, finite)."""
    e = math.floor(math.log10(x)) + 1
    while 10.0**e <= x:
        e += 1
    return float(f"1e{e}")


def _is_floaty(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "fc"
    return False


def _generalise(path: str) -> str:
    """``items[3].id`` -> ``items[*].id``: one entry covers every element."""
    return re.sub(r"\[-?\d+\]", "[*]", path)


def _suggest_one(d: Difference) -> tuple[str, dict[str, Any]]:
    """("tolerance", fields) or ("scrub", {"builtin": name}) for one unstable difference."""
    e, a = d.expected, d.actual
    kind = d.detail.get("original_kind", d.kind)
    if kind == DifferenceKind.VALUE and (_is_floaty(e) or _is_floaty(a)):
        rel = d.rel_err if d.rel_err is not None else d.detail.get("max_rel")
        ab = d.abs_err if d.abs_err is not None else d.detail.get("max_abs")
        if rel is not None and rel == rel and 0 < rel < math.inf:
            return "tolerance", {"rtol": _pow10_above(rel)}
        if ab is not None and ab == ab and 0 < ab < math.inf:
            return "tolerance", {"atol": _pow10_above(ab)}
    if isinstance(e, str) and isinstance(a, str):
        for name in _TEXT_BUILTINS:
            s = BUILTINS[name]
            if s.scrub_text(e) == s.scrub_text(a):
                return "scrub", {"builtin": name}
    if isinstance(e, (_dt.date, _dt.time)) and isinstance(a, (_dt.date, _dt.time)):
        return "scrub", {"builtin": "timestamps"}
    return "tolerance", {"ignore": True}


def suggest_config(
    diffs: Sequence[Difference], target: str | None = None, *, overrides: str = "targets"
) -> str:
    """TOML lines for pyproject.toml that tolerate or scrub the unstable ``diffs``.

    Floats and float arrays get an ``rtol`` (or ``atol`` when the expected value is
    0) at the next power of ten above the largest error seen; strings explained by a
    built-in scrubber (dates, UUIDs, addresses, temp paths) get a scrub entry; datetime
    objects the "timestamps" scrubber; anything else ``ignore = true``. Element indexes
    are generalised to ``[*]``. Returns "" when there is nothing to suggest. ``overrides``
    is the table the target's overrides go in (``Config.overrides_key``).

    tomli-w writes the TOML, so any path or target name (quotes, backslashes, an emoji)
    comes out quoted as TOML requires and reads back as it was.
    """
    import tomli_w

    tolerances: dict[str, dict[str, Any]] = {}
    scrubs: dict[tuple[str, str], None] = {}
    for d in diffs:
        path = _generalise(d.path)
        what, fields = _suggest_one(d)
        if what == "scrub":
            scrubs[(path, fields["builtin"])] = None
            continue
        old = tolerances.get(path)
        if old is None:
            tolerances[path] = fields
        elif "ignore" in old or "ignore" in fields:
            tolerances[path] = {"ignore": True}
        else:
            for k, v in fields.items():
                old[k] = max(old.get(k, 0.0), v)
    if not tolerances and not scrubs:
        return ""
    table: dict[str, Any] = {}
    if scrubs:
        table["scrub"] = [{"path": path, "builtin": name} for path, name in scrubs]
    if tolerances:
        table["tolerances"] = tolerances
    if target is not None:
        table = {overrides: {target: table}}
    return tomli_w.dumps({"tool": {"legacy_harness": table}})
