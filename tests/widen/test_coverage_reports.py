"""Coverage through coverage.py's public API: its own Cobertura XML and LCOV reporters,
and progress over the cases replayed."""

from __future__ import annotations

import ast
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from legacy_harness.config import Config
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import VerifySession
from legacy_harness.widen import measure
from legacy_harness.widen.measure import measure_coverage

SOURCE = """
def grade(score):
    if score >= 90:
        return "A"
    if score >= 50:
        return "pass"
    return "fail"


def untouched(x):
    return x * 2
"""


def recorded(
    make_module: Callable[..., ModuleType], root: Path
) -> tuple[ModuleType, VerifySession]:
    module = make_module(SOURCE)
    session = VerifySession.open(Config(root=root, store=root / "golden", pythonpath=(root,)))
    recorder = Recorder([f"{module.__name__}:grade"], session.store)
    recorder.start()
    try:
        module.grade(95)
        module.grade(60)
        module.grade(70)
    finally:
        recorder.stop()
    return module, session


def test_cobertura_and_lcov_come_from_coverage_py(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module, session = recorded(make_module, tmp_path)
    calls: list[tuple[int, int]] = []
    result = measure_coverage(
        session,
        xml=tmp_path / "out" / "coverage.xml",
        lcov=tmp_path / "out" / "coverage.lcov",
        progress=lambda done, total: calls.append((done, total)),
    )
    (entry,) = result.targets
    assert entry.missing_lines == [7] and entry.missing_branches == [(5, 7)]
    assert calls[0] == (0, 3) and calls[-1] == (3, 3) and len(calls) == 4
    filename = os.path.basename(str(module.__file__))
    root = ET.parse(tmp_path / "out" / "coverage.xml").getroot()
    assert root.tag == "coverage" and root.get("branch-rate") is not None
    (cls,) = [c for c in root.iter("class") if c.get("filename", "").endswith(filename)]
    hits = {int(line.get("number")): int(line.get("hits")) for line in cls.iter("line")}
    assert hits[3] == 1 and hits[7] == 0 and hits[11] == 0  # the whole file, as coverage.py sees it
    lcov = (tmp_path / "out" / "coverage.lcov").read_text()
    assert "SF:" in lcov and filename in lcov and "DA:7,0" in lcov and "BRDA:" in lcov


def test_no_private_coverage_api_is_used() -> None:
    tree = ast.parse(Path(measure.__file__).read_text(encoding="utf-8"))
    private = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    assert private == []
