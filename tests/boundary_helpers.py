"""What the boundary tests share: edit a module as a developer would, verify a project."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from types import ModuleType

from legacy_harness.config import load_config
from legacy_harness.verify import CaseResult, VerifySession, iter_results


def rewrite(module: ModuleType, old: str, new: str) -> None:
    """Change the module's code as a developer would, and reload it."""
    path = Path(module.__file__ or "")
    path.write_text(path.read_text().replace(old, new))
    shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)
    importlib.invalidate_caches()
    importlib.reload(module)


def verify(root: Path) -> list[CaseResult]:
    """Every verdict of the project at ``root``, as ``legacy-harness verify`` gives them."""
    return list(iter_results(VerifySession.open(load_config(root))))
