"""The ``sqlite3`` and ``dbapi:MODULE.connect`` boundaries: statements on the tape.

While recording, connections the target opens (and connections it is handed as an
argument or holds in ``self``) are wrapped in a recording proxy: each statement runs
for real, and its SQL, parameters and rows (or row count) are taped. On replay a
stand-in connection answers queries from the tape and captures inserts, updates and
commits for comparison; the database is never opened and need not exist.

Rows are taped below any ``row_factory`` (plain tuples as lists), and the factory is
applied when they are served, so ``sqlite3.Row`` and custom factories replay as recorded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from legacy_harness.errors import CodecError, ForbiddenIO, HarnessError
from legacy_harness.record.boundaries.base import Boundary, Undo, patch_attribute
from legacy_harness.record.boundaries.context import Channel, current, passthrough, relative
from legacy_harness.record.boundaries.functions import raised_tree, rebuild_exception
from legacy_harness.record.boundaries.tape import Interaction, InteractionKind
from legacy_harness.store import codec

__all__ = ["DatabaseBoundary", "RecordingConnection", "StandInConnection"]

#: First words of statements that answer with rows (a changed one is a failed read).
QUERY_WORDS = ("select", "with", "pragma", "values", "explain", "show", "describe", "table")


def _sql(text: str) -> str:
    return " ".join(str(text).split())


def _looks_like_query(sql: str) -> bool:
    first = sql.lstrip("( ").split(" ", 1)[0].lower()
    return first in QUERY_WORDS


def _params(channel: Channel, parameters: Any) -> Any:
    if isinstance(parameters, tuple):
        parameters = list(parameters)
    return channel.encode(parameters)


class _Rows:
    """A cursor's buffered result: served by fetchone/fetchmany/fetchall/iteration."""

    description: Any = None
    rowcount: int = -1
    lastrowid: Any = None
    arraysize: int = 1

    def _serve(self, rows: list[Any]) -> None:
        self._buffer = rows
        self._position = 0

    def _shape(self, row: Any) -> Any:
        return row

    def fetchone(self) -> Any:
        buffer = getattr(self, "_buffer", None) or []
        if self._position >= len(buffer):
            return None
        self._position += 1
        return self._shape(buffer[self._position - 1])

    def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self.arraysize if size is None else size
        buffer = getattr(self, "_buffer", None) or []
        chunk = buffer[self._position : self._position + size]
        self._position += len(chunk)
        return [self._shape(row) for row in chunk]

    def fetchall(self) -> list[Any]:
        buffer = getattr(self, "_buffer", None) or []
        rest = buffer[self._position :]
        self._position = len(buffer)
        return [self._shape(row) for row in rest]

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._buffer = []

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass


# -- recording ------------------------------------------------------------------------


class RecordingCursor(_Rows):
    """A real cursor whose statements are taped while a call is recorded."""

    def __init__(self, connection: RecordingConnection, real: Any) -> None:
        self.connection = connection
        self.real = real
        self.buffered = False
        self._serve([])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def _shape(self, row: Any) -> Any:
        factory = self.connection.row_factory
        return factory(self.real, row) if factory is not None else row

    def _run(self, call: dict[str, Any], run: Callable[[], Any]) -> RecordingCursor:
        channel = current()
        owner = self.connection.boundary
        if channel is None:
            self.buffered = False
            if owner.sqlite:
                self.real.row_factory = self.connection.row_factory
            run()
            self.description = self.real.description
            self.rowcount = self.real.rowcount
            self.lastrowid = getattr(self.real, "lastrowid", None)
            return self
        if channel.replaying:
            raise channel.block(f"used a live {owner.name} connection", owner.name)
        if owner.sqlite:
            self.real.row_factory = None  # tape plain rows; the factory is applied when served
        try:
            with passthrough():
                run()
                description = self.real.description
                rows = list(self.real.fetchall()) if description is not None else []
        except Exception as error:
            kind = InteractionKind.WRITE if "sql" not in call else _kind_of(call["sql"])
            channel.tape(
                Interaction(owner.name, kind, call, {"raised": raised_tree(error, channel)})
            )
            raise
        self.buffered = True
        self.description = description
        self.rowcount = self.real.rowcount
        self.lastrowid = getattr(self.real, "lastrowid", None)
        self._serve(rows)
        if description is not None:
            plain = all(isinstance(row, tuple) for row in rows)
            result: dict[str, Any] = {
                "columns": [column[0] for column in description],
                "rows": channel.encode([list(row) for row in rows] if plain else rows),
            }
            if not plain:
                result["plain"] = False
            channel.tape(Interaction(owner.name, InteractionKind.READ, call, result))
        else:
            result = {"rowcount": self.rowcount, "lastrowid": channel.encode(self.lastrowid)}
            channel.tape(Interaction(owner.name, InteractionKind.WRITE, call, result))
        return self

    def execute(self, sql: str, parameters: Any = ()) -> RecordingCursor:
        channel = current()
        call = {"sql": _sql(sql), "params": _params(channel, parameters)} if channel else {}
        return self._run(call, lambda: self.real.execute(sql, parameters))

    def executemany(self, sql: str, seq_of_parameters: Any) -> RecordingCursor:
        rows = [list(p) if isinstance(p, tuple) else p for p in seq_of_parameters]
        channel = current()
        call = {"sql": _sql(sql), "params_seq": channel.encode(rows)} if channel else {}
        return self._run(call, lambda: self.real.executemany(sql, rows))

    def executescript(self, script: str) -> RecordingCursor:
        return self._run({"script": _sql(script)}, lambda: self.real.executescript(script))

    def fetchone(self) -> Any:
        return super().fetchone() if self.buffered else self.real.fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        if not self.buffered:
            return list(self.real.fetchmany(self.arraysize if size is None else size))
        return super().fetchmany(size)

    def fetchall(self) -> list[Any]:
        return super().fetchall() if self.buffered else list(self.real.fetchall())

    def close(self) -> None:
        super().close()
        self.real.close()


def _kind_of(sql: str) -> InteractionKind:
    return InteractionKind.READ if _looks_like_query(sql) else InteractionKind.WRITE


class _Connection:
    """What both connection wrappers share: ``execute`` shortcuts and transactions."""

    boundary: DatabaseBoundary
    row_factory: Any = None

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> Any:
        return self.cursor().executescript(script)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is None:
            self.commit()
        else:
            self.rollback()

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError


class RecordingConnection(_Connection):
    """A real connection whose statements and commits are taped while a call is recorded."""

    def __init__(self, real: Any, boundary: DatabaseBoundary) -> None:
        self.real = real
        self.boundary = boundary
        self.row_factory = getattr(real, "row_factory", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def cursor(self, *args: Any, **kwargs: Any) -> RecordingCursor:
        return RecordingCursor(self, self.real.cursor(*args, **kwargs))

    def _transaction(self, op: str) -> None:
        channel = current()
        if channel is None:
            getattr(self.real, op)()
            return
        if channel.replaying:
            raise channel.block(f"used a live {self.boundary.name} connection", self.boundary.name)
        with passthrough():
            getattr(self.real, op)()
        channel.tape(Interaction(self.boundary.name, InteractionKind.WRITE, {"op": op}))

    def commit(self) -> None:
        self._transaction("commit")

    def rollback(self) -> None:
        self._transaction("rollback")

    def close(self) -> None:
        self.real.close()


# -- replaying ------------------------------------------------------------------------


def _replaying(boundary: str) -> Channel:
    channel = current()
    if channel is None or not channel.replaying:
        raise ForbiddenIO(
            f"a stand-in {boundary} connection was used outside a replayed call;"
            " it answers only from a case's tape"
        )
    return channel


class StandInCursor(_Rows):
    """Answers queries from the tape and captures writes; touches no database."""

    def __init__(self, connection: StandInConnection) -> None:
        self.connection = connection
        self._serve([])

    def _shape(self, row: Any) -> Any:
        factory = self.connection.row_factory
        if factory is None:
            return row
        if self.connection.boundary.sqlite:
            return factory(self.connection.boundary.shape_cursor(self.description), row)
        return factory(self, row)

    def _answer(self, channel: Channel, found: Interaction) -> StandInCursor:
        result = found.result
        if "raised" in result:
            raise rebuild_exception(
                result["raised"], channel, trusted=(self.connection.boundary.module_name,)
            )
        columns = result.get("columns")
        if columns is not None:
            rows = channel.decode(result.get("rows", []))
            if result.get("plain", True):
                rows = [tuple(row) for row in rows]
            self.description = tuple((name, None, None, None, None, None, None) for name in columns)
            self.rowcount = -1
            self._serve(rows)
        else:
            self.description = None
            self.rowcount = int(result.get("rowcount", -1))
            self.lastrowid = channel.decode(result.get("lastrowid"))
            self._serve([])
        return self

    def _write(self, channel: Channel, call: dict[str, Any]) -> StandInCursor:
        name = self.connection.boundary.name
        recorded = channel.write(Interaction(name, InteractionKind.WRITE, call))
        if recorded is not None:
            return self._answer(channel, recorded)
        self.description, self.rowcount, self.lastrowid = None, -1, None
        self._serve([])
        return self

    def execute(self, sql: str, parameters: Any = ()) -> StandInCursor:
        channel = _replaying(self.connection.boundary.name)
        call = {"sql": _sql(sql), "params": _params(channel, parameters)}
        asked = Interaction(self.connection.boundary.name, InteractionKind.READ, call)
        found = channel.take(asked)
        if found is not None:
            return self._answer(channel, found)
        if _looks_like_query(call["sql"]):
            raise ForbiddenIO(channel.miss(asked).render())
        return self._write(channel, call)

    def executemany(self, sql: str, seq_of_parameters: Any) -> StandInCursor:
        channel = _replaying(self.connection.boundary.name)
        rows = [list(p) if isinstance(p, tuple) else p for p in seq_of_parameters]
        return self._write(channel, {"sql": _sql(sql), "params_seq": channel.encode(rows)})

    def executescript(self, script: str) -> StandInCursor:
        channel = _replaying(self.connection.boundary.name)
        return self._write(channel, {"script": _sql(script)})


class StandInConnection(_Connection):
    """The connection a replayed call gets: every statement is answered by the tape."""

    def __init__(self, boundary: DatabaseBoundary, database: str = "") -> None:
        self.boundary = boundary
        self.database = database
        self.row_factory = None

    def cursor(self, *args: Any, **kwargs: Any) -> StandInCursor:
        return StandInCursor(self)

    def _transaction(self, op: str) -> None:
        channel = _replaying(self.boundary.name)
        channel.write(Interaction(self.boundary.name, InteractionKind.WRITE, {"op": op}))

    def commit(self) -> None:
        self._transaction("commit")

    def rollback(self) -> None:
        self._transaction("rollback")

    def close(self) -> None:
        pass

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StandInConnection):
            return NotImplemented
        return self.boundary.name == other.boundary.name

    def __hash__(self) -> int:
        return hash(self.boundary.name)

    def __repr__(self) -> str:
        return f"<stand-in {self.boundary.name} connection>"


# -- the boundary ---------------------------------------------------------------------

#: boundary name -> the loaded boundary, for rebuilding connections from golden files
_LOADED: dict[str, DatabaseBoundary] = {}


def _encode_wrapper(connection: RecordingConnection | StandInConnection) -> dict[str, str]:
    return {"boundary": connection.boundary.name}


def _decode_connection(value: Any) -> StandInConnection:
    """A connection in a case's inputs comes back as a stand-in for its boundary."""
    name = value.get("boundary") if isinstance(value, dict) else None
    boundary = _LOADED.get(str(name))
    if boundary is None:
        raise CodecError(
            f"a {name} connection in the inputs, but the case does not declare boundary {name!r};"
            " re-record it with that boundary"
        )
    return StandInConnection(boundary)


class DatabaseBoundary(Boundary):
    """``sqlite3``, or ``dbapi:MODULE.connect`` for any DB-API 2 driver."""

    def __init__(self, name: str, module: str, attribute: str) -> None:
        self.name = name
        self.module_name = module
        self.attribute = attribute
        self.sqlite = module == "sqlite3"
        self.category = "sqlite3" if self.sqlite else "socket"
        self._shape_cursors: dict[tuple[str, ...], Any] = {}

    def load(self) -> None:
        try:
            self.module = importlib.import_module(self.module_name)
        except ImportError:
            raise HarnessError(
                f"boundary {self.name!r}: module {self.module_name!r} cannot be imported;"
                f" install the driver (pip install {self.module_name})"
            ) from None
        connect = getattr(self.module, self.attribute, None)
        if not callable(connect):
            raise HarnessError(
                f"boundary {self.name!r}: {self.module_name}.{self.attribute} is not a function;"
                " name the driver's connect function, e.g. dbapi:psycopg.connect"
            )
        self.connect: Callable[..., Any] = connect
        self.connection_classes = self._connection_classes()
        # a connection in a case's inputs is stored as the boundary it stands for, and
        # rebuilt on replay as a stand-in (``{"$custom": "boundary:sqlite3", ...}``)
        _LOADED[self.name] = self
        for cls in self.connection_classes:
            codec.register_codec(
                cls,
                name=f"boundary:{self.name}",
                encode=self._encode_connection,
                decode=_decode_connection,
            )
        for cls in (RecordingConnection, StandInConnection):
            codec.register_codec(
                cls,
                name=f"boundary:{cls.__name__}",
                encode=_encode_wrapper,
                decode=_decode_connection,
            )

    def _connection_classes(self) -> tuple[type, ...]:
        found = getattr(self.module, "Connection", None)
        if found is None:
            found = getattr(getattr(self.module, "extensions", None), "connection", None)
        return (found,) if isinstance(found, type) else ()

    def _encode_connection(self, connection: Any) -> dict[str, str]:
        return {"boundary": self.name}

    def shape_cursor(self, description: Any) -> Any:
        """A real (in-memory) sqlite3 cursor with ``description``: ``sqlite3.Row`` needs one."""
        names = tuple(column[0] for column in description or ())
        if names not in self._shape_cursors:
            columns = ", ".join(f'NULL AS "{name.replace(chr(34), chr(34) * 2)}"' for name in names)
            with passthrough():
                memory = self.connect(":memory:")
            self._shape_cursors[names] = memory.execute(f"SELECT {columns or 'NULL'}")
        return self._shape_cursors[names]

    def patch(self) -> list[Undo]:
        original = self.connect
        boundary = self

        def connect(*args: Any, **kwargs: Any) -> Any:
            channel = current()
            if channel is None:
                return original(*args, **kwargs)
            target = args[0] if args else kwargs.get("database", kwargs.get("dsn", ""))
            database = (
                relative(target, channel.root)
                if boundary.sqlite and str(target) not in ("", ":memory:")
                else str(target)
            )
            asked = Interaction(boundary.name, InteractionKind.READ, {"database": database})
            if channel.replaying:
                channel.read(asked)
                return StandInConnection(boundary, database)
            with passthrough():
                real = original(*args, **kwargs)
            channel.tape(asked)
            return RecordingConnection(real, boundary)

        undos = [patch_attribute(self.module, self.attribute, connect)]
        if self.sqlite:
            dbapi2 = importlib.import_module("sqlite3.dbapi2")
            undos.append(patch_attribute(dbapi2, "connect", connect))
        return undos

    def swappers(self) -> list[Callable[[dict[str, Any]], Undo]]:
        return [self._swap_connections]

    def _live(self, value: Any) -> bool:
        return isinstance(value, self.connection_classes) and not isinstance(
            value, (RecordingConnection, StandInConnection)
        )

    def _swap_connections(self, inputs: dict[str, Any]) -> Undo:
        """Connections handed to the call (as arguments or in ``self``) are recorded
        through a proxy for the call's duration, then put back."""
        undos: list[Undo] = []
        args: list[Any] = inputs.get("args", [])
        for index, value in enumerate(args):
            if self._live(value):
                args[index] = RecordingConnection(value, self)
                undos.append(_put_back(args, index, value))
        kwargs: dict[str, Any] = inputs.get("kwargs", {})
        for key, value in list(kwargs.items()):
            if self._live(value):
                kwargs[key] = RecordingConnection(value, self)
                undos.append(_put_back(kwargs, key, value))
        instance = inputs.get("self")
        state = getattr(instance, "__dict__", None)
        if isinstance(state, dict):
            for key, value in list(state.items()):
                if self._live(value):
                    state[key] = RecordingConnection(value, self)
                    undos.append(_put_back(state, key, value))

        def undo() -> None:
            for step in reversed(undos):
                step()

        return undo


def _put_back(container: Any, key: Any, value: Any) -> Undo:
    def undo() -> None:
        container[key] = value

    return undo
