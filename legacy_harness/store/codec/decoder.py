"""Decoding: one run over a tree from a golden file, rebuilding the value it stands for.

Golden files are untrusted input, so the run checks every node: an unknown tag, a
stray key, a malformed value or a forbidden class is a :class:`CodecError` naming the
JSON path. Nesting and declared sizes are bounded by the policy's :class:`Limits`
before anything is allocated. What each tag means is its family's business; this
module resolves ``$ref`` (also forward ones), classes and blobs for all of them.
"""

from __future__ import annotations

import enum
import inspect
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.store.codec.encoder import encode
from legacy_harness.store.codec.jsonlayer import identity_text
from legacy_harness.store.codec.policy import DENY_ALL, ClassPolicy
from legacy_harness.store.codec.registry import JsonPath, Tree, decoder_for
from legacy_harness.store.codec.walk import (
    BLOB_NAME,
    MARKER_KEYS,
    Visit,
    format_path,
    short_path,
    walk,
)

__all__ = ["BlobSource", "ContentKey", "Decoder", "decode"]

_SCALAR_TYPES = (str, int, float, bool, type(None))
#: Python frames one level of JSON nesting may take while decoding (tag handlers,
#: comprehensions: 2.5 at most, measured), used to make room for ``max_depth`` levels.
_FRAMES_PER_LEVEL = 3
_STACK_MARGIN = 50

#: Blobs by name, or a function that reads one.
BlobSource = Mapping[str, bytes] | Callable[[str], bytes]


_NAMED = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType)


def _identity_hashed(value: Any) -> bool:
    """True if ``value`` hashes by address (a plain object, or a tuple holding one)."""
    if isinstance(value, (tuple, frozenset)):
        return any(_identity_hashed(x) for x in value)
    return type(value).__hash__ is object.__hash__ and not isinstance(value, _NAMED)


def _short(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if value is None or isinstance(value, (str, int, float, bool)):
        text = repr(value)
        return text if len(text) <= 24 else text[:21] + "..."
    return f"{type(value).__name__}(...)"


class ContentKey:
    """A decoded dict key that is equal to another by content, not by address.

    A dict keyed by plain objects (``{Product: quantity}``) hashes them by address, so
    the dict decoded from a master and the one decoded from today's replay share no
    key: every entry would read as missing. Decoding for comparison wraps such keys in
    this, hashed and compared by their encoded content.
    """

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentKey) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        value = self.value
        if isinstance(value, tuple):
            return "(" + ", ".join(_short(x) for x in value) + ")"
        try:
            state = dict(vars(value))
        except TypeError:
            state = {}
        inner = ", ".join(f"{k}={_short(state[k])}" for k in sorted(state) if k[:1] != "_")
        text = f"{type(value).__qualname__}({inner})"
        return text if len(text) <= 80 else text[:77] + "..."


class Decoder:
    """One decoding run: resolves $ref (also forward ones) and checks every node."""

    #: Wrap dict keys that hash by address in :class:`ContentKey` (for comparing).
    content_keys = False

    def __init__(self, blobs: BlobSource | None, policy: ClassPolicy, root: str) -> None:
        self.blobs = blobs
        self.policy = policy
        self.limits = policy.limits
        self.max_depth = policy.limits.max_depth
        self.root = root
        self.refs: dict[int, Any] = {}
        self.owner: dict[int, int] = {}  # ref number -> id() of the node defining it
        self.busy: set[int] = set()
        self.index: dict[int, Visit] | None = None
        self.tree: Tree = None
        self.spent = 0  # bytes of arrays declared so far

    def fail(self, path: JsonPath, message: str) -> CodecError:
        return CodecError(f"{format_path(self.root, path)}: {message}")

    # -- generic --------------------------------------------------------------------

    def dec(self, node: Tree, path: JsonPath) -> Any:
        cls = type(node)
        if cls in _SCALAR_TYPES:
            return node
        if len(path) >= self.max_depth and cls in (list, dict):
            raise CodecError(
                f"{short_path(self.root, path)}: nested deeper than max_depth = {self.max_depth};"
                f" {self.limits.hint('max_depth')}"
            )
        if cls is list:
            dec = self.dec
            return [
                x if type(x) in _SCALAR_TYPES else dec(x, (*path, i)) for i, x in enumerate(node)
            ]
        if cls is dict:
            tag = None
            for key in node:
                if type(key) is str and key[:1] == "$" and key not in MARKER_KEYS:
                    if tag is not None:
                        raise self.fail(path, f"object has two tags, {tag} and {key}")
                    tag = key
            if tag is None:
                return self.dec_plain(node, path)
            if "$keys" in node:
                raise self.fail(path, f"$keys beside the tag {tag}")
            return self.dec_tagged(node, tag, path)
        raise self.fail(path, f"{cls.__name__} is not a JSON value")

    def dec_plain(self, node: dict[str, Any], path: JsonPath) -> dict[str, Any]:
        if "$id" in node:
            raise self.fail(path, "$id without a tag; use $list or $dict")
        dec = self.dec
        out: dict[str, Any] = {}
        keys = node.get("$keys")
        if keys is not None:
            if (
                type(keys) is not list
                or any(type(k) is not str for k in keys)
                or sorted(keys) != sorted(k for k in node if k != "$keys")
            ):
                raise self.fail((*path, "$keys"), "must list exactly the object's keys")
            node = {key: node[key] for key in keys}
        for key, value in node.items():
            if type(key) is not str:
                raise self.fail(path, f"JSON object key {key!r} is not a string")
            out[key] = value if type(value) in _SCALAR_TYPES else dec(value, (*path, key))
        return out

    def dec_tagged(self, node: dict[str, Any], tag: str, path: JsonPath) -> Any:
        rule = decoder_for(tag)
        if rule is None:
            raise self.fail(path, f"unknown tag {tag}")
        for key in node:
            if key != tag and key != "$id" and key not in rule.keys:
                raise self.fail(path, f"unexpected key {key!r} beside {tag}")
        n = node.get("$id")
        if n is not None:
            if type(n) is not int:
                raise self.fail((*path, "$id"), "$id must be an integer")
            if tag == "$ref":
                raise self.fail(path, "$ref cannot carry an $id")
            owner = self.owner.get(n)
            if owner is not None:
                if owner != id(node):
                    raise self.fail((*path, "$id"), f"$id {n} is defined twice")
                if n in self.refs:  # already built through a forward $ref
                    return self.refs[n]
            self.owner[n] = id(node)
            self.busy.add(n)
        value = rule.decode(self, node[tag], node, (*path, tag), n)
        if n is not None:
            self.refs[n] = value
            self.busy.discard(n)
        return value

    def content_key(self, key: Any) -> Any:
        """``key``, or a :class:`ContentKey` for it when it hashes by address."""
        if not _identity_hashed(key):
            return key
        return ContentKey(key, identity_text(encode(key, blobs={})))

    def remember(self, n: int | None, obj: Any) -> None:
        """Register a mutable value before its contents so inner $refs can reach it."""
        if n is not None:
            self.refs[n] = obj

    # -- bounds ---------------------------------------------------------------------

    def charge(self, nbytes: int, path: JsonPath, what: str) -> None:
        """Account for ``nbytes`` about to be allocated; refuse beyond the limits."""
        limits = self.limits
        if nbytes > limits.max_array_bytes:
            raise self.fail(
                path,
                f"{what} declares {nbytes} bytes, beyond max_array_bytes ="
                f" {limits.max_array_bytes}; {limits.hint('max_array_bytes')}",
            )
        self.spent += nbytes
        if self.spent > limits.max_case_bytes:
            raise self.fail(
                path,
                f"arrays declared so far take {self.spent} bytes, beyond max_case_bytes ="
                f" {limits.max_case_bytes}; {limits.hint('max_case_bytes')}",
            )

    # -- references -----------------------------------------------------------------

    def resolve_ref(self, n: Any, path: JsonPath) -> Any:
        if type(n) is not int:
            raise self.fail(path, "$ref must be an integer")
        if n in self.refs:
            return self.refs[n]
        if n in self.busy:
            raise self.fail(path, f"$ref {n} points into a value that is still being built")
        if self.index is None:
            self.index = {}
            for visit in walk(self.tree):
                if visit.tag is not None:
                    ident = visit.node.get("$id")
                    if type(ident) is int and ident not in self.index:
                        self.index[ident] = visit
        target = self.index.get(n)
        if target is None:
            raise self.fail(path, f"$ref {n} has no matching $id")
        return self.dec(target.node, target.path)

    # -- classes --------------------------------------------------------------------

    def resolve(self, ref: Any, path: JsonPath, *, function: bool = False) -> Any:
        """Find module:qualname, importing the module only if the policy allows it."""
        try:
            return self.policy.resolve(ref, function=function)
        except CodecError as exc:
            raise self.fail(path, str(exc)) from None

    def resolve_class(self, ref: Any, path: JsonPath, base: type = object) -> Any:
        cls = self.resolve(ref, path)
        if not isinstance(cls, type) or not issubclass(cls, base):
            what = "a class" if base is object else f"a {base.__name__} subclass"
            raise self.fail(path, f"{ref} is not {what}")
        return cls

    # -- blobs ----------------------------------------------------------------------

    def blob(self, name: Any, path: JsonPath) -> bytes:
        if type(name) is not str or not BLOB_NAME.fullmatch(name):
            raise self.fail(
                path, f"bad blob name {name!r}; a blob is named <hex digest>.npy, never a path"
            )
        if self.blobs is None:
            raise self.fail(path, f"refers to blob {name} but no blobs were given")
        try:
            if callable(self.blobs):
                data = self.blobs(name)
            else:
                data = self.blobs[name]
        except (KeyError, OSError) as exc:
            raise self.fail(path, f"missing blob {name}") from exc
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise self.fail(path, f"blob {name} is not bytes")
        return bytes(data)


def _stack_depth() -> int:
    """Frames on the stack now: a tree within max_depth must decode however deep we are."""
    frame = inspect.currentframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def decode(
    tree: Tree,
    *,
    blobs: BlobSource | None = None,
    policy: ClassPolicy | None = None,
    root: str = "",
    content_keys: bool = False,
) -> Any:
    """Rebuild the value an :func:`encode` tree stands for.

    Objects are created without calling ``__init__`` and only from modules ``policy``
    allows (no policy: none), within ``policy.limits``. Any malformed tree raises
    :class:`CodecError` naming the JSON path of the fault, prefixed by ``root`` (for
    example ``"inputs.args[0]"``). ``content_keys`` wraps dict keys that hash by
    address in :class:`ContentKey`: for a value that is compared, never one that is
    handed to code.
    """
    decoder = Decoder(blobs, policy or DENY_ALL, root)
    decoder.content_keys = content_keys
    decoder.tree = tree
    needed = _stack_depth() + _FRAMES_PER_LEVEL * decoder.max_depth + _STACK_MARGIN
    found = sys.getrecursionlimit()
    if found < needed:
        sys.setrecursionlimit(needed)
    try:
        return decoder.dec(tree, ())
    except RecursionError:
        raise CodecError(f"{root or '(root)'}: tree is nested too deeply to decode") from None
    finally:
        if found < needed:
            sys.setrecursionlimit(found)
