"""Refactoring helpers: libcst codemods that keep behaviour, formatting and comments.

The names below load on first use: every ``legacy-harness`` command imports
:mod:`legacy_harness.refactor.journal` at start-up to finish an interrupted refactoring,
and that must not cost the seconds it takes to import libcst.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from legacy_harness.errors import RefusalError, TargetNotFound
from legacy_harness.lazy import lazy_exports

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


_LAZY = {
    "HELPERS": "helpers",
    "transform_files": "helpers",
    "transform_source": "helpers",
    "unified_diff": "helpers",
    "module_name_for_path": "_common",
    "observed_types_from_cases": "annotate",
    "rename_target_spec": "rename",
}
__all__ = ["RefusalError", "TargetNotFound", *_LAZY]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
