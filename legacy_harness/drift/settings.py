"""``[tool.legacy_harness.drift]``: when a moved input counts as moved.

A p-value alone flags trivial moves on large samples (with 3,000 calls a shift of a
hundredth of a standard deviation can be "significant"), so a leaf is named only when
Holm's correction rejects at ``alpha`` *and* the move is large enough to matter: a
population stability index of ``min_psi`` or a Wasserstein distance of ``min_shift``
standard deviations, or a share ``min_new`` of calls with values never seen before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from legacy_harness.config import section
from legacy_harness.errors import ConfigError

__all__ = ["DriftSettings", "settings_from_config"]

_WHERE = "[tool.legacy_harness.drift]"


@dataclass(frozen=True)
class DriftSettings:
    """How ``drift`` decides; the defaults suit a few thousand calls per run."""

    #: Family-wise false-alarm rate over every test of a run (Holm).
    alpha: float = 0.05
    #: Population stability index from which a distribution counts as moved (the usual
    #: reading: below 0.1 no real change, 0.1-0.25 a moderate one, above a large one).
    min_psi: float = 0.1
    #: Wasserstein distance, in standard deviations of the recorded values, from which a
    #: number counts as moved.
    min_shift: float = 0.1
    #: Share of this run's values never seen before (a new category, a number outside the
    #: recorded range) from which they count as a move.
    min_new: float = 0.005
    #: A leaf of whole numbers with at most this many distinct values is compared as
    #: categories (counts of each value), not as a continuous distribution.
    small_ints: int = 12


def settings_from_config(table: Mapping[str, Any]) -> DriftSettings:
    """Read ``drift`` from the ``[tool.legacy_harness]`` table (``Config.table``)."""
    drift = section(table, "drift")
    known = {f.name: f for f in fields(DriftSettings)}
    values: dict[str, Any] = {}
    for name, value in drift.items():
        if name == "small_ints":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    f"{_WHERE} small_ints must be a whole number, e.g. small_ints = 12"
                )
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(
                f"{_WHERE} {name} must be a number, e.g. {name} = {known[name].default}"
            )
        values[name] = value
    settings = DriftSettings(**values)
    check_alpha(settings.alpha, f"{_WHERE} alpha")
    return settings


def check_alpha(alpha: float, where: str) -> None:
    if not 0 < alpha < 1:
        raise ConfigError(f"{where} must be between 0 and 1, e.g. 0.05")
