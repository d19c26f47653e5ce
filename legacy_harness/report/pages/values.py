"""Encoded values, read for people: their type names and a short text, without decoding.

Pages are built from golden files, which are untrusted input: nothing here imports a
class, rebuilds an object or reads a blob. A tree's tags (``$ndarray``, ``$object``...)
say enough to name its type and show it in a table cell, the way ``repr`` would.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["columns_of", "scalar_type", "short", "shape_of", "type_name"]

#: Characters of one value in a table cell.
CELL = 60
#: numpy's type codes, read without numpy (a golden file names dtypes as ``<f8``).
_DTYPES = {
    "b1": "bool", "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64",
    "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
    "f2": "float16", "f4": "float32", "f8": "float64", "f16": "float128",
    "c8": "complex64", "c16": "complex128", "O": "object",
}  # fmt: skip


def _dtype(text: Any) -> str:
    if not isinstance(text, str):
        return "?"
    code = text.lstrip("<>|=")
    if code in _DTYPES:
        return _DTYPES[code]
    if code[:1] in ("U", "S"):
        return "str" if code[0] == "U" else "bytes"
    if code[:1] in ("M", "m"):
        return "datetime64" if code[0] == "M" else "timedelta64"
    return code


def _last(ref: Any) -> str:
    """``shop:Cart`` -> ``Cart``; ``pkg.mod:Outer.Inner`` -> ``Outer.Inner``."""
    return str(ref).rpartition(":")[2] or str(ref)


def _union(names: list[str]) -> str:
    unique = sorted(set(names), key=lambda n: (n == "None", n))
    return " | ".join(unique) if unique else "Any"


def _items_type(items: list[Any]) -> str:
    return _union([type_name(item) for item in items[:50]])


def scalar_type(tree: Any) -> str | None:
    """The builtin type of a JSON scalar (``None``, bool, int, float, str), else None.

    Encoded trees hold these five as themselves; every other value is a list or a
    tagged object, so this names what needs no tag. ``refactor.annotate`` shares it.
    """
    if tree is None:
        return "None"
    for kind in (bool, int, float, str):  # bool first: it is an int too
        if isinstance(tree, kind):
            return kind.__name__
    return None


def _tag(tree: dict[str, Any]) -> str | None:
    """The tag of an encoded object (``$ndarray``...); None for a plain dict."""
    return next((key for key in tree if key.startswith("$") and key not in ("$id", "$keys")), None)


def type_name(tree: Any) -> str:
    """The Python type a tree encodes: ``dict[str, float | int]``, ``ndarray[float64]``."""
    scalar = scalar_type(tree)
    if scalar is not None:
        return scalar
    if isinstance(tree, list):
        return f"list[{_items_type(tree)}]" if tree else "list"
    if not isinstance(tree, dict):
        return "?"
    tag = _tag(tree)
    if tag is None:
        values = [value for key, value in tree.items() if key != "$keys"]
        return f"dict[str, {_items_type(values)}]" if values else "dict"
    value = tree[tag]
    simple = {
        "$int": "int", "$float": "float", "$complex": "complex", "$bytes": "bytes",
        "$bytearray": "bytearray", "$datetime": "datetime", "$date": "date", "$time": "time",
        "$timedelta": "timedelta", "$decimal": "Decimal", "$fraction": "Fraction",
        "$uuid": "UUID", "$class": "type", "$function": "function", "$ref": "(shared value)",
    }  # fmt: skip
    if tag in simple:
        return simple[tag]
    if tag == "$path":
        return str(tree.get("flavour", "Path"))
    if tag == "$tuple" and isinstance(value, list):
        if len(value) <= 4:
            return f"tuple[{', '.join(type_name(item) for item in value)}]" if value else "tuple"
        return f"tuple[{_items_type(value)}, ...]"
    if tag == "$list" and isinstance(value, list):
        return f"list[{_items_type(value)}]" if value else "list"
    if tag in ("$set", "$frozenset") and isinstance(value, list):
        return f"{tag[1:]}[{_items_type(value)}]" if value else tag[1:]
    if tag == "$dict" and isinstance(value, list):
        keys = [pair[0] for pair in value if isinstance(pair, list) and len(pair) == 2]
        values = [pair[1] for pair in value if isinstance(pair, list) and len(pair) == 2]
        return f"dict[{_items_type(keys)}, {_items_type(values)}]" if keys else "dict"
    if tag in ("$enum", "$namedtuple", "$object"):
        return _last(value)
    if tag == "$npscalar":
        return f"numpy.{value}"
    if tag == "$ndarray" and isinstance(value, dict):
        return f"ndarray[{_dtype(value.get('dtype'))}]"
    if tag == "$series" and isinstance(value, dict):
        return f"Series[{value.get('dtype', '?')}]"
    if tag == "$dataframe":
        return "DataFrame"
    if tag == "$pdscalar":
        return f"pandas.{value}"
    if tag == "$custom":
        return str(value)
    if tag == "$unencodable":
        return _last(value)
    return tag[1:]


def shape_of(tree: Any) -> tuple[int, ...] | None:
    """The shape of an encoded array or data frame (rows, columns), else None."""
    if not isinstance(tree, dict):
        return None
    array = tree.get("$ndarray")
    if isinstance(array, dict) and isinstance(array.get("shape"), list):
        return tuple(int(n) for n in array["shape"] if isinstance(n, int))
    frame = tree.get("$dataframe")
    if isinstance(frame, dict):
        columns = frame.get("data")
        rows = _index_length(frame.get("index"))
        if isinstance(columns, list) and rows is not None:
            return (rows, len(columns))
    return None


def _index_length(index: Any) -> int | None:
    if not isinstance(index, dict):
        return None
    if isinstance(index.get("range"), list) and len(index["range"]) == 3:
        start, stop, step = index["range"]
        if all(isinstance(n, int) for n in (start, stop, step)) and step:
            return max(0, (stop - start + (step - (1 if step > 0 else -1))) // step)
    levels = index.get("levels")
    if isinstance(levels, list) and levels:
        shape = shape_of(levels[0].get("values")) if isinstance(levels[0], dict) else None
        return shape[0] if shape else None
    return None


def columns_of(tree: Any) -> list[str] | None:
    """The column labels of an encoded data frame (when stored inline), else None."""
    if not isinstance(tree, dict) or not isinstance(tree.get("$dataframe"), dict):
        return None
    columns = tree["$dataframe"].get("columns")
    if not isinstance(columns, dict):
        return None
    if isinstance(columns.get("range"), list):
        length = _index_length(columns)
        return [str(i) for i in range(length or 0)]
    levels = columns.get("levels")
    if not isinstance(levels, list) or len(levels) != 1 or not isinstance(levels[0], dict):
        return None
    values = levels[0].get("values")
    array = values.get("$ndarray") if isinstance(values, dict) else None
    if isinstance(array, dict) and isinstance(array.get("data"), list):
        return [_plain(item) for item in array["data"]]
    return None


def _plain(tree: Any) -> str:
    return tree if isinstance(tree, str) else short(tree, 30)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def _number(value: float | int) -> str:
    return repr(value)


def _fit(texts: Sequence[Callable[[int], str]], open_: str, close: str, width: int) -> list[str]:
    """The item texts that fit in ``width`` between the brackets, then "... N more".

    Each item is a function of the room left, so a long value is shortened to fit."""
    parts: list[str] = []
    used = len(open_) + len(close)
    for index, text_in in enumerate(texts):
        text = text_in(width - used)
        room = 0 if index == len(texts) - 1 else 12  # for "... N more"
        if used + len(text) + 2 + room > width and parts:
            parts.append(f"... {len(texts) - index} more")
            break
        parts.append(text)
        used += len(text) + 2
    return parts


def _seq(items: list[Any], open_: str, close: str, width: int) -> str:
    texts = [functools.partial(_item_in, item) for item in items]
    parts = _fit(texts, open_, close, width)
    if len(items) == 1 and open_ == "(":
        return f"({parts[0]},)"
    return open_ + ", ".join(parts) + close


def _pairs(items: list[tuple[str, Any]], open_: str, close: str, sep: str, width: int) -> str:
    texts = [functools.partial(_pair_in, key, sep, item) for key, item in items]
    return open_ + ", ".join(_fit(texts, open_, close, width)) + close


def _item_in(item: Any, room: int) -> str:
    return short(item, max(room, 8))


def _pair_in(key: str, sep: str, item: Any, room: int) -> str:
    return f"{key}{sep}{short(item, max(room - len(key), 8))}"


def short(tree: Any, width: int = CELL) -> str:
    """The value as ``repr`` would show it, cut to about ``width`` characters."""
    return _cut(_short(tree, width), width)


def _short(tree: Any, width: int) -> str:
    if tree is None or isinstance(tree, bool):
        return repr(tree)
    if isinstance(tree, (int, float)):
        return _number(tree)
    if isinstance(tree, str):
        return repr(tree)
    if isinstance(tree, list):
        return _seq(tree, "[", "]", width)
    if not isinstance(tree, dict):
        return "?"
    tag = _tag(tree)
    if tag is None:
        listed = tree.get("$keys")
        order: list[Any] = listed if isinstance(listed, list) else sorted(tree)
        keys = [key for key in order if key in tree and key != "$keys"]
        return _pairs([(repr(key), tree[key]) for key in keys], "{", "}", ": ", width)
    value = tree[tag]
    if tag in ("$int", "$float"):
        return str(value)
    if tag == "$complex" and isinstance(value, list) and len(value) == 2:
        return f"complex({short(value[0], 20)}, {short(value[1], 20)})"
    if tag in ("$tuple", "$list"):
        return _seq(value if isinstance(value, list) else [], "(" if tag == "$tuple" else "[",
                    ")" if tag == "$tuple" else "]", width)  # fmt: skip
    if tag in ("$set", "$frozenset"):
        items = value if isinstance(value, list) else []
        return _seq(items, "{", "}", width) if items else f"{tag[1:]}()"
    if tag == "$dict" and isinstance(value, list):
        pairs = [(short(p[0], 20), p[1]) for p in value if isinstance(p, list) and len(p) == 2]
        return _pairs(pairs, "{", "}", ": ", width)
    if tag in ("$datetime", "$date", "$time"):
        return f"{tag[1:]}({value})"
    if tag == "$timedelta" and isinstance(value, list):
        return f"timedelta({', '.join(str(v) for v in value)})"
    if tag in ("$decimal", "$fraction", "$uuid", "$path"):
        name = {"$decimal": "Decimal", "$fraction": "Fraction", "$uuid": "UUID"}.get(tag)
        return f"{name or tree.get('flavour', 'Path')}({value!r})"
    if tag == "$bytes" or tag == "$bytearray":
        return f"{tag[1:]}(<{len(str(value)) * 3 // 4} bytes>)"
    if tag == "$enum":
        member = tree.get("name")
        return (
            f"{_last(value)}.{member}"
            if isinstance(member, str)
            else f"{_last(value)}({short(tree.get('value'), 20)})"
        )
    if tag == "$namedtuple":
        fields = tree.get("fields")
        items = list(fields.items()) if isinstance(fields, dict) else []
        return _pairs(items, f"{_last(value)}(", ")", "=", width)
    if tag == "$object":
        state = tree.get("state")
        items = list(state.items()) if isinstance(state, dict) else []
        return _pairs(items, f"{_last(value)}(", ")", "=", width)
    if tag in ("$class", "$function"):
        return _last(value)
    if tag == "$npscalar":
        return f"{value}({short(tree.get('value'), 30)})"
    if tag == "$ndarray" and isinstance(value, dict):
        dims = "x".join(str(n) for n in value.get("shape", []))
        data = value.get("data")
        if isinstance(data, list) and len(data) <= 6:
            return f"array({_seq(data, '[', ']', width - 8)}, {_dtype(value.get('dtype'))})"
        return f"array({_dtype(value.get('dtype'))}, shape {dims or '()'})"
    if tag == "$dataframe":
        shape = shape_of(tree)
        columns = columns_of(tree)
        listed = f": {', '.join(columns)}" if columns else ""
        rows = f"{shape[0]} rows x {shape[1]} columns" if shape else "data frame"
        return f"DataFrame({rows}{listed})"
    if tag == "$series" and isinstance(value, dict):
        return f"Series({value.get('dtype', '?')}, name={short(value.get('name'), 20)})"
    if tag == "$pdscalar":
        return f"{value}({tree.get('value', '')})" if "value" in tree else str(value)
    if tag == "$ref":
        return "<same object as above>"
    if tag == "$custom":
        return f"{value}({short(tree.get('value'), width - len(str(value)) - 2)})"
    if tag == "$unencodable":
        return f"<{_last(value)}: not recorded>"
    return _cut(json.dumps(tree, sort_keys=True), width)
