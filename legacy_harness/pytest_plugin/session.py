"""The plugin's session: what ran, which masters are unused, what to prune, the verdict.

The hooks in ``__init__`` only hand pytest's objects to a :class:`PluginSession` kept on
``config.stash``. The session decides on plain values (node ids, outcomes, events, the
files of the store), so it is tested directly, without running pytest inside pytest.
Like syrupy's unused snapshots, an unused master fails the run (a master whose target
vanished must not pass in silence) unless ``--golden-warn-unused`` asks to only warn or
``--golden-prune`` removes it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from legacy_harness.config import Config as HarnessConfig
from legacy_harness.config import add_pythonpath, load_config
from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.outcomes import CaseStatus, MasterStatus
from legacy_harness.pytest_plugin import markers
from legacy_harness.pytest_plugin.alias import offer_short_name
from legacy_harness.pytest_plugin.confine import remove_file, remove_folder_if_unused
from legacy_harness.pytest_plugin.locate import Locator, Presence, Project, Whereabouts
from legacy_harness.pytest_plugin.masters import CheckEvent, CheckSettings, check_folder
from legacy_harness.pytest_plugin.options import RunOptions
from legacy_harness.store.layout import BLOB_FOLDER, CASE_PREFIX, CASE_SUFFIX, CHECKS_FOLDER

if TYPE_CHECKING:  # pragma: no cover - the engine (numpy) loads when first needed
    from legacy_harness.compare import Policy
    from legacy_harness.pytest_plugin.cases import CaseRun, CaseVerdict
    from legacy_harness.pytest_plugin.golden import Golden
    from legacy_harness.stochastic.gate import StatisticalVerdict
    from legacy_harness.store.disk import StoredCase
    from legacy_harness.verify import VerifySession

__all__ = ["EVENTS", "SESSION", "PluginSession", "RunEnd", "Tally", "attach_events"]

#: Name of the attribute that carries an item's events on its report (xdist included).
REPORT_ATTRIBUTE = "legacy_harness"

#: Selections after which "no test checked this master" means nothing.
_SELECTIONS = (
    ("keyword", "-k"),
    ("markexpr", "-m"),
    ("lf", "--lf"),
    ("stepwise", "--sw"),
    ("deselect", "--deselect"),
)


@dataclass
class Tally:
    """What the reports said, for the summary and the verdict."""

    counts: Counter[str] = field(default_factory=Counter)
    updated: list[tuple[str, str]] = field(default_factory=list)
    unused: dict[str, str] = field(default_factory=dict)  # master -> why
    removed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # not removed, and why
    not_judged: str | None = None

    @property
    def checked(self) -> int:
        counts = self.counts
        return (
            counts[MasterStatus.PASSED]
            + counts[MasterStatus.CHANGED]
            + counts[MasterStatus.UPDATED]
        )

    @property
    def remaining(self) -> dict[str, str]:
        """Unused masters still in the store after pruning (all of them without it)."""
        gone = set(self.removed)
        return {m: why for m, why in self.unused.items() if m not in gone}


@dataclass(frozen=True)
class RunEnd:
    """How complete a run was: only a complete run can tell a master is unused."""

    exitstatus: int
    selection: str | None = None
    stopped: bool = False
    collect_only: bool = False

    @classmethod
    def of(cls, session: pytest.Session, exitstatus: int | pytest.ExitCode) -> RunEnd:
        config = session.config
        selection = next(
            (f"tests were selected with {label}" for flag, label in _SELECTIONS
             if getattr(config.option, flag, None)),
            None,
        )  # fmt: skip
        if selection is None and any("::" in arg for arg in config.args):
            selection = "single tests were selected by node id"
        return cls(
            int(exitstatus),
            selection,
            bool(session.shouldstop or session.shouldfail),
            bool(config.getoption("collectonly", False)),
        )


class ReportLike(Protocol):
    """What the session reads of a test report (a ``pytest.TestReport`` in a run)."""

    @property
    def nodeid(self) -> str: ...

    @property
    def when(self) -> str | None: ...

    @property
    def outcome(self) -> str: ...


class PluginSession:
    """Everything the plugin knows and decides for one pytest run."""

    def __init__(
        self,
        harness: HarnessConfig,
        options: RunOptions,
        *,
        rootpath: Path,
        worker: bool = False,
        scope: Iterable[Path] = (),
        policy: Policy | None = None,
        locator: Locator | None = None,
        clash: str | None = None,
    ) -> None:
        self.harness = harness
        self.options = options
        self.rootpath = rootpath
        self.worker = worker
        #: Folders of the store the run collects (the whole store, or parts of it).
        self.scope = [Path(os.path.abspath(p)) for p in scope] if options.items else []
        self.clash = clash
        self.tally = Tally()
        self.checked_masters: set[str] = set()
        self.outcomes: dict[str, str] = {}
        self.expected_ids: set[str] = set()
        self.partial: list[str] = []
        self.locator = locator or Locator(Project.from_config(harness))
        self.settings = CheckSettings(
            mode=options.mode,
            update=options.update,
            ci=options.ci,
            reporter=options.reporter,
            allow=harness.allow,
        )
        self._policy = policy
        self._verify: VerifySession | None = None
        #: Statistical verdicts by case path, once judged (or why they could not be).
        self._statistical: dict[str, StatisticalVerdict] | str | None = None
        self._presence: dict[str, Whereabouts] = {}

    # -- configuration ---------------------------------------------------------------

    @classmethod
    def configure(cls, config: pytest.Config) -> PluginSession:
        """Read the project's table and the options; stop the run on a mistake in either."""
        markers.register(config)
        options = RunOptions.from_config(config)
        try:
            harness = load_config(config.rootpath).with_store(options.store)
            # A table that configures comparison is checked now, so its mistakes stop the
            # run before any test; without one the default policy is built when needed.
            policy = _policy(harness) if harness.comparison_table() else None
            if options.reporter:
                from legacy_harness.approvals import reporter_by_name

                reporter_by_name(options.reporter)
        except HarnessError as error:
            raise pytest.UsageError(f"legacy-harness: {error}") from None
        add_pythonpath(harness)
        scope = _extend_args(config, harness.store) if options.items else []
        return cls(
            harness,
            options,
            rootpath=config.rootpath,
            worker=hasattr(config, "workerinput"),
            scope=scope,
            policy=policy,
            clash=offer_short_name(config),
        )

    @staticmethod
    def of(config: pytest.Config) -> PluginSession | None:
        return config.stash.get(SESSION, None)

    @property
    def store(self) -> Path:
        return self.harness.store

    def header(self) -> list[str]:
        options = self.options
        mode = "update" if options.update else f"record {options.mode}"
        ci = ", CI: missing masters fail" if options.ci else ""
        items = "" if options.items else ", stored cases not collected"
        lines = [f"legacy-harness: store {self.store}, {mode}{ci}{items}"]
        if self.clash:
            lines.append(f"legacy-harness: {self.clash}")
        return lines

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

    # -- collection and the items ----------------------------------------------------

    def presence(self, target: str) -> Whereabouts:
        """What the files say about a stored target; nothing is imported to find out."""
        if target not in self._presence:
            self._presence[target] = self.locator.locate(target)
        return self._presence[target]

    def run_case(self, run: CaseRun, scope: Callable[[], Iterable[Path]] = list) -> CaseVerdict:
        """Judge one stored case; ``scope`` gives the case files of the whole run, whose
        statistical masters are judged together on first need (Holm's family)."""
        from legacy_harness.pytest_plugin.cases import CaseVerdict, run_case

        try:
            session = self.verify_session()
        except HarnessError as error:
            return CaseVerdict(
                CheckEvent(CaseStatus.ERROR, run.master), failure=f"legacy-harness: {error}"
            )
        return run_case(session, self.settings, run, lambda stored: self.statistical(stored, scope))

    def statistical(
        self, stored: StoredCase, scope: Callable[[], Iterable[Path]]
    ) -> StatisticalVerdict | None:
        """The statistical verdict of ``stored``: the first call judges every statistical
        master of the run's case files at once, so Holm runs across the whole run."""
        if self._statistical is None:
            self._statistical = self._judge_statistical(scope(), stored)
        if isinstance(self._statistical, str):
            raise HarnessError(self._statistical)
        return self._statistical.get(str(stored.path))

    def _judge_statistical(
        self, paths: Iterable[Path], first: StoredCase
    ) -> dict[str, StatisticalVerdict] | str:
        from legacy_harness.parallel import LocalExecutor
        from legacy_harness.stochastic.gate import (
            configured_alpha,
            configured_sequential,
            judge_statistically,
        )

        session = self.verify_session()
        cases = {str(first.path): first}
        for path in paths:
            if str(path) in cases or not _mentions_distribution(path):
                continue
            try:
                cases[str(path)] = session.store.load(path)
            except HarnessError:
                continue  # its own item reports the file
        try:
            alpha = configured_alpha(self.harness)
            with LocalExecutor(1) as executor:
                return judge_statistically(
                    session,
                    list(cases.values()),
                    alpha=alpha,
                    sequential=configured_sequential(self.harness),
                    executor=executor,
                )
        except HarnessError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 - each statistical item reports it
            return f"the fresh runs failed ({type(error).__name__}: {error})"

    def checks(self, nodeid: str, marker: Any, packages: Iterable[str]) -> Golden:
        """The ``golden`` fixture's value for one test, under its marker's tolerance."""
        from legacy_harness.pytest_plugin.golden import Golden, policy_with_tolerance

        policy = self.policy
        if marker is not None:
            fields = dict(marker.kwargs)
            tolerance = fields.pop("tolerance", marker.args[0] if marker.args else None)
            policy = policy_with_tolerance(policy, tolerance, **fields)
        return Golden(self.store, nodeid, policy=policy, settings=self.settings, packages=packages)

    def collected(self, nodeids: Iterable[str]) -> None:
        if not self.worker:
            self.expected_ids.update(nodeids)

    def deselected(self, count: int) -> None:
        if count:
            self.partial.append(f"{count} test(s) deselected")

    def collect_report(self, nodeid: str, failed: bool) -> None:
        if failed:
            self.partial.append(f"collection error in {nodeid or 'session'}")

    def test_report(self, report: ReportLike) -> None:
        """One phase of one test, in the process that prints the summary."""
        if self.worker:
            return
        if report.when == "call" or report.outcome != "passed":
            if self.outcomes.get(report.nodeid) in (None, "passed"):
                self.outcomes[report.nodeid] = report.outcome
        if report.when == "call" and hasattr(report, "wasxfail"):
            self.outcomes[report.nodeid] = "skipped"
        for fields in getattr(report, REPORT_ATTRIBUTE, None) or []:
            self.count(CheckEvent.from_wire(list(fields)))

    def count(self, event: CheckEvent) -> None:
        self.tally.counts[event.kind.value] += 1
        self.checked_masters.add(event.master)
        if event.kind is MasterStatus.UPDATED and event.report:
            self.tally.updated.append((event.master, event.report))
        if event.unused:
            self.tally.unused[event.master] = event.unused

    # -- the end of the run ----------------------------------------------------------

    def finish(self, end: RunEnd) -> int:
        """Judge unused masters, prune them if asked; the run's exit status."""
        if self.worker:
            return end.exitstatus
        tally = self.tally
        tally.unused.update(self.unused_cases())
        reason = self.incomplete(end)
        if reason is None:
            tally.unused.update(self.unused_checks())
        elif (self.store / CHECKS_FOLDER).is_dir():
            tally.not_judged = reason
        if self.options.prune and not end.collect_only:
            self.prune()
        fails = tally.remaining and not self.options.warn_unused and not end.collect_only
        if fails and end.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            return int(pytest.ExitCode.TESTS_FAILED)
        return end.exitstatus

    def incomplete(self, end: RunEnd) -> str | None:
        """Why this run cannot tell which fixture masters are unused, or None if it can."""
        if end.selection:
            return end.selection
        if self.partial:
            return self.partial[0]
        if end.stopped:
            return "the session stopped early"
        if end.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            known = {int(code): code.name for code in pytest.ExitCode}
            return f"the session ended with {known.get(end.exitstatus, end.exitstatus)}"
        missing = self.expected_ids - self.outcomes.keys()
        if missing:
            return f"{len(missing)} collected test(s) did not run"
        return None

    def unused_cases(self) -> Iterator[tuple[str, str]]:
        """Stored cases whose target certainly vanished, in the folders the run collected."""
        for target_dir, target in store_targets(self.store):
            if not any(_overlaps(target_dir, part) for part in self.scope):
                continue
            where = self.presence(target)
            if where.presence is not Presence.GONE:
                continue
            for name in sorted(os.listdir(target_dir)):
                if name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX):
                    yield (target_dir / name).relative_to(self.store).as_posix(), where.reason

    def unused_checks(self) -> Iterator[tuple[str, str]]:
        """Fixture masters no test checked in this complete run (see docs/pytest-plugin.md)."""
        checks = self.store / CHECKS_FOLDER
        if not checks.is_dir():
            return
        owners: dict[Path, str] = {}
        modules_run: set[Path] = set()
        for nodeid, result in self.outcomes.items():
            owner = check_folder(self.store, nodeid)
            owners[owner] = result
            modules_run.add(owner.parent)
        for folder, subfolders, files in os.walk(checks):
            subfolders[:] = sorted(s for s in subfolders if s != BLOB_FOLDER)
            here = Path(folder)
            masters = sorted(f for f in files if f.endswith(".json") or ".approved." in f)
            if not masters:
                continue
            module_file = self.rootpath / (here.parent.relative_to(checks).as_posix() + ".py")
            module_gone = not module_file.is_file()
            if not module_gone and here.parent not in modules_run:
                continue  # that module was not part of this run
            outcome = owners.get(here)
            if outcome not in (None, "passed"):
                continue  # failed or skipped: it may not have reached its checks
            for name in masters:
                master = (here / name).relative_to(self.store).as_posix()
                if master in self.checked_masters:
                    continue
                if module_gone:
                    why = "its test module no longer exists"
                elif outcome is None:
                    why = "its test no longer exists"
                else:
                    why = "its test passed without checking it"
                yield master, why

    def prune(self) -> None:
        """Remove the unused masters, each only if no link leads to or out of it."""
        tally = self.tally
        for master in list(tally.unused):
            path = self.store / master
            try:
                remove_file(self.store, path)
                remove_folder_if_unused(self.store, path.parent)
            except GoldenFileError as error:
                tally.refused.append((master, str(error)))
                continue
            tally.removed.append(master)

    # -- the summary -----------------------------------------------------------------

    def summary(self) -> list[str]:
        """The lines of the run's legacy-harness section (none when nothing happened)."""
        if self.worker:
            return []
        tally = self.tally
        counts = tally.counts
        errors = counts[CaseStatus.ERROR]
        if not (tally.checked or counts[MasterStatus.CREATED] or counts[MasterStatus.MISSING]):
            if not (tally.unused or errors):
                return []
        line = (
            f"golden masters: {tally.checked} checked, {counts[MasterStatus.PASSED]} passed,"
            f" {counts[MasterStatus.CHANGED]} changed, {counts[MasterStatus.CREATED]} created,"
            f" {counts[MasterStatus.UPDATED]} updated, {len(tally.unused)} unused"
        )
        if counts[MasterStatus.MISSING]:
            line += f", {counts[MasterStatus.MISSING]} missing"
        if errors:
            line += f", {errors} errors"
        lines = [line]
        for master, shown in tally.updated:
            lines.append(f"updated {master}:")
            lines.extend(f"  {text}" for text in shown.splitlines()[1:])
        if tally.removed:
            lines.append("removed:")
            lines.extend(f"  {self._shown(m)}: {tally.unused[m]}" for m in tally.removed)
        lines.extend(f"not removed: {why}" for _, why in tally.refused)
        remaining = tally.remaining
        if remaining:
            if self.options.warn_unused:
                lines.append(
                    "unused (not failing: --golden-warn-unused; remove with --golden-prune):"
                )
            else:
                lines.append(
                    "unused masters fail the run (remove them with --golden-prune,"
                    " or pass --golden-warn-unused to only list them):"
                )
            lines.extend(f"  {self._shown(m)}: {why}" for m, why in remaining.items())
        if tally.not_judged and self.options.prune:
            lines.append(f"fixture masters not pruned: {tally.not_judged} (prune needs a full run)")
        return lines

    def write_summary(self, terminal: Any) -> None:
        """The legacy-harness section of pytest's terminal summary."""
        lines = self.summary()
        if lines:
            terminal.section("legacy-harness")
            for line in lines:
                terminal.write_line(line)

    def _shown(self, master: str) -> str:
        path = self.store / master
        try:
            return path.relative_to(self.rootpath).as_posix()
        except ValueError:
            return str(path)


SESSION = pytest.StashKey[PluginSession]()
#: The events of one item (a stored case, or a test's fixture checks).
EVENTS = pytest.StashKey[list[CheckEvent]]()


def attach_events(item: pytest.Item, when: str, report: pytest.TestReport) -> None:
    """Put an item's events on its teardown report, which carries them to the process
    that prints the summary (pytest-xdist's controller included) as plain strings."""
    events = item.stash.get(EVENTS, None) if when == "teardown" else None
    if events:
        setattr(report, REPORT_ATTRIBUTE, [event.to_wire() for event in events])


def _mentions_distribution(path: Path) -> bool:
    """Whether a case file may hold a statistical master (a cheap look before loading)."""
    try:
        return '"distribution"' in path.read_text(encoding="utf-8")
    except OSError:
        return False


def store_targets(store: Path) -> Iterator[tuple[Path, str]]:
    """``(<store>/<module>/<qualname>, "module:qualname")`` for every target folder; links
    are not followed (collection reports them)."""
    for module in _folders(store, top=True):
        for target in _folders(module, top=False):
            yield target, f"{module.name}:{target.name}"


def _folders(path: Path, *, top: bool) -> list[Path]:
    skipped = {CHECKS_FOLDER, BLOB_FOLDER, "__pycache__"} if top else {BLOB_FOLDER, "__pycache__"}
    try:
        with os.scandir(path) as entries:
            found = [
                Path(e.path)
                for e in entries
                if e.is_dir(follow_symlinks=False)
                and not e.name.startswith(".")
                and e.name not in skipped
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found)


def _overlaps(path: Path, part: Path) -> bool:
    return path.is_relative_to(part) or part.is_relative_to(path)


def _policy(harness: HarnessConfig) -> Policy:
    from legacy_harness.compare import policy_from_config

    return policy_from_config(harness.comparison_table())


def _extend_args(config: pytest.Config, store: Path) -> list[Path]:
    """The parts of the store this run collects; with pytest's default arguments
    (``testpaths`` or the working folder) that miss the store, the store is added."""
    if not store.is_dir():
        return []
    here = config.invocation_params.dir
    paths = [(here / arg.split("::")[0]).resolve() for arg in config.args]
    root = store.resolve()
    scope = [p for p in paths if _overlaps(p, root)]
    if not scope and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args.append(str(store))
        scope = [root]
    return [root if root.is_relative_to(p) else p for p in scope]
