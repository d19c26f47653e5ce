"""Executors: in-process and process-pool maps, functions by name, settings."""

from __future__ import annotations

import argparse
import hashlib
import importlib
import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from legacy_harness.compare.settings import policy_from_config
from legacy_harness.config import config_from_table
from legacy_harness.errors import ConfigError, GoldenFileError, HarnessError, UsageError
from legacy_harness.parallel import (
    DASK_EXTRA,
    DaskExecutor,
    LocalExecutor,
    add_executor_arguments,
    code_fingerprint,
    executor_from,
    function_name,
    gather,
    project_modules,
    resolve_function,
)

# ---------------------------------------------------------------- functions run by workers


def square_plus(shared: int | None, item: int) -> int:
    return item * item + (shared or 0)


def where_and_what(shared: object, item: int) -> tuple[int, int, int]:
    """(process id, identity of the shared object in that process, item)."""
    return os.getpid(), id(shared), item


def fail_on_three(shared: object, item: int) -> int:
    if item == 3:
        raise ValueError(f"item {item} is bad")
    return item


def fail_with_golden_error(shared: object, item: int) -> int:
    raise GoldenFileError("golden/x.json", "field 'inputs' is missing")


class Stubborn(Exception):
    """Pickles but cannot be rebuilt from its args (a common shape of custom errors)."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


def fail_stubbornly(shared: object, item: int) -> int:
    raise Stubborn(7, "disk on fire")


class Opaque(Exception):
    """Cannot even be sent: its attribute does not pickle."""

    def __init__(self) -> None:
        super().__init__("held a lock")
        self.lock = __import__("threading").Lock()


def fail_opaquely(shared: object, item: int) -> int:
    raise Opaque()


@pytest.fixture(scope="module")
def pool() -> Iterator[LocalExecutor]:
    with LocalExecutor(2) as executor:
        yield executor


# ---------------------------------------------------------------- names


def test_functions_travel_by_module_qualified_name() -> None:
    assert function_name(square_plus) == f"{__name__}:square_plus"
    assert resolve_function(f"{__name__}:square_plus") is square_plus
    with pytest.raises(UsageError, match="define it at module level"):
        function_name(lambda shared, item: item)

    def nested(shared: object, item: int) -> int:
        return item

    with pytest.raises(UsageError, match="not a lambda, a nested function"):
        function_name(nested)
    with pytest.raises(HarnessError, match="cannot import no_such_module:f here"):
        resolve_function("no_such_module:f")


def test_a_function_of_an_earlier_import_still_travels_by_name(
    make_module: Callable[..., ModuleType],
) -> None:
    """A runner that restores ``sys.modules`` leaves callers holding the function of an
    earlier import of a module; the name still gives workers the same code, while a
    module whose code changed since is refused."""
    module = make_module("def work(shared, item):\n    return item + 1\n")
    earlier = module.work
    del sys.modules[module.__name__]
    importlib.import_module(module.__name__)
    assert function_name(earlier) == f"{module.__name__}:work"
    path = Path(module.__file__ or "")
    path.write_text("def work(shared, item):\n    return item + 2\n")
    del sys.modules[module.__name__]
    importlib.invalidate_caches()
    importlib.import_module(module.__name__)
    with pytest.raises(UsageError, match="does not resolve back"):
        function_name(earlier)


# ---------------------------------------------------------------- local executor


def test_one_job_runs_in_this_process_in_order() -> None:
    executor = LocalExecutor(1)
    assert executor.jobs == 1 and executor.description == "in-process"
    seen = list(executor.map_unordered(where_and_what, [5, 6, 7], "x"))
    assert [index for index, _ in seen] == [0, 1, 2]
    assert {pid for _, (pid, _, _) in seen} == {os.getpid()}
    assert gather(executor, square_plus, [1, 2, 3], 10) == [11, 14, 19]


def test_pool_gives_every_result_once_in_the_order_of_the_items(pool: LocalExecutor) -> None:
    items = list(range(40))
    found = list(pool.map_unordered(square_plus, items, 1))
    assert sorted(index for index, _ in found) == items
    assert all(value == items[index] ** 2 + 1 for index, value in found)
    assert gather(pool, square_plus, items) == [i * i for i in items]
    assert pool.description == "2 local processes"


def test_pool_runs_in_other_processes_and_unpickles_shared_once_per_worker(
    pool: LocalExecutor,
) -> None:
    shared = {"payload": list(range(10_000))}
    found = gather(pool, where_and_what, list(range(30)), shared)
    pids = {pid for pid, _, _ in found}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    for pid in pids:  # one copy of the shared value per worker, reused for every item
        assert len({ident for p, ident, _ in found if p == pid}) == 1
    assert [item for _, _, item in found] == list(range(30))


def test_progress_reports_each_finished_item(pool: LocalExecutor) -> None:
    calls: list[tuple[int, int | None]] = []

    def note(done: int, total: int | None) -> None:
        calls.append((done, total))

    for executor in (LocalExecutor(1), pool):
        calls.clear()
        gather(executor, square_plus, [1, 2, 3, 4], progress=note)
        assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
        calls.clear()
        list(executor.map_unordered(square_plus, iter([1, 2]), progress=note))
        assert calls == [(1, None), (2, None)]


def test_errors_in_workers_are_raised_by_the_iterator(pool: LocalExecutor) -> None:
    for executor in (LocalExecutor(1), pool):
        with pytest.raises(ValueError, match="item 3 is bad"):
            gather(executor, fail_on_three, list(range(6)))
        with pytest.raises(GoldenFileError, match="golden/x.json: field 'inputs' is missing") as e:
            gather(executor, fail_with_golden_error, [1])
        assert e.value.path == "golden/x.json"  # the same type, rebuilt with its attributes
        with pytest.raises(Stubborn, match="7: disk on fire") as stubborn:
            gather(executor, fail_stubbornly, [1])
        assert stubborn.value.code == 7
    with pytest.raises(HarnessError, match="Opaque: held a lock"):
        gather(pool, fail_opaquely, [1])
    assert gather(pool, square_plus, [2]) == [4]  # the pool survives its tasks' errors


def test_closing_early_stops_pulling_items(pool: LocalExecutor) -> None:
    pulled: list[int] = []

    def source() -> Iterator[int]:
        for item in itertools.count():
            pulled.append(item)
            yield item

    results = pool.map_unordered(square_plus, source())
    taken = [next(results) for _ in range(5)]
    results.close()
    assert len(taken) == 5
    assert len(pulled) <= 5 + pool.jobs  # lazily pulled, at most jobs ahead


def test_unpicklable_shared_value_is_a_clear_error(pool: LocalExecutor) -> None:
    with pytest.raises(UsageError, match="cannot send function to worker processes.*--jobs 1"):
        pool.map_unordered(square_plus, [1], lambda: None)
    assert gather(LocalExecutor(1), square_plus, [3], 1) == [10]  # in-process needs no pickling


def test_bad_job_counts_are_refused() -> None:
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ConfigError, match="jobs must be a positive integer"):
            LocalExecutor(bad)  # type: ignore[arg-type]
    assert LocalExecutor().jobs == (os.cpu_count() or 1)


# ---------------------------------------------------------------- settings


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_executor_arguments(parser, "reruns")
    return parser.parse_args(list(argv))


def test_executor_from_command_line_then_configuration() -> None:
    assert executor_from().jobs == (os.cpu_count() or 1)
    assert isinstance(executor_from(), LocalExecutor)
    config = config_from_table({"jobs": 3, "executor": "local"}, root=Path.cwd())
    assert executor_from(config).jobs == 3
    assert executor_from(config, _args("--jobs", "1")).jobs == 1
    assert executor_from(config, _args()).jobs == 3


def test_configuration_keys_are_known_and_checked() -> None:
    table = {"jobs": 2, "executor": "dask", "scheduler": "tcp://127.0.0.1:8786"}
    config = config_from_table(table, root=Path.cwd())
    policy_from_config(config.comparison_table())  # the comparison settings ignore them
    for bad, message in (
        ({"jobs": 0}, r"\[tool.legacy_harness\] jobs must be a positive integer"),
        ({"jobs": "4"}, r"\[tool.legacy_harness\] jobs must be a positive integer"),
        ({"executor": "ray"}, r"\[tool.legacy_harness\] executor must be one of local, dask"),
        ({"scheduler": 8786}, r"\[tool.legacy_harness\] scheduler must be an address"),
    ):
        with pytest.raises(ConfigError, match=message):
            executor_from(config_from_table(bad, root=Path.cwd()))  # type: ignore[arg-type]
    with pytest.raises(SystemExit):
        _args("--jobs", "0")


def test_dask_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ConfigError, match=r"--executor dask needs the dask extra") as error:
        executor_from(None, _args("--scheduler", "tcp://127.0.0.1:8786"))
    assert DASK_EXTRA in str(error.value) and "\n" not in str(error.value)


def test_dask_needs_a_scheduler() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match="the dask executor needs a scheduler: --scheduler"):
        DaskExecutor()
    with pytest.raises(ConfigError, match="needs a scheduler"):
        executor_from(None, _args("--executor", "dask"))


def test_project_code_is_what_lies_under_the_project_folders(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module("VALUE = 1\n")
    found = project_modules([tmp_path])
    assert found == {module.__name__: str(tmp_path / f"{module.__name__}.py")}
    digest = hashlib.sha256((tmp_path / f"{module.__name__}.py").read_bytes()).hexdigest()
    assert code_fingerprint([tmp_path]) == {module.__name__: digest}
    everything = project_modules([Path("/")])  # installed packages and the harness excluded
    assert module.__name__ in everything
    assert not [name for name in everything if name.split(".")[0] in ("numpy", "legacy_harness")]
