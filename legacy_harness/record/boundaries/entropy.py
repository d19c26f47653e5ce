"""The ``uuid`` boundary: identifiers and random bytes a call draws, from the tape on replay.

``uuid.uuid1``, ``uuid.uuid4`` and the ``secrets.token_*`` functions are patched where
they are defined (so ``from uuid import uuid4`` is covered too), ``os.urandom`` on the
``os`` module. Readings are served in recorded order, one sequence per function.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from legacy_harness.record.boundaries.base import Boundary, Undo, patch_attribute, patch_function
from legacy_harness.record.boundaries.context import current, passthrough
from legacy_harness.record.boundaries.tape import Interaction, InteractionKind

__all__ = ["EntropyBoundary"]

NAME = "uuid"


def _as_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


#: function spec -> (operation on the tape, encode for the tape, decode from it)
_FUNCTIONS: dict[str, tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = {
    "uuid:uuid1": ("uuid1", str, _as_uuid),
    "uuid:uuid4": ("uuid4", str, _as_uuid),
    "secrets:token_bytes": ("token_bytes", bytes.hex, bytes.fromhex),
    "secrets:token_hex": ("token_hex", str, str),
    "secrets:token_urlsafe": ("token_urlsafe", str, str),
}


def _drawing(
    op: str, encode: Callable[[Any], Any], decode: Callable[[Any], Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def draw(*args: Any, **kwargs: Any) -> Any:
            channel = current()
            if channel is None:
                return original(*args, **kwargs)
            asked = Interaction(NAME, InteractionKind.READ, {"op": op})
            if channel.replaying:
                return decode(channel.next_read(asked).result["value"])
            with passthrough():
                value = original(*args, **kwargs)
            asked.result = {"value": encode(value)}
            channel.tape(asked)
            return value

        return draw

    return make


class EntropyBoundary(Boundary):
    """``uuid``: uuid1/uuid4, ``secrets.token_*`` and ``os.urandom`` from the tape."""

    name = NAME
    category = NAME

    def patch(self) -> list[Undo]:
        undos = [
            patch_function(spec, _drawing(op, encode, decode))
            for spec, (op, encode, decode) in _FUNCTIONS.items()
        ]
        urandom = _drawing("urandom", bytes.hex, bytes.fromhex)(os.urandom)
        undos.append(patch_attribute(os, "urandom", urandom))
        return undos
