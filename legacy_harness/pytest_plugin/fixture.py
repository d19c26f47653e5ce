"""The ``legacy_golden`` fixture: the checks of one test, kept as masters in the store.

It is always there under this unambiguous name; :mod:`.alias` offers it as ``golden``
too when no other plugin owns that name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from legacy_harness.pytest_plugin.session import EVENTS, SESSION

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.pytest_plugin.golden import Golden

__all__ = ["legacy_golden"]


@pytest.fixture
def legacy_golden(request: pytest.FixtureRequest) -> Golden:
    """Characterization checks kept as masters in the golden store (see Golden)."""
    module = getattr(request, "module", None)
    packages = {module.__name__.split(".")[0]} if module is not None else set()
    marker = request.node.get_closest_marker("golden")
    checks = request.config.stash[SESSION].checks(request.node.nodeid, marker, packages)
    request.node.stash[EVENTS] = checks.events
    return checks
