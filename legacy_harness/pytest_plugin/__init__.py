"""pytest plugin for legacy-harness (golden masters as test items, the golden fixture).

Every stored case is a test item ``<store>/<module>/<qualname>::case-<id>``, collected
from folder and file names alone (no file is opened before the item runs), so
collection stays linear in the number of cases. The ``golden`` fixture keeps masters
of hand-written checks in the same store; the ``golden`` and ``seeded`` markers tune
tolerance and pin random generators. Per-item verdicts travel on the test reports
(also across pytest-xdist workers) into the terminal summary.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Only light modules at load time: the plugin loads in every pytest run of a project
# that installs legacy-harness, golden masters or not. The codec, comparison and store
# (numpy) are imported by the hooks that replay or check something.
from legacy_harness.config import Config as HarnessConfig
from legacy_harness.config import add_pythonpath, load_config
from legacy_harness.errors import CaseFailure, GoldenFileError, HarnessError
from legacy_harness.store.layout import (
    BLOB_FOLDER,
    CASE_PREFIX,
    CASE_SUFFIX,
    CHANGED,
    CHECKS_FOLDER,
    CREATED,
    MISSING,
    PASSED,
    RECORD_MODES,
    UPDATED,
    TargetSpec,
)

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.compare import Policy
    from legacy_harness.pytest_plugin.fixture import CheckEvent, CheckSettings, Golden
    from legacy_harness.store.disk import StoredCase
    from legacy_harness.verify import VerifySession

ERRORS = "error"
_REPORT_ATTRIBUTE = "legacy_harness"


# -- session state ---------------------------------------------------------------------


@dataclass
class Stats:
    """Counts for the terminal summary, gathered from the reports of the items."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (PASSED, CHANGED, CREATED, UPDATED, MISSING, ERRORS), 0
        )
    )
    updated: list[tuple[str, str]] = field(default_factory=list)
    unused: list[tuple[str, str]] = field(default_factory=list)
    removed: int = 0
    not_judged: str | None = None

    @property
    def checked(self) -> int:
        return self.counts[PASSED] + self.counts[CHANGED] + self.counts[UPDATED]


@dataclass
class State:
    """What the plugin knows for one pytest run; kept on ``config.stash``."""

    harness: HarnessConfig
    mode: str
    update: bool
    ci: bool
    reporter: str | None
    items: bool
    prune: bool
    stats: Stats = field(default_factory=Stats)
    checked_masters: set[str] = field(default_factory=set)
    outcomes: dict[str, str] = field(default_factory=dict)
    expected_ids: set[str] = field(default_factory=set)
    partial: list[str] = field(default_factory=list)
    _policy: Policy | None = None
    _verify: VerifySession | None = None

    @property
    def store(self) -> Path:
        return self.harness.store

    @cached_property
    def settings(self) -> CheckSettings:
        from legacy_harness.pytest_plugin.fixture import CheckSettings

        return CheckSettings(
            mode=self.mode,
            update=self.update,
            ci=self.ci,
            reporter=self.reporter,
            allow=self.harness.allow,
        )

    @property
    def policy(self) -> Policy:
        """The comparison policy of the project's table, built on first use."""
        if self._policy is None:
            self._policy = _policy(self.harness)
        return self._policy

    def verify_session(self) -> VerifySession:
        if self._verify is None:
            from legacy_harness.verify import VerifySession

            self._verify = VerifySession.open(self.harness, policy=self.policy)
        return self._verify


STATE = pytest.StashKey[State]()
EVENTS: pytest.StashKey[list[CheckEvent]] = pytest.StashKey()


def _state(config: pytest.Config) -> State:
    return config.stash[STATE]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _policy(harness: HarnessConfig) -> Policy:
    from legacy_harness.compare import policy_from_config

    return policy_from_config(harness.comparison_table())


# -- options and configuration --------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("legacy-harness", "golden masters (legacy-harness)")
    group.addoption(
        "--golden-record",
        choices=RECORD_MODES,
        default="none",
        help="none: never write masters (default); new: create missing masters;"
        " all: rewrite every master checked. Under CI=true a missing master always fails.",
    )
    group.addoption(
        "--golden-update",
        action="store_true",
        help="rewrite the masters of the selected items that changed, from today's behaviour,"
        " and print what changed",
    )
    group.addoption("--golden-store", metavar="DIR", help="golden store (default: from pyproject)")
    group.addoption(
        "--golden-no-items", action="store_true", help="do not collect stored cases as test items"
    )
    group.addoption(
        "--golden-prune",
        action="store_true",
        help="remove unused masters (see docs/pytest-plugin.md for when they are judged)",
    )
    group.addoption(
        "--golden-reporter",
        metavar="NAME",
        help="approvaltests reporter opened on a text mismatch (e.g. diff, native, meld)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "golden(tolerance=None, **fields): comparison tolerance for the golden fixture's checks"
        " (a Tolerance, {path glob: {rtol, atol, ...}}, or Tolerance fields as keywords)",
    )
    config.addinivalue_line(
        "markers", "seeded(seed): run the test inside legacy_harness.stochastic.seeded(seed)"
    )
    try:
        harness = load_config(config.rootpath).with_store(config.getoption("golden_store"))
        # A table that configures comparison is checked now, so its mistakes stop the run
        # before any test; without one the default policy is built when first needed.
        policy = _policy(harness) if harness.comparison_table() else None
    except HarnessError as error:
        raise pytest.UsageError(f"legacy-harness: {error}") from None
    add_pythonpath(harness)
    reporter = config.getoption("golden_reporter")
    if reporter:
        from legacy_harness.approvals import reporter_by_name

        try:
            reporter_by_name(reporter)
        except HarnessError as error:
            raise pytest.UsageError(str(error)) from None
    items = not config.getoption("golden_no_items")
    state = State(
        harness,
        mode=config.getoption("golden_record"),
        update=bool(config.getoption("golden_update")),
        ci=_in_ci(),
        reporter=reporter,
        items=items,
        prune=bool(config.getoption("golden_prune")),
        _policy=policy,
    )
    config.stash[STATE] = state
    if items and harness.store.is_dir() and config.args_source != pytest.Config.ArgsSource.ARGS:
        # Default arguments (testpaths or the working folder) may not reach the store.
        covered = any(
            _within(harness.store, Path(config.invocation_params.dir, a)) for a in config.args
        )
        if not covered:
            config.args.append(str(harness.store))


def _within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def pytest_report_header(config: pytest.Config) -> str:
    state = _state(config)
    mode = "update" if state.update else f"record {state.mode}"
    ci = ", CI: missing masters fail" if state.ci else ""
    items = "" if state.items else ", stored cases not collected"
    return f"legacy-harness: store {state.store}, {mode}{ci}{items}"


# -- items from the store -------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(STATE, None)
    if state is None or not state.items or path.name != state.store.name:
        return None
    if path.resolve() != state.store:
        return None
    return StoreDir.from_parent(parent, path=path)


def _subfolders(path: Path) -> list[os.DirEntry[str]]:
    with os.scandir(path) as entries:
        found = [
            e
            for e in entries
            if e.is_dir()
            and not e.name.startswith(".")
            and e.name not in (CHECKS_FOLDER, BLOB_FOLDER, "__pycache__")
        ]
    return sorted(found, key=lambda e: e.name)


class StoreDir(pytest.Directory):
    """The store: one folder per module below it."""

    def collect(self) -> Iterator[pytest.Collector]:
        for entry in _subfolders(self.path):
            yield ModuleDir.from_parent(self, path=Path(entry.path))


class ModuleDir(pytest.Directory):
    """``<store>/<module>``: one folder per target below it."""

    def collect(self) -> Iterator[pytest.Collector]:
        for entry in _subfolders(self.path):
            yield TargetDir.from_parent(self, path=Path(entry.path))


class TargetDir(pytest.Directory):
    """``<store>/<module>/<qualname>``: one item per case file, by file name only."""

    def collect(self) -> Iterator[pytest.Item]:
        target = f"{self.path.parent.name}:{self.path.name}"
        if target_gone(target):
            return  # unused masters: listed in the summary, removed by --golden-prune
        with os.scandir(self.path) as entries:
            names = sorted(
                e.name
                for e in entries
                if e.name.startswith(CASE_PREFIX) and e.name.endswith(CASE_SUFFIX)
            )
        for name in names:
            yield CaseItem.from_parent(
                self,
                name=name[: -len(CASE_SUFFIX)],
                path=self.path / name,
                target=target,
                master=f"{self.path.parent.name}/{self.path.name}/{name}",
            )


class CaseItem(pytest.Item):
    """One stored case, replayed against today's code and compared with its master."""

    def __init__(self, *, target: str, master: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.master = master  # relative to the store, as fixture masters are

    def runtest(self) -> None:
        from legacy_harness.pytest_plugin.fixture import CheckEvent
        from legacy_harness.report.render import render_text
        from legacy_harness.verify import ERROR, SKIPPED, update_case, verify_case

        state = _state(self.config)
        events = self.stash.setdefault(EVENTS, [])
        master = self.master
        session = state.verify_session()
        try:
            stored = _load(session, self.path)
        except GoldenFileError as error:
            events.append(CheckEvent(ERRORS, master))
            raise CaseFailure(str(error)) from None
        settings = state.settings
        result = None if settings.mode == "all" else verify_case(session, stored)
        if result is not None and result.status == SKIPPED:
            pytest.skip(result.error or "not replayable")
        if result is not None and result.status == ERROR:
            events.append(CheckEvent(ERRORS, master))
            raise CaseFailure(result.error or "error")
        if result is None or (settings.update and result.status == CHANGED):
            try:
                written, differences = update_case(session, stored)
            except HarnessError as error:
                events.append(CheckEvent(ERRORS, master))
                raise CaseFailure(f"{master}: cannot be updated: {error}") from None
            shown = ""
            if differences:
                shown = render_text(
                    differences,
                    limit=session.policy.max_differences,
                    title=f"{master}: {len(differences)} difference(s) accepted",
                )
            events.append(CheckEvent(UPDATED if written == "updated" else PASSED, master, shown))
            return
        if result.status == CHANGED:
            count = len(result.differences)
            report = render_text(
                result.differences,
                limit=session.policy.max_differences,
                color=self.config.get_terminal_writer().hasmarkup,
                title=f"{self.target} case {stored.case.id}: behaviour changed"
                f" ({count} difference{'s' if count != 1 else ''})",
            )
            events.append(CheckEvent(CHANGED, master, report))
            raise CaseFailure(
                f"{report}\nmaster: {_shown(self.path, self.config.rootpath)}\naccept today's behaviour with --golden-update"
            )
        events.append(CheckEvent(PASSED, master))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"golden case {self.name} of {self.target}"


def _load(session: VerifySession, path: Path) -> StoredCase:
    """The store's load without its eager path resolution, which costs more than the
    parse; any failure goes through the store again for its exact message."""
    from legacy_harness.store import codec
    from legacy_harness.store.case import case_from_tree
    from legacy_harness.store.disk import StoredCase

    try:
        return StoredCase(path, case_from_tree(codec.loads(path.read_text(encoding="utf-8"))))
    except Exception:  # noqa: BLE001 - re-raised below with the store's message
        return session.store.load(path)


def target_gone(target: str) -> str | None:
    """Why a stored target no longer exists, or None if it does (or fails to import:
    then its items run and report the import error)."""
    try:
        spec = TargetSpec.parse(target)
    except HarnessError:
        return None
    try:
        found = importlib.util.find_spec(spec.module)
    except (ImportError, ValueError):
        found = None
    if found is None:
        return f"module {spec.module} no longer exists"
    try:
        owner: Any = importlib.import_module(spec.module)
    except Exception:  # noqa: BLE001 - a broken module is an error, reported by its items
        return None
    for part in spec.qualname.split("."):
        namespace = getattr(owner, "__dict__", {})
        if part not in namespace:
            return f"{spec.module} has no {spec.qualname}"
        owner = namespace[part]
    return None


# -- the fixture and the markers ------------------------------------------------------


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Characterization checks kept as masters in the golden store (see Golden)."""
    from legacy_harness.pytest_plugin.fixture import Golden, policy_with_tolerance

    state = _state(request.config)
    policy = state.policy
    marker = request.node.get_closest_marker("golden")
    if marker is not None:
        fields = dict(marker.kwargs)
        tolerance = fields.pop("tolerance", marker.args[0] if marker.args else None)
        policy = policy_with_tolerance(policy, tolerance, **fields)
    module = getattr(request, "module", None)
    packages = {module.__name__.split(".")[0]} if module is not None else set()
    checks = Golden(
        state.store, request.node.nodeid, policy=policy, settings=state.settings, packages=packages
    )
    request.node.stash[EVENTS] = checks.events
    return checks


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    marker = None if isinstance(item, CaseItem) else item.get_closest_marker("seeded")
    if marker is None:
        return (yield)
    from legacy_harness.stochastic.seeds import seeded

    seed = marker.args[0] if marker.args else marker.kwargs.get("seed", 0)
    with seeded(seed) as report:
        item.add_report_section("call", "seeded", str(report))
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    if call.when == "teardown":
        events = item.stash.get(EVENTS, None)
        if events:
            setattr(report, _REPORT_ATTRIBUTE, [[e.kind, e.master, e.report] for e in events])
    return report


# -- gathering results (in the controller when running under xdist) ------------------


def pytest_collection_finish(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        _state(session.config).expected_ids.update(item.nodeid for item in session.items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    _state(node.config).expected_ids.update(ids)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        _state(items[0].config).partial.append(f"{len(items)} test(s) deselected")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.pluginmanager.register(_Gatherer(session.config), "legacy-harness-gatherer")


class _Gatherer:
    """Hooks that need the config object, which report hooks do not receive."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = _state(config)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.state.partial.append(f"collection error in {report.nodeid or 'session'}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if _is_worker(self.config):
            return
        state = self.state
        if report.when == "call" or report.outcome != "passed":
            previous = state.outcomes.get(report.nodeid)
            if previous in (None, "passed"):
                state.outcomes[report.nodeid] = report.outcome
        if report.when == "call" and hasattr(report, "wasxfail"):
            state.outcomes[report.nodeid] = "skipped"
        for kind, master, shown in getattr(report, _REPORT_ATTRIBUTE, None) or []:
            state.stats.counts[kind] = state.stats.counts.get(kind, 0) + 1
            state.checked_masters.add(master)
            if kind == UPDATED and shown:
                state.stats.updated.append((master, shown))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config) or STATE not in config.stash:
        return
    state = _state(config)
    stats = state.stats
    if state.items:
        stats.unused.extend(_unused_cases(state.store))
    reason = _not_complete(session, exitstatus, state)
    if reason is None:
        stats.unused.extend(_unused_checks(state, config.rootpath))
    elif (state.store / CHECKS_FOLDER).is_dir():
        stats.not_judged = reason
    if state.prune:
        for master, _ in stats.unused:
            _remove(state.store / master)
            stats.removed += 1


def _unused_cases(store: Path) -> Iterator[tuple[str, str]]:
    if not store.is_dir():
        return
    for module in _subfolders(store):
        for target in _subfolders(Path(module.path)):
            why = target_gone(f"{module.name}:{target.name}")
            if why is None:
                continue
            for name in sorted(os.listdir(target.path)):
                if name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX):
                    yield f"{module.name}/{target.name}/{name}", why


def _not_complete(session: pytest.Session, exitstatus: int, state: State) -> str | None:
    """Why this run cannot tell which fixture masters are unused, or None if it can."""
    option = session.config.option
    for flag, label in (
        ("keyword", "-k"),
        ("markexpr", "-m"),
        ("lf", "--lf"),
        ("stepwise", "--sw"),
        ("deselect", "--deselect"),
    ):
        if getattr(option, flag, None):
            return f"tests were selected with {label}"
    if any("::" in arg for arg in session.config.args):
        return "single tests were selected by node id"
    if state.partial:
        return state.partial[0]
    if session.shouldstop or session.shouldfail:
        return "the session stopped early"
    if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return f"the session ended with {pytest.ExitCode(exitstatus).name}"
    missing = state.expected_ids - state.outcomes.keys()
    if missing:
        return f"{len(missing)} collected test(s) did not run"
    return None


def _unused_checks(state: State, rootpath: Path) -> Iterator[tuple[str, str]]:
    """Fixture masters no test checked in this complete run (see docs/pytest-plugin.md)."""
    checks = state.store / CHECKS_FOLDER
    if not checks.is_dir():
        return
    from legacy_harness.pytest_plugin.fixture import check_folder

    owners: dict[Path, str] = {}
    modules_run: set[Path] = set()
    for nodeid, result in state.outcomes.items():
        owner = check_folder(state.store, nodeid)
        owners[owner] = result
        modules_run.add(owner.parent)
    for folder, subfolders, files in os.walk(checks):
        subfolders[:] = sorted(s for s in subfolders if s != BLOB_FOLDER)
        here = Path(folder)
        masters = sorted(f for f in files if f.endswith(".json") or ".approved." in f)
        if not masters:
            continue
        module_file = rootpath / (here.parent.relative_to(checks).as_posix() + ".py")
        module_gone = not module_file.is_file()
        if not module_gone and here.parent not in modules_run:
            continue  # that module was not part of this run
        outcome = owners.get(here)
        if outcome not in (None, "passed"):
            continue  # failed or skipped: it may not have reached its checks
        for name in masters:
            master = (here / name).relative_to(state.store).as_posix()
            if master in state.checked_masters:
                continue
            if module_gone:
                why = "its test module no longer exists"
            elif outcome is None:
                why = "its test no longer exists"
            else:
                why = "its test passed without checking it"
            yield master, why


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    folder = path.parent
    remaining = [p for p in folder.iterdir() if p.name != BLOB_FOLDER] if folder.is_dir() else []
    if folder.is_dir() and not remaining:
        shutil.rmtree(folder)


# -- the summary ----------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if STATE not in config.stash or _is_worker(config):
        return
    state = _state(config)
    stats = state.stats
    counts = stats.counts
    if not stats.checked and not counts[CREATED] and not counts[MISSING] and not stats.unused:
        if not counts[ERRORS]:
            return
    write = terminalreporter.write_line
    terminalreporter.section("legacy-harness")
    line = (
        f"golden masters: {stats.checked} checked, {counts[PASSED]} passed,"
        f" {counts[CHANGED]} changed, {counts[CREATED]} created, {counts[UPDATED]} updated,"
        f" {len(stats.unused)} unused"
    )
    if counts[MISSING]:
        line += f", {counts[MISSING]} missing"
    if counts[ERRORS]:
        line += f", {counts[ERRORS]} errors"
    write(line)
    for master, shown in stats.updated:
        write(f"updated {master}:")
        for text in shown.splitlines()[1:]:
            write(f"  {text}")
    if stats.unused:
        verb = "removed" if state.prune else "unused (remove with --golden-prune)"
        write(f"{verb}:")
        for master, why in stats.unused:
            write(f"  {_shown(state.store / master, config.rootpath)}: {why}")
    if stats.not_judged and state.prune:
        write(f"fixture masters not pruned: {stats.not_judged} (prune needs a full run)")


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
