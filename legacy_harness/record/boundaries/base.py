"""What every boundary shares: the patches it applies and how it reports a missing library.

A boundary is installed once for a whole recording (or one replay) and its patches stay
cheap when no call is running: each one asks :func:`context.current` and, finding no
channel, calls the original at once.
"""

from __future__ import annotations

import importlib
import importlib.util
import types
from collections.abc import Callable
from typing import Any

from legacy_harness.errors import HarnessError
from legacy_harness.record.targets import Patch, function_copy, resolve

__all__ = ["Boundary", "Undo", "installed", "patch_attribute", "patch_function", "require"]

Undo = Callable[[], None]


def require(module: str, boundary: str, extra: str) -> types.ModuleType:
    """Import the library a boundary is built on, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise HarnessError(
            f"boundary {boundary!r} needs the {module} package: pip install legacy-harness[{extra}]"
        ) from None


def installed(module: str, boundary: str, extra: str) -> None:
    """Check that the library a boundary may need is installed, without importing it
    (importing can cost more than the boundary's whole work); same message as
    :func:`require`."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise HarnessError(
            f"boundary {boundary!r} needs the {module} package: pip install legacy-harness[{extra}]"
        )


def patch_attribute(owner: Any, name: str, replacement: Any) -> Undo:
    """Set ``owner.name`` to ``replacement``; the returned function puts the original back."""
    original = getattr(owner, name)
    setattr(owner, name, replacement)

    def undo() -> None:
        setattr(owner, name, original)

    return undo


def patch_function(spec: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Undo:
    """Route every call of the Python function ``spec`` ("module:qualname") through
    ``make(original)``, however the caller reached it (``from uuid import uuid4`` too):
    the function object keeps its identity and only its code is swapped, as for targets.
    """
    target = resolve(spec)
    original = function_copy(target.function)  # type: ignore[arg-type]
    patch = Patch(target, make(original))
    patch.apply()
    return patch.undo


class Boundary:
    """One declared boundary: ``name`` as the user wrote it, ``category`` the guard's word
    for the outside access it covers (its undeclared use is named with it)."""

    name: str = ""
    category: str = ""

    def load(self) -> None:
        """Import what the boundary needs; raises HarnessError naming the extra if missing."""

    def patch(self) -> list[Undo]:
        """Apply the patches; the returned functions undo them, in reverse order."""
        return []

    def prepare(self) -> None:
        """Before each call's channel opens: catch up with what the program did since
        the patches went in (the http boundary loads vcrpy once a client it needs is
        imported)."""

    def swappers(self) -> list[Callable[[dict[str, Any]], Undo]]:
        """Functions that swap live arguments for recording proxies around one call."""
        return []
