"""Public names that load on first use (PEP 562), for packages whose import must stay cheap.

The package root, :mod:`legacy_harness.check` and :mod:`legacy_harness.refactor` list
their public names in a table (name -> submodule) and get their ``__getattr__`` and
``__dir__`` from :func:`lazy_exports`, so loading the pytest plugin or ``--help`` does
not import numpy, libcst or the verify machinery.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose name ``n`` lives in the
    submodule ``exports[n]`` (relative to the package). A loaded name is kept in the
    package's namespace, so each is imported once."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(namespace.get("__all__", exports))

    return __getattr__, __dir__
