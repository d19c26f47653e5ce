"""Compare decoded values structurally, with a tolerance policy, into a list of differences.

Why a policy and not one tolerance: legacy numeric code is rarely bit-stable everywhere
(summation order, BLAS, float32 paths), but most of its output must match exactly. The
:class:`Policy` says, per target, per path and per type, how close is close enough.

Rules, in brief (the docstrings of :class:`Tolerance` and :class:`Policy` are the
reference):

- ints, strings, bytes, bools, dates, Decimals, UUIDs, paths, enums compare exactly;
  floats pass when ``|a - e| <= atol + rtol * |e|`` (relative to the *expected*
  value) **or**, when ``max_ulp`` is set, when they are at most ``max_ulp`` units in
  the last place apart; complex numbers compare by parts; NaN equals NaN unless
  ``nan_equal=False``; ``-0.0 == 0.0`` unless ``signed_zero=True``; an infinity
  only equals the same infinity.
- Paths: ``outcome.metrics.train.loss``, ``effects.self.items[2].quality``; a dict key
  that is not a ``str`` identifier is written ``[repr(key)]``; set elements are
  ``{...}``. Globs: ``*`` is one segment (key or index), ``[*]`` one index, ``**`` any
  number of segments (zero included), and ``*`` inside a name matches part of it
  (``loss_*``).
- Precedence: policy default < type tolerances < path tolerances. Within paths every
  matching glob applies, from least to most specific (more literal segments, then
  fewer ``**``, then fewer wildcards); among equally specific globs the later wins.
  A tolerance set on a container is inherited by everything inside it, except
  ``unordered``, which applies to the matched list itself only.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import PurePath
from typing import Any
from uuid import UUID

import numpy as np

from legacy_harness.compare.scrub import Scrubber, builtin
from legacy_harness.errors import ConfigError
from legacy_harness.objects import object_state

__all__ = [
    "DEFAULT_TOLERANCE",
    "KINDS",
    "Difference",
    "Policy",
    "Tolerance",
    "assert_close",
    "compare",
    "compare_observed",
    "glob_to_regex",
    "ulp_distance",
]

KINDS = (
    "value",
    "type",
    "shape",
    "dtype",
    "missing key",
    "extra key",
    "length",
    "exception changed",
    "output changed",
    "unstable",
)


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Tolerance:
    """How close two values must be; every field None means "inherit".

    A float passes within ``rtol``/``atol`` *or* within ``max_ulp`` (either suffices).
    ``Tolerance(max_ulp=n)`` given without rtol/atol sets both to 0, so ULPs alone
    decide, which is what someone asking for ULPs means.
    """

    rtol: float | None = None
    atol: float | None = None
    max_ulp: int | None = None
    nan_equal: bool | None = None
    signed_zero: bool | None = None
    unordered: bool | None = None
    exact: bool | None = None
    ignore: bool | None = None

    def __post_init__(self) -> None:
        if self.max_ulp is not None and self.rtol is None and self.atol is None:
            object.__setattr__(self, "rtol", 0.0)
            object.__setattr__(self, "atol", 0.0)

    def merged(self, other: Tolerance | None) -> Tolerance:
        """A new tolerance where ``other``'s non-None fields win."""
        if other is None:
            return self
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) is not None
        }
        if not changes:
            return self
        return dataclasses.replace(self, **changes)

    def without_unordered(self) -> Tolerance:
        return dataclasses.replace(self, unordered=None) if self.unordered is not None else self


DEFAULT_TOLERANCE = Tolerance(
    rtol=1e-9,
    atol=0.0,
    max_ulp=None,
    nan_equal=True,
    signed_zero=False,
    unordered=False,
    exact=False,
    ignore=False,
)

_TOL_FIELDS = tuple(f.name for f in dataclasses.fields(Tolerance))
_FLAG_FIELDS = (
    "strict_sequence_types",
    "strict_int_width",
    "strict_dtype_kind",
    "strict_number_types",
)


@dataclass(frozen=True)
class Policy:
    """The whole comparison configuration; immutable so it can be cached and shared.

    ``strict_int_width`` covers numeric width and signedness generally: int32 vs
    int64, float32 vs float64, Python ``int`` vs ``np.int64``. ``strict_number_types``
    (an addition) makes Python ``int`` vs ``float`` a type difference; by default they
    are compared numerically with the float tolerance.

    A target override (``targets``, glob on ``"module:qualname"``) adds its paths,
    types and scrubbers after ours, merges its ``default`` over ours (unless it is the
    untouched :data:`DEFAULT_TOLERANCE`), and takes each flag whose value differs from
    the class default.
    """

    default: Tolerance = DEFAULT_TOLERANCE
    paths: tuple[tuple[str, Tolerance], ...] = ()
    types: tuple[tuple[str, Tolerance], ...] = ()
    targets: tuple[tuple[str, Policy], ...] = ()
    scrubbers: tuple[Scrubber, ...] = ()
    strict_sequence_types: bool = False
    strict_int_width: bool = False
    strict_dtype_kind: bool = True
    max_differences: int = 50
    strict_number_types: bool = False

    def for_target(self, target: str) -> Policy:
        """This policy with every matching target override applied, in order."""
        import fnmatch

        out = self
        for pattern, sub in self.targets:
            if not fnmatch.fnmatchcase(target, pattern):
                continue
            changes: dict[str, Any] = {
                "paths": out.paths + sub.paths,
                "types": out.types + sub.types,
                "scrubbers": out.scrubbers + sub.scrubbers,
            }
            if sub.default != DEFAULT_TOLERANCE:
                changes["default"] = out.default.merged(sub.default)
            for name in (*_FLAG_FIELDS, "max_differences"):
                value = getattr(sub, name)
                if value != _POLICY_DEFAULTS[name]:
                    changes[name] = value
            out = dataclasses.replace(out, **changes)
        return dataclasses.replace(out, targets=()) if out is not self else out

    def with_overrides(
        self,
        *,
        paths: Mapping[str, Tolerance | Mapping[str, Any]] | None = None,
        **tolerance_fields: Any,
    ) -> Policy:
        """Per-call overrides: tolerance fields for the default, plus path globs.

        Also accepts the policy flags (``strict_*``, ``max_differences``) and
        ``scrubbers`` (appended).
        """
        changes: dict[str, Any] = {}
        tol_kw = {}
        for key, value in tolerance_fields.items():
            if value is None:
                continue
            if key in _TOL_FIELDS:
                tol_kw[key] = value
            elif key in _FLAG_FIELDS or key == "max_differences":
                changes[key] = value
            elif key == "scrubbers":
                changes["scrubbers"] = self.scrubbers + tuple(value)
            else:
                raise TypeError(f"unknown comparison option {key!r}")
        if tol_kw:
            changes["default"] = self.default.merged(Tolerance(**tol_kw))
        if paths:
            extra = tuple(
                (glob, t if isinstance(t, Tolerance) else Tolerance(**dict(t)))
                for glob, t in paths.items()
            )
            changes["paths"] = self.paths + extra
        return dataclasses.replace(self, **changes) if changes else self

    @classmethod
    def from_config(cls, table: Mapping[str, Any], *, strict: bool = False) -> Policy:
        """Build from the parsed ``[tool.legacy_harness]`` table.

        The table is shared with other settings, so unknown top-level keys are
        ignored unless they look like a misspelt policy key (or ``strict=True``);
        unknown keys inside the policy's own sub-tables are always errors.
        """
        return _policy_from_table(table, where="tool.legacy_harness", top=True, strict=strict)


_POLICY_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Policy)}


# --------------------------------------------------------------------------- config


_TOP_KEYS = (
    "rtol",
    "atol",
    "max_ulp",
    "nan_equal",
    "signed_zero",
    *_FLAG_FIELDS,
    "max_differences",
    "tolerances",
    "type_tolerances",
    "targets",
    "scrub",
)


def _check_number(where: str, key: str, value: Any, *, integer: bool = False) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or value < 0 or value != value:
        want = "a non-negative integer" if integer else "a non-negative number"
        raise ConfigError(f"{where}.{key} = {value!r} is invalid; set it to {want}")
    return value if integer else float(value)


def _check_bool(where: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} = {value!r} is invalid; set it to true or false")
    return value


def _tolerance_from_table(where: str, table: Any) -> Tolerance:
    if isinstance(table, Tolerance):
        return table
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{where} = {table!r} is invalid; write an inline table like {{ rtol = 1e-06 }}"
        )
    kw: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("rtol", "atol"):
            kw[key] = _check_number(where, key, value)
        elif key == "max_ulp":
            kw[key] = _check_number(where, key, value, integer=True)
        elif key in ("nan_equal", "signed_zero", "unordered", "exact", "ignore"):
            kw[key] = _check_bool(where, key, value)
        else:
            raise ConfigError(
                f"{where}: unknown key {key!r}; use rtol, atol, max_ulp, nan_equal, "
                "signed_zero, unordered, exact or ignore"
            )
    return Tolerance(**kw)


def _scrubbers_from_config(where: str, value: Any) -> tuple[Scrubber, ...]:
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
        if path is not None and not isinstance(path, str):
            raise ConfigError(f"{at}.path = {path!r} is invalid; write a glob string")
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


def _policy_from_table(table: Any, *, where: str, top: bool, strict: bool) -> Policy:
    if not isinstance(table, Mapping):
        raise ConfigError(f"[{where}] must be a table, got {table!r}")
    kw: dict[str, Any] = {}
    default_kw: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("rtol", "atol"):
            default_kw[key] = _check_number(where, key, value)
        elif key == "max_ulp":
            default_kw[key] = _check_number(where, key, value, integer=True)
        elif key in ("nan_equal", "signed_zero"):
            default_kw[key] = _check_bool(where, key, value)
        elif key in _FLAG_FIELDS:
            kw[key] = _check_bool(where, key, value)
        elif key == "max_differences":
            kw[key] = _check_number(where, key, value, integer=True)
        elif key in ("tolerances", "type_tolerances"):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}.{key} must be a table of glob = {{ rtol = ... }}")
            items = tuple(
                (str(g), _tolerance_from_table(f'{where}.{key}."{g}"', t)) for g, t in value.items()
            )
            if key == "tolerances":
                for g, _ in items:
                    _validate_glob(f'{where}.{key}."{g}"', g)
            kw["paths" if key == "tolerances" else "types"] = items
        elif key == "targets":
            if not top:
                raise ConfigError(f"{where}.targets: targets cannot nest; move it to the top level")
            if not isinstance(value, Mapping):
                raise ConfigError(f'{where}.targets must be a table of "pkg.mod:func" = {{...}}')
            kw["targets"] = tuple(
                (
                    str(spec),
                    _policy_from_table(
                        sub, where=f'{where}.targets."{spec}"', top=False, strict=True
                    ),
                )
                for spec, sub in value.items()
            )
        elif key == "scrub":
            kw["scrubbers"] = _scrubbers_from_config(f"{where}.scrub", value)
        else:
            close = difflib.get_close_matches(key, _TOP_KEYS, n=1, cutoff=0.8)
            if strict or not top or close:
                hint = f"did you mean {close[0]!r}?" if close else "remove it"
                raise ConfigError(f"{where}: unknown key {key!r}; {hint}")
    if default_kw:
        partial = Tolerance(**default_kw)
        kw["default"] = DEFAULT_TOLERANCE.merged(partial) if top else partial
    elif not top:
        kw["default"] = DEFAULT_TOLERANCE
    return Policy(**kw)


# --------------------------------------------------------------------------- globs

_SEG = r"(?:\.[^.\[{]+|\[(?:[^\]'\"]|'[^']*'|\"[^\"]*\")*\]|\{\.\.\.\})"
_BRACKET = r"\[(?:[^\]'\"]|'[^']*'|\"[^\"]*\")*\]"


def _validate_glob(where: str, glob: str) -> None:
    try:
        glob_to_regex(glob)
    except ValueError as exc:
        raise ConfigError(f"{where}: bad path glob ({exc}); see docs for the glob syntax") from None


@lru_cache(maxsize=4096)
def _glob_parts(glob: str) -> tuple[str, tuple[int, int, int]]:
    """Regex source and a specificity key (literals, -doublestars, -wildcards)."""
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
                raise ValueError(f"unclosed '[' in {glob!r}")
            inner = glob[i + 1 : j]
            if inner == "*":
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
    """Compile a path glob to a regex matched (``fullmatch``) against internal paths.

    Internal paths keep the leading "." of a root key (``.outcome.x``); see
    :func:`_internal_path`.
    """
    return re.compile(_glob_parts(glob)[0])


def _internal_path(path: str) -> str:
    if not path or path[0] in ".[{":
        return path
    return "." + path


def _public_path(path: str) -> str:
    return path[1:] if path.startswith(".") else path


def _key_segment(key: Any) -> str:
    if type(key) is str and key.isidentifier():
        return "." + key
    return f"[{key!r}]"


# --------------------------------------------------------------------------- results


@dataclass
class Difference:
    """One way ``actual`` differs from ``expected`` at ``path``.

    For arrays, ``detail`` holds the summary (count, total, share, max_abs, max_rel,
    worst_index, worst_expected, worst_actual, first=[(index, expected, actual)...]);
    for long or multi-line strings and printed output, ``detail["diff"]`` holds a
    unified diff.
    """

    path: str
    kind: str
    expected: Any
    actual: Any
    abs_err: float | None = None
    rel_err: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: non-finite floats become "nan"/"inf", other objects reprs."""
        return {
            "path": self.path,
            "kind": self.kind,
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


def _jsonable(value: Any, depth: int = 0) -> Any:
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
            return _jsonable(value.item(), depth)
        except Exception:  # noqa: BLE001 - odd scalar types fall back to repr
            return repr(value)
    if depth > 20:
        return _short_repr(value)
    if isinstance(value, np.ndarray):
        if value.size <= 20 and value.dtype.kind in "biufcUS":
            return _jsonable(value.tolist(), depth + 1)
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, complex):
        return {"real": _jsonable(value.real), "imag": _jsonable(value.imag)}
    if isinstance(value, Mapping):
        return {
            (k if isinstance(k, str) else repr(k)): _jsonable(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        if len(value) > 100:
            return _short_repr(value)
        return [_jsonable(v, depth + 1) for v in value]
    return _short_repr(value)


def _short_repr(value: Any, width: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not break reports
        text = f"<{type(value).__name__} with failing repr: {exc}>"
    return text if len(text) <= width else text[: width - 3] + "..."


# --------------------------------------------------------------------------- floats

_INT_FOR_FLOAT = {2: np.int16, 4: np.int32, 8: np.int64}


def ulp_distance(expected: Any, actual: Any) -> np.ndarray:
    """Units in the last place between two float arrays, vectorised, as uint64.

    Uses the classic trick: reinterpret the bits as signed ints, map negative floats to
    ``INT_MIN - bits`` so the integer line is monotone across zero (-0.0 and 0.0 are 0
    apart), then subtract. Distances above 2**53 saturate imprecisely; NaN inputs give
    meaningless results (callers mask them).
    """
    e = np.asarray(expected)
    a = np.asarray(actual)
    dt = np.result_type(e.dtype, a.dtype)
    if dt.kind != "f" or dt.itemsize not in _INT_FOR_FLOAT:
        dt = np.dtype(np.float64)
    e = np.ascontiguousarray(e, dtype=dt)
    a = np.ascontiguousarray(a, dtype=dt)
    it = _INT_FOR_FLOAT[dt.itemsize]
    lo = np.iinfo(it).min
    ie = e.view(it)
    ia = a.view(it)
    ie = np.where(ie < 0, lo - ie, ie).astype(np.int64)
    ia = np.where(ia < 0, lo - ia, ia).astype(np.int64)
    with np.errstate(over="ignore"):
        d = (ia - ie).view(np.uint64)
        return np.minimum(d, np.negative(d))


def _ulp_scalar(e: float, a: float, dtype: Any) -> int:
    return int(ulp_distance(np.array([e], dtype=dtype), np.array([a], dtype=dtype))[0])


def _float_close(e: float, a: float, tol: Tolerance, dtype: Any = np.float64) -> bool:
    """Scalar twin of the array kernel (same rules, pure Python speed)."""
    if e == a:
        if e == 0.0 and tol.signed_zero:
            return math.copysign(1.0, e) == math.copysign(1.0, a)
        return True
    if e != e or a != a:
        return bool(tol.nan_equal) and e != e and a != a
    if tol.exact or math.isinf(e) or math.isinf(a):
        return False
    diff = abs(a - e)
    if diff <= (tol.atol or 0.0) + (tol.rtol or 0.0) * abs(e):
        return True
    if tol.max_ulp is not None:
        return _ulp_scalar(e, a, dtype) <= tol.max_ulp
    return False


def _errors(e: Any, a: Any) -> tuple[float | None, float | None]:
    """Absolute and relative error of two scalars (rel is inf when e == 0 != a)."""
    try:
        if isinstance(e, (int, np.integer)) and isinstance(a, (int, np.integer)):
            d = abs(int(a) - int(e))
            try:
                ad = float(d)
            except OverflowError:
                ad = math.inf
            if d == 0:
                return 0.0, 0.0
            try:
                return ad, (d / abs(int(e))) if int(e) != 0 else math.inf
            except OverflowError:
                return ad, math.inf
        ce, ca = complex(e), complex(a)
        if ce == ca:
            return 0.0, 0.0
        ad = abs(ca - ce)
        if ad != ad:
            return math.nan, math.nan
        m = abs(ce)
        return ad, (ad / m if m else math.inf)
    except (TypeError, ValueError, OverflowError):
        return None, None


_CHUNK = 1 << 14


def _float_mismatches(e: np.ndarray, a: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Flat indices where two 1-d real float arrays of one dtype differ beyond ``tol``.

    Works in cache-sized chunks with preallocated buffers (no full-size temporaries);
    the expensive NaN/inf/ULP/equality bookkeeping runs only for chunks that fail the
    cheap ``|a - e| <= atol + rtol * |e|`` test.
    """
    n = e.size
    exact = bool(tol.exact)
    rtol = 0.0 if exact else float(tol.rtol or 0.0)
    atol = 0.0 if exact else float(tol.atol or 0.0)
    max_ulp = None if exact else tol.max_ulp
    nan_equal = bool(tol.nan_equal)
    signed_zero = bool(tol.signed_zero)
    m = min(n, _CHUNK)
    d = np.empty(m, dtype=e.dtype)
    t = np.empty(m, dtype=e.dtype)
    ok = np.empty(m, dtype=bool)
    found: list[np.ndarray] = []
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            k = stop - start
            ec, ac, dc, tc, okc = e[start:stop], a[start:stop], d[:k], t[:k], ok[:k]
            np.subtract(ac, ec, out=dc)
            np.abs(dc, out=dc)
            if rtol:
                np.abs(ec, out=tc)
                np.multiply(tc, rtol, out=tc)
                if atol:
                    np.add(tc, atol, out=tc)
            else:
                tc.fill(atol)
            np.less_equal(dc, tc, out=okc)
            clean = bool(okc.all())
            if clean and rtol and not tc.max() < np.inf:
                clean = False  # expected is inf where actual is finite: d = t = inf
            if not clean:
                mism = ~okc
                mism |= np.isinf(dc)
                mism &= ac != ec
                if nan_equal:
                    mism &= ~(np.isnan(ec) & np.isnan(ac))
                idx = np.flatnonzero(mism)
                if max_ulp is not None and idx.size:
                    es, as_ = ec[idx], ac[idx]
                    fin = np.isfinite(es) & np.isfinite(as_)
                    near = fin & (ulp_distance(es, as_) <= max_ulp)
                    idx = idx[~near]
            else:
                idx = None
            if signed_zero:
                sz = np.flatnonzero((np.signbit(ec) != np.signbit(ac)) & (ec == 0) & (ac == 0))
                if sz.size:
                    idx = sz if idx is None else np.union1d(idx, sz)
            if idx is not None and idx.size:
                found.append(idx + start)
    if not found:
        return np.empty(0, dtype=np.intp)
    return np.concatenate(found)


def _format_index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    if not shape:
        return ()
    return tuple(int(i) for i in np.unravel_index(int(flat), shape))


def _array_summary(
    e: np.ndarray, a: np.ndarray, idx: np.ndarray, shape: tuple[int, ...], first: int = 5
) -> dict[str, Any]:
    """Summary of the mismatching elements (flat indices ``idx`` into flat e/a)."""
    total = int(e.size)
    count = int(idx.size)
    em, am = e[idx], a[idx]
    detail: dict[str, Any] = {"count": count, "total": total, "share": count / total}
    worst = 0
    if em.dtype.kind in "biufc" and am.dtype.kind in "biufc":
        with np.errstate(all="ignore"):
            if em.dtype.kind in "biu" and am.dtype.kind in "biu":
                err = np.abs(am.astype(np.float64) - em.astype(np.float64))
                mag = np.abs(em.astype(np.float64))
            else:
                err = np.abs(am - em).astype(np.float64)
                mag = np.abs(em).astype(np.float64)
            rel = np.where(
                mag == 0, np.where(err == 0, 0.0, np.inf), err / np.where(mag == 0, 1, mag)
            )
            rel = np.where(np.isnan(err), np.nan, rel)
        if np.isnan(err).all():
            detail["max_abs"] = math.nan
            detail["max_rel"] = math.nan
        else:
            worst = int(np.nanargmax(err))
            detail["max_abs"] = float(err[worst])
            detail["max_rel"] = math.nan if np.isnan(rel).all() else float(np.nanmax(rel))
    else:
        detail["max_abs"] = None
        detail["max_rel"] = None
    detail["worst_index"] = _format_index(int(idx[worst]), shape)
    detail["worst_expected"] = em[worst].item() if em.dtype.kind != "O" else em[worst]
    detail["worst_actual"] = am[worst].item() if am.dtype.kind != "O" else am[worst]
    detail["first"] = [
        (_format_index(int(idx[i]), shape), em[i].item(), am[i].item())
        for i in range(min(first, count))
    ]
    return detail


# --------------------------------------------------------------------------- engine


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

_TYPE_NAMES: dict[type, tuple[str, ...]] = {}


def _type_names(value: Any) -> tuple[str, ...]:
    """Names a type tolerance can use for ``value`` (least specific first)."""
    t = type(value)
    if t is np.ndarray:
        return ("ndarray", value.dtype.name)
    names = _TYPE_NAMES.get(t)
    if names is None:
        if isinstance(value, np.generic):
            names = (value.dtype.name,)
        elif t.__module__ == "builtins":
            names = (t.__name__,)
        else:
            full = f"{t.__module__}:{t.__qualname__}"
            top = f"{t.__module__.partition('.')[0]}:{t.__qualname__}"
            names = (t.__qualname__, top, full) if top != full else (t.__qualname__, full)
        _TYPE_NAMES[t] = names
    return names


class _Compiled:
    """What a Policy turns into once: regexes, lookup tables, merge caches."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.base = DEFAULT_TOLERANCE.merged(policy.default)
        rules = []
        for i, (glob, tol) in enumerate(policy.paths):
            src, spec = _glob_parts(glob)
            rules.append((spec, i, re.compile(src), tol.without_unordered(), tol.unordered))
        rules.sort(key=lambda r: (r[0], r[1]))
        self.path_rules = [(rx, t, u) for _, _, rx, t, u in rules]
        self.any_path: re.Pattern[str] | None = None
        if len(rules) > 4:
            self.any_path = re.compile(
                "|".join(f"(?:{rx.pattern})" for rx, _, _ in self.path_rules)
            )
        self.type_rules: dict[str, tuple[Tolerance, bool | None]] = {}
        for name, tol in policy.types:
            old = self.type_rules.get(name)
            merged = old[0].merged(tol.without_unordered()) if old else tol.without_unordered()
            u = tol.unordered if tol.unordered is not None else (old[1] if old else None)
            self.type_rules[name] = (merged, u)
        self.has_rules = bool(self.path_rules or self.type_rules)
        self.scrubbers = [
            (s, glob_to_regex(s.path) if s.path is not None else None) for s in policy.scrubbers
        ]
        # Without a literal index in any glob, every element of a list matches the same
        # rules, so rule lookups can use "[#]" for indexes and be cached per shape of path.
        literal_index = any(re.search(r"\[\s*-?\d", glob) for glob, _ in policy.paths) or any(
            re.search(r"\[\s*-?\d", s.path or "") for s in policy.scrubbers
        )
        self.index_seg: str | None = None if literal_index else "[#]"
        self._ctx_cache: dict[tuple[int, str | None, Any], tuple[Any, Tolerance, Any, bool]] = {}
        self._merge_cache: dict[tuple[int, int], tuple[Any, Any, Tolerance]] = {}
        self._eff_cache: dict[tuple[int, int], tuple[Any, Any, Tolerance]] = {}

    def merge(self, x: Tolerance, y: Tolerance) -> Tolerance:
        key = (id(x), id(y))
        hit = self._merge_cache.get(key)
        if hit is None:
            hit = (x, y, x.merged(y))
            self._merge_cache[key] = hit
        return hit[2]

    def effective(self, tacc: Tolerance | None, pacc: Tolerance | None) -> Tolerance:
        key = (id(tacc), id(pacc))
        hit = self._eff_cache.get(key)
        if hit is None:
            hit = (tacc, pacc, self.base.merged(tacc).merged(pacc))
            self._eff_cache[key] = hit
        return hit[2]

    def resolve(
        self, value: Any, path: str, tacc: Tolerance | None, pacc: Tolerance | None
    ) -> tuple[Tolerance, Tolerance | None, Tolerance | None, bool]:
        unordered: bool | None = None
        if self.type_rules:
            for name in _type_names(value):
                r = self.type_rules.get(name)
                if r is not None:
                    tacc = r[0] if tacc is None else self.merge(tacc, r[0])
                    if r[1] is not None:
                        unordered = r[1]
        if self.path_rules and (self.any_path is None or self.any_path.fullmatch(path)):
            for rx, t, u in self.path_rules:
                if rx.fullmatch(path):
                    pacc = t if pacc is None else self.merge(pacc, t)
                    if u is not None:
                        unordered = u
        tol = self.effective(tacc, pacc)
        return tol, tacc, pacc, bool(tol.unordered if unordered is None else unordered)

    def resolve_ctx(
        self, value: Any, path: str, parent: Any, mseg: str | None
    ) -> tuple[Tolerance, Any, bool]:
        """Cached rule lookup: ``parent`` is the parent's context, ``mseg`` the segment.

        A context is (type acc, path acc, match path); the match path spells list
        indexes "[#]" when no rule names one, so a list's elements share cache entries.
        """
        t = type(value)
        tkey: Any = (t, value.dtype) if t is np.ndarray else t
        key = (id(parent), mseg if parent is not None else path, tkey)
        hit = self._ctx_cache.get(key)
        if hit is None or hit[0] is not parent:  # ids can be reused after a clear
            if parent is None:
                tacc = pacc = None
                mpath = path
            else:
                tacc, pacc, pm = parent
                mpath = pm + mseg if mseg is not None else path
            tol, tacc, pacc, unordered = self.resolve(value, mpath, tacc, pacc)
            if len(self._ctx_cache) > 200_000:
                self._ctx_cache.clear()
            hit = (parent, tol, (tacc, pacc, mpath), unordered)
            self._ctx_cache[key] = hit
        return hit[1], hit[2], hit[3]

    def tolerance_at(self, path: str) -> Tolerance:
        """Effective tolerance at a path, ignoring type rules (for output streams)."""
        return self.resolve(None, path, None, None)[0]

    def scrub(self, value: Any, path: str) -> Any:
        for s, rx in self.scrubbers:
            if rx is None or rx.fullmatch(path):
                value = s.apply(value)
        return value

    def scrub_text(self, text: str, path: str) -> str:
        for s, rx in self.scrubbers:
            if rx is None or rx.fullmatch(path):
                text = s.scrub_text(text)
        return text


def _compiled(policy: Policy) -> _Compiled:
    c = policy.__dict__.get("_lh_compiled")
    if c is None:
        c = _Compiled(policy)
        object.__setattr__(policy, "_lh_compiled", c)  # not a field: eq/hash unaffected
    return c


_DEFAULT_POLICY = Policy()

Handler = Callable[[Any, Any, str, Tolerance, Any, bool], None]


def _is_long_text(s: Any) -> bool:
    return isinstance(s, str) and ("\n" in s or len(s) > 80)


def unified_diff(expected: str, actual: str) -> str:
    """Unified diff of two texts, as shown in reports."""
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile="expected",
        tofile="actual",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


class _Comparer:
    """One comparison run: walks both values, appends Differences."""

    def __init__(self, compiled: _Compiled) -> None:
        self.c = compiled
        self.p = compiled.policy
        self.base = compiled.base
        self.diffs: list[Difference] = []
        self.active: set[tuple[int, int]] = set()
        self.rules = compiled.has_rules
        self.scrubbing = bool(compiled.scrubbers)
        self._sub: _Comparer | None = None
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
        kind: str,
        path: str,
        e: Any,
        a: Any,
        abs_err: float | None = None,
        rel_err: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.diffs.append(
            Difference(_public_path(path), kind, e, a, abs_err, rel_err, detail or {})
        )

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
        te = type(e)
        if te is type(a):
            h = self.handlers.get(te)
            if h is None:
                h = self._other
        else:
            h = self._mismatch
        h(e, a, path, tol, ctx, unordered)

    def enter(self, e: Any, a: Any) -> bool:
        key = (id(e), id(a))
        if key in self.active:
            return False
        self.active.add(key)
        return True

    def leave(self, e: Any, a: Any) -> None:
        self.active.discard((id(e), id(a)))

    # ---- leaves

    def _exact(self, e: Any, a: Any, path: str, tol: Tolerance, *_: Any) -> None:
        try:
            same = bool(e == a)
        except Exception:  # noqa: BLE001 - e.g. pd.NA; fall back to identity/repr
            same = e is a or _short_repr(e, 10_000) == _short_repr(a, 10_000)
        if not same:
            self.add("value", path, e, a)

    def _text(self, e: str, a: str, path: str, tol: Tolerance, *_: Any) -> None:
        if e != a:
            detail = {"diff": unified_diff(e, a)} if _is_long_text(e) or _is_long_text(a) else {}
            self.add("value", path, e, a, detail=detail)

    def _int(self, e: int, a: int, path: str, tol: Tolerance, *_: Any) -> None:
        if e != a:
            ab, rel = _errors(e, a)
            self.add("value", path, e, a, ab, rel)

    def _float(self, e: float, a: float, path: str, tol: Tolerance, *_: Any) -> None:
        if e == a and (e != 0.0 or not tol.signed_zero):
            return
        if not _float_close(e, a, tol):
            ab, rel = _errors(e, a)
            self.add("value", path, e, a, ab, rel)

    def _numeric(self, e: Any, a: Any, path: str, tol: Tolerance, *_: Any) -> None:
        """Numbers of possibly different Python/numpy types."""
        ie, ia = _num_info(e), _num_info(a)
        assert ie is not None and ia is not None
        (ke, we), (ka, wa) = ie, ia
        both_python = not isinstance(e, np.generic) and not isinstance(a, np.generic)
        if ke != ka:
            if "b" in (ke, ka):
                self.add("type", path, e, a)
                return
            strict = self.p.strict_number_types if both_python else self.p.strict_dtype_kind
            if strict:
                self.add("type" if both_python else "dtype", path, e, a)
                return
        elif we != wa and self.p.strict_int_width:
            self.add("dtype", path, e, a)
            return
        kinds = {ke, ka}
        if kinds <= {"b", "i"}:
            if int(e) != int(a):
                ab, rel = _errors(e, a)
                self.add("value", path, e, a, ab, rel)
            return
        dtype: Any = np.float64
        for x in (e, a):
            if isinstance(x, np.floating) and x.dtype.itemsize in (2, 4):
                dtype = x.dtype if dtype is np.float64 else np.result_type(dtype, x.dtype)
        try:
            if "c" in kinds:
                ce, ca = complex(e), complex(a)
                ok = _float_close(ce.real, ca.real, tol, dtype) and _float_close(
                    ce.imag, ca.imag, tol, dtype
                )
            else:
                ok = _float_close(float(e), float(a), tol, dtype)
        except OverflowError:  # a huge int against a float
            ok = False
        if not ok:
            ab, rel = _errors(e, a)
            self.add("value", path, e, a, ab, rel)

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
        self.add(
            "type",
            path,
            e,
            a,
            detail={"expected_type": _qualname(te), "actual_type": _qualname(ta)},
        )

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
        if not self.enter(e, a):
            return
        try:
            for k, v in se.items():
                p = f"{path}.{k}"
                if k in sa:
                    self.node(v, sa[k], p, ctx, "." + k)
                else:
                    self.add("missing key", p, v, None)
            for k, v in sa.items():
                if k not in se:
                    self.add("extra key", f"{path}.{k}", None, v)
        finally:
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
        if not self.enter(e, a):
            return
        try:
            if unordered:
                self._match_unordered(list(e), list(a), path, ctx, "[{}]")
                return
            ne, na = len(e), len(a)
            if ne != na:
                self.add(
                    "length",
                    path,
                    ne,
                    na,
                    detail={
                        "missing": list(e[na:][:5]) if ne > na else [],
                        "extra": list(a[ne:][:5]) if na > ne else [],
                    },
                )
            node = self.node
            iseg = self.c.index_seg
            for i in range(min(ne, na)):
                node(e[i], a[i], f"{path}[{i}]", ctx, iseg or f"[{i}]")
        finally:
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
        if not self.enter(e, a):
            return
        try:
            node = self.node
            found = 0
            for k, v in e.items():
                seg = ("." + k) if type(k) is str and k.isidentifier() else f"[{k!r}]"
                if k in a:
                    found += 1
                    node(v, a[k], path + seg, ctx, seg)
                else:
                    self.add("missing key", path + seg, v, None)
            if found != len(a):
                for k, v in a.items():
                    if k not in e:
                        self.add("extra key", path + _key_segment(k), None, v)
        finally:
            self.leave(e, a)

    def _set(self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, unordered: bool) -> None:
        if not self.enter(e, a):
            return
        try:
            # Exact members first (O(n)); a stored twin of another type (1 vs True) is not
            # a match. Only the leftovers go through tolerant matching.
            a_map = {x: x for x in a}
            e_map = {x: x for x in e}
            only_e = [x for x in e if x not in a_map or type(a_map[x]) is not type(x)]
            only_a = [x for x in a if x not in e_map or type(e_map[x]) is not type(x)]
            if only_e or only_a:
                self._match_unordered(only_e, only_a, path, ctx, "{{...}}")
        finally:
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
                if not self._differs(e[i], a[j], path + seg.format(i), ctx, seg.format(i)):
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
                if not used[j] and not self._differs(
                    x, a[j], path + seg.format(i), ctx, seg.format(i)
                ):
                    used[j] = True
                    break
            else:
                missing.append(i)
        for i in sorted(missing):
            self.add("missing key", path + seg.format(i), e[i], None, detail={"unordered": True})
        for j in rest:
            if not used[j]:
                self.add("extra key", path + seg.format(j), None, a[j], detail={"unordered": True})

    def _differs(self, e: Any, a: Any, path: str, ctx: Any, mseg: str) -> bool:
        sub = self._sub
        if sub is None:
            sub = self._sub = _Comparer(self.c)
            sub.active = self.active
        sub.diffs = []
        sub.node(e, a, path, ctx, mseg)
        return bool(sub.diffs)

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
                "shape", path, e, a, detail={"expected_shape": e.shape, "actual_shape": a.shape}
            )
            return
        ge, ga = _GROUPS.get(e.dtype.kind, "?"), _GROUPS.get(a.dtype.kind, "?")
        dtype_detail = {"expected_dtype": str(e.dtype), "actual_dtype": str(a.dtype)}
        if ge != ga:
            if self.p.strict_dtype_kind or not ({ge, ga} <= {"i", "f", "c"}):
                self.add("dtype", path, e, a, detail=dtype_detail)
                return
        elif e.dtype != a.dtype and ge in "ifc" and self.p.strict_int_width:
            if e.dtype.newbyteorder("=") != a.dtype.newbyteorder("="):
                self.add("dtype", path, e, a, detail=dtype_detail)
                return
        if e.size == 0:
            return
        if ge == "O" or ga == "O":
            self._object_array(e, a, path, ctx)
            return
        if ge == "V":
            if e.dtype.names != a.dtype.names:
                self.add("dtype", path, e, a, detail=dtype_detail)
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
                    _float_mismatches(ef.real, af.real, tol),
                    _float_mismatches(ef.imag, af.imag, tol),
                )
            else:
                idx = _float_mismatches(ef, af, tol)
        else:
            if np.array_equal(ef, af):
                return
            with np.errstate(all="ignore"):
                mism = ef != af
            if ge in "Mm" and tol.nan_equal:
                mism &= ~(np.isnat(ef) & np.isnat(af))
            idx = np.flatnonzero(mism)
        if idx.size:
            detail = _array_summary(ef, af, idx, e.shape)
            self.add("value", path, e, a, detail["max_abs"], detail["max_rel"], detail)

    def _object_array(self, e: np.ndarray, a: np.ndarray, path: str, ctx: Any) -> None:
        for index in np.ndindex(e.shape):
            label = ", ".join(str(i) for i in index)
            seg = f"[{label}]"
            self.node(e[index], a[index], path + seg, ctx, self.c.index_seg or seg)

    # ---- pandas

    def _pandas(self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, unordered: bool) -> None:
        name = type(e).__name__
        if name == "DataFrame":
            self._index(e.index, a.index, path + ".index")
            ecols, acols = list(e.columns), list(a.columns)
            for col in ecols:
                if col not in a.columns:
                    self.add("missing key", path + _key_segment(col), e[col], None)
            for col in acols:
                if col not in e.columns:
                    self.add("extra key", path + _key_segment(col), None, a[col])
            common_e = [c for c in ecols if c in a.columns]
            common_a = [c for c in acols if c in e.columns]
            if common_e != common_a:
                self.add("value", path + ".columns", ecols, acols, detail={"order": True})
            for col in common_e:
                if not (e.columns.is_unique and a.columns.is_unique):
                    break
                ec, ac = e[col], a[col]
                colpath = path + _key_segment(col)
                ctol, cctx = tol, ctx
                if self.rules:
                    ctol, cctx, _ = self.c.resolve_ctx(ec, colpath, ctx, _key_segment(col))
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
            self.add("value", path, e, a, detail={"index": True})

    def _series(
        self, e: Any, a: Any, path: str, tol: Tolerance, ctx: Any, *, with_index: bool
    ) -> None:
        if with_index:
            self._index(e.index, a.index, path + ".index")
            if not _same_label(e.name, a.name):
                self.add("value", path + ".name", e.name, a.name)
        if str(e.dtype) != str(a.dtype) and not (
            isinstance(e.dtype, np.dtype) and isinstance(a.dtype, np.dtype)
        ):
            self.add(
                "dtype",
                path,
                e,
                a,
                detail={"expected_dtype": str(e.dtype), "actual_dtype": str(a.dtype)},
            )
            return
        ev, av = e.to_numpy(), a.to_numpy()
        if len(ev) != len(av):
            self.add("length", path, len(ev), len(av))
            return
        self._array(ev, av, path, tol, ctx, False)


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
    cmp = _Comparer(_compiled(policy or _DEFAULT_POLICY))
    cmp.node(expected, actual, _internal_path(path))
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
    c = _compiled(pol)
    cmp = _Comparer(c)
    e_raised, a_raised = "raised" in expected, "raised" in actual
    if e_raised or a_raised:
        et = _raised_type(expected.get("raised")) if e_raised else None
        at = _raised_type(actual.get("raised")) if a_raised else None
        if (e_raised != a_raised or et != at) and not c.tolerance_at(".raised").ignore:
            cmp.add(
                "exception changed",
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
                cmp.add("missing key", p, expected[key], None)
            else:
                cmp.add("extra key", p, None, actual[key])
    for key in _STREAMS:
        if key in expected or key in actual:
            p = "." + key
            if c.tolerance_at(p).ignore:
                continue
            es = c.scrub_text(str(expected.get(key) or ""), p)
            as_ = c.scrub_text(str(actual.get(key) or ""), p)
            if es != as_:
                cmp.add("output changed", p, es, as_, detail={"diff": unified_diff(es, as_)})
    if ("logs" in expected or "logs" in actual) and not c.tolerance_at(".logs").ignore:
        el = _log_text(expected.get("logs") or [], c)
        al = _log_text(actual.get("logs") or [], c)
        if el != al:
            cmp.add("output changed", ".logs", el, al, detail={"diff": unified_diff(el, al)})
    return cmp.diffs


def _root_order(key: str) -> tuple[int, str]:
    order = ("outcome", "raised", "effects", "stdout", "stderr", "logs")
    return (order.index(key) if key in order else len(order), str(key))


def _raised_type(raised: Any) -> Any:
    if isinstance(raised, Mapping):
        return raised.get("type")
    return type(raised).__qualname__


def _log_text(logs: Iterable[Any], c: _Compiled) -> str:
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
    """Raise AssertionError with the rendered report when ``actual`` is not close.

    ``kw`` takes any other Tolerance field (``signed_zero``, ``exact``...), the policy
    flags (``strict_*``) and ``scrubbers``.
    """
    __tracebackhide__ = True
    pol = (policy or _DEFAULT_POLICY).with_overrides(
        paths=paths, rtol=rtol, atol=atol, max_ulp=max_ulp, nan_equal=nan_equal, **kw
    )
    diffs = compare(expected, actual, pol)
    if diffs:
        from legacy_harness.report.render import render_text

        n = len(diffs)
        title = f"values differ ({n} difference{'s' if n != 1 else ''})"
        raise AssertionError(render_text(diffs, limit=pol.max_differences, title=title))
