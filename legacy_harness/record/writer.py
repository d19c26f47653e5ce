"""Write recorded cases on a background thread, so a recorded call pays only for capturing.

A call's inputs, outcome and effects are encoded inside the call (the values may change
as soon as it returns); turning those trees into JSON and putting files on disk is left
to one writer thread per recording. The store's own writes stay what makes this safe:
every file appears whole (written unnamed or under a temporary name, then linked into
place), blobs before the case naming them, so a process killed at any instant (even by
SIGKILL) leaves whole files or none, never a torn one. A case the writer has not reached
yet is lost with the process, as a case not yet recorded would be.

The writer writes in batches, when the program pauses recording or a backlog builds up
(each batch checks and opens a target's folders once, see
:class:`~legacy_harness.store.disk.CaseWrites`), and is drained once at the end
(:meth:`CaseWriter.flush`, called by ``Recorder.stop``), at interpreter exit, and on
SIGTERM and SIGINT before the signal's previous handler runs, so a batch job stopped
politely keeps every case it recorded.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import threading
import time
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

from legacy_harness.outcomes import WriteStatus
from legacy_harness.store.case import GoldenCase
from legacy_harness.store.disk import CaseWrites, GoldenStore

__all__ = ["CaseWriter", "Prepare", "Written", "flush_all"]

#: Told the write status of each case once it is on disk (called on the writer thread).
Written = Callable[[GoldenCase, WriteStatus], None]
#: Finishes a case on the writer thread before it is written (work that needs no live
#: object, kept out of the recorded call); returns the case to write, or None for none.
Prepare = Callable[[GoldenCase], "GoldenCase | None"]

_STOP = object()
#: The writer looks at what waits this often (seconds), and starts on it once no case
#: came since its last look...
QUIET = 0.02
#: ...or once this many cases, or blobs of this many bytes, wait: a burst of recorded
#: calls is written after it, not in the middle of it, while memory stays bounded.
BACKLOG = 5000
BACKLOG_BYTES = 64 * 1024 * 1024

#: Every writer with work it may not have finished: drained at exit and on signals.
_LIVE: weakref.WeakSet[CaseWriter] = weakref.WeakSet()
_HOOKS_LOCK = threading.Lock()
_HOOKED = False


class CaseWriter:
    """One background thread writing cases to ``store`` in the order they were given.

    ``background=False`` writes in the caller's thread instead (for callers with no point
    at which to wait, or that read the store straight after a call). A write that fails
    (a link inside the store, a full disk) does not stop the others; :meth:`flush`
    raises the first failure once every other case is written.
    """

    def __init__(
        self, store: GoldenStore, *, overwrite: bool = False, background: bool = True
    ) -> None:
        self.store = store
        self.overwrite = overwrite
        self.background = background
        # SimpleQueue.put is reentrant: a signal handler may queue a marker mid-put
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._errors: list[BaseException] = []

    def submit(self, case: GoldenCase, written: Written, prepare: Prepare | None = None) -> None:
        """Queue ``case``; ``written(case, status)`` runs once it is stored.

        ``prepare(case)``, when given, runs first (on the writer's thread) and gives the
        case to write, or None to write nothing. The case's trees and blobs must not
        change afterwards: the recorder builds fresh ones for every call, so nothing
        else holds them."""
        if not self.background:
            with self.store.writes(overwrite=self.overwrite) as writes:
                self._one(writes, case, written, prepare)
            return
        if self._thread is None:
            self._start()
        self._queue.put((case, written, prepare))

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            _install_hooks()
            thread = threading.Thread(target=self._run, name="legacy-harness-writer", daemon=True)
            thread.start()
            self._thread = thread
            _LIVE.add(self)

    def _run(self) -> None:
        """Write in batches, each once the program has recorded nothing new for a moment
        (:data:`QUIET` seconds) or a backlog waits. The thread looks at the queue every
        :data:`QUIET` seconds rather than waiting on it: a thread waiting on the queue
        would take the interpreter from the program at every case queued."""
        batch: list[Any] = []
        held = 0
        while True:
            time.sleep(QUIET)
            arrived = 0
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._write(batch)
                    return
                if isinstance(item, threading.Event):  # a flush waits for what came before
                    self._write(batch)
                    batch, held = [], 0
                    item.set()
                    continue
                batch.append(item)
                arrived += 1
                held += sum(map(len, item[0].blobs.values())) if item[0].blobs else 0
            if batch and (not arrived or len(batch) >= BACKLOG or held >= BACKLOG_BYTES):
                self._write(batch)
                batch, held = [], 0

    def _write(self, batch: list[Any]) -> None:
        """One batch: each target's folders are checked and opened once."""
        with self.store.writes(overwrite=self.overwrite) as writes:
            for case, written, prepare in batch:
                try:
                    self._one(writes, case, written, prepare)
                except BaseException as error:  # noqa: BLE001 - reported by flush()
                    self._errors.append(error)

    def _one(
        self, writes: CaseWrites, case: GoldenCase, written: Written, prepare: Prepare | None
    ) -> None:
        ready = case if prepare is None else prepare(case)
        if ready is not None:
            written(ready, writes.write(ready))

    def flush(self) -> None:
        """Wait until every queued case is on disk; raise the first write that failed."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            marker = threading.Event()
            self._queue.put(marker)
            while not marker.wait(0.5) and thread.is_alive():
                pass
        if self._errors:
            error, self._errors = self._errors[0], []
            raise error

    def close(self) -> None:
        """Flush, then stop the thread (a later :meth:`submit` starts a new one)."""
        try:
            self.flush()
        finally:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(_STOP)
                thread.join()
                _LIVE.discard(self)


def flush_all() -> None:
    """Drain every live writer, ignoring failures (at exit nobody is left to tell)."""
    for writer in list(_LIVE):
        try:
            writer.flush()
        except BaseException:  # noqa: BLE001, S110 - the process is ending
            pass


def _install_hooks() -> None:
    """Drain writers at interpreter exit and on SIGTERM/SIGINT (once per process)."""
    global _HOOKED
    with _HOOKS_LOCK:
        if _HOOKED:
            return
        _HOOKED = True
        atexit.register(flush_all)
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                previous = signal.getsignal(signum)
                signal.signal(signum, _draining(signum, previous))
            except (ValueError, OSError):  # an embedded interpreter may not allow it
                continue


def _draining(signum: int, previous: Any) -> Callable[[int, FrameType | None], None]:
    """A handler that drains the writers, then does what ``previous`` would have done."""

    def handler(number: int, frame: FrameType | None) -> None:
        flush_all()
        if callable(previous):
            previous(number, frame)
        elif previous == signal.SIG_IGN:
            return
        else:  # the default action: end the process as the signal would have
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    return handler
