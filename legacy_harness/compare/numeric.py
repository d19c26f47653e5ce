"""Numeric kernels of the comparison: ULP distance, float closeness, array summaries.

Arrays are compared without a Python loop per element (``pytest.approx`` loops and is
hundreds of times slower than ``assert_allclose`` on a million elements): the float
kernel works in cache-sized chunks and pays for NaN, infinity and ULP bookkeeping only
in chunks that fail the cheap test. The scalar functions apply the same rules to single
Python numbers at Python speed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.compare.policy import Tolerance

__all__ = [
    "array_summary",
    "float_close",
    "float_mismatches",
    "scalar_errors",
    "ulp_distance",
]

_INT_FOR_FLOAT = {2: np.int16, 4: np.int32, 8: np.int64}
_CHUNK = 1 << 14


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


def float_close(e: float, a: float, tol: Tolerance, dtype: Any = np.float64) -> bool:
    """Whether two Python floats are close under ``tol``: the scalar twin of
    :func:`float_mismatches` (same rules; ``dtype`` is the width ULPs are counted in)."""
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
        ulps = ulp_distance(np.array([e], dtype=dtype), np.array([a], dtype=dtype))
        return int(ulps[0]) <= tol.max_ulp
    return False


def scalar_errors(e: Any, a: Any) -> tuple[float | None, float | None]:
    """Absolute and relative error of two scalars, relative to ``e`` (inf when
    ``e == 0 != a``); (None, None) when they are not numbers."""
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


def float_mismatches(e: np.ndarray, a: np.ndarray, tol: Tolerance) -> np.ndarray:
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


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    if not shape:
        return ()
    return tuple(int(i) for i in np.unravel_index(int(flat), shape))


def array_summary(
    e: np.ndarray, a: np.ndarray, idx: np.ndarray, shape: tuple[int, ...], first: int = 5
) -> dict[str, Any]:
    """What a reader needs about the mismatching elements ``idx`` (flat indices into the
    flat ``e`` and ``a`` of an array of ``shape``): how many and what share, the largest
    absolute and relative error, where the worst one is, and the ``first`` few."""
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
    detail["worst_index"] = _index(int(idx[worst]), shape)
    detail["worst_expected"] = em[worst].item() if em.dtype.kind != "O" else em[worst]
    detail["worst_actual"] = am[worst].item() if am.dtype.kind != "O" else am[worst]
    detail["first"] = [
        (_index(int(idx[i]), shape), em[i].item(), am[i].item()) for i in range(min(first, count))
    ]
    return detail
