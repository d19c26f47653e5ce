"""``MODULE:QUALNAME`` boundaries: a function or method the user names (a repository
class, a service client) is taped as arguments in, return value or exception out.

On replay the function is not run: the recorded call with equal arguments answers, so
whatever the real one would touch (a database, a queue, a remote service) is left alone.
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Callable
from typing import Any

from legacy_harness.record.boundaries.base import Boundary, Undo, patch_function
from legacy_harness.record.boundaries.context import Channel, current, passthrough
from legacy_harness.record.boundaries.tape import Interaction, InteractionKind
from legacy_harness.record.targets import KIND_CLASSMETHOD, KIND_METHOD, resolve

__all__ = ["FunctionBoundary", "raised_tree", "rebuild_exception"]


def raised_tree(error: BaseException, channel: Channel) -> dict[str, Any]:
    kind = type(error)
    return {
        "type": f"{kind.__module__}.{kind.__qualname__}",
        "message": str(error),
        "args": channel.encode(list(error.args)),
    }


def rebuild_exception(
    tree: dict[str, Any], channel: Channel, trusted: tuple[str, ...] = ()
) -> BaseException:
    """The recorded exception, rebuilt from a builtin, a trusted module (the boundary's
    own library) or a module the class policy allows; a RuntimeError naming it otherwise."""
    name = str(tree.get("type", "Exception"))
    module, _, qualname = name.rpartition(".")
    message = str(tree.get("message", ""))
    cls: Any = None
    if module == "builtins":
        cls = getattr(builtins, qualname, None)
    elif module and (channel.policy.allows(module) or module.split(".")[0] in trusted):
        try:
            cls = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            cls = None
    if isinstance(cls, type) and issubclass(cls, BaseException):
        try:
            return cls(*channel.decode(tree.get("args", [])))  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - an exception class with another signature
            pass
    return RuntimeError(f"{name}: {message}")


class FunctionBoundary(Boundary):
    """A named function or method as a boundary, matched on its arguments."""

    category = "function"

    def __init__(self, spec: str) -> None:
        self.name = spec

    def load(self) -> None:
        self.target = resolve(self.name)

    def patch(self) -> list[Undo]:
        skip_first = self.target.kind in (KIND_METHOD, KIND_CLASSMETHOD)
        return [patch_function(self.name, lambda original: self._wrap(original, skip_first))]

    def _wrap(self, original: Callable[..., Any], skip_first: bool) -> Callable[..., Any]:
        spec = self.name

        def boundary_call(*args: Any, **kwargs: Any) -> Any:
            channel = current()
            if channel is None:
                return original(*args, **kwargs)
            shown = list(args[1:] if skip_first else args)
            call = {"args": channel.encode(shown), "kwargs": channel.encode(kwargs)}
            if channel.replaying:
                result = channel.read(Interaction(spec, InteractionKind.READ, call)).result
                if "raised" in result:
                    raise rebuild_exception(result["raised"], channel)
                return channel.decode(result.get("returned"))
            try:
                with passthrough():
                    value = original(*args, **kwargs)
            except Exception as error:
                channel.tape(
                    Interaction(
                        spec, InteractionKind.READ, call, {"raised": raised_tree(error, channel)}
                    )
                )
                raise
            returned = channel.encode(value)
            channel.tape(Interaction(spec, InteractionKind.READ, call, {"returned": returned}))
            return value

        return boundary_call
