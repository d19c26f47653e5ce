"""The JSON text of golden files: writing it byte-stable, reading it strictly and safely.

Writing sorts keys, indents, and keeps floats exact, so re-recording unchanged
behaviour changes no byte. Reading refuses what JSON tolerates but a golden file must
not hold (NaN literals, duplicate keys), and measures the nesting of the text before
the parser sees it, since the parser recurses once per level.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.store.codec.limits import DEFAULT_LIMITS
from legacy_harness.store.codec.registry import JsonPath, Tree
from legacy_harness.store.codec.walk import short_path

__all__ = [
    "canonical",
    "check_nesting",
    "dumps",
    "identity_text",
    "loads",
    "nesting_depth",
    "order_free",
    "tree_hash",
]

#: A JSON string literal (escapes included), found without backtracking.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
#: The repr beside an $unencodable tag in canonical text (keys sorted, no spaces).
_UNENCODABLE_REPR = re.compile(
    r'(?<=[{,])("\$unencodable":"[^"\\]*(?:\\.[^"\\]*)*"),"repr":"[^"\\]*(?:\\.[^"\\]*)*"'
)


def _escape_surrogates(text: str) -> str:
    """Lone surrogates (from text outside the codec, e.g. captured output) as ``\\uXXXX``.

    Only string contents can hold them, so the escape keeps the JSON valid and the
    file encodable as UTF-8. Encoded values never need it: they carry lone
    surrogates in ``$str`` nodes, which also keep a high-low pair apart.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps(tree: Tree) -> str:
    """Serialise a tree the way golden files are written: sorted, indented, exact."""
    try:
        try:
            text = _indented(tree)
        except TypeError:  # what only the standard encoder knows (keys that are not str)
            text = json.dumps(tree, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"tree is not JSON-serialisable: {exc}") from exc
    return _escape_surrogates(text) + "\n"


def _indented(tree: Tree) -> str:
    """``json.dumps(tree, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)``,
    byte for byte, several times faster: the standard library drops its C encoder
    whenever ``indent`` is set, and every recorded case is written this way. Strings go
    through the C-accelerated ``encode_basestring``; the strings and integers of a
    container are written by its own loop (no call per value), and a key that is not a
    string raises TypeError (from the string encoder or the sort), which :func:`dumps`
    hands to the standard encoder."""
    out: list[str] = []
    append = out.append

    def emit(value: Any, indent: str) -> None:
        kind = type(value)
        if kind is dict:
            if not value:
                append("{}")
                return
            inner = indent + "  "
            head = "{\n" + inner
            for key in sorted(value):
                item = value[key]
                kind = type(item)
                if kind is str:
                    append(head + encode_basestring(key) + ": " + encode_basestring(item))
                elif kind is int:
                    append(head + encode_basestring(key) + ": " + int.__repr__(item))
                else:
                    append(head + encode_basestring(key) + ": ")
                    emit(item, inner)
                head = ",\n" + inner
            append("\n" + indent + "}")
        elif kind is list or kind is tuple:
            if not value:
                append("[]")
                return
            inner = indent + "  "
            head = "[\n" + inner
            for item in value:
                kind = type(item)
                if kind is str:
                    append(head + encode_basestring(item))
                elif kind is int:
                    append(head + int.__repr__(item))
                else:
                    append(head)
                    emit(item, inner)
                head = ",\n" + inner
            append("\n" + indent + "]")
        else:
            append(_scalar(value, indent))

    emit(tree, "")
    return "".join(out)


def _scalar(value: Any, indent: str) -> str:
    """The text of a value :func:`_indented` does not write itself (floats, booleans,
    None, and subclasses of str, int, dict and list, as the standard encoder writes them)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("Out of range float values are not JSON compliant")
        return float.__repr__(value)
    if isinstance(value, dict):
        return _indented_part(dict(value), indent)
    if isinstance(value, (list, tuple)):
        return _indented_part(list(value), indent)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _indented_part(value: Any, indent: str) -> str:
    """A container of a subclass type, written as its plain copy, at ``indent``."""
    return _indented(value).replace("\n", "\n" + indent)


def _reject_constant(name: str) -> Any:
    raise CodecError(f"JSON literal {name} is not allowed; non-finite floats use $float tags")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise CodecError(f"JSON number {text} overflows a float; use a $float tag")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CodecError(f"duplicate key {key!r} in JSON object")
        out[key] = value
    return out


def nesting_depth(text: str) -> int:
    """How deeply the objects and arrays of JSON ``text`` nest, without parsing it.

    String literals are cut out (a bracket inside a string is text) and everything but
    brackets is dropped, both in C; the depth is then the running sum of +1 for an
    opening and -1 for a closing bracket, computed by numpy.
    """
    skeleton = _STRING.sub("", text).encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET)
    if not skeleton:
        return 0
    import numpy as np

    codes = np.frombuffer(skeleton, dtype=np.uint8)
    # "[" 0x5B and "{" 0x7B have bit 1 set, "]" 0x5D and "}" 0x7D do not
    steps = ((codes >> 1) & 1).astype(np.int32) * 2 - 1
    return int(np.cumsum(steps).max())


def _deep_path(text: str, limit: int) -> JsonPath:
    """The path of the first object or array nested deeper than ``limit`` (error path only)."""
    stack: list[list[Any]] = []  # [kind, current key or index]
    pending: Any = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            if len(stack) >= limit:
                return tuple(entry[1] for entry in stack)
            stack.append([token, 0 if token == "[" else None])
        elif token in "]}":
            if stack:
                stack.pop()
        elif token == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
        elif token == ":":
            if stack:
                stack[-1][1] = pending
        else:
            try:
                pending = json.loads(token)
            except ValueError:
                pending = token
    return tuple(entry[1] for entry in stack)


def check_nesting(text: str, max_depth: int = DEFAULT_LIMITS.max_depth, root: str = "") -> None:
    """Raise CodecError naming the path if ``text`` nests deeper than ``max_depth``."""
    depth = nesting_depth(text)
    if depth > max_depth:
        where = short_path(root, _deep_path(text, max_depth))
        raise CodecError(
            f"{where}: nested {depth} levels deep, beyond max_depth = {max_depth};"
            " raise max_depth in [tool.legacy_harness.limits] if this file is trusted"
        )


def loads(text: str, *, max_depth: int | None = DEFAULT_LIMITS.max_depth) -> Tree:
    """Parse golden JSON, refusing NaN/Infinity literals, duplicate keys and deep nesting.

    ``max_depth=None`` skips the nesting check, for a caller that made it already.
    """
    if max_depth is not None:
        check_nesting(text, max_depth)
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise CodecError(f"invalid JSON: {exc}") from exc
    except RecursionError:  # max_depth raised beyond what the parser's stack allows
        raise CodecError("invalid JSON: nested too deeply for the parser") from None


def _unserialisable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact(tree: Tree) -> str:
    """``json.dumps(tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)``, calling the C encoder json.dumps would build, without building
    an encoder object first: recording takes this text several times per call (ids,
    changed arguments), mostly of small trees, where building it cost as much as
    encoding."""
    if c_make_encoder is None:  # an interpreter without the C encoder
        return json.dumps(
            tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    if type(tree) is str:
        return encode_basestring(tree)
    encode = c_make_encoder(
        {}, _unserialisable, encode_basestring, None, ":", ",", True, False, False
    )
    return "".join(encode(tree, 0))


def canonical(tree: Tree) -> str:
    """Compact, key-sorted JSON: equal trees give equal strings (for hashing)."""
    try:
        return _compact(tree)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"tree is not JSON-serialisable: {exc}") from exc


def identity_text(tree: Tree) -> str:
    """Canonical text of a tree without the repr of unencodable values.

    Such a repr often holds a memory address, so text meant to identify a value (a case
    id, the order of a set's members) leaves it out.
    """
    text = canonical(tree)
    if '"$unencodable"' in text:
        text = _UNENCODABLE_REPR.sub(r"\1", text)
    return text


#: A ``$keys`` list in canonical text (its items are JSON strings), with its comma.
_KEYS_LIST = r'"\$keys":\[(?:"[^"\\]*(?:\\.[^"\\]*)*",?)*\]'
_KEYS = re.compile(rf",{_KEYS_LIST}(?=}})|{_KEYS_LIST},")


def order_free(tree: Tree) -> Tree:
    """The tree with what only records insertion order taken out, for identity.

    ``$keys`` lists and the ``order`` beside ``$dict`` and ``$object`` go, and the pairs
    of a ``$dict`` are sorted by their key's text (files written before pairs were
    sorted kept them in insertion order), so a dict built in another order, under
    another hash seed, has the same identity.
    """
    if type(tree) is list:
        return [order_free(x) for x in tree]
    if type(tree) is not dict:
        return tree
    out = {k: order_free(v) for k, v in tree.items() if k != "$keys"}
    if "$dict" in out or "$object" in out:
        out.pop("order", None)
    pairs = out.get("$dict")
    if type(pairs) is list and all(type(p) is list and len(p) == 2 for p in pairs):
        out["$dict"] = sorted(pairs, key=lambda pair: identity_text(pair[0]))
    return out


def tree_hash(tree: Tree, length: int = 16) -> str:
    """Short sha256 of the canonical form, used to name cases by their inputs.

    The hash is of what the tree holds, not of how it came to be: the repr of an
    unencodable value (often a memory address) and the insertion order of dicts are
    left out (:func:`order_free`), since a case id must be the same in every run and
    under every hash seed, or each run would add a new file.
    """
    text = canonical(tree)
    if '"$dict"' in text or ('"order"' in text and '"$object"' in text):
        text = canonical(order_free(tree))
    elif '"$keys"' in text:  # the common case, done on the text: a walk costs as much again
        text = _KEYS.sub("", text)
    if '"$unencodable"' in text:
        text = _UNENCODABLE_REPR.sub(r"\1", text)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]
