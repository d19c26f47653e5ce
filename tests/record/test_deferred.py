"""``record --`` wraps each target when the program imports its module."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from legacy_harness.config import config_from_table
from legacy_harness.errors import TargetError
from legacy_harness.record.deferred import DeferredRecording

PRICES = """
def net(amount, rate=0.2):
    return round(amount * (1 + rate), 2)


class Till:
    def __init__(self):
        self.total = 0.0

    def ring(self, amount):
        self.total += net(amount)
        return self.total

    def noisy(self):
        yield 1
"""

HELPERS = """
def shout(text):
    return text.upper()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``shopdef`` with two modules, importable, none of it imported yet."""
    package = tmp_path / "shopdef"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "prices.py").write_text(textwrap.dedent(PRICES))
    (package / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (tmp_path / "tilldef.py").write_text("import this_module_is_never_run\n" + PRICES)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith(("shopdef", "tilldef"))]:
        sys.modules.pop(name)


def recording(project: Path, *patterns: str, exclude: tuple[str, ...] = ()) -> DeferredRecording:
    config = config_from_table({}, root=project)
    return DeferredRecording(patterns, project / "golden", config=config, exclude=exclude)


def cases(project: Path, target: str) -> int:
    module, _, qualname = target.partition(":")
    return len(list((project / "golden" / module / qualname).glob("case-*.json")))


def test_targets_are_wrapped_when_the_program_imports_their_module(project: Path) -> None:
    run = recording(project, "shopdef.prices:net", "shopdef.prices:Till.ring")
    run.start()
    try:
        assert "shopdef.prices" not in sys.modules  # the program imports in its own order
        assert run.recorder is None  # nothing loaded before a target's module is
        from shopdef.prices import Till, net

        assert net(10.0) == 12.0
        Till().ring(5.0)
    finally:
        summary = run.stop()
    assert run.error() is None
    assert cases(project, "shopdef.prices:net") == 2  # one direct call, one from ring
    assert cases(project, "shopdef.prices:Till.ring") == 1
    assert {s.target: s.calls for s in summary.targets} == {
        "shopdef.prices:net": 2,
        "shopdef.prices:Till.ring": 1,
    }
    module = sys.modules["shopdef.prices"]  # the module keeps its own loader and source
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.__spec__.loader is module.__loader__
    assert "round(amount" in inspect.getsource(module.net)


def test_a_module_imported_before_recording_is_wrapped_at_once(project: Path) -> None:
    from shopdef import helpers

    run = recording(project, "shopdef.helpers")
    run.start()
    try:
        assert run.recorder is not None
        assert helpers.shout("hi") == "HI"
    finally:
        run.stop()
    assert run.error() is None and cases(project, "shopdef.helpers:shout") == 1


def test_modules_never_imported_are_listed_unreached_and_checked(project: Path) -> None:
    run = recording(project, "shopdef.**", exclude=("shopdef.helpers",))
    run.start()
    try:
        from shopdef.prices import net

        net(1.0)
    finally:
        summary = run.stop()
    assert run.error() is None
    calls = {s.target: s.calls for s in summary.targets}
    assert calls["shopdef.prices:net"] == 1 and calls["shopdef.prices:Till.ring"] == 0
    assert "shopdef.prices:Till.noisy" in summary.skipped  # a generator, listed as left out
    assert "shopdef.helpers" not in sys.modules  # excluded whole: never imported
    assert "no calls (the run never reached them): Till.__init__, Till.ring" in summary.render()


def test_an_unknown_name_stops_before_the_program_runs(project: Path) -> None:
    """A name its module does not define is found in the module's code, before any run
    and without importing the module or its package."""
    with pytest.raises(TargetError, match=r"shopdef.helpers:whisper.* has no 'whisper'"):
        recording(project, "shopdef.helpers:whisper", "shopdef.prices:net")
    with pytest.raises(TargetError, match=r"target shopdef.prices:nett.*did you mean"):
        recording(project, "shopdef.prices:nett")


def test_a_plainly_defined_name_is_checked_without_importing_its_package(project: Path) -> None:
    recording(project, "shopdef.helpers:shout", "shopdef.prices:Till", "shopdef.prices:Till.ring")
    assert not [name for name in sys.modules if name.startswith("shopdef")]


def test_a_pattern_matching_nothing_is_reported_at_the_end_naming_it(project: Path) -> None:
    run = recording(project, "shopdef.prices:Nothing*", "shopdef.helpers:shout")
    run.start()
    try:
        from shopdef.prices import net  # the program's import is not disturbed

        assert net(1.0) == 1.2
    finally:
        summary = run.stop()
    message = str(run.error())
    assert "target shopdef.prices:Nothing* matches no function or method" in message
    assert [s.target for s in summary.targets] == ["shopdef.helpers:shout"]  # never imported


def test_a_module_that_cannot_be_found_stops_before_the_program_runs(project: Path) -> None:
    with pytest.raises(TargetError, match="module 'shopdeff.prices' cannot be imported"):
        recording(project, "shopdeff.prices:net")


def test_targets_plainly_defined_in_a_module_never_imported_are_listed_without_running_it(
    project: Path,
) -> None:
    run = recording(project, "tilldef:net", "tilldef:Till.ring")
    run.start()
    summary = run.stop()
    assert run.error() is None
    assert "tilldef" not in sys.modules  # its import would fail: it was never run
    assert sorted(s.target for s in summary.targets) == ["tilldef:Till.ring", "tilldef:net"]
    assert "no calls (the run never reached them): net, Till.ring" in summary.render()


def test_a_name_the_source_does_not_plainly_define_is_resolved_by_importing(
    project: Path,
) -> None:
    run = recording(project, "tilldef:Till")  # a class: its methods, found by importing
    run.start()
    run.stop()
    assert "No module named 'this_module_is_never_run'" in str(run.error())
