"""The ``files`` boundary: what a call reads from files, and what it writes to them.

Reads through ``open``, ``io.open`` and ``pathlib`` are taped with the file's content
and answered from the tape on replay (the file need not exist). Writes (a file opened
for writing or appending, ``os.makedirs``/``mkdir``, ``os.remove``, ``os.rename`` and
``replace``, ``shutil`` copies, moves and ``rmtree``) are taped with the path relative
to the project and the content written; on replay they are captured for comparison and
performed on nothing real. Existence checks (``os.path.exists``, ``Path.is_file``, ...)
are answered from the tape too. Temporary files, the project's code and the
interpreter's libraries are left alone.

A file opened for writing inside the call is written when it is closed (or when the
call returns, if it is still open), so the tape holds everything written to it.
"""

from __future__ import annotations

import builtins
import io
import os
import pathlib
import shutil
from collections.abc import Callable
from typing import Any, NamedTuple

from legacy_harness.record.boundaries.base import Boundary, Undo, patch_attribute
from legacy_harness.record.boundaries.context import Channel, current, passthrough, relative
from legacy_harness.record.boundaries.functions import raised_tree, rebuild_exception
from legacy_harness.record.boundaries.paths import rules_for
from legacy_harness.record.boundaries.tape import Interaction, InteractionKind

__all__ = ["FilesBoundary"]

NAME = "files"


def _taped_path(channel: Channel | None, path: Any) -> str | None:
    """The path as taped, or None when the call should go to the real file system."""
    if channel is None:
        return None
    rules = rules_for(channel.root)
    absolute = rules.absolute(path)
    if absolute is None or not rules.taped(absolute):
        return None
    return relative(absolute, channel.root)


def _content(data: bytes, channel: Channel) -> dict[str, Any]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"bytes": channel.encode(data)}


def _data(result: dict[str, Any], channel: Channel) -> bytes:
    if "text" in result:
        return str(result["text"]).encode("utf-8")
    value = channel.decode(result.get("bytes"))
    return value if isinstance(value, bytes) else b""


class _Open(NamedTuple):
    """One intercepted ``open``: the file as the caller named it, the mode, the path as
    taped, and the other arguments by name."""

    file: Any
    mode: str
    path: str
    options: dict[str, Any]

    def layered(self, buffer: Any, **more: Any) -> Any:
        """``buffer`` as the caller asked for it: itself in binary mode, else text."""
        if "b" in self.mode:
            return buffer
        options = self.options
        return io.TextIOWrapper(
            buffer,
            encoding=options.get("encoding"),
            errors=options.get("errors"),
            newline=options.get("newline"),
            **more,
        )


def _memory_file(data: bytes, opened: _Open) -> Any:
    buffer = io.BytesIO(data)
    buffer.name = opened.file  # type: ignore[attr-defined]
    return opened.layered(buffer)


class _WrittenFile(io.BytesIO):
    """Collects what the call writes; hands it over once, when closed."""

    def __init__(self, name: Any, deliver: Callable[[bytes], None]) -> None:
        super().__init__()
        self.name = name
        self.deliver: Callable[[bytes], None] | None = deliver

    def close(self) -> None:
        deliver, self.deliver = self.deliver, None
        if deliver is not None and not self.closed:
            data = self.getvalue()
            super().close()
            deliver(data)
        super().close()


def _outcome(channel: Channel, asked: Interaction, run: Callable[[], Any]) -> Any:
    """Record: run for real and tape (an exception too). Replay: answer from the tape."""
    if channel.replaying:
        if asked.kind is InteractionKind.READ:
            found: Interaction | None = channel.read(asked)
        else:
            found = channel.write(asked)
        result = found.result if found is not None else {}
        if "raised" in result:
            raise rebuild_exception(result["raised"], channel)
        return result.get("value")
    return _run_taped(
        channel, asked, run, lambda value: {"value": value} if isinstance(value, bool) else {}
    )


def _run_taped(
    channel: Channel,
    asked: Interaction,
    run: Callable[[], Any],
    result: Callable[[Any], dict[str, Any]],
) -> Any:
    """Record: run for real and tape ``result(value)``, or the exception it raised."""
    try:
        with passthrough():
            value = run()
    except Exception as error:
        asked.result = {"raised": raised_tree(error, channel)}
        channel.tape(asked)
        raise
    asked.result = result(value)
    channel.tape(asked)
    return value


def _read_whole(original: Callable[..., Any], file: Any) -> bytes:
    with original(file, "rb") as real:
        data: bytes = real.read()
    return data


#: Every function the boundary wraps besides ``open``: (wrapper, operation taped, owner,
#: attribute). "one" takes a path and writes, "two" a source and a destination, "check"
#: asks about a path (a read whose answer is a bool).
_OPERATIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("one", "mkdir", os, "mkdir"),
    ("one", "makedirs", os, "makedirs"),
    ("one", "remove", os, "remove"),
    ("one", "remove", os, "unlink"),
    ("one", "rmdir", os, "rmdir"),
    ("one", "rmtree", shutil, "rmtree"),
    ("two", "rename", os, "rename"),
    ("two", "rename", os, "replace"),
    ("two", "copy", shutil, "copyfile"),
    ("two", "copy", shutil, "copy"),
    ("two", "copy", shutil, "copy2"),
    ("two", "copy", shutil, "copytree"),
    ("two", "move", shutil, "move"),
    ("check", "exists", os.path, "exists"),
    ("check", "isfile", os.path, "isfile"),
    ("check", "isdir", os.path, "isdir"),
    ("check", "exists", pathlib.Path, "exists"),
    ("check", "isfile", pathlib.Path, "is_file"),
    ("check", "isdir", pathlib.Path, "is_dir"),
)


class FilesBoundary(Boundary):
    """``files``: reads answered from the tape, writes compared and never performed."""

    name = NAME
    category = NAME

    def patch(self) -> list[Undo]:
        opener = self._opener(builtins.open)
        undos = [patch_attribute(builtins, "open", opener), patch_attribute(io, "open", opener)]
        wrap = {"one": self._one_path, "two": self._two_paths, "check": self._check}
        for how, op, owner, attribute in _OPERATIONS:
            undos.append(
                patch_attribute(owner, attribute, wrap[how](op, getattr(owner, attribute)))
            )
        return undos

    # -- open ------------------------------------------------------------------------

    def _opener(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def taped_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            channel = current()
            path = _taped_path(channel, file)
            if channel is None or path is None:
                return original(file, mode, *args, **kwargs)
            names = ("buffering", "encoding", "errors", "newline", "closefd", "opener")
            options = {**dict(zip(names, args, strict=False)), **kwargs}
            if options.get("opener") is not None:  # the opener decides what is opened
                return original(file, mode, *args, **kwargs)
            if "+" in mode:
                detail = f"opened {path} for reading and writing ({mode!r})"
                if channel.replaying:
                    raise channel.block(detail, "")
                channel.note(detail, "")
                return original(file, mode, *args, **kwargs)
            opened = _Open(file, mode, path, options)
            if any(flag in mode for flag in "wax"):
                return self._writer(channel, original, opened)
            return self._reader(channel, original, opened)

        return taped_open

    def _reader(self, channel: Channel, original: Callable[..., Any], opened: _Open) -> Any:
        asked = Interaction(NAME, InteractionKind.READ, {"op": "read", "path": opened.path})
        if channel.replaying:
            result = channel.read(asked).result
            if "raised" in result:
                raise rebuild_exception(result["raised"], channel)
            return _memory_file(_data(result, channel), opened)
        data = _run_taped(
            channel,
            asked,
            lambda: _read_whole(original, opened.file),
            lambda data: _content(data, channel),
        )
        return _memory_file(data, opened)

    def _writer(self, channel: Channel, original: Callable[..., Any], opened: _Open) -> Any:
        flag = next(flag for flag in "wax" if flag in opened.mode)
        path = opened.path
        real: Any = None
        if not channel.replaying:
            with passthrough():  # errors (a missing folder) and truncation happen now, as usual
                real = original(opened.file, flag + "b")

        def deliver(data: bytes) -> None:
            call = {"op": "write", "path": path, "mode": flag, **_content(data, channel)}
            if real is not None:
                with passthrough():
                    real.write(data)
                    real.close()
                channel.tape(Interaction(NAME, InteractionKind.WRITE, call))
            else:
                channel.write(Interaction(NAME, InteractionKind.WRITE, call))

        written = _WrittenFile(opened.file, deliver)
        channel.on_exit.append(written.close)
        return opened.layered(written, write_through=True)

    # -- other operations ------------------------------------------------------------

    def _one_path(
        self, op: str, original: Callable[..., Any], kind: InteractionKind = InteractionKind.WRITE
    ) -> Callable[..., Any]:
        def operation(path: Any, *args: Any, **kwargs: Any) -> Any:
            channel = current()
            shown = _taped_path(channel, path)
            if channel is None or shown is None:
                return original(path, *args, **kwargs)
            asked = Interaction(NAME, kind, {"op": op, "path": shown})
            value = _outcome(channel, asked, lambda: original(path, *args, **kwargs))
            return bool(value) if kind is InteractionKind.READ else value

        operation.__name__ = getattr(original, "__name__", op)
        return operation

    def _two_paths(self, op: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def operation(source: Any, destination: Any, *args: Any, **kwargs: Any) -> Any:
            channel = current()
            if channel is None:
                return original(source, destination, *args, **kwargs)
            shown = _taped_path(channel, source), _taped_path(channel, destination)
            if shown == (None, None):
                return original(source, destination, *args, **kwargs)
            call = {
                "op": op,
                "path": shown[0] or relative(source, channel.root),
                "to": shown[1] or relative(destination, channel.root),
            }
            if channel.replaying and shown[1] is None:
                raise channel.block(f"{op} {call['path']} to {call['to']}", "")
            asked = Interaction(NAME, InteractionKind.WRITE, call)
            value = _outcome(channel, asked, lambda: original(source, destination, *args, **kwargs))
            return destination if channel.replaying else value

        operation.__name__ = getattr(original, "__name__", op)
        return operation

    def _check(self, op: str, original: Callable[..., Any]) -> Callable[..., Any]:
        """``exists``, ``isfile``, ``isdir``: a read of one path, answered with a bool."""
        return self._one_path(op, original, InteractionKind.READ)
