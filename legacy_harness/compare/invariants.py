"""Symmetries of ML outputs: canonical forms that make equivalent results equal.

Many results are only defined up to a symmetry: cluster ids up to relabelling,
eigenvectors up to sign, rows of a result set up to order. Comparing them raw reports
differences that mean nothing (or, for statistical masters, buries a real change under
the noise of the permutation). A path's ``invariant`` names the symmetry; both the
master and today's value are put in the same canonical form before any comparison:

- ``labels``: a partition. Ids are renumbered 0, 1, 2... by order of first appearance,
  so ``[2, 2, 0, 1]`` and ``[1, 1, 2, 0]`` both become ``[0, 0, 1, 2]``.
- ``sign``: vectors up to sign. A 1-d vector, or each column of a 2-d array (numpy's
  eigenvector layout), is flipped so that its largest-magnitude entry is positive.
- ``rows``: a table whose row order means nothing. Rows are sorted lexicographically.
- ``set``: a collection whose order and repetition mean nothing: sorted, duplicates
  dropped.

The same :class:`InvariantRules` serves the comparison engine and statistical masters,
so a glob means the same in both. Canonical forms are computed with numpy on arrays
(one ``np.unique`` / ``np.lexsort``), never element by element in Python.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from legacy_harness.compare.paths import glob_specificity, glob_to_regex, key_segment

__all__ = ["INVARIANTS", "InvariantError", "InvariantRules", "canonical"]

#: The invariant names a tolerance may carry.
INVARIANTS = ("labels", "sign", "rows", "set")

_SCALARS = (str, bytes, bytearray, int, float, complex, bool, type(None), np.generic)


class InvariantError(ValueError):
    """A value the named invariant cannot apply to (the glob points at the wrong thing)."""


def _is_pandas(value: Any, name: str) -> bool:
    t = type(value)
    return t.__module__.startswith("pandas") and t.__name__ == name


def _rebuild(original: Any, array: np.ndarray) -> Any:
    """``array`` in the container type of ``original`` (list, tuple or ndarray)."""
    if isinstance(original, np.ndarray):
        return array
    items = array.tolist()
    return tuple(items) if isinstance(original, tuple) else items


def _as_array(value: Any, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise InvariantError(f"invariant {name!r} needs a regular array ({error})") from None
        if array.dtype.kind == "O" and array.ndim != 1:
            raise InvariantError(f"invariant {name!r} needs a regular array, not ragged lists")
        return array
    raise InvariantError(
        f"invariant {name!r} needs a list, tuple or numpy array, got {type(value).__name__}"
    )


# --------------------------------------------------------------------------- labels


def _first_appearance(values: np.ndarray) -> np.ndarray:
    """Each value's rank by order of first appearance (0 for the first value seen)."""
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.reshape(-1)]


def _labels(value: Any) -> Any:
    if _is_pandas(value, "Series"):
        return type(value)(_labels(value.to_numpy()), index=value.index, name=value.name)
    array = _as_array(value, "labels")
    flat = array.reshape(-1)
    if flat.size == 0:
        return value
    try:
        ranks = _first_appearance(flat)
    except TypeError:  # mixed, unorderable labels: first appearance by hashing instead
        seen: dict[Any, int] = {}
        try:
            ranks = np.array([seen.setdefault(x, len(seen)) for x in flat.tolist()])
        except TypeError:
            raise InvariantError("invariant 'labels' needs hashable labels") from None
    dtype = array.dtype if array.dtype.kind in "iu" else np.dtype(np.int64)
    return _rebuild(value, ranks.astype(dtype, copy=False).reshape(array.shape))


# --------------------------------------------------------------------------- sign


def _sign(value: Any) -> Any:
    array = _as_array(value, "sign")
    if array.dtype.kind not in "iuf" or array.ndim not in (1, 2):
        raise InvariantError(
            "invariant 'sign' needs a 1-d vector or a 2-d array of real numbers"
            f" (columns are the vectors), got {array.dtype} with shape {array.shape}"
        )
    if array.size == 0:
        return value
    columns = array.reshape(array.shape[0], -1)
    pivot = np.abs(columns).argmax(axis=0)
    signs = np.sign(columns[pivot, np.arange(columns.shape[1])])
    flip = signs < 0
    if not flip.any():
        return value
    out = columns.astype(np.result_type(columns.dtype, np.int8), copy=True)
    out[:, flip] *= -1
    return _rebuild(value, out.reshape(array.shape).astype(array.dtype, copy=False))


# --------------------------------------------------------------------------- rows, set


def _order_key(x: Any) -> tuple[Any, ...]:
    """A total order over decoded values of mixed types (for rows/sets of records)."""
    if x is None:
        return (0,)
    if isinstance(x, (bool, np.bool_)):
        return (1, int(x))
    if isinstance(x, (int, float, np.integer, np.floating)):
        f = float(x)
        return (1, math.inf, 1) if f != f else (1, f, 0)
    if isinstance(x, str):
        return (2, x)
    if isinstance(x, (bytes, bytearray)):
        return (3, bytes(x))
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return (4, tuple(_order_key(item) for item in x))
    if isinstance(x, Mapping):
        return (5, tuple(sorted((repr(k), _order_key(v)) for k, v in x.items())))
    return (6, type(x).__qualname__, repr(x))


def _sorted_items(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=_order_key)


def _rows(value: Any) -> Any:
    if _is_pandas(value, "DataFrame"):
        try:
            out = value.sort_values(by=list(value.columns), kind="mergesort")
        except (TypeError, ValueError) as error:
            raise InvariantError(f"invariant 'rows' cannot sort these rows ({error})") from None
        if type(value.index).__name__ == "RangeIndex":  # positions carry no meaning here
            out = out.reset_index(drop=True)
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufUSM" and value.ndim in (1, 2):
        if value.ndim == 1:
            return np.sort(value, kind="stable")
        if value.shape[1] == 0:
            return value
        return value[np.lexsort(value.T[::-1])]
    if isinstance(value, (list, tuple, np.ndarray)):
        items = _sorted_items(value.tolist() if isinstance(value, np.ndarray) else value)
        if isinstance(value, np.ndarray):
            return np.asarray(items, dtype=value.dtype)
        return tuple(items) if isinstance(value, tuple) else items
    raise InvariantError(
        "invariant 'rows' needs a list of rows, a 2-d numpy array or a DataFrame,"
        f" got {type(value).__name__}"
    )


def _set(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufUSM":
        return np.unique(value.reshape(-1))
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        unique: list[Any] = []
        last: Any = None
        for item in _sorted_items(items):
            key = _order_key(item)
            if not unique or key != last:
                unique.append(item)
                last = key
        return tuple(unique) if isinstance(value, tuple) else unique
    raise InvariantError(
        f"invariant 'set' needs a list, tuple, set or 1-d array, got {type(value).__name__}"
    )


_CANONICAL: dict[str, Callable[[Any], Any]] = {
    "labels": _labels,
    "sign": _sign,
    "rows": _rows,
    "set": _set,
}


def canonical(value: Any, name: str) -> Any:
    """The canonical form of ``value`` under invariant ``name`` (a new value; the input
    is never changed). Raises InvariantError when the invariant cannot apply to it."""
    try:
        function = _CANONICAL[name]
    except KeyError:
        raise InvariantError(
            f"unknown invariant {name!r}; use one of {', '.join(INVARIANTS)}"
        ) from None
    return function(value)


# --------------------------------------------------------------------------- rules


class InvariantRules:
    """Path globs with an invariant; the most specific matching glob wins (later among
    equals), as for tolerances. ``apply`` canonicalises a whole decoded tree."""

    def __init__(self, rules: Iterable[tuple[str, str]]) -> None:
        ordered = sorted(
            ((glob_specificity(glob), i, glob, name) for i, (glob, name) in enumerate(rules)),
            key=lambda r: (r[0], r[1]),
        )
        self.rules = [(glob_to_regex(glob), name) for _, _, glob, name in ordered]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def at(self, path: str) -> str | None:
        """The invariant in force at the internal ``path`` (``.outcome.labels``), if any."""
        found = None
        for rx, name in self.rules:
            if rx.fullmatch(path):
                found = name
        return found

    def apply(self, value: Any, path: str) -> Any:
        """``value`` (at internal ``path``) with every invariant below it applied, outer
        values first; containers are copied only where something inside changed.

        Raises InvariantError naming the path when an invariant does not suit its value.
        """
        return self._walk(value, path, set())

    def _walk(self, value: Any, path: str, active: set[int]) -> Any:
        if isinstance(value, _SCALARS):
            return value
        name = self.at(path)
        if name is not None:
            try:
                value = canonical(value, name)
            except InvariantError as error:
                shown = path[1:] if path.startswith(".") else path
                raise InvariantError(f"{shown}: {error}") from None
        if isinstance(value, np.ndarray) or id(value) in active:
            return value
        active.add(id(value))
        try:
            return self._children(value, path, active)
        finally:
            active.discard(id(value))

    def _children(self, value: Any, path: str, active: set[int]) -> Any:
        if isinstance(value, dict):
            out = {k: self._walk(v, path + key_segment(k), active) for k, v in value.items()}
            same = all(out[k] is v for k, v in value.items())
            return value if same else out
        if isinstance(value, (list, tuple)) and not hasattr(type(value), "_fields"):
            items = [self._walk(v, f"{path}[{i}]", active) for i, v in enumerate(value)]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return tuple(items) if isinstance(value, tuple) else items
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict) and not isinstance(value, type):
            changed = {k: self._walk(v, f"{path}.{k}", active) for k, v in state.items()}
            if all(changed[k] is v for k, v in state.items()):
                return value
            return types.SimpleNamespace(**changed)  # the leaves sample_leaves reads
        return value
