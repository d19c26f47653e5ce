"""pytest plugin for legacy-harness: stored cases as test items, the golden fixture.

Only hooks live here, each handing pytest's objects to the run's
:class:`~legacy_harness.pytest_plugin.session.PluginSession` (kept on ``config.stash``),
which decides; ``items`` collects stored cases, ``fixture`` offers the checks. The module
loads in every pytest run of a project that installs legacy-harness, so it imports
nothing heavy: the codec, the comparison engine and numpy load when a case or a check
first needs them.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from legacy_harness.pytest_plugin.fixture import legacy_golden
from legacy_harness.pytest_plugin.items import collect_report, collect_store
from legacy_harness.pytest_plugin.markers import seeded_call
from legacy_harness.pytest_plugin.options import add_options
from legacy_harness.pytest_plugin.session import SESSION, PluginSession, RunEnd, attach_events

__all__ = ["legacy_golden"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    session = PluginSession.configure(config)
    config.stash[SESSION] = session
    config.pluginmanager.register(_ReportHooks(session), "legacy-harness-reports")


def pytest_report_header(config: pytest.Config) -> list[str]:
    plugin = PluginSession.of(config)
    return plugin.header() if plugin else []


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return collect_store(path, parent)


@pytest.hookimpl(tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport | None:
    return collect_report(collector)


def pytest_collection_finish(session: pytest.Session) -> None:
    if plugin := PluginSession.of(session.config):
        plugin.collected(item.nodeid for item in session.items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    if plugin := PluginSession.of(node.config):
        plugin.collected(ids)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items and (plugin := PluginSession.of(items[0].config)):
        plugin.deselected(len(items))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    with seeded_call(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    attach_events(item, call.when, report)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if plugin := PluginSession.of(session.config):
        session.exitstatus = plugin.finish(RunEnd.of(session, exitstatus))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if plugin := PluginSession.of(config):
        plugin.write_summary(terminalreporter)


class _ReportHooks:
    """Report hooks receive no config: this plugin object holds the session for them."""

    def __init__(self, session: PluginSession) -> None:
        self.session = session

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.session.collect_report(report.nodeid, report.failed)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.session.test_report(report)
