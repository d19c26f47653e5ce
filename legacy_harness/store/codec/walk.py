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
from typing import Any

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


class Visit:
    """One container of a tree: the node, its tag (or None), its depth and its path.

    The path is kept as a chain of steps and spelled out only when asked for, so a
    walk over a very deep tree stays linear.
    """

    __slots__ = ("node", "tag", "depth", "_prefix", "_trail")

    def __init__(self, node: Any, tag: str | None, depth: int, prefix: JsonPath, trail: Any):
        self.node = node
        self.tag = tag
        self.depth = depth
        self._prefix = prefix
        self._trail = trail  # None at the start, else (parent trail, key or index)

    @property
    def path(self) -> JsonPath:
        """Keys and indices from the root to the node (after the walk's start path)."""
        steps: list[Any] = []
        trail = self._trail
        while trail is not None:
            trail, step = trail
            steps.append(step)
        steps.reverse()
        return (*self._prefix, *steps)

    def __repr__(self) -> str:
        return f"Visit(path={self.path!r}, tag={self.tag!r})"


def tag_of(node: dict[str, Any]) -> str | None:
    """The tag of an object node (its one ``$`` key besides markers), or None."""
    for key in node:
        if type(key) is str and key[:1] == "$" and key not in MARKER_KEYS:
            return key
    return None


def walk(tree: Tree, path: JsonPath = ()) -> Iterator[Visit]:
    """Every dict and list of ``tree``, parents first, in document order.

    Scalars are not visited (their container is). A consumer that only needs some
    tags filters on :attr:`Visit.tag`; :attr:`Visit.depth` counts from ``path``.
    """
    start = len(path)
    stack: list[tuple[Any, int, Any]] = [(tree, start, None)]
    containers = (dict, list)
    while stack:
        node, depth, trail = stack.pop()
        kind = type(node)
        if kind is dict:
            yield Visit(node, tag_of(node), depth, path, trail)
            items: Any = node.items()
        elif kind is list:
            yield Visit(node, None, depth, path, trail)
            items = enumerate(node)
        else:
            continue
        children = [(v, depth + 1, (trail, k)) for k, v in items if type(v) in containers]
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
