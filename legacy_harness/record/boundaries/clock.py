"""The ``clock`` boundary: a replayed call sees the instants it saw when recorded.

time-machine does the patching: ``time.time``, ``time.time_ns``, ``datetime.now``,
``utcnow``, ``today``, ``date.today`` (and ``localtime``, ``gmtime``, ``strftime``) all
read the innermost traveller on its stack. The boundary puts a traveller there whose
readings come from the tape on replay, and from the real clock (taped) when recording.
``time.monotonic`` and ``time.perf_counter`` (and their ``_ns`` forms), which code reads
to measure durations, are taped the same way, so a recorded duration replays exactly.

Only readings made by the code under test are taped: the logging module stamping a
record, an HTTP library timing a socket, or the harness itself read the real clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import Any

from legacy_harness.errors import HarnessError
from legacy_harness.record.boundaries.base import Boundary, Undo, patch_attribute, require
from legacy_harness.record.boundaries.context import Channel, Mode, current
from legacy_harness.record.boundaries.tape import Interaction, InteractionKind

__all__ = ["ClockBoundary", "clock_reader"]

NAME = "clock"

#: Callers whose clock readings are not the target's behaviour (by module prefix).
UNTAPED_CALLERS = (
    "logging", "legacy_harness", "time_machine", "threading", "asyncio", "selectors",
    "concurrent", "queue", "socket", "ssl", "http", "urllib", "urllib3", "requests",
    "vcr", "wrapt", "sqlite3", "importlib", "_pytest", "pytest", "pluggy", "coverage",
    "hypothesis", "uuid", "tempfile", "random",
)  # fmt: skip


def _taped_caller() -> bool:
    """True if the code asking for the time is the code under test."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != __name__ and not module.startswith("time_machine"):
            return not any(
                module == prefix or module.startswith(prefix + ".") for prefix in UNTAPED_CALLERS
            )
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _utc(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{rest:09d}Z"


def _clock_ask(op: str) -> Interaction:
    return Interaction(NAME, InteractionKind.READ, {"op": op})


def _reading(channel: Channel, op: str, real: Callable[[], Any]) -> Any:
    """One clock reading inside a call: taped, answered, or noted."""
    if channel.mode is Mode.REPLAY:
        if NAME not in channel.declared:
            return real()
        found = channel.next_read(_clock_ask(op))
        return found.result["ns"] if op == "now" else found.result["value"]
    value = real()
    if NAME in channel.declared:
        result = {"ns": value, "utc": _utc(value)} if op == "now" else {"value": value}
        channel.tape(Interaction(NAME, InteractionKind.READ, {"op": op}, result))
    else:
        channel.note("read the clock", NAME)
    return value


class _Traveller:
    """What time-machine asks for the current time while the boundary is installed."""

    def __init__(self, real_ns: Callable[[], int]) -> None:
        self.real_ns = real_ns

    def time_ns(self) -> int:
        channel = current()
        if channel is None or not _taped_caller():
            return self.real_ns()
        return int(_reading(channel, "now", self.real_ns))

    def time(self) -> float:  # time-machine 2.x asks for seconds
        return self.time_ns() / 1_000_000_000

    def _start(self) -> None:  # time-machine calls these when travellers come and go
        pass

    def _stop(self) -> None:
        pass


def _push_traveller(time_machine: Any, traveller: _Traveller) -> Undo:
    stack = getattr(time_machine, "traveller_stack", None)
    if stack is None:
        stack = getattr(time_machine, "coordinates_stack", None)
    if not isinstance(stack, list):
        raise HarnessError(
            "boundary 'clock' does not know this version of time-machine;"
            ' install a supported one: pip install "legacy-harness[clock]"'
        )
    trip = time_machine.travel(0, tick=False)
    try:
        trip.start()
    except RuntimeError as error:
        raise HarnessError(f"boundary 'clock': {error}") from None
    stack_top = len(stack) - 1
    original = stack[stack_top]
    stack[stack_top] = traveller

    def undo() -> None:
        if stack and stack[stack_top] is traveller:
            stack[stack_top] = original
        trip.stop()

    return undo


def _duration_reader(op: str, original: Callable[[], Any]) -> Callable[[], Any]:
    def reader() -> Any:
        channel = current()
        if channel is None or not _taped_caller():
            return original()
        return _reading(channel, op, original)

    reader.__name__ = op
    return reader


class ClockBoundary(Boundary):
    """``clock``: wall-clock instants and monotonic durations, from the tape on replay."""

    name = NAME
    category = NAME

    def load(self) -> None:
        # its pytest plugin is of no use to a program outside pytest (under pytest, pytest
        # is loaded already and nothing is hidden); date parsing stays for the program
        with contextlib.suppress(ImportError):  # require() names the extra to install
            _light_time_machine(hide=("pytest",))
        self.time_machine = require("time_machine", NAME, "clock")

    def patch(self) -> list[Undo]:
        real = self.time_machine.escape_hatch.time.time_ns
        undos = [_push_traveller(self.time_machine, _Traveller(real))]
        for op in ("monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"):
            undos.append(patch_attribute(time, op, _duration_reader(op, getattr(time, op))))
        return undos


def clock_reader() -> Undo | None:
    """While recording without the clock boundary: note which targets read the clock
    (so the summary can say to declare it). None when time-machine is not installed."""
    try:
        time_machine = _light_time_machine()
    except ImportError:
        return None
    try:
        return _push_traveller(time_machine, _Traveller(time_machine.escape_hatch.time.time_ns))
    except HarnessError:  # freezegun active, or an unknown time-machine: only a hint is lost
        return None


def _light_time_machine(hide: tuple[str, ...] = ("pytest", "dateutil.parser")) -> Any:
    """time-machine, imported without the modules in ``hide`` (by default the pytest and
    dateutil it loads when they are installed) unless the program loaded them already:
    its pytest plugin and its date parsing cost more start-up than the rest of a
    recording, and watching needs neither."""
    if "time_machine" in sys.modules:
        return sys.modules["time_machine"]
    hidden = [name for name in hide if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import time_machine
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return time_machine
