"""Capture calls of named targets while real work runs, and store them as golden cases.

The wrapper put around a target does almost nothing once the target's cap is reached
(a flag test and a counter), so a long batch job can run recorded at nearly full speed
after the first few hundred distinct calls.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, overload

from legacy_harness.config import Config, load_config
from legacy_harness.errors import (
    ConfigError,
    ForeignClassWarning,
    TargetError,
    UnencodableValueWarning,
)
from legacy_harness.outcomes import WriteStatus
from legacy_harness.record.boundaries import (
    BoundarySet,
    handed_connections,
    tape_to_tree,
)
from legacy_harness.record.boundaries.context import Channel, passthrough
from legacy_harness.record.observe import (
    NUMBERS,
    RngWatch,
    Signature,
    encode_inputs,
    immutable,
    live_inputs,
    observe_call,
    rng_tree,
)
from legacy_harness.record.profile import ProfileBook
from legacy_harness.record.project import ForeignClasses, allow_hint, installed_version
from legacy_harness.record.redact import Redactor, blob_names
from legacy_harness.record.replaying import active as replay_active
from legacy_harness.record.rerecord import StoredInputs
from legacy_harness.record.summary import RecordingSummary, TargetStats
from legacy_harness.record.targets import (
    KIND_CLASSMETHOD,
    KIND_METHOD,
    Patch,
    ResolvedTarget,
    TargetPattern,
    TargetSpec,
    expand,
    function_copy,
    resolve,
    source_hash,
)
from legacy_harness.record.writer import CaseWriter
from legacy_harness.store.case import FORMAT_VERSION, GoldenCase, case_id
from legacy_harness.store.disk import KEPT, GoldenStore

F = TypeVar("F", bound=Callable[..., Any])

MODES = ("new", "all")
#: Calls a target past its cap runs without the wrappers at a time, when no profile
#: reads its inputs: small enough that a summary taken mid-run is nearly right.
_BYPASS_CALLS = 4096


def environment() -> dict[str, str]:
    """Where a case was recorded: float results can depend on all of these."""
    import platform  # here: its import is a start-up cost a run that records nothing skips

    env = {
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
    }
    version = _numpy_version()
    if version is not None:
        env["numpy"] = version
    return env


@functools.cache
def _numpy_version() -> str | None:
    """numpy's version when it is installed, imported or not: whether some module had
    imported it by a target's first case must not change the bytes of the case."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        return str(numpy.__version__)
    return installed_version("numpy")


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
        #: ids of the target's cases already in the store (read at its first call), and
        #: how many ids this run adds: --max-cases caps the folder, across runs and
        #: processes (--mode all replaces the folder: the cap counts that run's cases)
        self.stored: set[str] | None = None
        self.added = 0
        self.full = False
        self.busy = False
        #: set by Recorder.start: once the cap is reached, let the target's next calls
        #: bypass the wrappers (counted here in advance; see Patch.grant)
        self.bypass: Callable[[], int] | None = None
        self.stats = TargetStats(self.spec)
        self._meta_base: dict[str, Any] | None = None
        #: the target's code as it was before patching (see wrap): what source_hash reads
        self.unpatched: Callable[..., Any] = target.function
        #: the empty boundary channel the last call left, for the next (see _channel)
        self.idle: Channel | None = None
        #: whether redaction leaves positional arguments that are all numbers as they
        #: are (it reads no value of theirs, so one look at the names answers for all)
        probe: dict[str, Any] = {"args": [], "kwargs": {}}
        self.numbers_stay = not sink.redactor.redact_inputs(probe, self.signature.positional)[1]

    @property
    def meta_base(self) -> dict[str, Any]:
        """What every case of the target says in its meta, worked out at its first case:
        reading the source of hundreds of targets is no start-up cost of a run."""
        if self._meta_base is None:
            self._meta_base = {
                "origin": self.sink.origin,
                "source_hash": source_hash(self.unpatched),
                "format": FORMAT_VERSION,
                **environment(),
            }
        return self._meta_base

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        self.unpatched = function
        if self.target.kind == KIND_CLASSMETHOD:
            # the wrapper is re-wrapped in classmethod; strip cls before capturing
            @functools.wraps(function)
            def class_wrapper(cls: Any, *args: Any, **kwargs: Any) -> Any:
                if self.full or self.busy:
                    self.passed()
                    return function(cls, *args, **kwargs)
                return self.capture(lambda *a, **k: function(cls, *a, **k), args, kwargs, None)

            return class_wrapper

        if self.has_self:

            @functools.wraps(function)
            def method_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
                if self.full or self.busy:
                    self.passed()
                    return function(instance, *args, **kwargs)
                return self.capture(functools.partial(function, instance), args, kwargs, instance)

            return method_wrapper

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.full or self.busy:
                self.passed()
                return function(*args, **kwargs)
            return self.capture(function, args, kwargs, None)

        return wrapper

    def passed(self) -> None:
        """A call not recorded: the cap is reached (counted), or one is being recorded."""
        if self.full:
            self.stats.dropped += 1
            if self.bypass is not None:
                self.stats.dropped += self.bypass()

    def open_folder(self) -> set[str]:
        """At the target's first recorded call: delete what killed recordings left in
        its folder (temporary files, unnamed blobs), and read which cases it holds."""
        store = self.sink.store
        self.stats.cleaned = len(store.remove_leftovers(self.spec))
        self.stored = store.case_ids(self.spec) if not self.sink.overwrite else set()
        return self.stored

    def capture(
        self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], instance: Any
    ) -> Any:
        if replay_active():  # the harness replaying a master (its pytest items): not ours
            return call(*args, **kwargs)
        self.busy = True
        try:
            return self._capture(call, args, kwargs, instance)
        finally:
            self.busy = False

    def _capture(
        self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], instance: Any
    ) -> Any:
        """Record one call. Only what needs the live objects happens here: encoding the
        inputs (before the call can change them) and what the call did, the id, and the
        warnings; redaction of what it did, the meta and the rng tree are the writer's
        (:meth:`_Sink.finish`), before anything reaches disk."""
        self.stats.calls += 1
        sink = self.sink
        blobs: dict[str, bytes] = {}
        problems: list[str] = []
        inputs = live_inputs(args, kwargs, instance, self.has_self)
        # immutable builtins: nothing to compare after the call, no class, no connection
        fixed = not self.has_self and immutable(args) and immutable(kwargs.values())
        inputs_tree = encode_inputs(inputs, blobs, problems, fixed=fixed)
        redacted: list[str] = []
        if fixed and not kwargs and self.numbers_stay and immutable(args, kinds=NUMBERS):
            stored_inputs = inputs_tree  # no text, and no name a rule could hide
        else:
            stored_inputs, redacted = sink.redactor.redact_inputs(
                inputs_tree, self.signature.positional, blobs
            )
        ident = case_id(self.spec, stored_inputs)
        if ident in self.seen:
            return call(*args, **kwargs)
        stored = self.stored if self.stored is not None else self.open_folder()
        if ident not in stored:
            if len(stored) + self.added >= self.max_cases:  # earlier runs filled the cap
                self.full = True
                self.stats.calls -= 1
                self.stats.dropped += 1
                return call(*args, **kwargs)
            self.added += 1
        self.seen.add(ident)
        if sink.watch_clock:
            sink.start_clock_watch()
        mark = sink.rng.mark()
        boundaries = sink.boundaries
        if not fixed:
            for detail, boundary in handed_connections(inputs, boundaries.declared).items():
                self.stats.undeclared.setdefault(detail, boundary)
        channel = self._channel(blobs)
        observation, result = observe_call(
            call,
            inputs,
            inputs_tree,
            self.signature,
            echo=True,
            blobs=blobs,
            problems=problems,
            around=lambda run: channel.run(run, inputs),
            fixed=fixed,
        )
        drawn = sink.rng.drawn(mark)
        problems += channel.problems
        for detail, boundary in channel.notes.items():
            self.stats.undeclared.setdefault(detail, boundary)
        tape = tape_to_tree(channel.recorded) if boundaries else None
        if not boundaries and not (channel.recorded or channel.notes or channel.problems):
            if not (channel.memo or channel.on_exit or channel.blocked):
                self.idle = channel  # nothing in it: the next call may use it again
        meta = {"log_level": logging.getLogger().getEffectiveLevel()}
        case = GoldenCase(
            self.spec, ident, stored_inputs, observation, None, meta, blobs, tape=tape
        )
        if fixed and tape is None and result.raised is None and immutable([result.returned]):
            trees: tuple[Any, ...] = ()  # nothing here can name a class
        else:
            trees = (case.inputs, observation.outcome, observation.effects, tape)
        sink.accept(self, case, problems, trees)
        sink.writer.submit(
            case,
            functools.partial(sink.written, self),
            functools.partial(sink.finish, self, problems, redacted, drawn),
        )
        if len(self.seen) >= self.max_cases or len(stored) + self.added >= self.max_cases:
            self.full = True
        if result.raised is not None:
            raise result.raised
        return result.returned

    def _channel(self, blobs: dict[str, bytes]) -> Channel:
        """The boundary channel for one call; without declared boundaries, the empty one
        the last call left (it only gathers notes of undeclared access)."""
        idle, self.idle = self.idle, None
        if idle is None:
            return self.sink.boundaries.recording(self.sink.root, blobs)
        idle.blobs, idle.new_blobs = blobs.get, blobs
        return idle


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
        foreign: ForeignClasses | None = None,
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
        self.foreign = foreign
        self.lock = threading.Lock()
        self.stored = StoredInputs(store, self.overwrite, origin)
        #: set by Recorder.start: note clock readings from the first captured call on
        self.watch_clock = False
        self.writer = CaseWriter(store, overwrite=self.overwrite, background=background)
        self.rng = RngWatch()

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

    def written(self, recorder: _TargetRecorder, case: GoldenCase, status: WriteStatus) -> None:
        """On the writer's thread, once ``case`` is on disk: other files of its input go
        (``--mode all`` only: otherwise the lock is not taken, so a recorded call never
        waits for the writer's thread to let go of it)."""
        if self.overwrite:
            with self.lock, passthrough():  # the store's own I/O is no outside access
                self.stored.settle(case)
        recorder.stats.written(case, status)

    def accept(
        self,
        recorder: _TargetRecorder,
        case: GoldenCase,
        problems: list[str],
        trees: Sequence[Any],
    ) -> None:
        """In the call: count the case and warn, while the user's code can still see it
        (values that cannot be replayed; classes replay needs ``allow`` for, noted in
        ``trees``)."""
        recorder.stats.cases += 1
        for problem in problems:
            if problem not in recorder.stats.problems:
                recorder.stats.problems.append(problem)
                warnings.warn(f"{recorder.spec}: {problem}", UnencodableValueWarning, stacklevel=4)
        if self.foreign is not None and trees:  # once per package: the first case needing it
            for package, ref in self.foreign.note(case.target, trees).items():
                message = (
                    f"{case.target}: cases hold {ref} objects; replay rebuilds them only"
                    f" with {allow_hint([package])} (if you trust {package!r})"
                )
                warnings.warn(message, ForeignClassWarning, stacklevel=4)

    def finish(
        self,
        recorder: _TargetRecorder,
        problems: list[str],
        redacted: list[str],
        drawn: tuple[Any, Any] | None,
        case: GoldenCase,
    ) -> GoldenCase | None:
        """On the writer's thread, before ``case`` is written: redact what the call did
        (secrets and the blobs of redacted arrays never reach disk), complete the meta,
        encode the generators' states, and admit the case (None: its input is stored
        under another name, and is kept)."""
        redactor = self.redactor
        blobs = case.blobs
        meta = {**recorder.meta_base, **case.meta}
        if problems:
            meta["unencodable"] = sorted(set(problems))
        tape = case.tape
        if tape is not None:
            meta["boundaries"] = list(self.boundaries.names)
            tape, more = redactor.redact(tape, "tape")
            redacted = redacted + more
        rng = rng_tree(drawn, blobs) if drawn is not None else None
        observation, more = redactor.redact_observation(case.observation, blobs)
        redacted = redacted + more
        if redacted:
            meta["redacted"] = sorted(set(redacted))
            kept = blob_names(case.inputs, observation.outcome, observation.effects, rng, tape)
            blobs = {name: data for name, data in blobs.items() if name in kept}
        ready = GoldenCase(
            case.target, case.id, case.inputs, observation, rng, meta, blobs, tape=tape
        )
        with self.lock, passthrough():
            admitted = self.stored.admit(ready)  # one case per input, whatever its file is named
        if not admitted:
            recorder.stats.outcomes[KEPT] += 1
            return None
        return ready


class Recorder:
    """Patches the named targets and records their calls until stopped."""

    def __init__(
        self,
        targets: Iterable[str | TargetSpec | TargetPattern],
        store: GoldenStore | Path | str,
        *,
        exclude: Iterable[str] = (),
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
        foreign = ForeignClasses(config)
        self.sink = _Sink(self.store, mode, origin, redactor, boundaries, config.root, foreign)
        # a module, a class or a glob stands for every function and method it covers
        self.selection = expand(targets, exclude, config=config)
        self.max_cases = max_cases
        self.recorders = [
            _TargetRecorder(resolve(spec), self.sink, max_cases) for spec in self.selection.specs
        ]
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
            self._patch(recorder)

    def _patch(self, recorder: _TargetRecorder) -> None:
        original = function_copy(recorder.target.function)  # type: ignore[arg-type]
        wrapper = recorder.wrap(original)
        if self.profiles is not None:
            wrapper = self.profiles.feeding(recorder.target, wrapper)
        patch = Patch(recorder.target, wrapper)
        patch.wrapper.__legacy_harness__ = True  # type: ignore[attr-defined]
        patch.apply()
        recorder.bypass = functools.partial(self._bypass, recorder, patch)
        self.patches.append(patch)

    def add(self, specs: Iterable[TargetSpec], skipped: dict[str, str] | None = None) -> None:
        """Record more targets from now on (``record --`` names those of a module when
        the program imports it); ``skipped`` adds to what the summary lists as left out."""
        for spec in specs:
            recorder = _TargetRecorder(resolve(spec), self.sink, self.max_cases)
            self.recorders.append(recorder)
            self.selection.specs.append(spec)
            if self.installed:
                self._patch(recorder)
        self.selection.skipped.update(skipped or {})

    def _bypass(self, recorder: _TargetRecorder, patch: Patch) -> int:
        """For a target past its cap: let its next calls skip the wrappers until the
        profile reads one again (a few thousand calls at a time without a profile)."""
        calls = self.profiles.skip_unread(recorder.spec) if self.profiles else _BYPASS_CALLS
        patch.grant(calls)
        return calls

    def stop(self) -> RecordingSummary:
        """Unpatch, wait for the writer to put every case on disk (raising the first
        write that failed), then keep the profiles and release the boundaries."""
        for recorder, patch in zip(self.recorders, self.patches, strict=False):
            recorder.bypass = None
            recorder.stats.dropped -= patch.take_back()  # counted, never made
        for patch in reversed(self.patches):
            patch.undo()
        self.patches.clear()
        try:
            self.sink.writer.close()
        finally:
            for recorder in self.recorders:  # --mode all: what the run no longer produced goes
                if recorder.stats.calls and not recorder.full:
                    removed = self.sink.stored.prune(recorder.spec, recorder.seen)
                    recorder.stats.removed = len(removed)
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
            self.store.root, [r.stats for r in self.recorders], self.boundaries.names,
            self.selection.skipped, self.sink.foreign.seen if self.sink.foreign else {},
        )  # fmt: skip


@contextmanager
def recording(
    targets: Iterable[str],
    store: str | Path | None = None,
    *,
    max_cases: int | None = None,
    mode: str = "new",
    boundaries: Sequence[str] | None = None,
    exclude: Iterable[str] = (),
) -> Iterator[Recorder]:
    """Record every call of ``targets`` made inside the block; ``boundaries`` adds to
    the configured ones (their interactions are taped with each case). A target may
    be a module, a class or a glob (see :class:`TargetPattern`), less ``exclude``.

    >>> with recording(["billing:compute_invoice"], store="tests/golden"):  # doctest: +SKIP
    ...     run_month_end("2024-03")
    """
    config = load_config()
    recorder = Recorder(
        targets,
        Path(store) if store is not None else config.store,
        exclude=exclude,
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
