"""Encoding: one run over a live value, turning it into a JSON tree.

The run is generic: it finds each value's family through the registry, keeps track of
objects met twice (so shared and cyclic values become ``$id``/``$ref``), and turns
anything no family takes into an ``$unencodable`` placeholder with a problem message,
because recording must never fail on odd arguments. What a value looks like encoded
is its family's business (``builtin_tags``, ``numpy_tags``, ``class_tags``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from legacy_harness.store.codec.jsonlayer import canonical, identity_text
from legacy_harness.store.codec.registry import Tree, exact_encoders, fallbacks
from legacy_harness.store.codec.walk import MARKER_KEYS

__all__ = ["Encoder", "Unencodable", "encode", "type_ref"]

#: Values whose encoding is their content alone (no $ref, no state of other objects).
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes, complex})


@dataclass(frozen=True)
class Unencodable:
    """Stand-in for a value that could not be encoded, so a case can still be reviewed."""

    type_name: str
    repr: str


def type_ref(obj: Any) -> str:
    """``module:qualname`` of ``obj``'s class (or of ``obj`` if it is a class)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{getattr(cls, '__module__', '?')}:{getattr(cls, '__qualname__', cls.__name__)}"


class Encoder:
    """One encoding run: tracks shared objects so they become $id/$ref."""

    def __init__(
        self, blobs: dict[str, bytes] | None, problems: list[str] | None, inline_limit: int
    ) -> None:
        self.blobs = blobs
        self.problems = problems
        self.inline_limit = inline_limit
        self.exact = exact_encoders()
        self.fallbacks = fallbacks()
        # id(obj) -> [obj, node, ref number (0: none yet), busy building an immutable]
        self.seen: dict[int, list[Any]] = {}
        self.shared: list[list[Any]] = []

    def run(self, value: Any) -> Tree:
        node = self.enc(value)
        if self.shared:
            node = self._attach_ids(node)
        return node

    def enc(self, obj: Any) -> Tree:
        handler = self.exact.get(type(obj))
        if handler is not None:
            return handler(self, obj)
        for recognise in self.fallbacks:
            node = recognise(self, obj)
            if node is not None:
                return node
        return self.unencodable(obj)

    # -- identity -------------------------------------------------------------------

    def track(self, obj: Any, fragile: bool = False) -> tuple[Tree | None, list[Any] | None]:
        """Return (ref node, None) for an object seen before, else (None, new entry).

        The caller stores its node in ``entry[1]``. ``fragile`` marks a value that
        cannot exist before its contents (a tuple, a frozen subclass): a cycle back
        into it cannot be rebuilt and becomes unencodable; clear ``entry[3]`` once
        the value would exist on decoding.
        """
        entry = self.seen.get(id(obj))
        if entry is None:
            entry = [obj, None, 0, fragile]
            self.seen[id(obj)] = entry
            return None, entry
        if entry[3]:
            return (
                self.unencodable(obj, "it is part of a cycle through an immutable value"),
                None,
            )
        if not entry[2]:
            entry[2] = len(self.shared) + 1
            self.shared.append(entry)
        return {"$ref": entry[2]}, None

    def _attach_ids(self, root: Tree) -> Tree:
        wrap: dict[int, int] = {}
        for entry in self.shared:
            node = entry[1]
            if type(node) is dict and any(k[:1] == "$" and k not in MARKER_KEYS for k in node):
                node["$id"] = entry[2]
            else:
                wrap[id(node)] = entry[2]
        if not wrap:
            return root

        def fix(node: Tree) -> Tree:
            if type(node) is list:
                for i, child in enumerate(node):
                    if type(child) in (list, dict):
                        node[i] = fix(child)
            elif type(node) is dict:
                for key, child in node.items():
                    if type(child) in (list, dict):
                        node[key] = fix(child)
            n = wrap.get(id(node))
            if n is None:
                return node
            if type(node) is list:
                return {"$list": node, "$id": n}
            order = node.pop("$keys", None) or list(node)
            return {"$dict": [[k, node[k]] for k in order], "$id": n}

        return fix(root)

    # -- shared helpers for families ------------------------------------------------

    def unencodable(self, obj: Any, why: str | None = None) -> Tree:
        ref = type_ref(obj)
        try:
            text = repr(obj)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not stop recording
            text = f"<{ref} object>"
        if self.problems is not None:
            reason = why or "the codec has no rule for this type"
            qual = ref.split(":", 1)[1]
            self.problems.append(
                f"cannot encode {ref} value {text[:60]}: {reason}; teach the codec with "
                f"legacy_harness.store.codec.register_codec({qual}, name=..., encode=..., decode=...)"
            )
        return {"$unencodable": ref, "repr": text[:200]}

    def content_order(self, values: list[Any]) -> list[int]:
        """Positions of ``values`` sorted by what each holds, never by hash or address.

        Each value is encoded on its own (a fresh run, throwaway blobs), so its text is
        its content however the rest of the tree shares it. Encoding set members and
        dict keys in this order makes the whole tree, its $id/$ref numbers included,
        the same under any hash seed and any insertion order.
        """
        side = Encoder({}, None, self.inline_limit)
        texts = []
        for value in values:
            side.seen, side.shared = {}, []
            texts.append(identity_text(side.run(value)))
        return sorted(range(len(values)), key=texts.__getitem__)

    def sorted_elements(self, items: Any) -> list[Tree]:
        """Encoded elements of a set, in an order that does not depend on hashing."""
        values = list(items)
        if all(type(x) in _PLAIN for x in values):
            nodes = [self.enc(x) for x in values]
            nodes.sort(key=canonical)
            return nodes
        return [self.enc(values[i]) for i in self.content_order(values)]

    def sorted_pairs(self, items: Any) -> tuple[list[Tree], list[int] | None]:
        """``[[key, value], ...]`` sorted by key content, and the insertion order.

        The order (positions in the sorted pairs, in insertion order) is None when it is
        the sorted order; replayed code may iterate the dict, so it is kept otherwise.
        """
        pairs = list(items)
        keys = [k for k, _ in pairs]
        e = self.enc
        if all(type(k) in _PLAIN for k in keys):
            key_nodes = [e(k) for k in keys]
            texts = [canonical(node) for node in key_nodes]
            order = sorted(range(len(keys)), key=texts.__getitem__)
            nodes = [[key_nodes[i], e(pairs[i][1])] for i in order]
        else:
            order = self.content_order(keys)
            nodes = [[e(pairs[i][0]), e(pairs[i][1])] for i in order]
        if order == list(range(len(order))):
            return nodes, None
        where = {i: n for n, i in enumerate(order)}
        return nodes, [where[i] for i in range(len(order))]

    def enc_custom(self, obj: Any, name: str, encode: Callable[[Any], Any]) -> Tree:
        """``{"$custom": name, "value": ...}`` through a user codec's ``encode``."""
        ref, entry = self.track(obj, fragile=True)
        if entry is None:
            return ref
        try:
            raw = encode(obj)
        except Exception as exc:  # noqa: BLE001 - user code; report, do not abort recording
            entry[3] = False
            entry[1] = self.unencodable(obj, f"codec {name!r} raised {exc!r}")
            return entry[1]
        node = {"$custom": name, "value": self.enc(raw)}
        entry[1] = node
        entry[3] = False
        return node


def encode(
    value: Any,
    *,
    blobs: dict[str, bytes] | None = None,
    problems: list[str] | None = None,
    inline_limit: int = 64,
) -> Tree:
    """Turn ``value`` into a JSON-compatible tree (see docs/golden-format.md).

    Arrays with more than ``inline_limit`` elements go into ``blobs`` as
    content-addressed ``.npy`` payloads; with ``blobs=None`` every array is inlined.
    Values the codec cannot represent become ``$unencodable`` placeholders and a
    message is appended to ``problems``: recording must never fail on odd arguments.
    """
    encoder = Encoder(blobs, problems, inline_limit)
    try:
        return encoder.run(value)
    except RecursionError:
        encoder.seen.clear()
        return encoder.unencodable(value, "it is nested too deeply for the Python stack")
