"""Build a comparison :class:`~legacy_harness.compare.policy.Policy` from pyproject.toml.

The ``[tool.legacy_harness]`` table configures comparison with top-level tolerance
fields and flags (``rtol``, ``strict_int_width``...) and the sub-tables
``tolerances`` (path glob -> tolerance), ``type_tolerances`` (type name -> tolerance),
``targets`` (``"module:qualname"`` glob -> a nested policy) and ``scrub`` (a list of
built-in names or ``{ path, pattern, replacement }`` / ``{ path, builtin }`` tables).
A path tolerance may name an ``invariant`` (``labels``, ``sign``, ``rows``, ``set``).

The table is checked here, once, so a mistake is a :class:`ConfigError` naming the
exact key (``tool.legacy_harness.tolerances."outcome.x".rtl``) and how to fix it,
rather than a surprise in the middle of a comparison.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from legacy_harness.compare.invariants import INVARIANTS
from legacy_harness.compare.paths import glob_to_regex
from legacy_harness.compare.policy import DEFAULT_TOLERANCE, FLAG_FIELDS, Policy, Tolerance
from legacy_harness.compare.scrub import Scrubber, builtin
from legacy_harness.errors import ConfigError

__all__ = ["policy_from_config"]

#: The keys of the shared table that configure comparison (others belong elsewhere).
_TOP_KEYS = (
    "rtol",
    "atol",
    "max_ulp",
    "nan_equal",
    "signed_zero",
    *FLAG_FIELDS,
    "max_differences",
    "tolerances",
    "type_tolerances",
    "targets",
    "scrub",
)
_TOLERANCE_FLAGS = ("nan_equal", "signed_zero", "unordered", "exact", "ignore")


def policy_from_config(table: Mapping[str, Any], *, where: str = "tool.legacy_harness") -> Policy:
    """The policy a ``[tool.legacy_harness]`` table describes.

    ``where`` is the table's dotted name, used to name the offending key in errors.
    The table is shared with other settings (``store``, ``redact``...), so unknown
    top-level keys are ignored unless they look like a misspelt comparison key;
    unknown keys inside the comparison's own sub-tables are always errors.
    """
    return _policy(table, where=where, top=True)


def _number(where: str, key: str, value: Any, *, integer: bool = False) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or value < 0 or value != value:
        want = "a non-negative integer" if integer else "a non-negative number"
        raise ConfigError(f"{where}.{key} = {value!r} is invalid; set it to {want}")
    return value if integer else float(value)


def _flag(where: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} = {value!r} is invalid; set it to true or false")
    return value


def _invariant(where: str, value: Any, *, by_path: bool) -> str:
    if not by_path:
        raise ConfigError(
            f"{where}.invariant: an invariant describes a place in the output;"
            " set it under [tool.legacy_harness.tolerances] with a path glob"
        )
    if value not in INVARIANTS:
        close = difflib.get_close_matches(str(value), INVARIANTS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{where}.invariant = {value!r} is not an invariant; {hint}"
            f"use one of {', '.join(repr(name) for name in INVARIANTS)}"
        )
    return str(value)


def _tolerance(where: str, table: Any, *, by_path: bool = True) -> Tolerance:
    if isinstance(table, Tolerance):
        return table
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{where} = {table!r} is invalid; write an inline table like {{ rtol = 1e-06 }}"
        )
    kw: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("rtol", "atol"):
            kw[key] = _number(where, key, value)
        elif key == "max_ulp":
            kw[key] = _number(where, key, value, integer=True)
        elif key in _TOLERANCE_FLAGS:
            kw[key] = _flag(where, key, value)
        elif key == "invariant":
            kw[key] = _invariant(where, value, by_path=by_path)
        else:
            raise ConfigError(
                f"{where}: unknown key {key!r}; use rtol, atol, max_ulp, nan_equal, "
                "signed_zero, unordered, exact, ignore or invariant"
            )
    return Tolerance(**kw)


def _glob(where: str, glob: str) -> str:
    try:
        glob_to_regex(glob)
    except ValueError as exc:
        raise ConfigError(f"{where}: bad path glob ({exc}); see docs for the glob syntax") from None
    return glob


def _scrubbers(where: str, value: Any) -> tuple[Scrubber, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            f"{where} = {value!r} is invalid; write a list of built-in names or tables"
        )
    out = []
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        if isinstance(item, str):
            out.append(builtin(item))
            continue
        if not isinstance(item, Mapping):
            raise ConfigError(f"{at} = {item!r} is invalid; use a built-in name or a table")
        unknown = set(item) - {"path", "pattern", "replacement", "builtin"}
        if unknown:
            raise ConfigError(
                f"{at}: unknown key {sorted(unknown)[0]!r}; use path, pattern, replacement "
                "or builtin"
            )
        path = item.get("path")
        if path is not None:
            if not isinstance(path, str):
                raise ConfigError(f"{at}.path = {path!r} is invalid; write a glob string")
            _glob(f"{at}.path", path)
        if ("pattern" in item) == ("builtin" in item):
            raise ConfigError(f"{at}: give exactly one of pattern = '...' or builtin = '...'")
        if "builtin" in item:
            out.append(builtin(str(item["builtin"]), path))
            continue
        pattern, replacement = item["pattern"], item.get("replacement", "<scrubbed>")
        if not isinstance(pattern, str) or not isinstance(replacement, str):
            raise ConfigError(f"{at}: pattern and replacement must be strings")
        out.append(Scrubber(pattern=pattern, replacement=replacement, path=path))
    return tuple(out)


def _rules(where: str, key: str, value: Any) -> tuple[tuple[str, Tolerance], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{key} must be a table of glob = {{ rtol = ... }}")
    rules = []
    for name, table in value.items():
        at = f'{where}.{key}."{name}"'
        if key == "tolerances":
            _glob(at, str(name))
        rules.append((str(name), _tolerance(at, table, by_path=key == "tolerances")))
    return tuple(rules)


def _policy(table: Any, *, where: str, top: bool) -> Policy:
    if not isinstance(table, Mapping):
        raise ConfigError(f"[{where}] must be a table, got {table!r}")
    kw: dict[str, Any] = {}
    default_kw: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("rtol", "atol"):
            default_kw[key] = _number(where, key, value)
        elif key == "max_ulp":
            default_kw[key] = _number(where, key, value, integer=True)
        elif key in ("nan_equal", "signed_zero"):
            default_kw[key] = _flag(where, key, value)
        elif key in FLAG_FIELDS:
            kw[key] = _flag(where, key, value)
        elif key == "max_differences":
            kw[key] = _number(where, key, value, integer=True)
        elif key in ("tolerances", "type_tolerances"):
            kw["paths" if key == "tolerances" else "types"] = _rules(where, key, value)
        elif key == "targets":
            if not top:
                raise ConfigError(f"{where}.targets: targets cannot nest; move it to the top level")
            if not isinstance(value, Mapping):
                raise ConfigError(f'{where}.targets must be a table of "pkg.mod:func" = {{...}}')
            kw["targets"] = tuple(
                (str(spec), _policy(sub, where=f'{where}.targets."{spec}"', top=False))
                for spec, sub in value.items()
            )
        elif key == "scrub":
            kw["scrubbers"] = _scrubbers(f"{where}.scrub", value)
        else:
            close = difflib.get_close_matches(key, _TOP_KEYS, n=1, cutoff=0.8)
            if not top or close:
                hint = f"did you mean {close[0]!r}?" if close else "remove it"
                raise ConfigError(f"{where}: unknown key {key!r}; {hint}")
    if default_kw:
        partial = Tolerance(**default_kw)
        kw["default"] = DEFAULT_TOLERANCE.merged(partial) if top else partial
    elif not top:
        kw["default"] = DEFAULT_TOLERANCE
    return Policy(**kw)
