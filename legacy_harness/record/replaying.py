"""A process-wide flag: the harness is replaying a master right now.

``legacy-harness record -- -m pytest tests/`` runs the pytest plugin's golden items in the
recording process, and they replay masters of the very targets being recorded. Those
calls are the harness's own, not the program's: the recorder checks this flag and lets
them through unrecorded. It is process-wide (not per thread) because a replayed call may
hand work to other threads, and a counter because replays can nest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["active", "replaying"]

_depth = [0]


def active() -> bool:
    """True while some replay runs in this process."""
    return _depth[0] > 0


@contextmanager
def replaying() -> Iterator[None]:
    """Mark the block as a replay (see the module's docstring)."""
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
