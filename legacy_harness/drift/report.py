"""The drift report: text with side-by-side ASCII histograms for people, JSON for tools.

A p-value says *that* an input moved; the histograms show *how* (shifted, wider, a new
category), and the closing lines say what to do: re-record from today's input, or
generate cases for the region the masters do not cover.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from legacy_harness.drift.compare import DriftReport, FloatArray, LeafDrift

__all__ = ["render_histogram", "render_json", "render_text", "to_data"]

RECORDED_CHAR = "█"
CURRENT_CHAR = "#"
BAR_WIDTH = 24
BINS = 10


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


def _bars(fractions: FloatArray, scale: float, char: str) -> list[str]:
    lengths = (
        np.rint(fractions / scale * BAR_WIDTH).astype(np.int64) if scale > 0 else 0 * fractions
    )
    lengths = np.where((fractions > 0) & (lengths == 0), 1, lengths)
    return [(char * int(n)).ljust(BAR_WIDTH) for n in lengths.tolist()]


def render_histogram(before: FloatArray, after: FloatArray, bins: int = BINS) -> list[str]:
    """Recorded and this run's values on common bins, as shares of each side.

    The bins span the pooled 0.5%..99.5% quantiles, so one outlier does not squash the
    picture; values beyond fall into the first or last bin.
    """
    pooled = np.concatenate([before, after])
    if pooled.size == 0:
        return []
    low, high = (float(q) for q in np.quantile(pooled, [0.005, 0.995]))
    if high <= low:
        low, high = float(pooled.min()), float(pooled.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    a = np.bincount(
        np.clip(np.searchsorted(edges, before, side="right") - 1, 0, bins - 1), minlength=bins
    )
    b = np.bincount(
        np.clip(np.searchsorted(edges, after, side="right") - 1, 0, bins - 1), minlength=bins
    )
    labels = [f"{_num(x)} .. {_num(y)}" for x, y in zip(edges[:-1], edges[1:], strict=True)]
    return _rows(labels, a / max(before.size, 1), b / max(after.size, 1), before.size, after.size)


def _rows(
    labels: Sequence[str], a: FloatArray, b: FloatArray, n_before: int, n_after: int
) -> list[str]:
    scale = float(max(a.max(initial=0.0), b.max(initial=0.0)))
    width = max(len(label) for label in labels)
    head = f"{'':<{width}}  {f'recorded (n={n_before})':<{BAR_WIDTH + 7}}  this run (n={n_after})"
    lines = [head.rstrip()]
    for label, x, y, bar_a, bar_b in zip(
        labels, a.tolist(), b.tolist(), _bars(a, scale, RECORDED_CHAR), _bars(b, scale, CURRENT_CHAR),
        strict=True,
    ):  # fmt: skip
        lines.append(f"{label:<{width}}  {x:>5.1%} {bar_a}  {y:>5.1%} {bar_b}".rstrip())
    return lines


def _category_rows(before: dict[str, int], after: dict[str, int], limit: int = 10) -> list[str]:
    total_a, total_b = max(sum(before.values()), 1), max(sum(after.values()), 1)
    labels = sorted(
        set(before) | set(after),
        key=lambda k: (-max(before.get(k, 0) / total_a, after.get(k, 0) / total_b), k),
    )[:limit]
    a = np.array([before.get(k, 0) / total_a for k in labels], dtype=np.float64)
    b = np.array([after.get(k, 0) / total_b for k in labels], dtype=np.float64)
    return _rows(labels, a, b, sum(before.values()), sum(after.values()))


def _summary_table(leaf: LeafDrift) -> list[str]:
    if "mean" not in leaf.before and "mean" not in leaf.after:
        return []
    keys = ("n", "mean", "sd", "min", "median", "max")
    lines = [f"{'':<10}" + "".join(f"{key:>11}" for key in keys)]
    for name, side in (("recorded", leaf.before), ("this run", leaf.after)):
        lines.append(f"{name:<10}" + "".join(f"{_num(side.get(key)):>11}" for key in keys))
    return lines


def _leaf_lines(leaf: LeafDrift, alpha: float) -> list[str]:
    lines = ["", f"MOVED {leaf.target} {leaf.leaf} ({leaf.kind})"]
    for test in leaf.tests:
        mark = "*" if test.adjusted <= alpha and test.large else " "
        effect = f"{test.effect_label} {_num(test.effect)}"
        if test.name == "ks" and leaf.wasserstein is not None:
            effect += f", Wasserstein {_num(leaf.wasserstein)} ({_num(leaf.shift)} sd)"
        lines.append(
            f" {mark} {test.name}: statistic {_num(test.statistic)}, p {_num(test.pvalue)},"
            f" Holm p {_num(test.adjusted)}; {effect}"
        )
    if leaf.new_values:
        shown = ", ".join(f"{label} ({count})" for label, count in leaf.new_values[:8])
        more = f" and {len(leaf.new_values) - 8} more" if len(leaf.new_values) > 8 else ""
        lines.append(f"  never seen when recording: {shown}{more}")
    if leaf.above:
        lines.append(
            f"  {leaf.above} sampled values above the recorded maximum {_num(leaf.before.get('max'))}"
            f" (this run's maximum {_num(leaf.after.get('max'))})"
        )
    if leaf.below:
        lines.append(
            f"  {leaf.below} sampled values below the recorded minimum {_num(leaf.before.get('min'))}"
            f" (this run's minimum {_num(leaf.after.get('min'))})"
        )
    lines += ["  " + line for line in _summary_table(leaf)]
    picture: list[str] = []
    if leaf.samples is not None and leaf.samples[0].size and leaf.samples[1].size:
        picture = render_histogram(*leaf.samples)
    elif leaf.counts is not None:
        picture = _category_rows(*leaf.counts)
    lines += ["  " + line for line in picture]
    return lines


def render_text(report: DriftReport, program: str = "") -> str:
    """The whole report, ending with a newline."""
    moved = report.moved
    alpha = report.settings.alpha
    targets = len(report.calls)
    head = (
        f"legacy-harness drift: {len(moved)} of {len(report.leaves)} input leaves moved"
        if moved
        else f"legacy-harness drift: no input moved ({len(report.leaves)} leaves of"
        f" {targets} target{'s' if targets != 1 else ''} compared)"
    )
    lines = [f"{head}; Holm alpha {alpha:g}, PSI >= {report.settings.min_psi:g}"
             f" or Wasserstein >= {report.settings.min_shift:g} sd"]  # fmt: skip
    for target, (recorded, now) in sorted(report.calls.items()):
        names = sorted(leaf.leaf for leaf in moved if leaf.target == target)
        tail = f"; moved: {', '.join(names)}" if names else ""
        lines.append(f"  {target}: {now} calls (recorded from {recorded}){tail}")
    for target in report.not_called:
        lines.append(f"  {target}: not called in this run")
    for leaf in moved:
        lines += _leaf_lines(leaf, alpha)
    if moved:
        targets_moved = sorted({leaf.target for leaf in moved})
        flags = " ".join(f"--target {t}" for t in targets_moved)
        rerun = f" -- {program}" if program else " -- SCRIPT [ARGS...]"
        lines += [
            "",
            "These inputs moved away from those the masters were recorded from, so the masters"
            " may not cover what the program meets now. Re-record from today's input:",
            f"  legacy-harness record --mode new {flags}{rerun}",
            "or generate cases for the new region:",
            f"  legacy-harness characterize {flags}",
        ]
    return "\n".join(lines) + "\n"


def to_data(report: DriftReport) -> dict[str, Any]:
    settings = report.settings
    return {
        "moved": bool(report.moved),
        "exit_code": int(report.exit_code),
        "settings": {
            "alpha": settings.alpha,
            "min_psi": settings.min_psi,
            "min_shift": settings.min_shift,
            "min_new": settings.min_new,
            "small_ints": settings.small_ints,
        },
        "targets": {
            target: {"recorded_calls": recorded, "calls": now}
            for target, (recorded, now) in sorted(report.calls.items())
        },
        "not_called": list(report.not_called),
        "moved_leaves": [leaf.name for leaf in report.moved],
        "leaves": [leaf.to_data() for leaf in report.leaves],
    }


def render_json(report: DriftReport) -> str:
    return json.dumps(to_data(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
