"""One row of the benchmark table, shared by every benchmark module and ``run.py``.

A row is a figure beside the reference it is judged against, measured in the same run,
so the ratio (value / reference) is what survives a slower or busier machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str | None = None
    aim: str | None = None

    @property
    def ratio(self) -> float | None:
        """value / reference, or None when there is no usable reference."""
        if self.reference is None or self.reference == 0 or math.isnan(self.reference):
            return None
        return self.value / self.reference


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "n/a"
    size = abs(value)
    if size == 0:
        text = "0"
    elif size >= 10_000:
        text = f"{value:,.0f}"
    elif size >= 100:
        text = f"{value:,.1f}"
    elif size >= 0.001:
        text = f"{value:.4g}"
    else:
        text = f"{value:.3e}"
    return f"{text} {unit}".rstrip()


HEADER = ("benchmark", "figure", "value", "reference", "ref. value", "ratio", "aim")


def format_table(rows: Sequence[Row], errors: Sequence[tuple[str, str]] = ()) -> str:
    """Rows as aligned text columns; ``errors`` (benchmark, message) become their own lines."""
    lines: list[tuple[str, ...]] = [HEADER]
    for row in rows:
        ratio = row.ratio
        lines.append(
            (
                row.benchmark,
                row.figure,
                _number(row.value, row.unit),
                row.reference_name or "",
                _number(row.reference, row.unit) if row.reference is not None else "",
                f"{ratio:.2f}x" if ratio is not None else "",
                row.aim or "",
            )
        )
    for benchmark, message in errors:
        lines.append((benchmark, f"FAILED: {message}", "", "", "", "", ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    right = {2, 4, 5}
    out = []
    for n, line in enumerate(lines):
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
