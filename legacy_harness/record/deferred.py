"""``record --``: wrap each target when the program imports its module.

Resolving every target before the program starts imports the target modules in the
harness's order, not the program's, and loads the whole capture machinery (codec,
redaction rules, the writer) even when the run never reaches a target. Here a finder
on ``sys.meta_path`` watches the modules the patterns name; when the program imports
one, its targets are resolved and wrapped as soon as its code has run, before the
importing statement returns. The recorder is created at that moment. Modules the
program never imported are read at the end: a function or method named exactly and
plainly defined in the module's source is listed as unreached without running the
module; otherwise the module is imported, so that every target is listed in the summary
and a target that does not exist is still reported, naming it.

A module already imported when recording starts is handled at once, and configured
boundaries need the recorder from the start (they patch libraries the program uses).
"""

from __future__ import annotations

import _thread
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from legacy_harness.errors import TargetError
from legacy_harness.record.summary import RecordingSummary, TargetStats
from legacy_harness.store.layout import TargetPattern, TargetSpec

if TYPE_CHECKING:  # pragma: no cover
    from importlib.machinery import ModuleSpec

    from legacy_harness.config import Config
    from legacy_harness.record.boundaries import BoundarySet
    from legacy_harness.record.recorder import Recorder

__all__ = ["DeferredRecording"]


class DeferredRecording:
    """A recording whose targets are resolved and wrapped as their modules load.

    ``start`` installs the watch, ``stop`` removes it, imports what the program never
    did, stops the recorder (if any target was reached) and returns the summary;
    ``errors`` then holds what was wrong with the patterns (an unknown target, a module
    that fails to import, a pattern matching nothing), each naming the pattern.
    """

    def __init__(
        self,
        patterns: Iterable[str | TargetPattern],
        store: Path,
        *,
        config: Config,
        exclude: Iterable[str] = (),
        max_cases: int = 200,
        mode: str = "new",
        boundaries: Sequence[str] = (),
    ) -> None:
        from legacy_harness.record.targets import excluded_whole, module_names, patterns_of

        self.patterns = patterns_of(patterns)
        self.excluded = patterns_of(exclude)
        self.store = store
        self.config = config
        self.max_cases = max_cases
        self.mode = mode
        self.boundary_names = tuple(boundaries)
        self.recorder: Recorder | None = None
        self.errors: list[TargetError] = []
        #: module name -> the patterns that name targets in it, until it is handled
        self.waiting: dict[str, list[TargetPattern]] = {}
        #: how many functions and methods each pattern matched so far
        self.found = dict.fromkeys(self.patterns, 0)
        self.chosen: dict[TargetSpec, None] = {}
        self.skipped: dict[str, str] = {}
        self._queue: list[ModuleType] = []
        self._busy = False
        self._lock = _thread.allocate_lock()  # a threading.Lock, without importing threading
        self._finder = _ImportWatch(self)
        for pattern in self.patterns:
            names = module_names(pattern, config)
            for name in names:
                if not excluded_whole(name, self.excluded):
                    self.waiting.setdefault(name, []).append(pattern)
            if not pattern.module_glob:
                _check_findable(names[0])
        self._check_exact_names()

    def _check_exact_names(self) -> None:
        """A target named exactly that its module's code does not plainly define (a
        typo, or a name a decorator or an assignment makes) is resolved now, importing
        its module as resolving always did: a wrong name stops the command before the
        program runs, not after it."""
        from legacy_harness.record.targets import defined_in_source, expand_in, import_module

        for pattern in self.patterns:
            spec = _exact(pattern)
            if spec is None or spec.module in sys.modules:
                continue
            if defined_in_source(spec, classes=True):
                continue
            expand_in(import_module(spec.module), pattern, self.excluded)

    def start(self) -> None:
        """Watch the target modules; handle those already imported (and, with
        boundaries, start the recorder: they must be in place before the program runs)."""
        if self.boundary_names or self.config.table.get("boundaries"):
            self._recorder()
        sys.meta_path.insert(0, self._finder)
        for name in [name for name in self.waiting if name in sys.modules]:
            self.loaded(sys.modules[name])

    def loaded(self, module: ModuleType) -> None:
        """``module`` finished importing: wrap the targets the patterns name in it.

        Runs inside the program's import statement, so it never raises: what is wrong
        is kept in ``errors``. A target module imported while the recorder itself loads
        waits in a queue until it is ready.
        """
        with self._lock:
            self._queue.append(module)
            if self._busy:
                return  # the thread at work takes it next
            self._busy = True
        try:
            while True:
                with self._lock:
                    if not self._queue:
                        self._busy = False
                        return
                    module = self._queue.pop(0)
                self._wrap(module)
        except BaseException:
            with self._lock:
                self._busy = False
            raise

    def _wrap(self, module: ModuleType) -> None:
        from legacy_harness.record.targets import expand_in

        specs: list[TargetSpec] = []
        skipped: dict[str, str] = {}
        for pattern in self.waiting.pop(module.__name__, []):
            try:
                found, left_out, matched = expand_in(module, pattern, self.excluded)
            except TargetError as error:
                self.errors.append(error)
                self.found[pattern] += 1  # reported as it is, not as "matches nothing"
                continue
            self.found[pattern] += matched
            specs += [spec for spec in found if spec not in self.chosen]
            self.chosen.update(dict.fromkeys(found))
            skipped.update(left_out)
        if specs or skipped:
            try:
                self._recorder().add(sorted(specs), skipped)
            except Exception as error:  # noqa: BLE001 - never break the program's import
                self.errors.append(TargetError(f"module {module.__name__!r}: {error}"))

    def _recorder(self) -> Recorder:
        if self.recorder is None:
            from legacy_harness.record.boundaries import BoundarySet
            from legacy_harness.record.recorder import Recorder

            boundaries: BoundarySet = BoundarySet.from_config(
                self.config.table, self.boundary_names
            )
            self.recorder = Recorder(
                [], self.store, max_cases=self.max_cases, mode=self.mode, boundaries=boundaries
            )
            self.recorder.start()
        return self.recorder

    def stop(self) -> RecordingSummary:
        """Stop watching and recording; import the target modules the program never
        did (their targets are listed, unreached); report patterns that name nothing."""
        from legacy_harness.record.targets import (
            defined_in_source,
            expand_in,
            import_module,
            no_match,
        )

        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        summary = self.recorder.stop() if self.recorder is not None else None
        unreached: list[TargetStats] = []
        skipped: dict[str, str] = {}
        for name, patterns in list(self.waiting.items()):
            named = [_exact(pattern) for pattern in patterns]
            if all(spec is not None and defined_in_source(spec) for spec in named):
                # plainly defined in the source: listed without running the module
                for pattern, spec in zip(patterns, named, strict=True):
                    self.found[pattern] += 1
                    if spec is not None and spec not in self.chosen:
                        self.chosen[spec] = None
                        unreached.append(TargetStats(str(spec)))
                continue
            try:
                module = import_module(name)
            except TargetError as error:
                self.errors.append(error)
                self.found.update(dict.fromkeys(patterns, 1))
                continue
            for pattern in patterns:
                try:
                    found, left_out, matched = expand_in(module, pattern, self.excluded)
                except TargetError as error:
                    self.errors.append(error)
                    self.found[pattern] += 1
                    continue
                self.found[pattern] += matched
                for spec in found:
                    if spec not in self.chosen:
                        self.chosen[spec] = None
                        unreached.append(TargetStats(str(spec)))
                skipped.update(left_out)
        self.waiting.clear()
        self.errors += [no_match(pattern) for pattern, found in self.found.items() if not found]
        if summary is None:
            return RecordingSummary(self.store, unreached, skipped=skipped)
        summary.targets += unreached
        summary.skipped.update(skipped)
        return summary

    def error(self) -> TargetError | None:
        """One error naming every problem found, or None."""
        if not self.errors:
            return None
        if len(self.errors) == 1:
            return self.errors[0]
        return TargetError("; ".join(str(error) for error in self.errors))


def _exact(pattern: TargetPattern) -> TargetSpec | None:
    """The one target a pattern names exactly (``mod:func``, ``mod:Class.meth``), if so
    (it may still name a class, which a source check then does not find as a def)."""
    if pattern.glob or not pattern.qualname:
        return None
    return TargetSpec(".".join(pattern.module), ".".join(pattern.qualname))


def _check_findable(module: str) -> None:
    """A target module that cannot be found is an error before the program runs (only
    its top-level package is looked up: finding a submodule imports its package)."""
    from legacy_harness.record.targets import find_module

    top = module.split(".")[0]
    if top not in sys.modules:
        find_module(
            top,
            f"module {module!r} cannot be imported: no module named {top!r}"
            " (run from the project folder, or add its folder to sys.path)",
        )


class _ImportWatch:
    """A meta-path finder that hands the watched modules to ``recording.loaded`` once
    their code has run. The module's own spec and loader stay the real ones."""

    def __init__(self, recording: DeferredRecording) -> None:
        self.recording = recording

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.recording.waiting:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec  # nothing to chain to: handled at the end, like an unreached module
        spec.loader = _NotifyingLoader(loader, self.recording)
        return spec


class _NotifyingLoader:
    """The real loader, followed by the recording's ``loaded`` (after the module ran)."""

    def __init__(self, loader: Any, recording: DeferredRecording) -> None:
        self.loader = loader
        self.recording = recording

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:  # the module sees its real loader
            spec.loader = self.loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self.loader
        self.loader.exec_module(module)
        self.recording.loaded(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)
