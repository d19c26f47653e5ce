"""Refactoring helpers: libcst codemods that keep behaviour, formatting and comments.

The names below load on first use: every ``legacy-harness`` command imports
:mod:`legacy_harness.refactor.journal` at start-up to finish an interrupted refactoring,
and that must not cost the seconds it takes to import libcst.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from legacy_harness.errors import RefusalError, TargetNotFound

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.refactor._common import module_name_for_path
    from legacy_harness.refactor.annotate import observed_types_from_cases
    from legacy_harness.refactor.helpers import (
        HELPERS,
        transform_files,
        transform_source,
        unified_diff,
    )
    from legacy_harness.refactor.rename import rename_target_spec

__all__ = [
    "HELPERS",
    "RefusalError",
    "TargetNotFound",
    "module_name_for_path",
    "observed_types_from_cases",
    "rename_target_spec",
    "transform_files",
    "transform_source",
    "unified_diff",
]

_LAZY = {
    "HELPERS": "helpers",
    "transform_files": "helpers",
    "transform_source": "helpers",
    "unified_diff": "helpers",
    "module_name_for_path": "_common",
    "observed_types_from_cases": "annotate",
    "rename_target_spec": "rename",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
