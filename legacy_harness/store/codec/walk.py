"""One walk over encoded trees, for everyone who reads them without decoding.

The store (which blobs a case names), verify (which blobs to carry into an updated
case), redaction (which ``$id``s a replaced value held) and the golden fixture (which
packages a master names) all need to visit every node of a tree and know its tag.
:func:`walk` does it once, without recursion (a hostile file may nest deeply), in
document order, with the JSON path of every node.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from legacy_harness.store.codec.registry import JsonPath, Tree

__all__ = [
    "BLOB_NAME",
    "MARKER_KEYS",
    "Visit",
    "blob_names",
    "blob_refs",
    "class_refs",
    "format_path",
    "short_path",
    "tag_of",
    "walk",
]

#: Keys that may stand beside a tag (or in a plain object) without being a tag.
MARKER_KEYS = frozenset({"$id", "$keys"})
#: How the encoder names blobs: content hash, ``.npy``. Anything else is refused.
BLOB_NAME = re.compile(r"^[0-9a-f]{16,64}\.npy$")
#: ``module:qualname`` as written by the encoder for classes and functions.
_REF = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
#: Tags whose value names a class or function by ``module:qualname``.
_REF_TAGS = frozenset({"$object", "$enum", "$namedtuple", "$class", "$function"})


class Visit(NamedTuple):
    """One container of a tree: where it is, the node itself, and its tag (or None)."""

    path: JsonPath
    node: Any
    tag: str | None


def tag_of(node: dict[str, Any]) -> str | None:
    """The tag of an object node (its one ``$`` key besides markers), or None."""
    for key in node:
        if type(key) is str and key[:1] == "$" and key not in MARKER_KEYS:
            return key
    return None


def walk(tree: Tree, path: JsonPath = ()) -> Iterator[Visit]:
    """Every dict and list of ``tree``, parents first, in document order.

    Scalars are not visited (their container is). A consumer that only needs some
    tags filters on :attr:`Visit.tag`; ``len(visit.path)`` is the node's depth.
    """
    stack: list[tuple[JsonPath, Any]] = [(path, tree)]
    containers = (dict, list)
    while stack:
        where, node = stack.pop()
        kind = type(node)
        if kind is dict:
            yield Visit(where, node, tag_of(node))
            children = [((*where, k), v) for k, v in node.items() if type(v) in containers]
        elif kind is list:
            yield Visit(where, node, None)
            children = [((*where, i), v) for i, v in enumerate(node) if type(v) in containers]
        else:
            continue
        children.reverse()
        stack.extend(children)


def format_path(root: str, path: JsonPath) -> str:
    """``root`` and ``path`` as people read them: ``inputs.args[0].$ndarray.dtype``."""
    text = root
    for seg in path:
        if isinstance(seg, int):
            text += f"[{seg}]"
        else:
            text += f".{seg}" if text else str(seg)
    return text or "(root)"


def short_path(root: str, path: JsonPath, keep: int = 6) -> str:
    """:func:`format_path`, with the middle of a very deep path left out."""
    if len(path) <= 2 * keep:
        return format_path(root, path)
    head = format_path(root, path[:keep])
    tail = format_path("", path[-keep:])
    return f"{head}...({len(path) - 2 * keep} levels)...{tail}"


def blob_refs(*trees: Tree) -> Iterator[tuple[JsonPath, Any]]:
    """(path of the ``blob`` field, the name given there) for every array stored in a blob."""
    for tree in trees:
        for visit in walk(tree):
            if visit.tag == "$ndarray":
                head = visit.node["$ndarray"]
                if type(head) is dict and "blob" in head:
                    yield (*visit.path, "$ndarray", "blob"), head["blob"]


def blob_names(*trees: Tree) -> set[str]:
    """Names of the blobs the trees refer to (so a rewritten case carries all of them)."""
    return {name for _, name in blob_refs(*trees) if type(name) is str}


def class_refs(*trees: Tree) -> set[str]:
    """``module:qualname`` of every class and function the trees name."""
    found: set[str] = set()
    for tree in trees:
        for visit in walk(tree):
            if visit.tag in _REF_TAGS:
                ref = visit.node[visit.tag]
                if type(ref) is str and _REF.fullmatch(ref):
                    found.add(ref)
    return found
