"""Executors: one function over many items, on every core or on a Dask cluster.

Stochastic reruns (``record --runs``, ``verify --stochastic``), exact ``verify`` and
``check`` use it; the other commands that replay independent cases (mutate,
characterize, minimize) are meant to adopt the same protocol, so it is kept small.
The command line imports this module for its options, so what only a pool or a cluster
needs (pickle, tempfile, hashlib) is imported when first used:

* ``map_unordered(fn, items, shared)`` calls ``fn(shared, item)`` for every item and
  yields ``(index, result)`` pairs as they complete. ``shared`` is whatever every call
  needs (a case, its blobs, the settings): it travels once per map to each worker, not
  once per item. Items are pulled lazily and only ``jobs`` run at a time, so a caller
  that stops iterating (a sequential test that has decided) cancels the rest.
* ``fn`` is sent by its module-qualified name ("package.module:function"), never by
  value: workers import the project's code from their own path, which is what a cluster
  needs and what keeps a pickled closure from running stale code. Lambdas and nested
  functions are refused with a one-line error.
* An exception raised by ``fn`` is re-raised by the iterator, as it would be in-process.

``LocalExecutor(jobs=1)`` runs in this process with no pool and no pickling, so the
results of more jobs can be checked against it. More jobs use a process pool, started
with ``fork`` on Linux (the workers then inherit the imported code and the hash seed, so
set order matches a jobs=1 run), with ``forkserver`` there when threads are running
(forking them can deadlock), and with ``spawn`` elsewhere.

``DaskExecutor`` needs ``pip install 'legacy-harness[dask]'`` and a running scheduler.
Its workers must be able to import legacy_harness and the project (same checkout or
installed package). A worker keeps what it imported between tasks, so before each task
it re-imports the project's modules if their files changed, and refuses to run when its
copy of a module differs from this machine's. Every task touches process-wide state
(random seeds, ``sys.path``), so each worker process runs one task at a time: start
workers with ``--nthreads 1``.
"""

from __future__ import annotations

import _thread
import argparse
import importlib
import os
import sys
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence, Sized
from typing import TYPE_CHECKING, Any, TypeVar

from legacy_harness.errors import ConfigError, HarnessError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.config import Config

__all__ = [
    "EXECUTORS",
    "DASK_EXTRA",
    "Progress",
    "Executor",
    "LocalExecutor",
    "DaskExecutor",
    "function_name",
    "resolve_function",
    "project_modules",
    "code_fingerprint",
    "gather",
    "add_executor_arguments",
    "executor_from",
]

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E", bound="Executor")

#: Names accepted by ``--executor`` and ``[tool.legacy_harness] executor``.
EXECUTORS = ("local", "dask")
#: What to install for ``--executor dask``.
DASK_EXTRA = "pip install 'legacy-harness[dask]'"
#: Called after each finished item with (items done, items in all or None if unknown).
Progress = Callable[[int, "int | None"], None]


class Executor:
    """Runs ``fn(shared, item)`` over items; see the module docstring for the contract.
    Functions travel by name (checked here, before anything starts); ``with`` closes it."""

    @property
    def jobs(self) -> int:
        """How many items run at once (callers size batches and chunks by it)."""
        raise NotImplementedError

    @property
    def description(self) -> str:
        """Where the work runs, for reports: "in-process", "2 local processes", ..."""
        raise NotImplementedError

    def map_unordered(
        self,
        fn: Callable[[Any, T], R],
        items: Iterable[T],
        shared: Any = None,
        *,
        progress: Progress | None = None,
    ) -> Generator[tuple[int, R], None, None]:
        """Yield ``(index of item, fn(shared, item))`` as each call completes.

        Closing the generator early cancels the items not yet started.
        """
        return self._map(function_name(fn), fn, items, shared, progress)

    def _map(
        self, name: str, fn: Callable[[Any, T], R], items: Iterable[T], shared: Any,
        progress: Progress | None,
    ) -> Generator[tuple[int, R], None, None]:  # fmt: skip
        """``map_unordered`` once ``fn`` is known to travel as ``name``."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the workers this executor started (a no-op when it started none)."""
        raise NotImplementedError

    def __enter__(self: E) -> E:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gather(
    executor: Executor,
    fn: Callable[[Any, T], R],
    items: Iterable[T],
    shared: Any = None,
    *,
    progress: Progress | None = None,
) -> list[R]:
    """``fn(shared, item)`` for every item, in the order of the items."""
    found = dict(executor.map_unordered(fn, items, shared, progress=progress))
    return [found[index] for index in range(len(found))]


# --------------------------------------------------------------------------------------
# Functions by name
# --------------------------------------------------------------------------------------


def function_name(fn: Callable[..., Any]) -> str:
    """ "module:qualname" of a module-level function, checked to resolve back to ``fn``."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    shown = getattr(fn, "__name__", repr(fn))
    if not module or not qualname or "<" in qualname or module == "__main__":
        raise UsageError(
            f"{shown} cannot be sent to worker processes by name; define it at module level "
            "in an importable module (not a lambda, a nested function or __main__)"
        )
    name = f"{module}:{qualname}"
    try:
        found = resolve_function(name)
    except HarnessError:
        found = None
    if found is not fn and not _same_code(found, fn):
        raise UsageError(
            f"{name} does not resolve back to the function given; define it at module level"
        )
    return name


def _same_code(found: Any, fn: Callable[..., Any]) -> bool:
    """Whether ``found`` is ``fn`` from a fresh import of the same module: what a worker
    gets for the name (a test runner that restores ``sys.modules`` leaves callers holding
    the function of an earlier import)."""
    mine, theirs = getattr(fn, "__code__", None), getattr(found, "__code__", None)
    return (
        mine is not None
        and theirs is not None
        and mine.co_filename == theirs.co_filename
        and mine.co_firstlineno == theirs.co_firstlineno
        and (mine.co_code, mine.co_consts, mine.co_names)
        == (theirs.co_code, theirs.co_consts, theirs.co_names)
    )


def resolve_function(name: str) -> Callable[..., Any]:
    """Import "module:qualname" (what workers do with the name they are sent)."""
    module_name, _, qualname = name.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as error:
        raise HarnessError(
            f"cannot import {name} here ({error}); make the project importable on the workers"
        ) from None
    if not callable(value):
        raise HarnessError(f"{name} is not a function")
    return value  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# What runs in the workers
# --------------------------------------------------------------------------------------


class _Raised:
    """An exception travelling back from a worker, of the same type when at all possible.

    Pickle rebuilds an exception by calling its class with ``args``, which fails for
    classes whose ``__init__`` takes other arguments (``GoldenFileError(path, message)``);
    those are rebuilt without calling ``__init__``, from their args and attributes.
    """

    def __init__(self, error: BaseException) -> None:
        import pickle

        self.text = f"{type(error).__name__}: {error}"
        self.error: BaseException | None = None
        self.parts: tuple[str, tuple[Any, ...], dict[str, Any]] | None = None
        try:
            pickle.loads(pickle.dumps(error))
            self.error = error
            return
        except Exception:  # noqa: BLE001 - some exceptions pickle but do not unpickle
            pass
        kind = type(error)
        parts = (f"{kind.__module__}:{kind.__qualname__}", error.args, dict(vars(error)))
        try:
            pickle.loads(pickle.dumps(parts))
            self.parts = parts
        except Exception:  # noqa: BLE001 - then the type name and message will do
            pass

    def rebuild(self) -> BaseException:
        if self.error is not None:
            return self.error
        if self.parts is not None:
            name, args, state = self.parts
            try:
                kind: Any = resolve_function(name)
                error: BaseException = kind.__new__(kind, *args)
                error.args = args
                error.__dict__.update(state)
                return error
            except Exception:  # noqa: BLE001
                pass
        return HarnessError(self.text)


def _call(name: str, shared: Any, item: Any) -> Any:
    try:
        return resolve_function(name)(shared, item)
    except Exception as error:  # noqa: BLE001 - re-raised by the caller's iterator
        return _Raised(error)


_SHARED: dict[str, Any] = {}
_SHARED_KEPT = 4


def _shared_from(token: str, path: str | None) -> Any:
    """The shared value of one map, read from its file once per worker process."""
    if path is None:
        return None
    if token not in _SHARED:
        import pickle

        with open(path, "rb") as stream:
            value = pickle.load(stream)
        while len(_SHARED) >= _SHARED_KEPT:
            _SHARED.pop(next(iter(_SHARED)))
        _SHARED[token] = value
    return _SHARED[token]


def _local_task(name: str, token: str, path: str | None, item: Any) -> Any:
    try:
        shared = _shared_from(token, path)
    except Exception as error:  # noqa: BLE001
        return _Raised(error)
    return _call(name, shared, item)


def _init_worker(parent_path: list[str]) -> None:
    """A spawned worker sees the modules its parent saw (a forked one already does)."""
    for entry in reversed(parent_path):
        if entry not in sys.path:
            sys.path.insert(0, entry)


# -- the project's code on long-lived workers ---------------------------------------------


def _digest(path: str) -> str:
    import hashlib

    try:
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return ""


def _outside_project(path: str) -> bool:
    """Installed packages and the interpreter's own modules are not the project's code."""
    parts = set(os.path.normpath(path).split(os.sep))
    if parts & {"site-packages", "dist-packages"}:
        return True
    prefixes = {os.path.join(os.path.normpath(p), "") for p in (sys.prefix, sys.base_prefix)}
    return any(os.path.normpath(path).startswith(prefix) for prefix in prefixes)


def project_modules(roots: Iterable[str]) -> dict[str, str]:
    """name -> source file of the loaded modules that are the project's code.

    That is modules whose file lies under one of ``roots`` (the configured pythonpath),
    neither installed packages nor legacy_harness itself.
    """
    folders = tuple(os.path.join(os.path.normpath(str(root)), "") for root in roots)
    found = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or name == "legacy_harness" or name.startswith("legacy_harness."):
            continue
        path = os.path.normpath(path)
        if path.startswith(folders) and not _outside_project(path):
            found[name] = path
    return found


def code_fingerprint(roots: Iterable[str]) -> dict[str, str]:
    """name -> sha256 of the source of each loaded project module, as this process sees it."""
    return {name: _digest(path) for name, path in project_modules(roots).items()}


#: Worker side: project modules this process imported, with their source file's digest then.
_IMPORTED: dict[str, tuple[str, str]] = {}


def _refresh_code(roots: tuple[str, ...], fingerprint: Mapping[str, str]) -> None:
    """Make a long-lived worker run the code the client runs.

    A worker keeps the modules it imported for an earlier task; when any of their files
    has changed since, every project module is dropped, so this task imports today's
    code. A module whose file here differs from the client's is an error: the worker
    has another checkout.
    """
    for folder in reversed(roots):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    if any(_digest(path) != digest for path, digest in _IMPORTED.values()):
        for name in _IMPORTED:
            sys.modules.pop(name, None)
        _IMPORTED.clear()
        importlib.invalidate_caches()
    from importlib.util import find_spec

    for name, expected in fingerprint.items():
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = getattr(spec, "origin", None)
        if origin and os.path.exists(origin) and _digest(origin) != expected:
            raise HarnessError(
                f"module {name} on this worker ({origin}) differs from the client's copy; "
                "give the workers the same checkout of the project"
            )


def _note_imports(roots: tuple[str, ...]) -> None:
    for name, path in project_modules(roots).items():
        if name not in _IMPORTED:
            _IMPORTED[name] = (path, _digest(path))


_ONE_AT_A_TIME = _thread.allocate_lock()  # threading.Lock(), without importing threading


def _dask_task(
    name: str, shared: Any, item: Any, roots: tuple[str, ...], fingerprint: Mapping[str, str]
) -> Any:
    # seeds, patched generators, sys.path and sys.modules are process-wide: one at a time
    with _ONE_AT_A_TIME:
        try:
            _refresh_code(roots, fingerprint)
        except Exception as error:  # noqa: BLE001 - re-raised by the caller's iterator
            return _Raised(error)
        try:
            return _call(name, shared, item)
        finally:
            _note_imports(roots)


def _result(value: Any) -> Any:
    if isinstance(value, _Raised):
        raise value.rebuild()
    return value


def _drive(
    submit: Callable[[Any], Any],
    wait_any: Callable[[list[Any]], Iterable[Any]],
    cancel: Callable[[list[Any]], None],
    items: Iterable[Any],
    in_flight: int,
    progress: Progress | None,
) -> Generator[tuple[int, Any], None, None]:
    """Keep ``in_flight`` items running; yield results as they finish; cancel on exit."""
    total = len(items) if isinstance(items, Sized) else None
    pending: dict[Any, int] = {}
    source = iter(enumerate(items))
    exhausted, done = False, 0
    try:
        while True:
            while not exhausted and len(pending) < in_flight:
                try:
                    index, item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending[submit(item)] = index
            if not pending:
                return
            finished = sorted(wait_any(list(pending)), key=pending.__getitem__)
            for future in finished:
                index = pending.pop(future)
                value = _result(future.result())
                done += 1
                if progress is not None:
                    progress(done, total)
                yield index, value
    finally:
        if pending:
            cancel(list(pending))


# --------------------------------------------------------------------------------------
# Local processes
# --------------------------------------------------------------------------------------


def _start_method() -> str:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux"):
        import threading

        return "fork" if threading.active_count() == 1 else "forkserver"
    return "spawn"


#: How long a local worker may take to exit once told to stop.
WORKER_EXIT_SECONDS = 10.0


class LocalExecutor(Executor):
    """``jobs`` processes on this machine; ``jobs=1`` runs in-process, without a pool."""

    def __init__(self, jobs: int | None = None, *, start_method: str | None = None) -> None:
        if jobs is None:
            jobs = os.cpu_count() or 1
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
        self._jobs = jobs
        self._start_method = start_method
        self._pool: Any = None
        self._folder: str | None = None
        self._maps = 0

    @property
    def jobs(self) -> int:
        return self._jobs

    @property
    def description(self) -> str:
        return "in-process" if self._jobs == 1 else f"{self._jobs} local processes"

    def _map(
        self, name: str, fn: Callable[[Any, T], R], items: Iterable[T], shared: Any,
        progress: Progress | None,
    ) -> Generator[tuple[int, R], None, None]:  # fmt: skip
        if self._jobs == 1:
            return self._in_process(fn, items, shared, progress)
        token, path = self._publish(shared)
        pool = self._ensure_pool()

        def submit(item: Any) -> Any:
            return pool.submit(_local_task, name, token, path, item)

        return self._run(submit, items, path, progress)

    def _run(
        self, submit: Callable[[Any], Any], items: Iterable[Any], path: str | None,
        progress: Progress | None,
    ) -> Generator[tuple[int, Any], None, None]:  # fmt: skip
        from concurrent.futures import FIRST_COMPLETED, wait

        def wait_any(futures: list[Any]) -> Iterable[Any]:
            return wait(futures, return_when=FIRST_COMPLETED).done

        def cancel(futures: list[Any]) -> None:
            for future in futures:
                future.cancel()

        try:
            yield from _drive(submit, wait_any, cancel, items, self._jobs, progress)
        finally:
            if path is not None:
                os.unlink(path)

    @staticmethod
    def _in_process(
        fn: Callable[[Any, T], R], items: Iterable[T], shared: Any, progress: Progress | None
    ) -> Generator[tuple[int, R], None, None]:
        total = len(items) if isinstance(items, Sized) else None
        for index, item in enumerate(items):
            value = fn(shared, item)
            if progress is not None:
                progress(index + 1, total)
            yield index, value

    def _publish(self, shared: Any) -> tuple[str, str | None]:
        """Pickle ``shared`` once to a private file; each worker reads it once."""
        import pickle
        import tempfile

        self._maps += 1
        token = f"{os.getpid()}-{id(self)}-{self._maps}"
        if shared is None:
            return token, None
        try:
            data = pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001 - pickling raises many kinds
            raise UsageError(
                f"cannot send {type(shared).__name__} to worker processes ({error}); "
                "use --jobs 1, or module-level functions in what is sent"
            ) from None
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="legacy-harness-shared-")
        path = os.path.join(self._folder, f"{token}.pickle")
        with open(path, "wb") as stream:
            stream.write(data)
        return token, path

    def _ensure_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context(self._start_method or _start_method())
            self._pool = ProcessPoolExecutor(
                max_workers=self._jobs,
                mp_context=context,
                initializer=_init_worker,
                initargs=(list(sys.path),),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            # shutdown(wait=True) can wait forever (seen on CPython 3.11 with a forked
            # pool torn down right after its last result): ask the workers to stop, give
            # them a moment, end the ones still there; the pool's manager thread sees
            # them gone and exits, so nothing hangs at interpreter exit either
            workers = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.join(timeout=WORKER_EXIT_SECONDS)
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=WORKER_EXIT_SECONDS)
        if self._folder is not None:
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


# --------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"--executor dask needs the dask extra: {DASK_EXTRA}") from None
    return distributed


class DaskExecutor(Executor):
    """Items spread over the worker processes of a Dask cluster, one task per worker.

    Give the scheduler address ("tcp://HOST:8786") or an existing ``distributed.Client``
    (then closing this executor leaves the client open). ``jobs`` caps how many items
    run at once; by default every worker process takes one. ``project`` names the
    folders of the project's code (the configured pythonpath): workers put them on
    their path, re-import that code when its files changed since an earlier task, and
    refuse to run when their copy differs from this machine's.
    """

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        client: Any = None,
        jobs: int | None = None,
        project: Iterable[str | os.PathLike[str]] = (),
        timeout: float = 10.0,
    ) -> None:
        distributed = _distributed()
        self._owned = client is None
        if client is None:
            if not scheduler:
                raise ConfigError(
                    "the dask executor needs a scheduler: --scheduler tcp://HOST:8786 or "
                    'scheduler = "tcp://HOST:8786" in [tool.legacy_harness]'
                )
            try:
                client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as error:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {scheduler} ({error}); start one "
                    "with `dask scheduler` or fix --scheduler"
                ) from None
        self._client = client
        self._cap = jobs
        self._roots = tuple(os.fspath(folder) for folder in project)
        self.scheduler = scheduler or getattr(getattr(client, "scheduler", None), "address", "?")

    def _workers(self) -> list[str]:
        return sorted(self._client.scheduler_info()["workers"])

    @property
    def jobs(self) -> int:
        count = max(1, len(self._workers()))
        return min(count, self._cap) if self._cap else count

    @property
    def description(self) -> str:
        return f"Dask at {self.scheduler} ({len(self._workers())} workers)"

    def _map(
        self, name: str, fn: Callable[[Any, T], R], items: Iterable[T], shared: Any,
        progress: Progress | None,
    ) -> Generator[tuple[int, R], None, None]:  # fmt: skip
        workers = self._workers()
        if not workers:
            raise ConfigError(
                f"the Dask cluster at {self.scheduler} has no workers; start some with "
                f"`dask worker {self.scheduler} --nthreads 1`"
            )
        distributed = _distributed()
        client = self._client
        sent = (
            client.scatter([shared], broadcast=True, hash=False)[0] if shared is not None else None
        )
        fingerprint = code_fingerprint(self._roots)
        from collections import deque

        idle = deque(workers)
        owner: dict[Any, str] = {}
        finished = distributed.as_completed(loop=client.loop)  # not the default client

        def submit(item: Any) -> Any:
            worker = idle.popleft()
            future = client.submit(
                _dask_task, name, sent, item, self._roots, fingerprint, workers=[worker],
                allow_other_workers=True, pure=False,
            )  # fmt: skip
            owner[future] = worker
            finished.add(future)
            return future

        def wait_any(futures: list[Any]) -> Iterable[Any]:
            done = [next(finished), *finished.next_batch(block=False)]
            for future in done:
                idle.append(owner.pop(future))
            return done

        def cancel(futures: list[Any]) -> None:
            client.cancel(futures)

        in_flight = min(len(workers), self._cap) if self._cap else len(workers)
        return _drive(submit, wait_any, cancel, items, in_flight, progress)

    def close(self) -> None:
        if self._owned:
            self._client.close()


# --------------------------------------------------------------------------------------
# From the command line and the configuration
# --------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def add_executor_arguments(
    parser: argparse.ArgumentParser,
    what: str,
    *,
    jobs_help: str | None = None,
    jobs_flags: Sequence[str] = ("--jobs",),
    jobs_type: Callable[[str], int] = _positive,
) -> None:
    """``--jobs``, ``--executor`` and ``--scheduler``; ``what`` says what they spread (a
    command whose ``--jobs`` reads more than the project-wide key says so in ``jobs_help``)."""
    parser.add_argument(
        *jobs_flags, dest="jobs", type=jobs_type, metavar="N",
        help=jobs_help or f"processes for {what} (default: [tool.legacy_harness] jobs, or every core)",
    )  # fmt: skip
    parser.add_argument(
        "--executor", choices=EXECUTORS,
        help=f"where {what} run: local processes (default) or a Dask cluster ({DASK_EXTRA})",
    )  # fmt: skip
    parser.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://HOST:8786 (implies --executor dask)",
    )  # fmt: skip


def configured_jobs(config: Config, section: str) -> int | None:
    """``jobs`` of ``[tool.legacy_harness.SECTION]``, else of ``[tool.legacy_harness]``:
    a command's own setting before the project-wide one."""
    own = config.table.get(section)
    for table in (own if isinstance(own, dict) else {}, config.table):
        value = table.get("jobs")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
    return None


def wants_dask(config: Config, args: Any) -> bool:
    """Whether ``--executor/--scheduler`` or the configuration name a Dask cluster."""
    kind = getattr(args, "executor", None) or config.table.get("executor")
    if kind == "dask":
        return True
    scheduler = getattr(args, "scheduler", None)
    return bool(scheduler or (kind is None and config.table.get("scheduler")))


def _setting(args: Any, table: Mapping[str, Any], key: str) -> tuple[Any, str]:
    value = getattr(args, key, None) if args is not None else None
    if value is not None:
        return value, f"--{key}"
    return table.get(key), f"[tool.legacy_harness] {key}"


def executor_from(config: Config | None = None, args: Any = None) -> Executor:
    """The executor named by ``--jobs/--executor/--scheduler`` or, for each one not
    given, by ``jobs/executor/scheduler`` in ``[tool.legacy_harness]``.

    With neither: local processes, one per core. A scheduler alone means Dask.
    """
    table: Mapping[str, Any] = config.table if config is not None else {}
    kind, where = _setting(args, table, "executor")
    scheduler, scheduler_where = _setting(args, table, "scheduler")
    jobs, jobs_where = _setting(args, table, "jobs")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise ConfigError(f"{jobs_where} must be a positive integer, e.g. jobs = 4")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ConfigError(f'{scheduler_where} must be an address, e.g. "tcp://HOST:8786"')
    if kind is None:
        kind = "dask" if scheduler else "local"
    if kind not in EXECUTORS:
        raise ConfigError(f"{where} must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    if kind == "dask":
        project = config.pythonpath if config is not None else ()
        return DaskExecutor(scheduler, jobs=jobs, project=project)
    return LocalExecutor(jobs)
