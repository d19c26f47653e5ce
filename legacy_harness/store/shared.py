"""Large sub-values stored once per target, named by their content.

A value many calls of a target see (a 50 kB catalog held by ``self``, a configuration
table passed to every call) would otherwise be written into every case file. Before a
case is written, every object or list inside it whose canonical JSON is at least
:data:`SHARE_FROM` bytes is moved to ``<target>/blobs/<sha256>.json`` and the case holds
``{"$shared": "<sha256>.json"}`` in its place (innermost values first, so a large
value made of large parts shares each part). The decision depends only on the value
itself, never on what other cases hold, so re-recording unchanged behaviour writes the
same bytes, and equal values in different cases land in the same file.

Loading puts the values back before anything decodes the case, so replay, review and
the docs pages see the whole case. Shared files are untrusted input like the rest:
their names are checked (a hex digest and ``.json``), they are read only as regular
files inside the target's blob folder, their nesting is bounded, and the bytes of all
the shared values one case expands to count against the case's ``max_case_bytes``.
Values that hold arrays stored as blobs are never shared, so the store's blob clean-up
sees every blob a case names in the case file itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.store.codec.jsonlayer import canonical

__all__ = [
    "SHARED_NAME",
    "SHARED_TAG",
    "SHARE_FROM",
    "check_name",
    "expand",
    "extract",
    "shared_refs",
]

SHARED_TAG = "$shared"
#: How a shared value's file is named: the sha256 of its canonical JSON, then ``.json``.
SHARED_NAME = re.compile(r"^[0-9a-f]{64}\.json$")
#: Values whose canonical JSON is at least this long are stored once (bytes).
SHARE_FROM = 2048
#: Top-level fields of a case that are never replaced by a reference (read by people).
_SECTIONS_DEPTH = 1

Tree = Any
#: Reads one shared file's text, given its name (the store confines and bounds it).
Reader = Callable[[str], str]


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _canonical(node: Any) -> str | None:
    """``node``'s text as :func:`extract` composes it (keys sorted, no spaces), or None
    where the walk must decide (keys that are not all strings)."""
    try:
        return canonical(node)
    except CodecError:
        return None


def extract(tree: Tree, *, share_from: int | None = None) -> tuple[Tree, dict[str, Tree]]:
    """``tree`` with its sub-values of ``share_from`` bytes or more (default
    :data:`SHARE_FROM`) replaced by references, and name -> value of each value
    replaced. ``tree`` itself is not changed."""
    found: dict[str, Tree] = {}
    if share_from is None:
        share_from = SHARE_FROM

    def visit(node: Any, depth: int) -> tuple[Any, str]:
        if depth <= _SECTIONS_DEPTH:
            # never shared themselves, so their text is never needed: only what they
            # hold is looked at (encoding the whole case and each section is saved)
            if isinstance(node, dict):
                return {key: visit(node[key], depth + 1)[0] for key in sorted(node)}, ""
            if isinstance(node, list):
                return [visit(item, depth + 1)[0] for item in node], ""
            return node, ""
        if isinstance(node, (dict, list)):
            # a sub-value's text is part of its container's: below share_from nothing
            # inside can be shared, so one C-encoded pass replaces the walk
            whole = _canonical(node)
            if whole is not None and len(whole) < share_from:
                return node, whole
            values = node.values() if isinstance(node, dict) else node
            if whole is not None and not any(isinstance(v, (dict, list)) for v in values):
                # scalars are never shared: a long row of them needs no walk either
                flat = (
                    {key: node[key] for key in sorted(node)}
                    if isinstance(node, dict)
                    else list(node)
                )
                return share(flat, whole, depth)
        if isinstance(node, dict):
            pairs = [(key, *visit(node[key], depth + 1)) for key in sorted(node)]
            new: Any = {key: value for key, value, _ in pairs}
            text = "{" + ",".join(f"{_scalar(key)}:{part}" for key, _, part in pairs) + "}"
        elif isinstance(node, list):
            items = [visit(item, depth + 1) for item in node]
            new = [value for value, _ in items]
            text = "[" + ",".join(part for _, part in items) + "]"
        else:
            return node, _scalar(node)
        return share(new, text, depth)

    def share(new: Any, text: str, depth: int) -> tuple[Any, str]:
        if depth <= _SECTIONS_DEPTH or len(text) < share_from or '"$ndarray"' in text:
            return new, text
        name = hashlib.sha256(text.encode("utf-8")).hexdigest() + ".json"
        found[name] = new
        ref = {SHARED_TAG: name}
        return ref, "{" + f"{_scalar(SHARED_TAG)}:{_scalar(name)}" + "}"

    replaced, _ = visit(tree, 0)
    return replaced, found


def _is_ref(node: Any) -> bool:
    return type(node) is dict and len(node) == 1 and SHARED_TAG in node


def shared_refs(tree: Tree) -> Iterator[Any]:
    """The name each ``{"$shared": name}`` in ``tree`` gives, in document order (no
    recursion: a hostile file may nest deeply)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_ref(node):
            yield node[SHARED_TAG]
        elif type(node) is dict:
            stack.extend(reversed(list(node.values())))
        elif type(node) is list:
            stack.extend(reversed(node))


def check_name(name: Any) -> str:
    """``name`` if it is a shared file's name, else CodecError (it becomes part of a path)."""
    if type(name) is not str or not SHARED_NAME.fullmatch(name):
        raise CodecError(
            f"shared value {str(name)[:80]!r} is not named <sha256>.json; restore the case"
            " from version control"
        )
    return name


def expand(tree: Tree, read: Reader, parse: Callable[[str], Tree], budget: int) -> Tree:
    """``tree`` with every reference replaced by its value (references in shared values
    too), reading each file through ``read`` and parsing it with ``parse`` (which bounds
    its nesting). The text of every value put in counts against ``budget`` bytes; a
    value that refers back to itself is refused."""
    texts: dict[str, str] = {}
    spent = 0

    def value_of(name: Any, chain: tuple[str, ...]) -> Tree:
        nonlocal spent
        name = check_name(name)
        if name in chain:
            raise CodecError(f"shared value {name} refers to itself")
        if name not in texts:
            texts[name] = read(name)
        spent += len(texts[name])
        if spent > budget:
            raise CodecError(
                f"the shared values of this case hold more than {budget} bytes"
                " (max_case_bytes); raise it in [tool.legacy_harness.limits] if the case is trusted"
            )
        return fill(parse(texts[name]), (*chain, name))

    def fill(node: Tree, chain: tuple[str, ...]) -> Tree:
        if _is_ref(node):
            return value_of(node[SHARED_TAG], chain)
        root: list[Tree] = [node]
        stack: list[tuple[Any, Any]] = [(root, 0)]
        while stack:
            holder, key = stack.pop()
            current = holder[key]
            if _is_ref(current):
                holder[key] = value_of(current[SHARED_TAG], chain)
            elif type(current) is dict:
                stack.extend((current, k) for k in current)
            elif type(current) is list:
                stack.extend((current, i) for i in range(len(current)))
        return root[0]

    return fill(tree, ())
