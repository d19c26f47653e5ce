"""The builtins family: Python's own scalars, containers, dates, paths and the generic tags.

JSON types stand for themselves where that is unambiguous (``str``, ``int`` within
±2**53, finite ``float``, ``list``, ``dict`` with plain string keys); everything else
is a one-key object whose key starts with ``$``. ``$ref``, ``$custom`` and
``$unencodable`` live here too: they are part of every tree, whatever its values.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
import fractions
import math
import pathlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from legacy_harness.store.codec.decoder import Decoder
from legacy_harness.store.codec.encoder import Encoder, Unencodable
from legacy_harness.store.codec.registry import (
    Decode,
    JsonPath,
    Tag,
    TagFamily,
    Tree,
    custom_decoder,
    exact_encoders,
    register_family,
)

__all__ = [
    "FAMILY",
    "b64_value",
    "float_tree",
    "float_value",
    "has_surrogates",
    "immutable_dict_tree",
    "immutable_trees",
    "int_tree",
    "pairs_into",
]

_MAX_JSON_INT = 2**53
_INT_PATTERN = re.compile(r"^-?(?:[0-9]+|0x[0-9a-f]+)$")
_FRACTION_PATTERN = re.compile(r"^-?[0-9]+(?:/[0-9]+)?$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NO_KEYS: frozenset[str] = frozenset()

_PATH_FLAVOURS: dict[str, tuple[type, type]] = {
    "PosixPath": (pathlib.PosixPath, pathlib.PurePosixPath),
    "PurePosixPath": (pathlib.PurePosixPath, pathlib.PurePosixPath),
    "WindowsPath": (pathlib.WindowsPath, pathlib.PureWindowsPath),
    "PureWindowsPath": (pathlib.PureWindowsPath, pathlib.PureWindowsPath),
}


# ----------------------------------------------------------------- shared helpers


def float_tree(value: float) -> Tree:
    if math.isfinite(value):
        return value
    if value != value:
        return {"$float": "nan"}
    return {"$float": "inf" if value > 0 else "-inf"}


def int_tree(value: int) -> Tree:
    if -_MAX_JSON_INT <= value <= _MAX_JSON_INT:
        return value
    try:
        text = str(value)
    except ValueError:  # more digits than int <-> str conversion allows
        text = hex(value)
    return {"$int": text}


def has_surrogates(text: str) -> bool:
    """True if ``text`` holds a lone surrogate, which UTF-8 (and so a file) cannot."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def float_value(d: Decoder, value: Any, path: JsonPath) -> float:
    """A float written as a JSON number or a ``$float`` tag (inside arrays, complexes)."""
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    if type(value) is dict and set(value) == {"$float"}:
        return _dec_float(d, value["$float"], value, (*path, "$float"), None)
    raise d.fail(path, f"expected a float, got {type(value).__name__}")


def b64_value(d: Decoder, v: Any, p: JsonPath) -> bytes:
    if type(v) is not str:
        raise d.fail(p, f"expected a base64 string, got {type(v).__name__}")
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise d.fail(p, f"invalid base64: {exc}") from exc


def _items(d: Decoder, v: Any, p: JsonPath) -> list[Any]:
    if type(v) is not list:
        raise d.fail(p, f"expected a list, got {type(v).__name__}")
    return v


def pairs_into(d: Decoder, target: dict[Any, Any], v: Any, p: JsonPath, order: Any = None) -> None:
    """Decode ``[[key, value], ...]`` into ``target`` (``$dict`` and dict-based objects).

    ``order`` (from the node's ``"order"``) lists the pairs' positions in the order the
    program inserted them; without it the pairs are inserted as stored (files written
    before pairs were sorted by key kept insertion order that way).
    """
    items = _items(d, v, p)
    decoded: list[tuple[Any, Any]] = []
    for i, pair in enumerate(items):
        if type(pair) is not list or len(pair) != 2:
            raise d.fail((*p, i), "expected a [key, value] pair")
        decoded.append((d.dec(pair[0], (*p, i, 0)), d.dec(pair[1], (*p, i, 1))))
    if order is not None:
        op = (*p[:-1], "order")
        if (
            type(order) is not list
            or any(type(i) is not int for i in order)
            or sorted(order) != list(range(len(decoded)))
        ):
            raise d.fail(op, f"must list each of the {len(decoded)} pairs' positions once")
        decoded = [decoded[i] for i in order]
    for i, (key, value) in enumerate(decoded):
        if d.content_keys:
            key = d.content_key(key)
        try:
            target[key] = value
        except TypeError as exc:
            raise d.fail((*p, i, 0), f"unhashable key: {exc}") from exc


# ----------------------------------------------------------------------- encoding


def _enc_identity(enc: Encoder, obj: Any) -> Tree:
    return obj


def _enc_str(enc: Encoder, obj: str) -> Tree:
    if obj.isascii() or _SURROGATE.search(obj) is None:
        return obj
    # Lone surrogates (surrogateescape'd file names, sliced UTF-16): text runs and
    # the surrogates' code points, so even a high-low pair stays two characters.
    parts: list[Any] = []
    last = 0
    for match in _SURROGATE.finditer(obj):
        if match.start() > last:
            parts.append(obj[last : match.start()])
        parts.append(ord(match.group()))
        last = match.end()
    if last < len(obj):
        parts.append(obj[last:])
    return {"$str": parts}


def _enc_list(enc: Encoder, obj: list[Any]) -> Tree:
    ref, entry = enc.track(obj)
    if entry is None:
        return ref
    e = enc.enc
    node = [x if type(x) is str and x.isascii() else e(x) for x in obj]
    entry[1] = node
    return node


def _enc_dict(enc: Encoder, obj: dict[Any, Any]) -> Tree:
    ref, entry = enc.track(obj)
    if entry is None:
        return ref
    node = _dict_node(enc, obj)
    entry[1] = node
    return node


def _dict_node(enc: Encoder, obj: dict[Any, Any]) -> Tree:
    e = enc.enc
    for key in obj:
        if type(key) is not str or key[:1] == "$" or has_surrogates(key):
            pairs, order = enc.sorted_pairs(obj.items())
            node: dict[str, Any] = {"$dict": pairs}
            if order is not None:  # replayed code may iterate the dict
                node["order"] = order
            return node
    keys = list(obj)
    ordered = sorted(keys)
    plain = {k: e(obj[k]) for k in ordered}
    if keys != ordered:
        # replayed code may iterate the dict: keep the order the program built
        plain["$keys"] = keys
    return plain


def _enc_set(enc: Encoder, obj: set[Any]) -> Tree:
    ref, entry = enc.track(obj)
    if entry is None:
        return ref
    node = {"$set": enc.sorted_elements(obj)}
    entry[1] = node
    return node


def _enc_bytearray(enc: Encoder, obj: bytearray) -> Tree:
    ref, entry = enc.track(obj)
    if entry is None:
        return ref
    node = {"$bytearray": base64.b64encode(obj).decode("ascii")}
    entry[1] = node
    return node


def _enc_datetime(enc: Encoder, obj: _dt.datetime | _dt.time) -> Tree:
    tag = "$datetime" if type(obj) is _dt.datetime else "$time"
    node: dict[str, Any] = {tag: obj.isoformat()}
    key = getattr(obj.tzinfo, "key", None)
    if isinstance(key, str) and type(obj.tzinfo).__module__ == "zoneinfo":
        node["tz"] = key
    if obj.fold:
        node["fold"] = 1
    return node


def _enc_path(enc: Encoder, obj: pathlib.PurePath) -> Tree:
    return {"$path": str(obj), "flavour": type(obj).__name__}


_TYPES: dict[type, Callable[[Encoder, Any], Tree]] = {
    type(None): _enc_identity,
    bool: _enc_identity,
    str: _enc_str,
    int: lambda e, o: int_tree(o),
    float: lambda e, o: float_tree(o),
    complex: lambda e, o: {"$complex": [float_tree(o.real), float_tree(o.imag)]},
    bytes: lambda e, o: {"$bytes": base64.b64encode(o).decode("ascii")},
    bytearray: _enc_bytearray,
    list: _enc_list,
    tuple: lambda e, o: {"$tuple": [e.enc(x) for x in o]},
    dict: _enc_dict,
    set: _enc_set,
    frozenset: lambda e, o: {"$frozenset": e.sorted_elements(o)},
    _dt.datetime: _enc_datetime,
    _dt.time: _enc_datetime,
    _dt.date: lambda e, o: {"$date": o.isoformat()},
    _dt.timedelta: lambda e, o: {"$timedelta": [o.days, o.seconds, o.microseconds]},
    decimal.Decimal: lambda e, o: {"$decimal": str(o)},
    fractions.Fraction: lambda e, o: {"$fraction": str(o)},
    uuid.UUID: lambda e, o: {"$uuid": str(o)},
    pathlib.PurePosixPath: _enc_path,
    pathlib.PureWindowsPath: _enc_path,
    pathlib.PosixPath: _enc_path,
    pathlib.WindowsPath: _enc_path,
}


def immutable_trees(values: Iterable[Any], depth: int = 8) -> list[Tree] | None:
    """``encode(value)`` of each value, for values that are immutable builtins or tuples
    of them (nested at most ``depth`` deep), without an encoding run: such values are
    never written as references, so the run's bookkeeping has nothing to do, and a
    recorded call with such arguments skips it. None when some value is of another
    type, or a user codec has taken one of these types over."""
    return _immutable(values, depth, exact_encoders())


def _immutable(values: Iterable[Any], depth: int, table: dict[type, Any]) -> list[Tree] | None:
    nodes: list[Tree] = []
    for value in values:
        kind = type(value)
        if table.get(kind) is not _TYPES.get(kind, _immutable):  # a user codec's, or none
            return None
        if kind is str:
            nodes.append(value if value.isascii() else _enc_str(None, value))  # type: ignore[arg-type]
        elif kind is int:
            nodes.append(int_tree(value))
        elif kind is float:
            nodes.append(float_tree(value))
        elif kind is bool or value is None:
            nodes.append(value)
        elif kind is tuple and depth:
            items = _immutable(value, depth - 1, table)
            if items is None:
                return None
            nodes.append({"$tuple": items})
        elif kind is bytes or kind is complex:
            nodes.append(_TYPES[kind](None, value))  # type: ignore[arg-type]
        else:
            return None
    return nodes


def immutable_dict_tree(mapping: dict[Any, Any]) -> Tree | None:
    """``encode(mapping)`` for a dict nothing else references, whose keys are plain
    strings and whose values :func:`immutable_trees` accepts; None otherwise."""
    if not mapping:
        return {}
    keys = list(mapping)
    for key in keys:
        if type(key) is not str or key[:1] == "$" or has_surrogates(key):
            return None
    nodes = immutable_trees(mapping.values())
    if nodes is None:
        return None
    by_key = dict(zip(keys, nodes, strict=True))
    ordered = sorted(keys)
    plain = {key: by_key[key] for key in ordered}
    if keys != ordered:  # as _dict_node: the order the program built
        plain["$keys"] = keys
    return plain


# ----------------------------------------------------------------------- decoding


def _dec_str(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> str:
    parts: list[str] = []
    for i, part in enumerate(_items(d, v, p)):
        if type(part) is int and 0xD800 <= part <= 0xDFFF:
            parts.append(chr(part))
        elif type(part) is str and not has_surrogates(part):
            parts.append(part)
        else:
            raise d.fail((*p, i), "expected text or the code point of a lone surrogate")
    return "".join(parts)


def _dec_int(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> int:
    if type(v) is not str or not _INT_PATTERN.fullmatch(v):
        raise d.fail(p, f"expected an integer string, got {v!r}")
    if "x" in v:
        return int(v, 16)
    try:
        return int(v)
    except ValueError as exc:
        raise d.fail(p, str(exc)) from exc


def _dec_float(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> float:
    if v == "nan":
        return math.nan
    if v == "inf":
        return math.inf
    if v == "-inf":
        return -math.inf
    raise d.fail(p, f"expected 'nan', 'inf' or '-inf', got {v!r}")


def _dec_complex(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> complex:
    if type(v) is not list or len(v) != 2:
        raise d.fail(p, "expected [real, imag]")
    return complex(float_value(d, v[0], (*p, 0)), float_value(d, v[1], (*p, 1)))


def _dec_bytes(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    return b64_value(d, v, p)


def _dec_bytearray(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    return bytearray(b64_value(d, v, p))


def _dec_tuple(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    return tuple(d.dec(x, (*p, i)) for i, x in enumerate(_items(d, v, p)))


def _dec_list(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    out: list[Any] = []
    d.remember(n, out)
    out.extend(d.dec(x, (*p, i)) for i, x in enumerate(_items(d, v, p)))
    return out


def _dec_dict(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    out: dict[Any, Any] = {}
    d.remember(n, out)
    pairs_into(d, out, v, p, node.get("order"))
    return out


def _elements(d: Decoder, v: Any, p: JsonPath) -> Iterator[Any]:
    for i, x in enumerate(_items(d, v, p)):
        value = d.dec(x, (*p, i))
        try:
            hash(value)
        except TypeError as exc:
            raise d.fail((*p, i), f"unhashable set element: {exc}") from exc
        yield value


def _dec_set(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    out: set[Any] = set()
    d.remember(n, out)
    out.update(_elements(d, v, p))
    return out


def _dec_frozenset(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    return frozenset(_elements(d, v, p))


def _zone(d: Decoder, node: dict[str, Any], p: JsonPath) -> Any:
    key = node.get("tz")
    if key is None:
        return None
    if type(key) is not str:
        raise d.fail((*p[:-1], "tz"), "expected a time zone name")
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise d.fail((*p[:-1], "tz"), f"unknown time zone {key!r}") from exc


def _dec_datetime(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    kind = _dt.datetime if p[-1] == "$datetime" else _dt.time
    if type(v) is not str:
        raise d.fail(p, "expected an ISO 8601 string")
    try:
        value = kind.fromisoformat(v)
    except ValueError as exc:
        raise d.fail(p, str(exc)) from exc
    zone = _zone(d, node, p)
    if zone is not None:
        value = value.replace(tzinfo=zone)
        if kind is _dt.datetime:
            # The offset in the text is authoritative: it picks fold for ambiguous times.
            offset = _dt.datetime.fromisoformat(v).utcoffset()
            if value.utcoffset() != offset:
                value = value.replace(fold=1 - value.fold)
    fold = node.get("fold", 0)
    if fold not in (0, 1) or type(fold) is bool:
        raise d.fail((*p[:-1], "fold"), "fold must be 0 or 1")
    if fold:
        value = value.replace(fold=1)
    return value


def _dec_date(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    if type(v) is not str:
        raise d.fail(p, "expected an ISO 8601 date string")
    try:
        return _dt.date.fromisoformat(v)
    except ValueError as exc:
        raise d.fail(p, str(exc)) from exc


def _dec_timedelta(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    if type(v) is not list or len(v) != 3 or any(type(x) is not int for x in v):
        raise d.fail(p, "expected [days, seconds, microseconds] integers")
    try:
        return _dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    except OverflowError as exc:
        raise d.fail(p, str(exc)) from exc


def _from_text(kind: Callable[[str], Any], label: str, form: re.Pattern[str] | None) -> Decode:
    """A decoder for values written as text; ``form`` refuses texts costly to parse."""

    def handler(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
        if type(v) is not str:
            raise d.fail(p, f"expected a {label} string, got {type(v).__name__}")
        if form is not None and not form.fullmatch(v):
            raise d.fail(p, f"invalid {label} {v[:40]!r}; expected the form the codec writes")
        try:
            return kind(v)
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise d.fail(p, f"invalid {label} {v[:40]!r}") from exc

    return handler


def _dec_path(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    if type(v) is not str:
        raise d.fail(p, "expected a path string")
    flavour = node.get("flavour", "PurePosixPath")
    kinds = _PATH_FLAVOURS.get(flavour) if type(flavour) is str else None
    if kinds is None:
        raise d.fail((*p[:-1], "flavour"), f"unknown path flavour {flavour!r}")
    try:
        return kinds[0](v)
    except (NotImplementedError, TypeError):  # a Windows path read on POSIX, or back
        return kinds[1](v)


def _dec_ref(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    return d.resolve_ref(v, p)


def _dec_custom(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    if type(v) is not str:
        raise d.fail(p, "expected a codec name")
    decode = custom_decoder(v)
    if decode is None:
        raise d.fail(p, f"no codec registered under {v!r}; call register_codec before decoding")
    if "value" not in node:
        raise d.fail(p, "missing 'value'")
    value = d.dec(node["value"], (*p[:-1], "value"))
    try:
        return decode(value)
    except Exception as exc:  # noqa: BLE001 - user code; report with the path
        raise d.fail(p, f"codec {v!r} could not decode the value: {exc!r}") from exc


def _dec_unencodable(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    text = node.get("repr", "")
    if type(v) is not str or type(text) is not str:
        raise d.fail(p, "expected a type name and a repr string")
    return Unencodable(v, text)


def _tag(decode: Decode, *keys: str) -> Tag:
    return Tag(decode, frozenset(keys) if keys else _NO_KEYS)


FAMILY = TagFamily(
    "builtins",
    tags={
        "$str": _tag(_dec_str),
        "$int": _tag(_dec_int),
        "$float": _tag(_dec_float),
        "$complex": _tag(_dec_complex),
        "$bytes": _tag(_dec_bytes),
        "$bytearray": _tag(_dec_bytearray),
        "$tuple": _tag(_dec_tuple),
        "$list": _tag(_dec_list),
        "$dict": _tag(_dec_dict, "order"),
        "$set": _tag(_dec_set),
        "$frozenset": _tag(_dec_frozenset),
        "$datetime": _tag(_dec_datetime, "tz", "fold"),
        "$date": _tag(_dec_date),
        "$time": _tag(_dec_datetime, "tz", "fold"),
        "$timedelta": _tag(_dec_timedelta),
        "$decimal": _tag(_from_text(decimal.Decimal, "decimal", None)),
        "$fraction": _tag(_from_text(fractions.Fraction, "fraction", _FRACTION_PATTERN)),
        "$uuid": _tag(_from_text(uuid.UUID, "UUID", None)),
        "$path": _tag(_dec_path, "flavour"),
        "$ref": _tag(_dec_ref),
        "$custom": _tag(_dec_custom, "value"),
        "$unencodable": _tag(_dec_unencodable, "repr"),
    },
    types=_TYPES,
    order=10,
)

register_family(FAMILY)
