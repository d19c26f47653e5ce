"""Boundaries: the outside resources a target reads and writes, taped for hermetic replay.

Declared with ``--boundary NAME`` (repeatable) or ``boundaries = [...]`` in
``[tool.legacy_harness]``:

- ``clock``: wall-clock and monotonic readings (time-machine);
- ``uuid``: ``uuid1``/``uuid4``, ``os.urandom``, ``secrets.token_*``;
- ``sqlite3`` and ``dbapi:MODULE.connect``: statements, parameters and rows;
- ``http``: requests and responses (``http.client``, and vcrpy for other clients);
- ``files``: files read and written, folders made, files removed and renamed;
- ``MODULE:QUALNAME``: any function or method, arguments in, result out.

A :class:`BoundarySet` installs the patches; a :class:`~.context.Channel` opened around
each call decides what they do. The audit guard (:mod:`.guard`) watches what no declared
boundary covers: noted when recording, blocked on replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from legacy_harness.errors import ConfigError
from legacy_harness.record.boundaries.base import Boundary, Undo
from legacy_harness.record.boundaries.context import Channel, Mode
from legacy_harness.record.boundaries.tape import (
    Cassette,
    Interaction,
    InteractionKind,
    Mismatch,
    tape_from_tree,
    tape_to_tree,
    writes_view,
)
from legacy_harness.store import codec

__all__ = [
    "BUILTIN",
    "BoundarySet",
    "Channel",
    "Interaction",
    "InteractionKind",
    "Mismatch",
    "Mode",
    "handed_connections",
    "suggestion",
    "tape_from_tree",
    "tape_to_tree",
    "writes_view",
    "held",
]

#: The boundaries known by name; the others are ``dbapi:MODULE.connect`` and
#: ``MODULE:QUALNAME``.
BUILTIN = ("clock", "uuid", "sqlite3", "http", "files")


def _make(name: str) -> Boundary:
    from legacy_harness.record.boundaries.clock import ClockBoundary
    from legacy_harness.record.boundaries.database import DatabaseBoundary
    from legacy_harness.record.boundaries.entropy import EntropyBoundary
    from legacy_harness.record.boundaries.files import FilesBoundary
    from legacy_harness.record.boundaries.functions import FunctionBoundary
    from legacy_harness.record.boundaries.web import HttpBoundary

    makers: dict[str, Callable[[], Boundary]] = {
        "clock": ClockBoundary,
        "uuid": EntropyBoundary,
        "sqlite3": lambda: DatabaseBoundary("sqlite3", "sqlite3", "connect"),
        "http": HttpBoundary,
        "files": FilesBoundary,
    }
    if name in makers:
        return makers[name]()
    if name.startswith("dbapi:"):
        module, _, attribute = name.removeprefix("dbapi:").rpartition(".")
        parts = [*module.split("."), attribute]
        if not module or not all(part.isidentifier() for part in parts):
            raise ConfigError(
                f"boundary {name!r} is not of the form dbapi:MODULE.connect, e.g. dbapi:psycopg.connect"
            )
        return DatabaseBoundary(name, module, attribute)
    module, sep, qualname = name.partition(":")
    parts = [*module.split("."), *qualname.split(".")]
    if sep and module and qualname and all(part.isidentifier() for part in parts):
        return FunctionBoundary(name)
    raise ConfigError(
        f"unknown boundary {name!r}; use one of {', '.join(BUILTIN)},"
        " dbapi:MODULE.connect (a DB-API driver) or MODULE:QUALNAME (a function)"
    )


_lock = threading.RLock()
#: name -> (boundary, undo functions, how many sets have it installed)
_installed: dict[str, tuple[Boundary, list[Undo], int]] = {}
#: while positive, boundaries no set uses stay patched (see :func:`held`)
_holds = [0]


@contextmanager
def held() -> Iterator[None]:
    """Keep boundaries patched between the replays run in the block.

    Patching costs milliseconds (vcrpy, when loaded, patches every HTTP client it knows), so a run over
    many cases installs each boundary once; the patches call straight through between
    calls, and are undone when the block ends.
    """
    with _lock:
        _holds[0] += 1
    try:
        yield
    finally:
        with _lock:
            _holds[0] -= 1
            if not _holds[0]:
                for name, (_, undos, count) in list(_installed.items()):
                    if count == 0:
                        del _installed[name]
                        for undo in reversed(undos):
                            undo()


class BoundarySet:
    """The boundaries declared for a recording, or recorded with a case."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        unique: list[str] = []
        for name in names:
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(f"boundary names are strings, e.g. clock; got {name!r}")
            if name.strip() not in unique:
                unique.append(name.strip())
        self.boundaries = [_make(name) for name in unique]
        self.watchers: list[Undo] = []

    @classmethod
    def from_config(cls, table: Mapping[str, Any], extra: Sequence[str] = ()) -> BoundarySet:
        """``boundaries = [...]`` of ``[tool.legacy_harness]``, plus ``--boundary`` names."""
        configured = table.get("boundaries", [])
        if not isinstance(configured, list) or not all(isinstance(n, str) for n in configured):
            raise ConfigError(
                '[tool.legacy_harness] boundaries must be a list of names, e.g. boundaries = ["sqlite3", "clock"]'
            )
        return cls([*configured, *extra])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(boundary.name for boundary in self.boundaries)

    @property
    def declared(self) -> frozenset[str]:
        """Names and guard categories the set covers."""
        return frozenset({b.name for b in self.boundaries} | {b.category for b in self.boundaries})

    def __bool__(self) -> bool:
        return bool(self.boundaries)

    # -- patches ---------------------------------------------------------------------

    def install(self, *, watch_clock: bool = False) -> None:
        """Load each boundary's library and apply its patches (shared between sets);
        ``watch_clock`` also notes clock readings when ``clock`` is not declared."""
        from legacy_harness.record.boundaries.guard import install_guard

        install_guard()
        done: list[Boundary] = []
        try:
            for boundary in self.boundaries:
                with _lock:
                    entry = _installed.get(boundary.name)
                    if entry is None:
                        boundary.load()
                        _installed[boundary.name] = (boundary, boundary.patch(), 1)
                    else:
                        _installed[boundary.name] = (entry[0], entry[1], entry[2] + 1)
                done.append(boundary)
        except BaseException:
            self._release(done)
            raise
        if watch_clock and "clock" not in self.names:
            from legacy_harness.record.boundaries.clock import clock_reader

            undo = clock_reader()
            if undo is not None:
                self.watchers.append(undo)

    def uninstall(self) -> None:
        for undo in reversed(self.watchers):
            undo()
        self.watchers.clear()
        self._release(self.boundaries)

    @staticmethod
    def _release(boundaries: Sequence[Boundary]) -> None:
        with _lock:
            for boundary in reversed(boundaries):
                entry = _installed.get(boundary.name)
                if entry is None:
                    continue
                if entry[2] > 1 or _holds[0]:
                    _installed[boundary.name] = (entry[0], entry[1], max(entry[2] - 1, 0))
                    continue
                del _installed[boundary.name]
                for undo in reversed(entry[1]):
                    undo()

    @contextmanager
    def installed(self) -> Iterator[BoundarySet]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    def _active(self) -> list[Boundary]:
        """The installed instance of each boundary (the first set to install it)."""
        with _lock:
            return [_installed[b.name][0] if b.name in _installed else b for b in self.boundaries]

    # -- channels --------------------------------------------------------------------

    def recording(self, root: Path, blobs: dict[str, bytes]) -> Channel:
        """A channel for one recorded call: taping, and noting undeclared access."""
        channel = Channel(
            Mode.RECORD, root=root, declared=self.declared, blobs=blobs.get, new_blobs=blobs
        )
        for boundary in self._active():
            boundary.prepare()
            channel.swappers.extend(boundary.swappers())
        return channel

    def replaying(
        self,
        tape: Sequence[Interaction],
        root: Path,
        policy: codec.ClassPolicy,
        blobs: Any,
        new_blobs: dict[str, bytes],
    ) -> Channel:
        """A channel for one replayed call: answering from ``tape`` (its blobs read with
        ``blobs``), keeping today's writes (their blobs in ``new_blobs``), blocking the rest."""
        for boundary in self._active():
            boundary.prepare()
        return Channel(
            Mode.REPLAY,
            root=root,
            declared=self.declared,
            cassette=Cassette(tape),
            policy=policy,
            blobs=blobs,
            new_blobs=new_blobs,
        )


def suggestion(notes: Mapping[str, str], declared: Iterable[str] = ()) -> str:
    """One line naming the undeclared access and the boundaries to add, e.g.
    ``opened billing.db (sqlite3) and read the clock: add boundaries = ["sqlite3", "clock"]``
    (at most two details per boundary, then how many more)."""
    if not notes:
        return ""
    grouped: dict[str, list[str]] = {}
    for detail, boundary in notes.items():
        grouped.setdefault(boundary, []).append(detail)
    details: list[str] = []
    for group in grouped.values():
        details += group[:2]
        if len(group) > 2:
            details[-1] += f" (and {len(group) - 2} more)"
    text = details[0] if len(details) == 1 else ", ".join(details[:-1]) + " and " + details[-1]
    wanted = [name for name in grouped if name in BUILTIN]
    if "socket" in grouped:
        wanted.append("dbapi:MODULE.connect")
    if wanted:
        names = ", ".join(f'"{name}"' for name in [*declared, *wanted])
        text += f": add boundaries = [{names}]"
    if "" in grouped:
        text += "; no boundary covers a process or a socket: declare the function doing it as MODULE:QUALNAME"
    return text


def handed_connections(inputs: Mapping[str, Any], declared: frozenset[str]) -> dict[str, str]:
    """Notes for sqlite3 connections handed to a call (as arguments or in ``self``) when
    the ``sqlite3`` boundary is not declared: the case cannot store them."""
    import sys

    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or "sqlite3" in declared:
        return {}
    values = [*inputs.get("args", []), *inputs.get("kwargs", {}).values()]
    values += list(getattr(inputs.get("self"), "__dict__", {}).values())
    if any(isinstance(value, sqlite3.Connection) for value in values):
        return {"was handed a sqlite3 connection": "sqlite3"}
    return {}
