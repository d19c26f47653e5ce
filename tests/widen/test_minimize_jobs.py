"""minimize --jobs: cases profiled in worker processes give the plan one process gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from legacy_harness.config import Config
from legacy_harness.parallel import LocalExecutor
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import VerifySession
from legacy_harness.widen.minimize import PARALLEL_FROM, plan

SOURCE = """
def bucket(n):
    if n < 0:
        raise ValueError("negative")
    if n > 40:
        return "big"
    return "odd" if n % 2 else "even"
"""


def test_minimize_over_two_processes_plans_what_one_process_plans(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(SOURCE)
    target = f"{module.__name__}:bucket"
    session = VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )
    recorder = Recorder([target], session.store)
    recorder.start()
    try:
        for n in range(-3, PARALLEL_FROM + 10):
            try:
                module.bucket(n)
            except ValueError:
                pass
    finally:
        recorder.stop()
    alone = plan(session, target)
    with LocalExecutor(2) as executor:
        spread = plan(session, target, executor=executor)
        assert executor._pool is not None  # the cases really went to worker processes
    ids = lambda stored: sorted(s.case.id for s in stored)  # noqa: E731
    assert alone.before == spread.before == PARALLEL_FROM + 13
    assert ids(spread.keep) == ids(alone.keep) and ids(spread.drop) == ids(alone.drop)
    assert (spread.arcs, spread.kinds, spread.errors) == (alone.arcs, alone.kinds, [])
    assert alone.after == 3  # big, a small number (one line: one arc for both), ValueError
