"""The inputs of a case in one short line, for the reports of changed cases.

A reviewer looking at ``outcome.tax differs`` first asks "for which call?". This shows
the call as Python-like text read straight from the stored (encoded) inputs: no object
is rebuilt, so it is safe on any golden file, and long values are cut, not wrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["compact_call", "compact_value"]

#: Tags whose value is shown as the tag's name and a short payload.
_SCALAR_TAGS = ("$float", "$int", "$decimal", "$fraction", "$date", "$datetime", "$time",
                "$timedelta", "$uuid", "$path", "$enum", "$npscalar", "$pdscalar")  # fmt: skip
_SEQUENCE_TAGS = {"$tuple": ("(", ")"), "$set": ("{", "}"), "$frozenset": ("frozenset({", "})"),
                  "$list": ("[", "]")}  # fmt: skip


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 3)] + "..."


def _short_name(qualified: Any) -> str:
    text = str(qualified)
    return text.rpartition(":")[2] or text


def compact_value(node: Any, width: int = 60, depth: int = 3) -> str:
    """One encoded value as short Python-like text (at most ``width`` characters)."""
    if depth <= 0:
        return "..."
    if isinstance(node, str):
        return _cut(repr(node), width)
    if node is None or isinstance(node, (bool, int, float)):
        return _cut(repr(node), width)
    if isinstance(node, list):
        return _cut(_items("[", "]", node, width, depth), width)
    if not isinstance(node, Mapping):
        return _cut(repr(node), width)
    tags = [key for key in node if isinstance(key, str) and key.startswith("$") and key != "$keys"]
    if not tags:
        order = node.get("$keys")
        keys = order if isinstance(order, list) else [k for k in node if k != "$keys"]
        pairs = [(k, node[k]) for k in keys if k in node]
        return _cut(_pairs(pairs, width, depth), width)
    tag = "$id" if "$id" in node and len(tags) > 1 else tags[0]
    value = node[tag]
    if tag == "$object":
        state = node.get("state")
        inner = _pairs(list(state.items()), width, depth) if isinstance(state, Mapping) else ""
        return _cut(f"{_short_name(value)}({inner[1:-1]})", width)
    if tag in _SEQUENCE_TAGS:
        opening, closing = _SEQUENCE_TAGS[tag]
        return _cut(
            _items(opening, closing, value if isinstance(value, list) else [], width, depth), width
        )
    if tag in ("$ndarray", "$dataframe", "$series"):
        shape = node.get("shape")
        dtype = node.get("dtype")
        detail = ", ".join(str(x) for x in (shape, dtype) if x is not None)
        return _cut(f"{tag[1:]}({detail})", width)
    if tag == "$ref":
        return f"<same as #{value}>"
    if tag in _SCALAR_TAGS:
        return _cut(
            f"{tag[1:]}({value})" if not isinstance(value, (int, float)) else str(value), width
        )
    return _cut(f"<{tag[1:]}>", width)


def _items(opening: str, closing: str, values: list[Any], width: int, depth: int) -> str:
    parts: list[str] = []
    used = len(opening) + len(closing)
    for value in values:
        text = compact_value(value, max(8, width // 2), depth - 1)
        if used + len(text) + 2 > width and parts:
            parts.append(f"... {len(values) - len(parts)} more")
            break
        parts.append(text)
        used += len(text) + 2
    return opening + ", ".join(parts) + closing


def _pairs(pairs: list[tuple[Any, Any]], width: int, depth: int) -> str:
    parts: list[str] = []
    used = 2
    for key, value in pairs:
        text = f"{key}: {compact_value(value, max(8, width // 2), depth - 1)}"
        if used + len(text) + 2 > width and parts:
            parts.append("...")
            break
        parts.append(text)
        used += len(text) + 2
    return "{" + ", ".join(parts) + "}"


def compact_call(target: str, inputs: Mapping[str, Any] | None, width: int = 160) -> str:
    """``Cart.checkout(self=Cart(...), 'WELCOME5')``: the call a case recorded."""
    name = target.rpartition(":")[2] or target
    if not isinstance(inputs, Mapping):
        return f"{name}(?)"
    args = inputs.get("args")
    positional = args if isinstance(args, list) else []
    kwargs = inputs.get("kwargs")
    named = list(kwargs.items()) if isinstance(kwargs, Mapping) else []
    count = len(positional) + len(named) + ("self" in inputs)
    share = max(24, (width - len(name) - 2) // max(1, count) - 2)
    parts: list[str] = []
    if "self" in inputs:
        parts.append("self=" + compact_value(inputs["self"], share))
    parts += [compact_value(value, share) for value in positional]
    parts += [f"{key}={compact_value(value, share)}" for key, value in named]
    return _cut(f"{name}({', '.join(parts)})", width)
