"""Which classes and functions a golden file may name, and how they are found.

Rebuilding an object means importing its module, which runs that module's code, so a
file may only name classes of modules the caller allows: the project's own packages
and ``allow`` in ``[tool.legacy_harness]``, decided by the caller, never by anything
found in the store. A name must also be the object's own ``module:qualname``: an
allowed module that happens to import ``tempfile`` does not open ``tempfile`` up.
"""

from __future__ import annotations

import builtins
import collections
import importlib
import re
import sys
from dataclasses import dataclass
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.store.codec.limits import DEFAULT_LIMITS, Limits

__all__ = ["DENY_ALL", "ClassPolicy", "SAFE_BUILTIN_FUNCTIONS", "SAFE_CLASSES"]

_REF_PATTERN = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")

#: Builtin functions that are plain computations; any other builtin function (eval,
#: exec, open, __import__, ...) is refused when a tree names it.
SAFE_BUILTIN_FUNCTIONS = frozenset(
    "abs all any ascii bin callable chr divmod format hash hex isinstance issubclass "
    "iter len max min next oct ord pow repr round sorted sum".split()
)

#: Standard-library containers rebuilt without consulting the policy: importing
#: ``collections`` runs no project code and these classes hold plain data.
SAFE_CLASSES: dict[str, type] = {
    f"collections:{c.__name__}": c
    for c in (
        collections.OrderedDict,
        collections.defaultdict,
        collections.Counter,
        collections.deque,
    )
}


@dataclass(frozen=True)
class ClassPolicy:
    """What a golden file may make the decoder do: name classes, and allocate memory.

    ``allowed`` lists module prefixes whose classes may be rebuilt (standard-library
    modules are not allowed unless listed); ``limits`` bounds sizes and nesting.
    """

    allowed: frozenset[str]
    limits: Limits = DEFAULT_LIMITS

    def allows(self, module: str) -> bool:
        """True if ``module`` equals an allowed prefix or lies below one."""
        for prefix in self.allowed:
            if module == prefix or module.startswith(prefix + "."):
                return True
        return False

    def refusal(self, module: str, qualname: str) -> str:
        allowed = ", ".join(sorted(self.allowed)) or "none"
        top = module.split(".")[0]
        return (
            f"class {module}:{qualname} is outside the allowed modules ({allowed}); "
            f"add '{top}' to allow in [tool.legacy_harness] if you trust it"
        )

    def resolve(self, ref: Any, *, function: bool = False) -> Any:
        """The class (or function) named ``module:qualname``, imported only if allowed.

        Raises CodecError with a message (the decoder adds the path).
        """
        if type(ref) is not str or not _REF_PATTERN.fullmatch(ref):
            raise CodecError(f"expected 'module:qualname', got {ref!r}")
        module, qualname = ref.split(":")
        safe = SAFE_CLASSES.get(ref)
        if safe is not None:
            return safe
        if module == "builtins":
            named = getattr(builtins, qualname, None) if "." not in qualname else None
            if isinstance(named, type) or (function and qualname in SAFE_BUILTIN_FUNCTIONS):
                return named
            raise CodecError(f"builtins:{qualname} is not a builtin type it may name")
        if not self.allows(module):
            raise CodecError(self.refusal(module, qualname))
        try:
            mod = sys.modules.get(module) or importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure is a bad reference
            raise CodecError(f"cannot import module {module}: {exc!r}") from exc
        obj: Any = mod
        for part in qualname.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise CodecError(f"{module} has no attribute {qualname}") from None
        if getattr(obj, "__module__", None) != module or getattr(obj, "__qualname__", None) != (
            qualname
        ):
            # reached through an import of the allowed module: its real home is elsewhere
            home = f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', '?')}"
            raise CodecError(
                f"{ref} is {home}, defined outside {module}; a golden file may only name"
                " classes and functions where they are defined"
            )
        return obj


DENY_ALL = ClassPolicy(frozenset())
