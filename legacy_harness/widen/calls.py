"""Calls of a target as values: make them, copy them, run them, compare what they did,
and edit the numbers and strings nested anywhere inside their inputs.

Characterize (coverage and mutant search alike) works on calls it can change one leaf
at a time: ``self.members[2].points`` in a method's instance, ``orders[0]["qty"]`` in an
argument. A :data:`Path` names such a leaf; :func:`leaves` lists them and
:func:`with_leaf` makes a copy of the call with one of them changed.
"""

from __future__ import annotations

import copy
import inspect
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from legacy_harness.record.observe import encode_inputs, live_inputs
from legacy_harness.record.targets import KIND_CLASSMETHOD, KIND_METHOD, ResolvedTarget
from legacy_harness.store import codec
from legacy_harness.store.case import case_id
from legacy_harness.widen.probe import CodeRegion, Probe, region_of

SELF = "self"


@dataclass
class Call:
    """One call of the target: arguments by parameter name, and the instance for methods."""

    arguments: dict[str, Any]
    instance: Any = None


class Subject:
    """A resolved target and how to call it with a :class:`Call`."""

    def __init__(self, resolved: ResolvedTarget) -> None:
        self.resolved = resolved
        self.spec = str(resolved.spec)
        self.region: CodeRegion = region_of(resolved)
        self.has_self = resolved.kind == KIND_METHOD
        signature = inspect.signature(resolved.function)
        parameters = list(signature.parameters.values())
        if resolved.kind in (KIND_METHOD, KIND_CLASSMETHOD):
            parameters = parameters[1:]
        self.signature = signature.replace(parameters=parameters)
        self.parameters = parameters

    def split(self, call: Call) -> tuple[tuple[Any, ...], dict[str, Any]]:
        bound = inspect.BoundArguments(self.signature, OrderedDict(call.arguments))
        return bound.args, bound.kwargs

    def invoke(self, function: Callable[..., Any], call: Call) -> Any:
        args, kwargs = self.split(call)
        if self.has_self:
            return function(call.instance, *args, **kwargs)
        if self.resolved.kind == KIND_CLASSMETHOD:
            return function(self.resolved.cls, *args, **kwargs)
        return function(*args, **kwargs)

    def from_inputs(self, inputs: dict[str, Any]) -> Call | None:
        try:
            bound = self.signature.bind(*inputs["args"], **inputs["kwargs"])
        except TypeError:
            return None  # recorded against another signature
        return Call(dict(bound.arguments), inputs.get(SELF))

    def case_id(self, call: Call) -> str:
        """The id the recorder gives this call's case (same encoding, same hash)."""
        args, kwargs = self.split(call)
        tree = encode_inputs(live_inputs(args, kwargs, call.instance, self.has_self), {}, [])
        return case_id(self.spec, tree)


def copy_call(call: Call) -> Call:
    """A deep copy, so a call that mutates its inputs leaves the original alone."""
    try:
        return copy.deepcopy(call)
    except Exception:  # noqa: BLE001 - an uncopyable value: pass it as it is
        return Call(dict(call.arguments), call.instance)


def encoded(value: Any) -> str:
    """A value as canonical text, to compare states (repr for what the codec refuses)."""
    try:
        return codec.canonical(codec.encode(value, problems=[]))
    except Exception:  # noqa: BLE001 - fall back to repr for values the codec refuses
        return repr(value)


def behaviour(probe: Probe, before: Call, live: Call) -> str | None:
    """What the call did, as comparable text: the outcome, what it printed, and the
    state after the call of each argument (and ``self``) the call changed. Two runs of
    one call that differ here would fail verify."""
    if probe.problem is not None:
        return None
    if probe.raised is not None:
        outcome: Any = ["raised", type(probe.raised).__qualname__, str(probe.raised)]
    else:
        outcome = ["returned", probe.returned]
    changed = {
        name: value
        for name, value in live.arguments.items()
        if encoded(value) != encoded(before.arguments.get(name))
    }
    if before.instance is not None and encoded(live.instance) != encoded(before.instance):
        changed[SELF] = live.instance
    return encoded([outcome, changed, probe.output])


def after_state(probe: Probe, live: Call) -> str | None:
    """Outcome, output, arguments and ``self`` after the call, as text: two runs of the
    same call compare equal here exactly when :func:`behaviour` would (one encoding
    instead of two per value, for the mutant search's many runs)."""
    if probe.problem is not None:
        return None
    if probe.raised is not None:
        outcome: Any = ["raised", type(probe.raised).__qualname__, str(probe.raised)]
    else:
        outcome = ["returned", probe.returned]
    return encoded([outcome, live.arguments, live.instance, probe.output])


# -- leaves: the numbers and strings inside a call's inputs --------------------------

#: A step into a value: ("arg", name), ("self",), ("attr", name), ("item", key), ("len",)
Step = tuple[Any, ...]
Path = tuple[Step, ...]

#: how deep and how many leaves one call is searched for
MAX_DEPTH = 6
MAX_LEAVES = 400


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _children(value: Any) -> Iterator[tuple[Step, Any]]:
    if isinstance(value, dict):
        for key, item in list(value.items())[:MAX_LEAVES]:
            yield ("item", key), item
    elif isinstance(value, (list, tuple)):
        if isinstance(value, list) and value:
            yield ("len",), len(value)
        for index, item in enumerate(value[:MAX_LEAVES]):
            yield ("item", index), item
    elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
        if type(value).__module__ in ("builtins", "numpy", "pandas"):
            return
        for name, item in list(vars(value).items())[:MAX_LEAVES]:
            yield ("attr", name), item


def leaves(call: Call) -> list[tuple[Path, Any]]:
    """Every number and string inside the call's inputs (and list lengths), with its path."""
    found: list[tuple[Path, Any]] = []
    roots: list[tuple[Path, Any]] = [((("arg", name),), v) for name, v in call.arguments.items()]
    if call.instance is not None:
        roots.append((((SELF,),), call.instance))
    stack = list(reversed(roots))
    seen: set[int] = set()
    while stack and len(found) < MAX_LEAVES:
        path, value = stack.pop()
        if is_number(value) or isinstance(value, str):
            found.append((path, value))
            continue
        if id(value) in seen or len(path) > MAX_DEPTH:
            continue
        seen.add(id(value))
        stack.extend(reversed([(path + (step,), child) for step, child in _children(value)]))
    return found


def _get(value: Any, step: Step) -> Any:
    kind = step[0]
    if kind == "attr":
        return getattr(value, step[1])
    if kind == "item":
        return value[step[1]]
    raise KeyError(step)


def _put(value: Any, step: Step, new: Any) -> Any:
    """``value`` with ``step`` set to ``new``: in place where it can be, else a new value."""
    kind = step[0]
    if kind == "len":
        if not isinstance(new, int) or new < 0 or not value:
            raise ValueError("not a length")
        return type(value)(copy.deepcopy(value[i % len(value)]) for i in range(new))
    if kind == "attr":
        object.__setattr__(value, step[1], new)
        return value
    if isinstance(value, tuple):
        items = list(value)
        items[step[1]] = new
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    value[step[1]] = new
    return value


def _set(value: Any, steps: Path, new: Any) -> Any:
    if not steps:
        return new
    if steps[0][0] == "len":
        return _put(value, steps[0], new)
    child = _get(value, steps[0])
    return _put(value, steps[0], _set(child, steps[1:], new))


def with_leaf(call: Call, path: Path, value: Any) -> Call | None:
    """A copy of ``call`` with the leaf at ``path`` set to ``value`` (None when it cannot
    be set: a frozen or uncopyable object)."""
    try:
        changed = copy.deepcopy(call)
        head, rest = path[0], path[1:]
        if head[0] == SELF:
            changed.instance = _set(changed.instance, rest, value)
        else:
            changed.arguments[head[1]] = _set(changed.arguments[head[1]], rest, value)
    except Exception:  # noqa: BLE001 - any value that refuses the change: no variant
        return None
    return changed


def leaf_name(path: Path) -> str:
    """``self.members[2].points``: a path as the reader would write it."""
    text = ""
    for step in path:
        if step[0] == SELF:
            text = SELF
        elif step[0] == "arg":
            text = str(step[1])
        elif step[0] == "attr":
            text += f".{step[1]}"
        elif step[0] == "item":
            text += f"[{step[1]!r}]"
        else:
            text = f"len({text})"
    return text
