"""The clock and uuid boundaries: a replayed call sees the instants and ids it saw."""

from __future__ import annotations

import datetime as dt
import importlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import verify

from legacy_harness.errors import HarnessError
from legacy_harness.record.boundaries import BoundarySet
from legacy_harness.record.recorder import recording
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import CHANGED, PASSED

time_machine = pytest.importorskip("time_machine")

STAMPED = """
import datetime
import logging
import time

def stamp(order):
    started = time.monotonic()
    created = datetime.datetime.now()
    logging.getLogger("orders").warning("stamping %s", order)
    return {
        "order": order,
        "created": created.isoformat(),
        "day": datetime.date.today().isoformat(),
        "epoch": time.time(),
        "utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "took": time.monotonic() - started,
    }
"""

IDS = """
import os
import secrets
import uuid
from uuid import uuid4

def new_order(customer):
    return {
        "id": str(uuid4()),
        "trace": uuid.uuid1().hex,
        "token": secrets.token_hex(8),
        "salt": os.urandom(4).hex(),
        "customer": customer,
    }
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_clock_forty_days_later_still_replays(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(STAMPED)
    with recording([f"{mod.__name__}:stamp"], store=project / "golden", boundaries=["clock"]):
        recorded = mod.stamp("A-1")
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=40)):
        assert dt.date.today() != dt.date.fromisoformat(recorded["day"])
        results = verify(project)
    assert [r.status for r in results] == [PASSED], [r.differences for r in results]
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    reads = [(item["call"]["op"], item["boundary"]) for item in stored.case.tape or []]
    # the logging module stamps its record with the real clock: not the target's reading
    assert reads == [("monotonic", "clock"), *[("now", "clock")] * 4, ("monotonic", "clock")]
    now = stored.case.tape[1]["result"]  # type: ignore[index]
    assert now["utc"].endswith("Z") and isinstance(now["ns"], int)


def test_more_clock_readings_than_recorded_fail(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(STAMPED)
    with recording([f"{mod.__name__}:stamp"], store=project / "golden", boundaries=["clock"]):
        mod.stamp("A-2")
    path = Path(mod.__file__ or "")
    path.write_text(
        path.read_text().replace('"order": order,', '"order": order, "again": time.time(),')
    )
    shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)
    importlib.invalidate_caches()
    importlib.reload(mod)
    [result] = verify(project)
    assert result.status == CHANGED
    assert "clock call not on the tape" in (result.explanation or "")
    assert "more calls than recorded" in (result.explanation or "")


def test_reading_the_clock_without_the_boundary_is_named(
    project: Path, make_module: Callable[..., ModuleType]
) -> None:
    mod = make_module(STAMPED)
    with recording([f"{mod.__name__}:stamp"], store=project / "golden", boundaries=[]) as rec:
        mod.stamp("A-3")
    summary = rec.summary().render()
    assert f'{mod.__name__}:stamp read the clock: add boundaries = ["clock"]' in summary


def test_ids_and_random_bytes_replay(project: Path, make_module: Callable[..., ModuleType]) -> None:
    mod = make_module(IDS)
    with recording([f"{mod.__name__}:new_order"], store=project / "golden", boundaries=["uuid"]):
        first = mod.new_order("c-1")
    assert [r.status for r in verify(project)] == [PASSED]
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    ops = [item["call"]["op"] for item in stored.case.tape or []]
    assert ops == ["uuid4", "uuid1", "token_hex", "urandom"]  # uuid4's own urandom is inside
    assert stored.case.tape[0]["result"]["value"] == first["id"]  # type: ignore[index]


def test_a_missing_library_is_named_with_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "time_machine", None)
    with pytest.raises(HarnessError, match=r"pip install legacy-harness\[clock\]"):
        BoundarySet(["clock"]).install()
