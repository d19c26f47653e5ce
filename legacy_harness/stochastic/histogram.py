"""Side-by-side text histograms of a master and a current sample.

A p-value says *that* a distribution moved; a picture in the terminal says *how*
(shifted, wider, a new mode), which is what the reviewer of a failing test needs first.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["render_histograms"]

MASTER_CHAR = "█"
CURRENT_CHAR = "#"


def _bars(fractions: npt.NDArray[np.float64], scale: float, width: int, char: str) -> list[str]:
    """Bars proportional to ``fractions``; any non-empty bin shows at least one char."""
    lengths = np.rint(fractions / scale * width).astype(np.int64) if scale > 0 else 0 * fractions
    lengths = np.where((fractions > 0) & (lengths == 0), 1, lengths).astype(np.int64)
    bars = np.char.multiply(np.array([char]), lengths)
    return [str(b).ljust(width) for b in bars]


def _numeric(values: npt.ArrayLike) -> npt.NDArray[np.float64] | None:
    arr = np.asarray(values).ravel()
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        return None


def render_histograms(
    master: npt.ArrayLike, current: npt.ArrayLike, bins: int = 12, width: int = 30
) -> str:
    """Two aligned histograms (master '█', current '#') on common bins, as fractions.

    Fractions, not counts, so a 200-run master and a 30-run replay are comparable.
    Non-numeric samples get one row per category; non-finite values are counted apart.
    """
    m, c = _numeric(master), _numeric(current)
    if m is None or c is None:
        ms, cs = np.asarray(master).astype(str).ravel(), np.asarray(current).astype(str).ravel()
        labels = np.unique(np.concatenate([ms, cs]))
        m_counts = (ms[:, None] == labels[None, :]).sum(axis=0)
        c_counts = (cs[:, None] == labels[None, :]).sum(axis=0)
        row_labels = [str(label) for label in labels]
        m_total, c_total = ms.size, cs.size
        extra = ""
    else:
        m_fin, c_fin = m[np.isfinite(m)], c[np.isfinite(c)]
        both = np.concatenate([m_fin, c_fin])
        if both.size == 0:
            return "(no finite values to plot)"
        distinct = np.unique(both)
        if distinct.size <= bins:  # discrete data: one row per value reads better than bins
            m_counts = (m_fin[:, None] == distinct[None, :]).sum(axis=0)
            c_counts = (c_fin[:, None] == distinct[None, :]).sum(axis=0)
            row_labels = [f"{v:>10.6g}" for v in distinct]
        else:
            edges = np.histogram_bin_edges(both, bins=bins)
            m_counts, _ = np.histogram(m_fin, bins=edges)
            c_counts, _ = np.histogram(c_fin, bins=edges)
            row_labels = [
                f"{a:>10.4g} .. {b:<10.4g}" for a, b in zip(edges[:-1], edges[1:], strict=True)
            ]
        m_total, c_total = max(m_fin.size, 1), max(c_fin.size, 1)
        n_bad_m, n_bad_c = m.size - m_fin.size, c.size - c_fin.size
        extra = f"non-finite: master {n_bad_m}, current {n_bad_c}" if n_bad_m or n_bad_c else ""
    m_frac = m_counts / max(m_total, 1)
    c_frac = c_counts / max(c_total, 1)
    scale = float(max(m_frac.max(initial=0.0), c_frac.max(initial=0.0)))
    m_bars = _bars(m_frac, scale, width, MASTER_CHAR)
    c_bars = _bars(c_frac, scale, width, CURRENT_CHAR)
    label_width = max(len(s) for s in row_labels) if row_labels else 0
    header = (
        f"{'':<{label_width}}  {'master (n=' + str(m_total) + ')':<{width}}  current (n={c_total})"
    )
    lines = [header.rstrip()]
    lines += [
        f"{label:<{label_width}}  {mb}  {cb}".rstrip()
        for label, mb, cb in zip(row_labels, m_bars, c_bars, strict=True)
    ]
    if extra:
        lines.append(extra)
    return "\n".join(lines)
