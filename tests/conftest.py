"""Shared fixtures: throwaway importable modules and projects in temporary folders."""

from __future__ import annotations

import concurrent.futures.process  # noqa: F401  (see below)
import importlib
import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

#: Imported here so that no in-process ``pytester`` run imports it for the first time:
#: such a run removes the modules it imported when it ends, while ``concurrent.futures``
#: keeps the process pool class it cached, whose work items then no longer pickle.
_POOL_MODULE = concurrent.futures.process

_counter = itertools.count()


@pytest.fixture
def make_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., ModuleType]]:
    """Write ``source`` as a fresh, uniquely named module and import it."""
    created: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(source: str, name: str | None = None) -> ModuleType:
        name = name or f"legacy_mod_{next(_counter)}_{id(tmp_path) % 10000}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        importlib.invalidate_caches()
        created.append(name)
        return importlib.import_module(name)

    yield make
    for name in created:
        sys.modules.pop(name, None)
