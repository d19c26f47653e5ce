"""Run one call of a target and see which arcs of the target's own code it took.

Characterize, minimize and mutate all need to know, call by call and cheaply, which
line-to-line transitions ("arcs") a call made inside the target. coverage.py is the
reference for reports (:mod:`.measure`), but starting it per call costs too much, so
this module traces with ``sys.settrace`` scoped to the target's code objects. Arcs are
recorded as coverage.py records them: ``(previous line, line)``, with the negated first
line of the code object standing for entry and exit.

It also holds the guards every generated or mutated call runs under: a per-call time
limit and a ban on files, sockets and processes, so a target that does I/O or hangs is
reported instead of hanging the run.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from legacy_harness.errors import CallTimeout, ForbiddenIO, HarnessError
from legacy_harness.record.targets import ResolvedTarget

Arc = tuple[int, int]


@dataclass(frozen=True)
class CodeRegion:
    """Where a target's own code lives: its file and the lines of its body."""

    target: str
    filename: str
    def_line: int
    body_first: int
    last: int
    #: the line a code object of the target starts at: its first decorator, if any
    first_line: int = 0

    def contains(self, line: int) -> bool:
        return self.body_first <= line <= self.last

    def owns(self, code: types.CodeType) -> bool:
        return (
            code.co_filename == self.filename
            and min(self.first_line or self.def_line, self.def_line)
            <= code.co_firstlineno
            <= self.last
        )


def function_node(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The function definition at the top of ``source`` (dedented getsource text)."""
    tree = ast.parse(textwrap.dedent(source))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    raise HarnessError("no function definition found in the target's source")


def region_of(target: ResolvedTarget) -> CodeRegion:
    """The target's code region; raises HarnessError when its source is not available."""
    function = target.function
    try:
        lines, start = inspect.getsourcelines(function)
    except (OSError, TypeError) as error:
        raise HarnessError(
            f"target {target.spec}: its source is not available ({error}); coverage needs a .py file"
        ) from None
    node = function_node("".join(lines))
    offset = start - 1
    end = node.end_lineno or node.lineno
    return CodeRegion(
        str(target.spec),
        function.__code__.co_filename,
        node.lineno + offset,
        node.body[0].lineno + offset,
        end + offset,
        min([node.lineno, *(d.lineno for d in node.decorator_list)]) + offset,
    )


class ArcTracer:
    """Collects arcs of one code region while active (``with tracer: ...``)."""

    def __init__(self, region: CodeRegion) -> None:
        self.region = region
        self.arcs: set[Arc] = set()
        self._owned: dict[types.CodeType, bool] = {}
        self._previous: Any = None

    def __enter__(self) -> ArcTracer:
        self._previous = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self._previous)

    def _global(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        owned = self._owned.get(code)
        if owned is None:
            owned = self._owned[code] = self.region.owns(code)
        if not owned:
            return None
        arcs = self.arcs
        entry = -code.co_firstlineno
        last = [entry]

        def local(frame: types.FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                line = frame.f_lineno
                arcs.add((last[0], line))
                last[0] = line
            elif event == "return":
                arcs.add((last[0], entry))
            return local

        return local


# -- guards ---------------------------------------------------------------------------


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CallTimeout in the block after ``seconds`` (main thread on POSIX only;
    elsewhere the block runs unlimited, which is the best Python can do)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CallTimeout(f"no result within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds or 0))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def no_io() -> Iterator[None]:
    """Make opening files, sockets and processes raise ForbiddenIO inside the block."""

    def refuse(what: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise ForbiddenIO(what)

        return refused

    swaps: list[tuple[Any, str, Any]] = [
        (builtins, "open", refuse("opens a file (open)")),
        (io, "open", refuse("opens a file (io.open)")),
        (os, "open", refuse("opens a file (os.open)")),
        (socket.socket, "connect", refuse("opens a network connection")),
        (socket.socket, "connect_ex", refuse("opens a network connection")),
        (socket.socket, "bind", refuse("listens on a socket")),
        (socket, "create_connection", refuse("opens a network connection")),
        (subprocess.Popen, "__init__", refuse("starts a process")),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in swaps]
    for owner, name, replacement in swaps:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@dataclass
class Probe:
    """What one guarded, traced call did."""

    arcs: frozenset[Arc]
    returned: Any = None
    raised: BaseException | None = None
    problem: str | None = None  # "timeout: ..." or "io: ..." when the call was stopped
    output: str = ""  # what the call printed (stdout and stderr together)

    @property
    def outcome_key(self) -> str:
        if self.raised is not None:
            kind = type(self.raised)
            return f"raised {kind.__module__}.{kind.__qualname__}"
        return "returned"


def probe_call(
    call: Callable[[], Any], region: CodeRegion, *, timeout: float | None, guard_io: bool = True
) -> Probe:
    """Call ``call()`` traced, time-limited and (by default) without I/O; never raises
    for the target's own exceptions."""
    tracer = ArcTracer(region)
    saved_out, saved_err = sys.stdout, sys.stderr
    printed = sys.stdout = sys.stderr = io.StringIO()
    problem = None
    returned: Any = None
    raised: BaseException | None = None
    try:
        with time_limit(timeout), no_io() if guard_io else _nothing(), tracer:
            returned = call()
    except CallTimeout as error:
        problem = f"timeout: {error}"
    except ForbiddenIO as error:
        problem = f"io: {error}"
    except Exception as error:  # noqa: BLE001 - the exception is the outcome
        raised = error
    finally:
        sys.stdout, sys.stderr = saved_out, saved_err
    return Probe(frozenset(tracer.arcs), returned, raised, problem, printed.getvalue())


@contextmanager
def _nothing() -> Iterator[None]:
    yield
