"""The audit-hook guard: outside access no declared boundary covers.

One ``sys.addaudithook`` hook, installed once per process, watches the thread running a
target's call. While recording it notes each kind of outside access (a file written, a
database opened, a socket connected, a process started, a data file read) with the
boundary that would cover it, for the summary. On replay it blocks what would change the
world or reach outside it: writes, deletes, renames, connects, processes, and reads
outside the project and the interpreter. Verification must never change the world.

Boundaries do their real work inside :func:`context.passthrough`, which the hook ignores;
outside calls (no open channel) it returns at once.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from legacy_harness.record.boundaries.context import (
    OPEN_CALLS,
    Channel,
    Mode,
    in_passthrough,
    passthrough,
    relative,
    stack,
)
from legacy_harness.record.boundaries.paths import PathRules, rules_for

__all__ = ["install_guard"]

#: open() flags that make an open a write.
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
MEMORY_DATABASES = ("", ":memory:")

#: (detail shown to the user, boundary that covers it or "", blocked on replay?)
Finding = tuple[str, str, bool]


def _writable(path: str, rules: PathRules) -> bool:
    """Writes a replay may do: scratch files, compiled bytecode, device files."""
    return rules.is_temporary(path) or path.endswith(".pyc") or path.startswith("/dev/")


def _written(detail: str, raw: Any, channel: Channel, rules: PathRules) -> Finding | None:
    path = rules.absolute(raw)
    if path is None or _writable(path, rules):
        return None
    return f"{detail} {relative(path, channel.root)}", "files", True


def _open(args: tuple[Any, ...], channel: Channel, rules: PathRules) -> Finding | None:
    raw, mode, flags = (tuple(args) + (None, None, 0))[:3]
    path = rules.absolute(raw)
    if path is None:
        return None
    if (isinstance(flags, int) and flags & WRITE_FLAGS) or (
        isinstance(mode, str) and any(flag in mode for flag in "wax+")
    ):
        return _written("wrote", raw, channel, rules)
    if rules.is_temporary(path) or rules.is_library(path):
        return None
    in_project = rules.in_project(path)
    if in_project and rules.is_source(path):
        return None
    return f"read {relative(path, channel.root)}", "files", not in_project


def _connect_database(args: tuple[Any, ...], channel: Channel, rules: PathRules) -> Finding | None:
    database = args[0] if args else ""
    if str(database) in MEMORY_DATABASES or str(database).startswith("file::memory:"):
        return None
    return f"opened {relative(database, channel.root)} (sqlite3)", "sqlite3", True


def _http_connect(args: tuple[Any, ...], channel: Channel, rules: PathRules) -> Finding | None:
    host, port = (tuple(args[1:]) + (None, None))[:2]
    channel.memo.add(("port", port))
    return f"connected to {host}:{port} over HTTP", "http", True


def _socket_connect(args: tuple[Any, ...], channel: Channel, rules: PathRules) -> Finding | None:
    address = args[1] if len(args) > 1 else None
    if isinstance(address, tuple) and len(address) >= 2:
        if ("port", address[1]) in channel.memo:
            return None  # the HTTP connect just noted
        where = f"{address[0]}:{address[1]}"
    else:
        where = str(address)
    return f"connected to {where}", "socket", True


def _process(args: tuple[Any, ...], channel: Channel, rules: PathRules) -> Finding | None:
    command = args[1] if len(args) > 1 and args[1] else (args[0] if args else "")
    if isinstance(command, (list, tuple)):
        command = " ".join(str(part) for part in command[:3])
    return f"started a process ({command})", "", True


def _paths(detail: str, *positions: int) -> Callable[..., Finding | None]:
    def judge(args: tuple[Any, ...], channel: Channel, rules: PathRules) -> Finding | None:
        for position in positions:
            if position < len(args):
                found = _written(detail, args[position], channel, rules)
                if found is not None:
                    return found
        return None

    return judge


HANDLERS: dict[str, Callable[[tuple[Any, ...], Channel, PathRules], Finding | None]] = {
    "open": _open,
    "os.remove": _paths("deleted", 0),
    "os.rmdir": _paths("deleted", 0),
    "shutil.rmtree": _paths("deleted", 0),
    "os.rename": _paths("renamed", 0, 1),
    "os.mkdir": lambda args, channel, rules: (
        None
        if args and os.path.isdir(args[0])
        else _paths("created folder", 0)(args, channel, rules)
    ),
    "os.truncate": _paths("truncated", 0),
    "os.link": _paths("linked", 1),
    "os.symlink": _paths("linked", 1),
    "os.chmod": _paths("changed the mode of", 0),
    "shutil.copyfile": _paths("copied to", 1),
    "shutil.copytree": _paths("copied to", 1),
    "shutil.move": _paths("moved to", 1),
    "sqlite3.connect": _connect_database,
    "http.client.connect": _http_connect,
    "socket.connect": _socket_connect,
    "socket.bind": lambda args, channel, rules: ("listened on a socket", "", True),
    "subprocess.Popen": _process,
    "os.system": lambda args, channel, rules: (f"ran a command ({args[0]!r})", "", True),
    "os.exec": _process,
    "os.posix_spawn": _process,
    "os.spawn": _process,
    "os.fork": lambda args, channel, rules: ("forked the process", "", True),
    "os.kill": lambda args, channel, rules: ("sent a signal", "", True),
}


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not OPEN_CALLS[0]:
        return
    handler = HANDLERS.get(event)
    if handler is None or in_passthrough():
        return
    channels = stack()
    if not channels:
        return
    channel = channels[-1]
    with passthrough():  # what judging does (path checks) is not the call's access
        found = handler(args, channel, rules_for(channel.root))
    if found is None:
        return
    detail, boundary, blocked = found
    if channel.mode is Mode.RECORD:
        channel.note(detail, boundary)
    elif blocked:
        raise channel.block(detail, boundary)


_installed = threading.Lock()
_done: list[bool] = []


def install_guard() -> None:
    """Add the audit hook (once per process: audit hooks cannot be removed)."""
    with _installed:
        if not _done:
            sys.addaudithook(_hook)
            _done.append(True)
