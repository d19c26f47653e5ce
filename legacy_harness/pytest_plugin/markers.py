"""The ``golden`` and ``seeded`` markers: a test's tolerance, and pinned generators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

__all__ = ["register", "seeded_call"]


def register(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "golden(tolerance=None, **fields): comparison tolerance for the golden fixture's checks"
        " (a Tolerance, {path glob: {rtol, atol, ...}}, or Tolerance fields as keywords)",
    )
    config.addinivalue_line(
        "markers", "seeded(seed): run the test inside legacy_harness.stochastic.seeded(seed)"
    )


@contextmanager
def seeded_call(item: pytest.Item) -> Iterator[None]:
    """Run a test's call with its ``seeded`` marker's generators pinned, and add the
    report of what was and was not controlled to the test's report sections."""
    marker = None if getattr(item, "replays_a_case", False) else item.get_closest_marker("seeded")
    if marker is None:
        yield
        return
    from legacy_harness.stochastic.seeds import seeded

    seed = marker.args[0] if marker.args else marker.kwargs.get("seed", 0)
    with seeded(seed) as report:
        item.add_report_section("call", "seeded", str(report))
        yield
