"""Which call is running in this thread, and what its boundaries do with the world.

A :class:`Channel` is opened around one target call. While it is open, every patched
boundary in the same thread asks :func:`current` what to do: record (let the real call
happen and tape it), or replay (answer from the tape, capture writes, touch nothing).
Outside a call, and inside :func:`passthrough` (a boundary doing real work on behalf of
the tape), the patches call straight through, so the rest of the program runs as always.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from legacy_harness.errors import ForbiddenIO
from legacy_harness.outcomes import BoundaryMode as Mode
from legacy_harness.record.boundaries.tape import Cassette, Interaction, Mismatch
from legacy_harness.store import codec

__all__ = [
    "OPEN_CALLS",
    "Channel",
    "Mode",
    "current",
    "passthrough",
    "relative",
    "stack",
]


class _State(threading.local):
    """Per thread: the open channels, and how deep in :func:`passthrough` it is (the
    class attributes are each thread's starting values)."""

    depth = 0
    stack: list[Channel] | None = None


_state = _State()
#: How many channels are open in any thread (one counter in a list, so it is shared by
#: reference): the audit hook returns at once while it is zero.
OPEN_CALLS = [0]


def stack() -> list[Channel]:
    """The open channels of this thread, innermost last (nested targets when recording)."""
    found = _state.stack
    if found is None:
        found = _state.stack = []
    return found


def in_passthrough() -> bool:
    return bool(_state.depth)


def current() -> Channel | None:
    """The innermost open channel of this thread, or None (outside calls, in passthrough)."""
    state = _state
    if state.depth:
        return None
    channels = state.stack
    return channels[-1] if channels else None


class _Passthrough:
    """The block of :func:`passthrough`: a plain class, as boundaries enter it on every
    real call they make (a generator-based context manager costs several times more)."""

    __slots__ = ()

    def __enter__(self) -> None:
        _state.depth += 1

    def __exit__(self, *exc: object) -> None:
        _state.depth -= 1


_PASSTHROUGH = _Passthrough()


def passthrough() -> AbstractContextManager[None]:
    """Real work done for the tape: nested boundary calls in the block are not taped
    again (``uuid4`` calling ``os.urandom``) and the audit guard does not note them."""
    return _PASSTHROUGH


_SAFE_INT = 2**53


def _plain(value: Any) -> bool:
    """A value the codec stores as itself: a string, a bool, None, a JSON-safe int, a
    finite float."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    return kind is float and value - value == 0.0


def relative(path: Any, root: Path) -> str:
    """A path as stored on the tape: relative to the project (posix), else absolute."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    full = Path(os.path.abspath(text))
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return full.as_posix()


class Channel:
    """One call's traffic with its boundaries.

    Recording: ``recorded`` collects interactions in call order and ``notes`` the
    outside access no declared boundary covered (with the boundary that would).
    Replaying: ``cassette`` answers from the recorded tape, and ``blocked`` lists the
    outside access the guard refused.
    """

    def __init__(
        self,
        mode: Mode,
        *,
        root: Path,
        declared: frozenset[str] = frozenset(),
        cassette: Cassette | None = None,
        policy: codec.ClassPolicy | None = None,
        blobs: Any = None,
        new_blobs: dict[str, bytes] | None = None,
    ) -> None:
        from legacy_harness.record.boundaries.paths import rules_for

        self.mode = mode
        self.root = root
        self.rules = rules_for(root)  # judged now, outside the call (it reads folders)
        self.declared = declared
        self.cassette = cassette
        self.policy = policy or codec.ClassPolicy(frozenset())
        self.blobs = blobs  # what decoding reads blobs from (a reader, or the dict)
        self.new_blobs = new_blobs if new_blobs is not None else {}  # where encoding puts them
        self.recorded: list[Interaction] = []
        #: detail ("opened billing.db") -> the boundary that covers it, or "" for none
        self.notes: dict[str, str] = {}
        self.blocked: list[str] = []
        #: values a boundary could not encode (the case is then not replayable)
        self.problems: list[str] = []
        #: what the guard has seen already in this call (hosts reached over HTTP, ...)
        self.memo: set[Any] = set()
        #: run when the call returns, while the channel is still open (files left open)
        self.on_exit: list[Callable[[], None]] = []
        #: run around the call: swap live arguments for recording proxies, and back
        self.swappers: list[Callable[[dict[str, Any]], Callable[[], None]]] = []

    @property
    def replaying(self) -> bool:
        return self.mode is Mode.REPLAY

    # -- recording -------------------------------------------------------------------

    def tape(self, interaction: Interaction) -> None:
        """Tape ``interaction`` in every open channel of the thread (nested targets)."""
        for channel in stack():
            if channel.mode is Mode.RECORD:
                channel.recorded.append(interaction)

    def note(self, detail: str, boundary: str) -> None:
        for channel in stack():
            if channel.mode is Mode.RECORD and boundary not in channel.declared:
                channel.notes.setdefault(detail, boundary)

    # -- replaying -------------------------------------------------------------------

    def _cassette(self) -> Cassette:
        if self.cassette is None:
            self.cassette = Cassette([])
        return self.cassette

    def read(self, asked: Interaction) -> Interaction:
        """The recorded answer to ``asked``; raises ForbiddenIO (after noting the
        mismatch) when the tape does not hold it: the real resource is never used."""
        found = self._cassette().read(asked)
        if found is None:
            raise ForbiddenIO(self._cassette().mismatches[-1].render())
        return found

    def next_read(self, asked: Interaction) -> Interaction:
        found = self._cassette().next_read(asked)
        if found is None:
            raise ForbiddenIO(self._cassette().mismatches[-1].render())
        return found

    def write(self, done: Interaction) -> Interaction | None:
        return self._cassette().write(done)

    def take(self, asked: Interaction) -> Interaction | None:
        return self._cassette().take(asked)

    def encode(self, value: Any) -> Any:
        """``value`` as a tape tree (arrays go to the case's blobs when recording).

        Parameters and rows are mostly flat lists of strings and numbers, which the codec
        would return unchanged: those skip it (the tape is on every boundary call)."""
        if type(value) in (list, tuple) and all(_plain(item) for item in value):
            return list(value)
        if _plain(value):
            return value
        return codec.encode(value, blobs=self.new_blobs, problems=self.problems)

    def miss(self, asked: Interaction) -> Mismatch:
        return self._cassette().miss(asked)

    def decode(self, tree: Any) -> Any:
        return codec.decode(tree, blobs=self.blobs, policy=self.policy)

    def block(self, detail: str, boundary: str) -> ForbiddenIO:
        hint = (
            f'; declare boundaries = ["{boundary}"] and re-record'
            if boundary
            else "; move it out of the target, or declare the function doing it as a"
            " boundary (MODULE:QUALNAME)"
        )
        message = f"blocked on replay: the call {detail}, which no declared boundary covers{hint}"
        self.blocked.append(message)
        return ForbiddenIO(message)

    # -- the call --------------------------------------------------------------------

    def run(self, call: Callable[[], Any], inputs: dict[str, Any] | None = None) -> Any:
        """Run ``call`` with this channel open in the calling thread."""
        restores = [swap(inputs) for swap in self.swappers] if inputs is not None else []
        channels = stack()
        channels.append(self)
        OPEN_CALLS[0] += 1
        try:
            return call()
        finally:
            try:
                for finish in self.on_exit:
                    finish()
            finally:
                OPEN_CALLS[0] -= 1
                channels.pop()
            for restore in reversed(restores):
                restore()

    @property
    def mismatches(self) -> list[Mismatch]:
        return self.cassette.mismatches if self.cassette is not None else []
