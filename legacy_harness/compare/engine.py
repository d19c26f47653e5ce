"""Walk two decoded values side by side and list how they differ, under a policy.

:func:`compare` handles any two values; :func:`compare_observed` handles the observed
view of one call (outcome or raised exception, effects, printed output, logs);
:func:`assert_close` raises with the report when they differ. The rules of closeness
are :mod:`~legacy_harness.compare.policy`'s, the paths and globs
:mod:`~legacy_harness.compare.paths`', the numeric kernels
:mod:`~legacy_harness.compare.numeric`'s.

A value shared by several places (the same object reached twice in both the expected
and the actual value, as golden files store shared sub-values once) is compared once,
at the first path where the walk meets it, under that path's rules, and its
differences are reported there. This keeps comparing linear in the size of the stored
graph: a small golden file whose references double at every level would otherwise
expand into an exponentially large tree.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePath
from typing import Any
from uuid import UUID

import numpy as np

from legacy_harness.compare.difference import Difference, report_lines, short_repr, unified_diff
from legacy_harness.compare.invariants import InvariantError, canonical
from legacy_harness.compare.numeric import (
    array_summary,
    float_close,
    float_mismatches,
    scalar_errors,
)
from legacy_harness.compare.paths import internal_path, key_segment, public_path
from legacy_harness.compare.policy import CompiledPolicy, Policy, Tolerance, compiled
from legacy_harness.objects import object_state
from legacy_harness.outcomes import DifferenceKind

__all__ = ["Comparer", "assert_close", "compare", "compare_observed"]

_VALUE = DifferenceKind.VALUE
_TYPE = DifferenceKind.TYPE
_SHAPE = DifferenceKind.SHAPE
_DTYPE = DifferenceKind.DTYPE
_MISSING = DifferenceKind.MISSING_KEY
_EXTRA = DifferenceKind.EXTRA_KEY
_LENGTH = DifferenceKind.LENGTH


def _num_info(x: Any) -> tuple[str, str] | None:
    """(kind, width) of a number: kind b/i/f/c; None when ``x`` is not a number."""
    t = type(x)
    if t is bool:
        return "b", "bool"
    if t is int:
        return "i", "int"
    if t is float:
        return "f", "float64"
    if t is complex:
        return "c", "complex128"
    if isinstance(x, (np.number, np.bool_)):
        k = x.dtype.kind
        return ("i" if k == "u" else k), x.dtype.name
    if isinstance(x, enum.Enum):
        return None
    if isinstance(x, bool):
        return "b", "bool"
    if isinstance(x, int):
        return "i", "int"
    if isinstance(x, float):
        return "f", "float64"
    return None


_VALUE_TYPES: tuple[type, ...] = (
    date,
    time,
    timedelta,
    Decimal,
    Fraction,
    UUID,
    PurePath,
    enum.Enum,
    range,
    slice,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
)

_DEFAULT_POLICY = Policy()

Handler = Callable[[Any, Any, str, Tolerance, Any, bool], None]


def _is_long_text(s: Any) -> bool:
    return isinstance(s, str) and ("\n" in s or len(s) > 80)


class Comparer:
    """One comparison run: walks both values side by side and collects Differences.

    Every container pair is remembered by identity in ``seen``, with the path where the
    walk first met it, so a pair met again (a shared reference, or a cycle) is not
    walked again: each pair is compared once, and the work is linear in the number of
    distinct pairs however often they are referenced.
    """

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.c = compiled
        self.p = compiled.policy
        self.base = compiled.base
        self.diffs: list[Difference] = []
        #: (id(expected), id(actual)) -> internal path where the pair was first met.
        self.seen: dict[tuple[int, int], str] = {}
        #: Every pair in ``seen``: holding them keeps their ids from being reused by a
        #: temporary (a scrubbed copy, a column's array) while the run lasts. A flat list,
        #: not a tuple per pair, so the garbage collector has no more objects to track.
        self.held: list[Any] = []
        #: What unordered-matching trials learnt about container pairs (see _Trial).
        self.verdicts: dict[tuple[int, int], list[Any]] = {}
        self.rules = compiled.has_rules
        self.scrubbing = bool(compiled.scrubbers)
        #: Canonical forms (cluster ids, signs, row order) applied before comparing.
        self.invariants = compiled.invariants or None
        self._trial: _Trial | None = None
        self.handlers: dict[type, Handler] = {
            str: self._text,
            bytes: self._exact,
            bytearray: self._exact,
            int: self._int,
            bool: self._exact,
            type(None): self._exact,
            float: self._float,
            complex: self._numeric,
            list: self._seq,
            tuple: self._seq,
            dict: self._dict,
            set: self._set,
            frozenset: self._set,
            np.ndarray: self._array,
        }

    # ---- plumbing

    def add(
        self,
        kind: DifferenceKind,
        path: str,
        e: Any,
        a: Any,
        abs_err: float | None = None,
        rel_err: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record one difference at the internal ``path``."""
        self.diffs.append(Difference(public_path(path), kind, e, a, abs_err, rel_err, detail))

    def node(self, e: Any, a: Any, path: str, ctx: Any = None, mseg: str | None = None) -> None:
        """Compare one pair at ``path``; ``ctx``/``mseg`` drive rule lookup (see resolve_ctx)."""
        if self.rules:
            tol, ctx, unordered = self.c.resolve_ctx(e, path, ctx, mseg)
            if tol.ignore:
                return
        else:
            tol = self.base
            unordered = bool(tol.unordered)
        if self.scrubbing:
            e = self.c.scrub(e, path)
            a = self.c.scrub(a, path)
        if self.invariants is not None and (invariant := self.invariants.at(path)) is not None:
            try:
                e, a = canonical(e, invariant), canonical(a, invariant)
            except InvariantError as error:
                note = f"not compared: {error}; point the invariant's glob at such a value"
                self.add(_VALUE, path, e, a, detail={"diff": note})
                return
        te = type(e)
        if te is type(a):
            h = self.handlers.get(te)
            if h is None:
                h = self._other
        else:
            h = self._mismatch
        h(e, a, path, tol, ctx, unordered)

    def enter(self, e: Any, a: Any, path: str) -> bool:
        """Whether to walk the container pair (e, a): False when it was met before."""
        key = (id(e), id(a))
        if key in self.seen:
            return False
        self.seen[key] = path
        held = self.held
        held.append(e)
        held.append(a)
        return True

    def leave(self, e: Any, a: Any) -> None:
        """The walk of a pair :meth:`enter` admitted is complete (a hook for trials)."""

    def differs(self, e: Any, a: Any, path: str, ctx: Any, mseg: str) -> bool:
        """Whether (e, a) differ at ``path``, without reporting: for unordered matching."""
        trial = self._trial
        if trial is None:
            trial = self._trial = _Trial(self.c, self.verdicts)
        trial.found = 0
        trial.node(e, a, path, ctx, mseg)
        return trial.found > 0

    # ---- leaves

    def _exact(self, e: Any, a: Any, path: str, tol: Tolerance, *_: Any) -> None:
        try:
            same = bool(e == a)
        except Exception:  # noqa: BLE001 - e.g. pd.NA; fall back to identity/repr
            same = e is a or short_repr(e, 10_000) == short_repr(a, 10_000)
        if not same:
            self.add(_VALUE, path, e, a)

    def _text(self, e: str, a: str, path: str, tol: Tolerance, *_: Any) -> None:
        if e != a:
            detail = {"diff": unified_diff(e, a)} if _is_long_text(e) or _is_long_text(a) else {}
            self.add(_VALUE, path, e, a, detail=detail)

    def _int(self, e: int, a: int, path: str, tol: Tolerance, *_: Any) -> None:
        if e != a:
            ab, rel = scalar_errors(e, a)
            self.add(_VALUE, path, e, a, ab, rel)

    def _float(self, e: float, a: float, path: str, tol: Tolerance, *_: Any) -> None:
        if e == a and (e != 0.0 or not tol.signed_zero):
            return
        if not float_close(e, a, tol):
            ab, rel = scalar_errors(e, a)
            self.add(_VALUE, path, e, a, ab, rel)

    def _numeric(self, e: Any, a: Any, path: str, tol: Tolerance, *_: Any) -> None:
        """Numbers of possibly different Python/numpy types."""
        ie, ia = _num_info(e), _num_info(a)
        assert ie is not None and ia is not None
        (ke, we), (ka, wa) = ie, ia
        both_python = not isinstance(e, np.generic) and not isinstance(a, np.generic)
        if ke != ka:
            if "b" in (ke, ka):
                self.add(_TYPE, path, e, a)
                return
            strict = self.p.strict_number_types if both_python else self.p.strict_dtype_kind
            if strict:
                self.add(_TYPE if both_python else _DTYPE, path, e, a)
                return
        elif we != wa and self.p.strict_int_width:
            self.add(_DTYPE, path, e, a)
            return
        kinds = {ke, ka}
        if kinds <= {"b", "i"}:
            if int(e) != int(a):
                ab, rel = scalar_errors(e, a)
                self.add(_VALUE, path, e, a, ab, rel)
            return
        dtype: Any = np.float64
        for x in (e, a):
            if isinstance(x, np.floating) and x.dtype.itemsize in (2, 4):
                dtype = x.dtype if dtype is np.float64 else np.result_type(dtype, x.dtype)
        try:
            if "c" in kinds:
                ce, ca = complex(e), complex(a)
                ok = float_close(ce.real, ca.real, tol, dtype) and float_close(
                    ce.imag, ca.imag, tol, dtype
                )
            else:
                ok = float_close(float(e), float(a), tol, dtype)
        except OverflowError:  # a huge int against a float
            ok = False
        if not ok:
            ab, rel = scalar_errors(e, a)
            self.add(_VALUE, path, e, a, ab, rel)

    # ---- dispatch for types not in the table

    def _mismatch(
        self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, unordered: bool
    ) -> None:
        te, ta = type(e), type(a)
        if _num_info(e) is not None and _num_info(a) is not None:
            self._numeric(e, a, path, tol)
            return
        if te in (list, tuple) and ta in (list, tuple) and not self.p.strict_sequence_types:
            self._seq(e, a, path, tol, ctx, unordered)
            return
        detail = {"expected_type": _qualname(te), "actual_type": _qualname(ta)}
        self.add(_TYPE, path, e, a, detail=detail)

    def _other(self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, unordered: bool) -> None:
        t = type(e)
        if isinstance(e, np.generic):
            if isinstance(e, (np.number, np.bool_)):
                self._numeric(e, a, path, tol)
            else:
                self._exact(e, a, path, tol)
            return
        mod = t.__module__
        if mod.startswith("pandas"):
            self._pandas(e, a, path, tol, ctx, unordered)
            return
        if isinstance(e, _VALUE_TYPES):
            self._exact(e, a, path, tol)
            return
        if isinstance(e, tuple) and hasattr(t, "_fields"):
            self._attrs(
                e,
                a,
                path,
                ctx,
                {f: getattr(e, f) for f in t._fields},
                {f: getattr(a, f) for f in t._fields},
            )
            return
        if isinstance(e, dict):
            self._dict(e, a, path, tol, ctx, unordered)
        elif isinstance(e, (list, tuple)):
            self._seq(e, a, path, tol, ctx, unordered)
        elif isinstance(e, (set, frozenset)):
            self._set(e, a, path, tol, ctx, unordered)
        elif isinstance(e, str):
            self._text(e, a, path, tol)
        elif isinstance(e, (int, float, complex)):
            self._numeric(e, a, path, tol)
        elif t.__name__ == "Unencodable" and mod.startswith("legacy_harness"):
            self._exact(e, a, path, tol)
        else:
            se, sa = object_state(e), object_state(a)
            if se is None or sa is None:
                if t.__eq__ is object.__eq__:
                    return  # stateless object of the same class: nothing to compare
                self._exact(e, a, path, tol)
            else:
                self._attrs(e, a, path, ctx, se, sa)

    # ---- containers

    def _attrs(
        self,
        e: Any,
        a: Any,
        path: str,
        ctx: Any,
        se: dict[str, Any],
        sa: dict[str, Any],
    ) -> None:
        if not self.enter(e, a, path):
            return
        for k, v in se.items():
            p = f"{path}.{k}"
            if k in sa:
                self.node(v, sa[k], p, ctx, "." + k)
            else:
                self.add(_MISSING, p, v, None)
        for k, v in sa.items():
            if k not in se:
                self.add(_EXTRA, f"{path}.{k}", None, v)
        self.leave(e, a)

    def _seq(
        self,
        e: Sequence[Any],
        a: Sequence[Any],
        path: str,
        tol: Tolerance,
        ctx: Any,
        unordered: bool,
    ) -> None:
        if not self.enter(e, a, path):
            return
        if unordered:
            self._match_unordered(list(e), list(a), path, ctx, "[{}]")
        else:
            ne, na = len(e), len(a)
            if ne != na:
                detail = {
                    "missing": list(e[na:][:5]) if ne > na else [],
                    "extra": list(a[ne:][:5]) if na > ne else [],
                }
                self.add(_LENGTH, path, ne, na, detail=detail)
            node = self.node
            iseg = self.c.index_seg
            for i in range(min(ne, na)):
                node(e[i], a[i], f"{path}[{i}]", ctx, iseg or f"[{i}]")
        self.leave(e, a)

    def _dict(
        self,
        e: Mapping[Any, Any],
        a: Mapping[Any, Any],
        path: str,
        tol: Tolerance,
        ctx: Any,
        unordered: bool,
    ) -> None:
        if not self.enter(e, a, path):
            return
        node = self.node
        found = 0
        for k, v in e.items():
            seg = ("." + k) if type(k) is str and k.isidentifier() else f"[{k!r}]"
            if k in a:
                found += 1
                node(v, a[k], path + seg, ctx, seg)
            else:
                self.add(_MISSING, path + seg, v, None)
        if found != len(a):
            for k, v in a.items():
                if k not in e:
                    self.add(_EXTRA, path + key_segment(k), None, v)
        self.leave(e, a)

    def _set(self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, unordered: bool) -> None:
        if not self.enter(e, a, path):
            return
        # Exact members first (O(n)); a stored twin of another type (1 vs True) is not
        # a match. Only the leftovers go through tolerant matching.
        a_map = {x: x for x in a}
        e_map = {x: x for x in e}
        only_e = [x for x in e if x not in a_map or type(a_map[x]) is not type(x)]
        only_a = [x for x in a if x not in e_map or type(e_map[x]) is not type(x)]
        if only_e or only_a:
            self._match_unordered(only_e, only_a, path, ctx, "{{...}}")
        self.leave(e, a)

    def _match_unordered(self, e: list[Any], a: list[Any], path: str, ctx: Any, seg: str) -> None:
        """Multiset matching: exact (hash) matches, then sorted numbers, then pairwise.

        Tolerance intervals around sorted numbers are monotone, so pairing sorted
        numbers is optimal; the quadratic pairwise search only sees what is left.
        """
        buckets: dict[Any, list[int]] = {}
        for j, x in enumerate(a):
            k = _hash_key(x)
            if k is not None:
                buckets.setdefault(k, []).append(j)
        used = [False] * len(a)
        pending: list[int] = []
        for i, x in enumerate(e):
            k = _hash_key(x)
            js = buckets.get(k) if k is not None else None
            if js:  # same type and value: equal under any tolerance
                used[js.pop()] = True
            else:
                pending.append(i)
        rest = [j for j in range(len(a)) if not used[j]]
        if (
            pending
            and rest
            and all(_is_real(e[i]) for i in pending)
            and all(_is_real(a[j]) for j in rest)
        ):
            pending.sort(key=lambda i: _sort_key(e[i]))
            rest_sorted = sorted(rest, key=lambda j: _sort_key(a[j]))
            unpaired: list[int] = []
            x_i = y_j = 0
            while x_i < len(pending) and y_j < len(rest_sorted):  # merge-style pairing
                i, j = pending[x_i], rest_sorted[y_j]
                if not self.differs(e[i], a[j], path + seg.format(i), ctx, seg.format(i)):
                    used[j] = True
                    x_i += 1
                    y_j += 1
                elif _sort_key(e[i]) <= _sort_key(a[j]):
                    unpaired.append(i)
                    x_i += 1
                else:
                    y_j += 1
            pending = unpaired + pending[x_i:]
            rest = [j for j in rest if not used[j]]
        missing: list[int] = []
        for i in pending:
            x = e[i]
            for j in rest:
                if not used[j] and not self.differs(
                    x, a[j], path + seg.format(i), ctx, seg.format(i)
                ):
                    used[j] = True
                    break
            else:
                missing.append(i)
        for i in sorted(missing):
            self.add(_MISSING, path + seg.format(i), e[i], None, detail={"unordered": True})
        for j in rest:
            if not used[j]:
                self.add(_EXTRA, path + seg.format(j), None, a[j], detail={"unordered": True})

    # ---- numpy

    def _array(
        self,
        e: np.ndarray,
        a: np.ndarray,
        path: str,
        tol: Tolerance,
        ctx: Any,
        unordered: bool,
    ) -> None:
        if e.shape != a.shape:
            self.add(
                _SHAPE, path, e, a, detail={"expected_shape": e.shape, "actual_shape": a.shape}
            )
            return
        ge, ga = _GROUPS.get(e.dtype.kind, "?"), _GROUPS.get(a.dtype.kind, "?")
        dtype_detail = {"expected_dtype": str(e.dtype), "actual_dtype": str(a.dtype)}
        if ge != ga:
            if self.p.strict_dtype_kind or not ({ge, ga} <= {"i", "f", "c"}):
                self.add(_DTYPE, path, e, a, detail=dtype_detail)
                return
        elif e.dtype != a.dtype and ge in "ifc" and self.p.strict_int_width:
            if e.dtype.newbyteorder("=") != a.dtype.newbyteorder("="):
                self.add(_DTYPE, path, e, a, detail=dtype_detail)
                return
        if e.size == 0:
            return
        if ge == "O" or ga == "O":
            self._object_array(e, a, path, ctx)
            return
        if ge == "V":
            if e.dtype.names != a.dtype.names:
                self.add(_DTYPE, path, e, a, detail=dtype_detail)
                return
            for name in e.dtype.names or ():
                self.node(e[name], a[name], f"{path}[{name!r}]", ctx, f"[{name!r}]")
            return
        ef, af = e.reshape(-1), a.reshape(-1)
        if ge in "fc" or ga in "fc":
            dt = np.result_type(e.dtype, a.dtype)
            if dt.kind not in "fc":
                dt = np.dtype(np.float64)
            ef = ef.astype(dt, copy=False)
            af = af.astype(dt, copy=False)
            if dt.kind == "c":
                idx = np.union1d(
                    float_mismatches(ef.real, af.real, tol),
                    float_mismatches(ef.imag, af.imag, tol),
                )
            else:
                idx = float_mismatches(ef, af, tol)
        else:
            if np.array_equal(ef, af):
                return
            with np.errstate(all="ignore"):
                mism = ef != af
            if ge in "Mm" and tol.nan_equal:
                mism &= ~(np.isnat(ef) & np.isnat(af))
            idx = np.flatnonzero(mism)
        if idx.size:
            detail = array_summary(ef, af, idx, e.shape)
            self.add(_VALUE, path, e, a, detail["max_abs"], detail["max_rel"], detail)

    def _object_array(self, e: np.ndarray, a: np.ndarray, path: str, ctx: Any) -> None:
        if not self.enter(e, a, path):
            return
        for index in np.ndindex(e.shape):
            label = ", ".join(str(i) for i in index)
            seg = f"[{label}]"
            self.node(e[index], a[index], path + seg, ctx, self.c.index_seg or seg)
        self.leave(e, a)

    # ---- pandas

    def _pandas(self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, unordered: bool) -> None:
        name = type(e).__name__
        if name == "DataFrame":
            self._index(e.index, a.index, path + ".index")
            ecols, acols = list(e.columns), list(a.columns)
            for col in ecols:
                if col not in a.columns:
                    self.add(_MISSING, path + key_segment(col), e[col], None)
            for col in acols:
                if col not in e.columns:
                    self.add(_EXTRA, path + key_segment(col), None, a[col])
            common_e = [c for c in ecols if c in a.columns]
            common_a = [c for c in acols if c in e.columns]
            if common_e != common_a:
                self.add(_VALUE, path + ".columns", ecols, acols, detail={"order": True})
            for col in common_e:
                if not (e.columns.is_unique and a.columns.is_unique):
                    break
                ec, ac = e[col], a[col]
                colpath = path + key_segment(col)
                ctol, cctx = tol, ctx
                if self.rules:
                    ctol, cctx, _ = self.c.resolve_ctx(ec, colpath, ctx, key_segment(col))
                    if ctol.ignore:
                        continue
                self._series(ec, ac, colpath, ctol, cctx, with_index=False)
            return
        if name == "Series":
            self._series(e, a, path, tol, ctx, with_index=True)
            return
        if "Index" in name:
            self._index(e, a, path)
            return
        self._exact(e, a, path, tol)

    def _index(self, e: Any, a: Any, path: str) -> None:
        try:
            same = bool(e.equals(a)) and list(e.names) == list(a.names)
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            self.add(_VALUE, path, e, a, detail={"index": True})

    def _series(
        self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, *, with_index: bool
    ) -> None:
        if with_index:
            self._index(e.index, a.index, path + ".index")
            if not _same_label(e.name, a.name):
                self.add(_VALUE, path + ".name", e.name, a.name)
        if str(e.dtype) != str(a.dtype) and not (
            isinstance(e.dtype, np.dtype) and isinstance(a.dtype, np.dtype)
        ):
            detail = {"expected_dtype": str(e.dtype), "actual_dtype": str(a.dtype)}
            self.add(_DTYPE, path, e, a, detail=detail)
            return
        ev, av = e.to_numpy(), a.to_numpy()
        if len(ev) != len(av):
            self.add(_LENGTH, path, len(ev), len(av))
            return
        self._array(ev, av, path, tol, ctx, False)


class _Trial(Comparer):
    """Answers :meth:`Comparer.differs` for unordered matching: counts differences
    instead of keeping them, and remembers per container pair whether it differed.

    The verdicts are shared by every trial of a run, so a pair shared by many
    candidates is walked once; a pair still being walked (a cycle) counts as equal,
    as the walk that entered it will find what differs.
    """

    def __init__(
        self, compiled: CompiledPolicy, verdicts: dict[tuple[int, int], list[Any]]
    ) -> None:
        super().__init__(compiled)
        self.found = 0
        #: (id(e), id(a)) -> [e, a, None while walked, then whether it differed]; shared
        #: with the run's other trials, nested ones included.
        self.verdicts = verdicts
        self._started: dict[tuple[int, int], int] = {}

    def add(
        self,
        kind: DifferenceKind,
        path: str,
        e: Any,
        a: Any,
        abs_err: float | None = None,
        rel_err: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.found += 1

    def enter(self, e: Any, a: Any, path: str) -> bool:
        key = (id(e), id(a))
        hit = self.verdicts.get(key)
        if hit is not None:
            if hit[2]:
                self.found += 1
            return False
        self.verdicts[key] = [e, a, None]
        self._started[key] = self.found
        return True

    def leave(self, e: Any, a: Any) -> None:
        key = (id(e), id(a))
        self.verdicts[key][2] = self.found > self._started.pop(key)


_GROUPS = {
    "b": "b",
    "i": "i",
    "u": "i",
    "f": "f",
    "c": "c",
    "U": "U",
    "S": "S",
    "O": "O",
    "M": "M",
    "m": "m",
    "V": "V",
}


def _qualname(t: type) -> str:
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}:{t.__qualname__}"


def _same_label(x: Any, y: Any) -> bool:
    try:
        return bool(x == y) or (x != x and y != y)
    except Exception:  # noqa: BLE001
        return x is y


def _is_real(x: Any) -> bool:
    t = type(x)
    return t is float or t is int


def _sort_key(x: float | int) -> tuple[int, float | int]:
    return (1, 0) if x != x else (0, x)


def _hash_key(x: Any) -> Any:
    """Exact-match key for the unordered fast path (None when fuzzy or unhashable)."""
    t = type(x)
    if t in (str, int, bool, bytes) or x is None:
        return (t, x)
    return None


# --------------------------------------------------------------------------- public


def compare(
    expected: Any, actual: Any, policy: Policy | None = None, *, path: str = ""
) -> list[Difference]:
    """All differences between two decoded values under ``policy`` (default policy if None)."""
    cmp = Comparer(compiled(policy or _DEFAULT_POLICY))
    cmp.node(expected, actual, internal_path(path))
    return cmp.diffs


_STREAMS = ("stdout", "stderr")


def compare_observed(
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    policy: Policy | None = None,
    *,
    target: str | None = None,
) -> list[Difference]:
    """Compare two observed views of one call (outcome/raised/effects/stdout/stderr/logs).

    A returned-vs-raised switch, or a different exception type, is one "exception
    changed" difference at "raised" (the outcome is then not compared). The same
    exception type with another message or args gives ordinary differences at
    ``raised.message`` / ``raised.args``, so they can be scrubbed or ignored by path.
    stdout, stderr and logs are compared as text (after regex scrubbers) and differ as
    one "output changed" with a unified diff.
    """
    pol = policy or _DEFAULT_POLICY
    if target is not None:
        pol = pol.for_target(target)
    c = compiled(pol)
    cmp = Comparer(c)
    e_raised, a_raised = "raised" in expected, "raised" in actual
    if e_raised or a_raised:
        et = _raised_type(expected.get("raised")) if e_raised else None
        at = _raised_type(actual.get("raised")) if a_raised else None
        if (e_raised != a_raised or et != at) and not c.tolerance_at(".raised").ignore:
            cmp.add(
                DifferenceKind.EXCEPTION_CHANGED,
                ".raised",
                expected["raised"] if e_raised else {"returned": expected.get("outcome")},
                actual["raised"] if a_raised else {"returned": actual.get("outcome")},
            )
        elif e_raised and a_raised:
            cmp.node(expected["raised"], actual["raised"], ".raised")
    switched = e_raised != a_raised
    for key in sorted(set(expected) | set(actual), key=_root_order):
        if key == "raised" or key in _STREAMS or key == "logs":
            continue
        if key == "outcome" and switched:
            continue
        p = "." + key
        if key in expected and key in actual:
            cmp.node(expected[key], actual[key], p)
        elif not c.tolerance_at(p).ignore:
            if key in expected:
                cmp.add(_MISSING, p, expected[key], None)
            else:
                cmp.add(_EXTRA, p, None, actual[key])
    for key in _STREAMS:
        if key in expected or key in actual:
            p = "." + key
            if c.tolerance_at(p).ignore:
                continue
            es = c.scrub_text(str(expected.get(key) or ""), p)
            as_ = c.scrub_text(str(actual.get(key) or ""), p)
            if es != as_:
                cmp.add(
                    DifferenceKind.OUTPUT_CHANGED,
                    p,
                    es,
                    as_,
                    detail={"diff": unified_diff(es, as_)},
                )
    if ("logs" in expected or "logs" in actual) and not c.tolerance_at(".logs").ignore:
        el = _log_text(expected.get("logs") or [], c)
        al = _log_text(actual.get("logs") or [], c)
        if el != al:
            cmp.add(
                DifferenceKind.OUTPUT_CHANGED,
                ".logs",
                el,
                al,
                detail={"diff": unified_diff(el, al)},
            )
    return cmp.diffs


def _root_order(key: str) -> tuple[int, str]:
    order = ("outcome", "raised", "effects", "stdout", "stderr", "logs")
    return (order.index(key) if key in order else len(order), str(key))


def _raised_type(raised: Any) -> Any:
    if isinstance(raised, Mapping):
        return raised.get("type")
    return type(raised).__qualname__


def _log_text(logs: Iterable[Any], c: CompiledPolicy) -> str:
    lines = []
    for i, rec in enumerate(logs):
        if isinstance(rec, Mapping):
            msg = c.scrub_text(str(rec.get("message", "")), f".logs[{i}].message")
            lines.append(f"{rec.get('level', '')}:{rec.get('logger', '')}:{msg}")
        else:
            lines.append(c.scrub_text(str(rec), f".logs[{i}]"))
    return "\n".join(lines)


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    max_ulp: int | None = None,
    nan_equal: bool | None = None,
    paths: Mapping[str, Tolerance | Mapping[str, Any]] | None = None,
    policy: Policy | None = None,
    **kw: Any,
) -> None:
    """Raise AssertionError with the text report when ``actual`` is not close to ``expected``.

    ``kw`` takes any other Tolerance field (``signed_zero``, ``exact``...), the policy
    flags (``strict_*``) and ``scrubbers``. The message is the report ``verify`` prints,
    cut after the policy's ``max_differences``.
    """
    __tracebackhide__ = True
    pol = (policy or _DEFAULT_POLICY).with_overrides(
        paths=paths, rtol=rtol, atol=atol, max_ulp=max_ulp, nan_equal=nan_equal, **kw
    )
    diffs = compare(expected, actual, pol)
    if diffs:
        n = len(diffs)
        title = f"values differ ({n} difference{'s' if n != 1 else ''})"
        raise AssertionError("\n".join(report_lines(diffs, limit=pol.max_differences, title=title)))
