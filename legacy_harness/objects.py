"""Reading an object's state: its ``__dict__`` and slots, as the codec stores them.

One definition serves the codec (what a master holds), the comparison (what differs)
and the input strategies (what a generated instance gets), so the three agree on what
"the state of an object" is, including string ``__slots__`` and name-mangled slots.
"""

from __future__ import annotations

from typing import Any

__all__ = ["has_slots", "object_state", "slot_names"]

_NOT_FIELDS = ("__dict__", "__weakref__")


def slot_names(cls: type) -> tuple[str, ...]:
    """The attribute names behind every slot of ``cls`` and its bases, mangled as Python
    stores them (``__x`` declared in ``Cart`` is the attribute ``_Cart__x``)."""
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__")
        if slots is None:
            continue
        for name in (slots,) if isinstance(slots, str) else slots:
            if name in _NOT_FIELDS:
                continue
            if name.startswith("__") and not name.endswith("__"):
                name = f"_{klass.__name__.lstrip('_')}{name}"
            if name not in names:
                names.append(name)
    return tuple(names)


def has_slots(cls: type) -> bool:
    """True if ``cls`` or a base declares ``__slots__`` (even an empty one)."""
    return any("__slots__" in klass.__dict__ for klass in cls.__mro__)


def object_state(obj: Any) -> dict[str, Any] | None:
    """An object's attributes (``__dict__`` and set slots merged; ``args`` for
    exceptions), or None for an object that has neither a ``__dict__`` nor slots."""
    state: dict[str, Any] = {}
    has = False
    if isinstance(obj, BaseException):
        state["args"] = obj.args
        has = True
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        state.update(attributes)
        has = True
    cls = type(obj)
    if has_slots(cls):
        has = True
        for name in slot_names(cls):
            if name in state:
                continue
            try:
                state[name] = getattr(obj, name)
            except AttributeError:  # a slot never assigned
                continue
    return state if has else None
