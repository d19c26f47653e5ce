"""Capture calls of named targets while real work runs, and store them as golden cases.

The wrapper put around a target does almost nothing once the target's cap is reached
(a flag test and a counter), so a long batch job can run recorded at nearly full speed
after the first few hundred distinct calls.
"""

from __future__ import annotations

import functools
import logging
import platform
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from legacy_harness.config import Config, load_config
from legacy_harness.errors import ConfigError, TargetError, UnencodableValueWarning
from legacy_harness.outcomes import WriteStatus
from legacy_harness.record.boundaries import (
    BoundarySet,
    handed_connections,
    suggestion,
    tape_to_tree,
)
from legacy_harness.record.observe import (
    Signature,
    encode_inputs,
    live_inputs,
    observe_call,
    rng_state,
    rng_tree,
    rng_used,
)
from legacy_harness.record.profile import ProfileBook
from legacy_harness.record.redact import Redactor, blob_names
from legacy_harness.record.targets import (
    KIND_CLASSMETHOD,
    KIND_METHOD,
    Patch,
    ResolvedTarget,
    TargetSpec,
    function_copy,
    resolve,
    source_hash,
)
from legacy_harness.record.writer import CaseWriter
from legacy_harness.store import codec
from legacy_harness.store.case import FORMAT_VERSION, GoldenCase
from legacy_harness.store.disk import CREATED, KEPT, UNCHANGED, UPDATED, GoldenStore

F = TypeVar("F", bound=Callable[..., Any])

MODES = ("new", "all")


def environment() -> dict[str, str]:
    """Where a case was recorded: float results can depend on all of these."""
    env = {
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
    }
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        env["numpy"] = numpy.__version__
    return env


@dataclass
class TargetStats:
    """What recording did for one target; feeds the summary the user reads."""

    target: str
    calls: int = 0
    cases: int = 0
    dropped: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: {CREATED: 0, UPDATED: 0, UNCHANGED: 0, KEPT: 0}
    )
    problems: list[str] = field(default_factory=list)
    #: outside access no declared boundary covered -> the boundary that would
    undeclared: dict[str, str] = field(default_factory=dict)

    def written(self, case: GoldenCase, status: WriteStatus) -> None:
        """Count what the writer did with one case (called on the writer's thread)."""
        self.outcomes[status] += 1


class _TargetRecorder:
    """Per-target state, and the code that turns one call into one case."""

    def __init__(self, target: ResolvedTarget, sink: _Sink, max_cases: int) -> None:
        self.target = target
        self.spec = str(target.spec)
        self.sink = sink
        self.max_cases = max_cases
        self.has_self = target.kind == KIND_METHOD
        self.signature = Signature.of(
            target.function, skip_first=target.kind in (KIND_METHOD, KIND_CLASSMETHOD)
        )
        self.seen: set[str] = set()
        self.full = False
        self.busy = False
        self.stats = TargetStats(self.spec)
        self.meta_base = {
            "origin": sink.origin,
            "source_hash": source_hash(target.function),
            "format": FORMAT_VERSION,
            **environment(),
        }

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        if self.target.kind == KIND_CLASSMETHOD:
            # the wrapper is re-wrapped in classmethod; strip cls before capturing
            @functools.wraps(function)
            def class_wrapper(cls: Any, *args: Any, **kwargs: Any) -> Any:
                if self.full or self.busy:
                    self.stats.dropped += self.full
                    return function(cls, *args, **kwargs)
                return self.capture(lambda *a, **k: function(cls, *a, **k), args, kwargs, None)

            return class_wrapper

        if self.has_self:

            @functools.wraps(function)
            def method_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
                if self.full or self.busy:
                    self.stats.dropped += self.full
                    return function(instance, *args, **kwargs)
                return self.capture(functools.partial(function, instance), args, kwargs, instance)

            return method_wrapper

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.full or self.busy:
                self.stats.dropped += self.full
                return function(*args, **kwargs)
            return self.capture(function, args, kwargs, None)

        return wrapper

    def capture(
        self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], instance: Any
    ) -> Any:
        self.busy = True
        try:
            return self._capture(call, args, kwargs, instance)
        finally:
            self.busy = False

    def _capture(
        self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], instance: Any
    ) -> Any:
        self.stats.calls += 1
        blobs: dict[str, bytes] = {}
        problems: list[str] = []
        inputs = live_inputs(args, kwargs, instance, self.has_self)
        inputs_tree = encode_inputs(inputs, blobs, problems)
        redactor = self.sink.redactor
        stored_inputs, redacted = redactor.redact_inputs(
            inputs_tree, self.signature.positional, blobs
        )
        case_id = codec.tree_hash({"target": self.spec, "inputs": stored_inputs})
        if case_id in self.seen:
            return call(*args, **kwargs)
        self.seen.add(case_id)
        if self.sink.watch_clock:
            self.sink.start_clock_watch()
        rng_before = rng_state()
        boundaries = self.sink.boundaries
        for detail, boundary in handed_connections(inputs, boundaries.declared).items():
            self.stats.undeclared.setdefault(detail, boundary)
        channel = boundaries.recording(self.sink.root, blobs)
        observation, result = observe_call(
            call,
            inputs,
            inputs_tree,
            self.signature,
            echo=True,
            blobs=blobs,
            problems=problems,
            around=lambda run: channel.run(run, inputs),
        )
        problems += channel.problems
        for detail, boundary in channel.notes.items():
            self.stats.undeclared.setdefault(detail, boundary)
        meta = dict(self.meta_base)
        meta["log_level"] = logging.getLogger().getEffectiveLevel()
        if problems:
            meta["unencodable"] = sorted(set(problems))
        tape = None
        if boundaries:
            meta["boundaries"] = list(boundaries.names)
            tape, more = redactor.redact(tape_to_tree(channel.recorded), "tape")
            redacted += more
        rng = rng_tree(rng_before, blobs) if rng_used(rng_before, rng_state()) else None
        observation, more = redactor.redact_observation(observation, blobs)
        redacted += more
        if redacted:  # the secrets and the blobs of redacted arrays never reach disk
            meta["redacted"] = sorted(set(redacted))
            kept = blob_names(stored_inputs, observation.outcome, observation.effects, rng, tape)
            blobs = {name: data for name, data in blobs.items() if name in kept}
        case = GoldenCase(
            self.spec, case_id, stored_inputs, observation, rng, meta, blobs, tape=tape
        )
        self.sink.accept(self, case, problems)
        if len(self.seen) >= self.max_cases:
            self.full = True
        if result.raised is not None:
            raise result.raised
        return result.returned


class _Sink:
    """Where cases go: the store (through a background writer), with the per-target
    bookkeeping and warnings."""

    def __init__(
        self,
        store: GoldenStore,
        mode: str,
        origin: str,
        redactor: Redactor | None = None,
        boundaries: BoundarySet | None = None,
        root: Path | None = None,
        *,
        background: bool = True,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"record mode {mode!r} is not one of {', '.join(MODES)}")
        self.store = store
        self.overwrite = mode == "all"
        self.origin = origin
        self.redactor = redactor if redactor is not None else Redactor()
        self.boundaries = boundaries if boundaries is not None else BoundarySet()
        self.root = root if root is not None else Path.cwd()
        #: set by Recorder.start: note clock readings from the first captured call on
        self.watch_clock = False
        self.writer = CaseWriter(store, overwrite=self.overwrite, background=background)

    def start_clock_watch(self) -> None:
        """Note which targets read the clock (to suggest declaring it), from the first
        captured call rather than at start-up: time-machine is the costliest import of
        a recording, and a run that never reaches a target should not pay for it."""
        self.watch_clock = False
        if "clock" in self.boundaries.names:
            return
        from legacy_harness.record.boundaries.clock import clock_reader

        undo = clock_reader()
        if undo is not None:
            self.boundaries.watchers.append(undo)

    def accept(self, recorder: _TargetRecorder, case: GoldenCase, problems: list[str]) -> None:
        recorder.stats.cases += 1
        self.writer.submit(case, recorder.stats.written)
        for problem in problems:
            if problem not in recorder.stats.problems:
                recorder.stats.problems.append(problem)
                warnings.warn(f"{recorder.spec}: {problem}", UnencodableValueWarning, stacklevel=4)


@dataclass
class RecordingSummary:
    """What a recording wrote, per target, and the outside access to declare."""

    store: Path
    targets: list[TargetStats]
    boundaries: tuple[str, ...] = ()

    def render(self) -> str:
        lines = []
        for stats in self.targets:
            o = stats.outcomes
            written = f"{o[CREATED]} new, {o[UPDATED]} updated, {o[UNCHANGED]} unchanged"
            if o[KEPT]:
                written += f", {o[KEPT]} kept (already recorded; use --mode all to replace)"
            lines.append(
                f"{stats.target}: {stats.calls + stats.dropped} calls, {stats.cases} cases ({written})"
            )
            if stats.dropped:
                lines.append(
                    f"  cap reached: {stats.dropped} later calls not recorded (raise --max-cases to keep more)"
                )
            for problem in stats.problems:
                lines.append(f"  not replayable: {problem}")
            if stats.undeclared:
                lines.append(f"  {stats.target} {suggestion(stats.undeclared, self.boundaries)}")
            if stats.calls + stats.dropped == 0:
                lines.append("  no calls: the run never reached this target")
        lines.append(f"store: {self.store}")
        return "\n".join(lines)


class Recorder:
    """Patches the named targets and records their calls until stopped."""

    def __init__(
        self,
        targets: Iterable[str | TargetSpec],
        store: GoldenStore | Path | str,
        *,
        max_cases: int = 200,
        mode: str = "new",
        origin: str = "recorded",
        redactor: Redactor | None = None,
        boundaries: Sequence[str] | BoundarySet | None = None,
    ) -> None:
        self.store = store if isinstance(store, GoldenStore) else GoldenStore(store)
        config = load_config()
        if redactor is None:  # [tool.legacy_harness.redact], built-in rules by default
            redactor = Redactor.from_config(config.table)
        if boundaries is None:  # [tool.legacy_harness] boundaries = [...]
            boundaries = BoundarySet.from_config(config.table)
        elif not isinstance(boundaries, BoundarySet):
            boundaries = BoundarySet(boundaries)
        self.boundaries = boundaries
        self.sink = _Sink(self.store, mode, origin, redactor, boundaries, config.root)
        specs = sorted({TargetSpec.parse(t) if isinstance(t, str) else t for t in targets})
        self.recorders = [_TargetRecorder(resolve(spec), self.sink, max_cases) for spec in specs]
        self.patches: list[Patch] = []
        # every call's inputs, kept beside the store at stop (drift's baseline); generated
        # inputs are not production's, so only recordings of real work keep a profile
        self.profiles = ProfileBook() if origin == "recorded" else None
        self.installed = False

    def start(self) -> None:
        # boundaries first: a library they need that is missing stops the run before it starts
        self.boundaries.install()
        self.installed = True
        self.sink.watch_clock = True
        for recorder in self.recorders:
            original = function_copy(recorder.target.function)  # type: ignore[arg-type]
            wrapper = recorder.wrap(original)
            if self.profiles is not None:
                wrapper = self.profiles.feeding(recorder.target, wrapper)
            patch = Patch(recorder.target, wrapper)
            patch.wrapper.__legacy_harness__ = True  # type: ignore[attr-defined]
            patch.apply()
            self.patches.append(patch)

    def stop(self) -> RecordingSummary:
        """Unpatch, wait for the writer to put every case on disk (raising the first
        write that failed), then keep the profiles and release the boundaries."""
        for patch in reversed(self.patches):
            patch.undo()
        self.patches.clear()
        try:
            self.sink.writer.close()
        finally:
            if self.profiles is not None:
                self.profiles.save(
                    self.store.root, replace=self.sink.overwrite, redactor=self.sink.redactor
                )
            if self.installed:
                self.installed = False
                self.boundaries.uninstall()
        return self.summary()

    def summary(self) -> RecordingSummary:
        return RecordingSummary(
            self.store.root, [r.stats for r in self.recorders], self.boundaries.names
        )


@contextmanager
def recording(
    targets: Iterable[str],
    store: str | Path | None = None,
    *,
    max_cases: int | None = None,
    mode: str = "new",
    boundaries: Sequence[str] | None = None,
) -> Iterator[Recorder]:
    """Record every call of ``targets`` made inside the block; ``boundaries`` adds to
    the configured ones (their interactions are taped with each case).

    >>> with recording(["billing:compute_invoice"], store="tests/golden"):  # doctest: +SKIP
    ...     run_month_end("2024-03")
    """
    config = load_config()
    recorder = Recorder(
        targets,
        Path(store) if store is not None else config.store,
        max_cases=max_cases or config.max_cases,
        mode=mode,
        boundaries=BoundarySet.from_config(config.table, boundaries or ()),
    )
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


@overload
def record(function: F) -> F: ...
@overload
def record(
    *, store: str | Path | None = None, max_cases: int | None = None, mode: str = "new"
) -> Callable[[F], F]: ...


def record(
    function: Any = None,
    *,
    store: str | Path | None = None,
    max_cases: int | None = None,
    mode: str = "new",
) -> Any:
    """Decorator for code you can edit: every call of the function is recorded.

    The store is found lazily (at the first call) from pyproject.toml, so importing the
    decorated module does no I/O.
    """

    def decorate(func: F) -> F:
        state: dict[str, Any] = {}

        def recorder() -> _TargetRecorder:
            if "recorder" not in state:
                config: Config = load_config()
                spec = TargetSpec(func.__module__, func.__qualname__)
                if func.__module__ == "__main__" or "<locals>" in func.__qualname__:
                    raise TargetError(
                        f"@record on {func.__qualname__} in {func.__module__}: only module-level"
                        " functions of an importable module can be replayed; move it into a"
                        " module and import it"
                    )
                target = ResolvedTarget(
                    spec, sys.modules[func.__module__], func.__name__, func, func, "function"
                )
                sink = _Sink(  # no stop to wait at: each case is on disk when the call returns
                    GoldenStore(Path(store) if store else config.store),
                    mode,
                    "recorded",
                    Redactor.from_config(config.table),
                    background=False,
                )
                state["recorder"] = _TargetRecorder(target, sink, max_cases or config.max_cases)
                state["wrapped"] = state["recorder"].wrap(func)
            return state["recorder"]  # type: ignore[no-any-return]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            recorder()
            return state["wrapped"](*args, **kwargs)

        wrapper.__legacy_harness__ = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    if function is not None:
        return decorate(function)
    return decorate
