"""Stored cases as test items: ``<store>/<module>/<qualname>::case-<id>``.

Items are made from folder and file names alone (no case file is opened before its item
runs), so collection stays linear in the number of cases. Nothing is imported to
collect: whether a target still exists, or belongs to the project at all, is read from
the files (:mod:`.locate`). The store's collectors also never load a ``conftest.py``
found in the store, and report links and Python files in it as failing items.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legacy_harness.display import shown
from legacy_harness.errors import CaseFailure
from legacy_harness.outcomes import CaseStatus
from legacy_harness.pytest_plugin.locate import Presence
from legacy_harness.pytest_plugin.masters import CheckEvent
from legacy_harness.pytest_plugin.session import EVENTS, SESSION, PluginSession
from legacy_harness.store.layout import BLOB_FOLDER, CASE_PREFIX, CASE_SUFFIX, CHECKS_FOLDER

__all__ = ["CaseItem", "StoreDir", "StoreProblem", "collect_report", "collect_store"]


def collect_store(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """The store's collector when pytest reaches the store folder, else None."""
    plugin = PluginSession.of(parent.config)
    if plugin is None or not plugin.options.items or path.name != plugin.store.name:
        return None
    if path.resolve() != plugin.store:
        return None
    return StoreDir.from_parent(parent, path=path)


def collect_report(collector: pytest.Collector) -> pytest.CollectReport | None:
    """Collect one of the store's folders as pytest would, minus loading a conftest.py
    from it: files in the store are data, never code. None for other collectors."""
    if not isinstance(collector, _StoreFolder):
        return None
    call = pytest.CallInfo.from_call(lambda: list(collector.collect()), "collect")
    if call.excinfo is None:
        return pytest.CollectReport(collector.nodeid, "passed", None, call.result)
    failure = collector.repr_failure(call.excinfo)
    return pytest.CollectReport(collector.nodeid, "failed", failure, None)


class _StoreFolder(pytest.Directory):
    """A folder of the store: links and Python files in it become failing items."""

    def _entries(self, skipped: set[str]) -> Iterator[os.DirEntry[str] | pytest.Item]:
        with os.scandir(self.path) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                yield StoreProblem.from_parent(
                    self,
                    name=entry.name,
                    path=Path(entry.path),
                    problem="is a symbolic link; the golden store never follows links:"
                    " replace it with the real file or folder",
                )
            elif entry.name.endswith((".py", ".pyc")):
                yield StoreProblem.from_parent(
                    self,
                    name=entry.name,
                    path=Path(entry.path),
                    problem="is Python code inside the golden store, which holds data only;"
                    " remove it (pytest imports a conftest.py in a folder named on its"
                    " command line)",
                )
            elif entry.name not in skipped:
                yield entry


class StoreDir(_StoreFolder):
    """The store: one folder per module below it."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        for entry in self._entries({CHECKS_FOLDER, BLOB_FOLDER, "__pycache__"}):
            if isinstance(entry, pytest.Item):
                yield entry
            elif entry.is_dir(follow_symlinks=False):
                yield ModuleDir.from_parent(self, path=Path(entry.path))


class ModuleDir(_StoreFolder):
    """``<store>/<module>``: one folder per target below it."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        for entry in self._entries({BLOB_FOLDER, "__pycache__"}):
            if isinstance(entry, pytest.Item):
                yield entry
            elif entry.is_dir(follow_symlinks=False):
                yield TargetDir.from_parent(self, path=Path(entry.path))


class TargetDir(_StoreFolder):
    """``<store>/<module>/<qualname>``: one item per case file, by file name only.

    A vanished target gets no items: its cases are unused masters, judged at the end of
    the run. A target outside the project, or folder names that are no target, give
    items that fail with the reason, so they are seen and never pass.
    """

    def collect(self) -> Iterator[pytest.Item]:
        plugin = self.config.stash[SESSION]
        target = f"{self.path.parent.name}:{self.path.name}"
        where = plugin.presence(target)
        if where.presence is Presence.GONE:
            return
        refused = where.reason if where.presence is not Presence.PRESENT else ""
        for entry in self._entries({BLOB_FOLDER, "__pycache__"}):
            if isinstance(entry, pytest.Item):
                yield entry
                continue
            name = entry.name
            if not (name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX)):
                continue
            yield CaseItem.from_parent(
                self,
                name=name[: -len(CASE_SUFFIX)],
                path=Path(entry.path),
                target=target,
                master=f"{self.path.parent.name}/{self.path.name}/{name}",
                refused=refused,
            )


class _StoreItem(pytest.Item):
    """An item of the store: it fails with its report, never with the plugin's traceback."""

    #: Replay restores the recorded generator states itself: no ``seeded`` marker.
    replays_a_case = True

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def _shown(self) -> str:
        return shown(self.path, self.config.rootpath)

    def _master(self) -> str:
        """The path relative to the store, as masters are named in the summary."""
        store = self.config.stash[SESSION].store
        return shown(self.path, store)


class CaseItem(_StoreItem):
    """One stored case, replayed against today's code and compared with its master."""

    def __init__(self, *, target: str, master: str, refused: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.master = master
        self.refused = refused

    def runtest(self) -> None:
        from legacy_harness.pytest_plugin.cases import CaseRun

        events = self.stash.setdefault(EVENTS, [])
        if self.refused:
            events.append(CheckEvent(CaseStatus.ERROR, self.master))
            raise CaseFailure(f"{self._shown()}: {self.refused}")
        run = CaseRun(
            self.path,
            self.target,
            self.master,
            self._shown(),
            color=self.config.get_terminal_writer().hasmarkup,
        )
        verdict = self.config.stash[SESSION].run_case(run, self._run_cases)
        events.append(verdict.event)
        if verdict.skipped:
            pytest.skip(verdict.skipped)
        if verdict.failure:
            raise CaseFailure(verdict.failure)

    def _run_cases(self) -> list[Path]:
        """The case files of every item of the run (statistical masters are judged together)."""
        return [item.path for item in self.session.items if isinstance(item, CaseItem)]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"golden case {self.name} of {self.target}"


class StoreProblem(_StoreItem):
    """Something in the store that is no master (a link, a Python file): it fails."""

    def __init__(self, *, problem: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        self.stash[EVENTS] = [CheckEvent(CaseStatus.ERROR, self._master())]
        raise CaseFailure(f"{self._shown()} {self.problem}")

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"golden store entry {self.name}"
