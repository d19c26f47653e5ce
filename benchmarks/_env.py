"""The environment of a timed subprocess: this checkout importable, bytecode cached.

A user's interpreter keeps compiled bytecode (``__pycache__``) of the package, so a
second start-up only loads it. A shell with ``PYTHONDONTWRITEBYTECODE`` set (as some CI
and sandboxes do) makes every start compile every module of the package from source,
while the interpreter's own modules are precompiled: start-up ratios against a bare
interpreter would then measure the compiler. Timed subprocesses therefore write and
read bytecode, kept in a temporary folder (``PYTHONPYCACHEPREFIX``), never in the
checkout.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CACHE: list[str] = []


def _cache_folder() -> str:
    if not _CACHE:
        folder = tempfile.mkdtemp(prefix="lh-bench-pycache-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _CACHE.append(folder)
    return _CACHE[0]


def bench_env(**extra: str) -> dict[str, str]:
    """``os.environ`` with the checkout on PYTHONPATH, no colours, bytecode cached."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": _cache_folder()})
    env.update(extra)
    return env
