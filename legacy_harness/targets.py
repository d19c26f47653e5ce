"""Target specs ("pkg.mod:Class.method"): parse, resolve, patch, unpatch.

Only the named targets are wrapped; nothing is traced globally. A function is replaced
in its own module and in every loaded module that imported it by name
(``from billing import compute_invoice``), so calls are captured however the calling
code reached the function. Methods are replaced on their class, which covers calls
through instances and bound methods taken after recording starts.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import TargetError

KIND_FUNCTION = "function"
KIND_METHOD = "method"
KIND_CLASSMETHOD = "classmethod"
KIND_STATICMETHOD = "staticmethod"


@dataclass(frozen=True, order=True)
class TargetSpec:
    module: str
    qualname: str

    @classmethod
    def parse(cls, text: str) -> TargetSpec:
        module, sep, qualname = text.strip().partition(":")
        if not sep or not module or not qualname:
            raise TargetError(
                f"target {text!r} is not of the form 'module:qualname'"
                " (for example 'billing:compute_invoice' or 'shop:Cart.checkout')"
            )
        parts = [*module.split("."), *qualname.split(".")]
        if not all(part.isidentifier() for part in parts):
            raise TargetError(f"target {text!r} has a part that is not a Python identifier")
        return cls(module, qualname)

    @property
    def package(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.module}:{self.qualname}"


@dataclass
class ResolvedTarget:
    """A target found in today's code: where it lives and how it is called."""

    spec: TargetSpec
    owner: Any  # the module or class holding the attribute
    attribute: str
    raw: Any  # the attribute as stored (function, staticmethod, classmethod)
    function: Callable[..., Any]  # the plain function underneath
    kind: str
    cls: type | None = None  # the defining class for methods

    @property
    def takes_self(self) -> bool:
        return self.kind == KIND_METHOD

    def bound_callable(self, instance: Any = None) -> Callable[..., Any]:
        """What replay calls: the target's function, bound to ``instance`` for methods."""
        if self.kind == KIND_METHOD:
            return types.MethodType(self.function, instance)
        if self.kind == KIND_CLASSMETHOD:
            return types.MethodType(self.function, self.cls)
        return self.function


def _import(module: str) -> types.ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            raise TargetError(
                f"module {module!r} cannot be imported: no module named {error.name!r}"
                " (run from the project folder, or add its folder to sys.path)"
            ) from None
        raise TargetError(f"module {module!r} failed to import: {error}") from None
    except Exception as error:  # noqa: BLE001 - report any import-time failure in one line
        raise TargetError(
            f"module {module!r} failed to import: {type(error).__name__}: {error}"
        ) from None


def _candidates(module: types.ModuleType) -> list[str]:
    """Every function and method qualname defined in ``module``, for suggestions."""
    names: list[str] = []

    def walk(namespace: Any, prefix: str, depth: int) -> None:
        for name, value in vars(namespace).items():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(value):
                names.append(prefix + name)
            elif inspect.isclass(value) and depth < 3:
                names.append(prefix + name)
                walk(value, prefix + name + ".", depth + 1)

    walk(module, "", 0)
    return names


def _unknown(spec: TargetSpec, module: types.ModuleType, missing: str) -> TargetError:
    close = difflib.get_close_matches(spec.qualname, _candidates(module), n=3, cutoff=0.5)
    hint = (
        f"; did you mean {', '.join(f'{spec.module}:{name}' for name in close)}?" if close else ""
    )
    return TargetError(f"target {spec}: {spec.module!r} has no {missing!r}{hint}")


def resolve(spec: TargetSpec | str) -> ResolvedTarget:
    """Import the target's module and find the callable that ``spec`` names."""
    if isinstance(spec, str):
        spec = TargetSpec.parse(spec)
    module = _import(spec.module)
    owner: Any = module
    parts = spec.qualname.split(".")
    for index, part in enumerate(parts[:-1]):
        owner = vars(owner).get(part)
        if not inspect.isclass(owner):
            raise _unknown(spec, module, ".".join(parts[: index + 1]))
    attribute = parts[-1]
    namespace = vars(owner)
    if attribute not in namespace:
        raise _unknown(spec, module, spec.qualname)
    raw = namespace[attribute]
    cls = owner if inspect.isclass(owner) else None
    if isinstance(raw, staticmethod):
        kind, function = KIND_STATICMETHOD, raw.__func__
    elif isinstance(raw, classmethod):
        kind, function = KIND_CLASSMETHOD, raw.__func__
    elif inspect.isfunction(raw):
        kind, function = (KIND_METHOD if cls else KIND_FUNCTION), raw
    else:
        raise TargetError(
            f"target {spec} is a {type(raw).__name__}, not a function or method;"
            " name a function, or a method as 'module:Class.method'"
        )
    function = (
        inspect.unwrap(function) if getattr(function, "__legacy_harness__", False) else function
    )
    return ResolvedTarget(spec, owner, attribute, raw, function, kind, cls)


@dataclass
class Patch:
    """The places where one target's function was replaced by a wrapper."""

    target: ResolvedTarget
    wrapper: Callable[..., Any]
    replaced: list[tuple[dict[str, Any] | type, str, Any]] = field(default_factory=list)

    def apply(self) -> None:
        target = self.target
        if target.cls is not None:
            wrapped: Any = self.wrapper
            if target.kind == KIND_STATICMETHOD:
                wrapped = staticmethod(self.wrapper)
            elif target.kind == KIND_CLASSMETHOD:
                wrapped = classmethod(self.wrapper)
            self.replaced.append((target.cls, target.attribute, target.raw))
            setattr(target.cls, target.attribute, wrapped)
            return
        original = target.raw
        for namespace in _module_namespaces():
            for name, value in list(namespace.items()):
                if value is original:
                    self.replaced.append((namespace, name, original))
                    namespace[name] = self.wrapper

    def undo(self) -> None:
        for place, name, original in reversed(self.replaced):
            if isinstance(place, type):
                current = place.__dict__.get(name)
                if isinstance(current, (staticmethod, classmethod)):
                    current = current.__func__
                if current is self.wrapper:
                    setattr(place, name, original)
            elif place.get(name) is self.wrapper:
                place[name] = original
        self.replaced.clear()


def _module_namespaces() -> Iterator[dict[str, Any]]:
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            yield namespace


def source_hash(function: Callable[..., Any]) -> str:
    """A fingerprint of the target's code, to tell reviewers the code moved since recording."""
    import hashlib

    try:
        text = inspect.getsource(function).encode()
    except (OSError, TypeError):
        code = getattr(function, "__code__", None)
        text = code.co_code if code is not None else repr(function).encode()
    return hashlib.sha256(text).hexdigest()[:16]
