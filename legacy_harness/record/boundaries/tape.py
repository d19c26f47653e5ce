"""The tape: a call's interactions with its declared boundaries, in call order.

Each interaction is plain JSON a reviewer can read: which boundary, whether the call
read or wrote, what it asked (``call``: a statement and its parameters, a URL, a file
name) and what came back (``result``: rows, a response, file contents, an instant).

On replay a :class:`Cassette` answers reads from the recorded entries, collects today's
writes for comparison, and explains every call it cannot answer by naming the call and
the nearest recorded one, with the fields that differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.outcomes import InteractionKind
from legacy_harness.store import codec

__all__ = [
    "Cassette",
    "Interaction",
    "InteractionKind",
    "Mismatch",
    "tape_from_tree",
    "tape_to_tree",
    "writes_view",
]


#: How the keys of a call are named in messages ("what differs").
_FIELD_NAMES = {
    "sql": "statement",
    "params": "parameters",
    "params_seq": "parameters",
    "script": "statement",
    "url": "URL",
    "method": "method",
    "body": "body",
    "path": "path",
    "args": "arguments",
    "kwargs": "arguments",
    "database": "database",
    "function": "function",
    "op": "operation",
}


#: The order in which a call's fields are shown (the rest follow, sorted).
_DESCRIBE_ORDER = (
    "op", "method", "url", "database", "sql", "script", "path", "to", "params",
    "params_seq", "args", "kwargs", "body", "headers",
)  # fmt: skip


@dataclass
class Interaction:
    """One call across a boundary: ``call`` identifies it, ``result`` is what it gave."""

    boundary: str
    kind: InteractionKind
    call: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)

    def to_tree(self) -> dict[str, Any]:
        return {
            "boundary": self.boundary,
            "kind": str(self.kind),
            "call": self.call,
            "result": self.result,
        }

    @property
    def key(self) -> str:
        """What matching compares: boundary, kind and call, canonically serialised."""
        return codec.canonical([self.boundary, str(self.kind), self.call])

    def describe(self, width: int = 160) -> str:
        """The call in one line, for messages: ``sqlite3 read SELECT ... [42]``."""
        parts = []
        order = {name: index for index, name in enumerate(_DESCRIBE_ORDER)}
        for name in sorted(self.call, key=lambda key: (order.get(key, len(order)), key)):
            value = self.call[name]
            text = value if isinstance(value, str) else codec.canonical(value)
            parts.append(f"{name}={text}")
        text = f"{self.boundary} {self.kind} " + ", ".join(parts)
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 3] + "..."


def tape_to_tree(tape: Iterable[Interaction]) -> list[dict[str, Any]]:
    return [item.to_tree() for item in tape]


def tape_from_tree(tree: Any) -> list[Interaction]:
    """Validate a stored tape; raises ``ValueError`` naming the entry at fault."""
    if not isinstance(tree, list):
        raise ValueError("field 'tape' must be a list of interactions")
    tape = []
    for index, item in enumerate(tree):
        where = f"field 'tape[{index}]'"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object")
        boundary, kind = item.get("boundary"), item.get("kind")
        if not isinstance(boundary, str) or not boundary:
            raise ValueError(f"{where} needs a 'boundary' name")
        if kind not in ("read", "write"):
            raise ValueError(f"{where}.kind must be 'read' or 'write', not {kind!r}")
        call, result = item.get("call"), item.get("result", {})
        if not isinstance(call, dict) or not isinstance(result, dict):
            raise ValueError(f"{where}.call and .result must be objects")
        tape.append(Interaction(boundary, InteractionKind(kind), call, result))
    return tape


def writes_view(
    tape: Sequence[Interaction], blobs: Any, policy: codec.ClassPolicy
) -> list[dict[str, Any]]:
    """The writes of a tape as live values, in order: what comparison sees at ``writes``.

    Each is ``{"boundary": name, **call}``: a statement with its parameters, a file's
    path and content, a request's method, URL and body. Tolerances and scrubbers apply
    to them by path as to a return value (``writes[*].params[2]``).
    """
    view = []
    for item in tape:
        if item.kind is InteractionKind.WRITE:
            call = codec.decode(item.call, blobs=blobs, policy=policy)
            view.append({"boundary": item.boundary, **call})
    return view


@dataclass
class Mismatch:
    """A call on replay that the tape does not hold, with the nearest recorded call."""

    call: Interaction
    nearest: Interaction | None
    differs: list[str]
    note: str = ""

    def render(self) -> str:
        text = f"{self.call.boundary} call not on the tape: {self.call.describe()}"
        if self.note:
            text += f" ({self.note})"
        if self.nearest is not None:
            text += f"; nearest recorded: {self.nearest.describe()}"
            if self.differs:
                text += f" (differs in: {', '.join(self.differs)})"
        return text


def _differs(call: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for key in sorted(set(call) | set(other)):
        if codec.canonical(call.get(key)) != codec.canonical(other.get(key)):
            name = _FIELD_NAMES.get(key, key)
            if name not in names:
                names.append(name)
    return names


class Cassette:
    """Replays one recorded tape: answers reads, consumes write answers, keeps today's.

    Reads are matched by their call (the first unused recorded read with an equal call
    answers), so independent reads may change order without failing; sequential reads
    with no arguments (clock, uuid) are served in recorded order. Writes are taken in
    order per boundary: today's write is kept for comparison and the recorded one only
    supplies the answer (a row count, a response).
    """

    def __init__(self, recorded: Sequence[Interaction]) -> None:
        self.recorded = list(recorded)
        self.used = [False] * len(self.recorded)
        self.today: list[Interaction] = []
        self.mismatches: list[Mismatch] = []
        self._by_key: dict[str, list[int]] = {}
        self._by_boundary: dict[tuple[str, InteractionKind], list[int]] = {}
        for index, item in enumerate(self.recorded):
            self._by_key.setdefault(item.key, []).append(index)
            self._by_boundary.setdefault((item.boundary, item.kind), []).append(index)

    def _take(self, indexes: list[int]) -> Interaction | None:
        for index in indexes:
            if not self.used[index]:
                self.used[index] = True
                return self.recorded[index]
        return None

    def take(self, asked: Interaction) -> Interaction | None:
        """The first unused recorded interaction with the same call, or None."""
        found = self._take(self._by_key.get(asked.key, []))
        if found is not None:
            self.today.append(found)
        return found

    def read(self, asked: Interaction) -> Interaction | None:
        """The recorded read with the same call, or None (the mismatch is noted)."""
        found = self.take(asked)
        if found is None:
            self.miss(asked)
        return found

    def next_read(self, asked: Interaction) -> Interaction | None:
        """The next unused recorded read of the same boundary and operation, in order."""
        op = asked.call.get("op")
        for index in self._by_boundary.get((asked.boundary, InteractionKind.READ), []):
            if not self.used[index] and self.recorded[index].call.get("op") == op:
                self.used[index] = True
                self.today.append(self.recorded[index])
                return self.recorded[index]
        count = sum(
            1
            for index in self._by_boundary.get((asked.boundary, InteractionKind.READ), [])
            if self.recorded[index].call.get("op") == op
        )
        self.mismatches.append(
            Mismatch(asked, None, [], f"{count} recorded, all used: more calls than recorded")
        )
        return None

    def write(self, done: Interaction) -> Interaction | None:
        """Keep today's write; return the recorded write in the same place, if any (its
        result is the answer today's write gets, and is kept with it)."""
        self.today.append(done)
        found = self._take(self._by_boundary.get((done.boundary, InteractionKind.WRITE), []))
        if found is not None and not done.result:
            done.result = found.result
        return found

    def miss(self, asked: Interaction) -> Mismatch:
        candidates = [
            index
            for index in self._by_boundary.get((asked.boundary, asked.kind), [])
            if not self.used[index]
        ]
        note = ""
        if not candidates:
            recorded = self._by_boundary.get((asked.boundary, asked.kind), [])
            candidates = list(recorded)
            if recorded:
                note = f"{len(recorded)} recorded, all used: more calls than recorded"
            else:
                note = f"the tape holds no {asked.boundary} {asked.kind}"
        nearest = None
        if candidates:
            scored = [
                (len(_differs(asked.call, self.recorded[index].call)), index)
                for index in candidates
            ]
            nearest = self.recorded[min(scored)[1]]
        differs = _differs(asked.call, nearest.call) if nearest is not None else []
        mismatch = Mismatch(asked, nearest, differs, note)
        self.mismatches.append(mismatch)
        return mismatch
