"""Find secrets in golden trees before they reach a repository.

Golden masters are often recorded from production data, and a case file is committed
like source code: a private key, an access token or a customer's e-mail address in a
case would leak with it. The scanner walks a case's encoded trees (inputs, outcome,
effects, output) and reports every value that looks like a secret, by its content or
by the name that holds it (the rules of :mod:`legacy_harness.store.secret_rules`).

Secrets hide in more than plain strings, so one walk (:class:`TreeWalk`) reaches every
text a tree holds: dict keys, bytes, numpy string arrays (inline or in blobs), object
state, pandas columns and their labels, unencodable values' reprs. Redaction at record
time (:mod:`legacy_harness.record.redact`) takes the same walk with the same rules, so
what the scanner finds is what redaction removes.

Findings never carry the secret itself, only a masked excerpt, and a path never spells
a secret held in a key, so the report can be printed in a CI log.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.errors import ConfigError
from legacy_harness.store.case import GoldenCase
from legacy_harness.store.secret_rules import (
    REDACTED,
    RULES,
    RuleSet,
    b64_text,
    credential_name,
    credential_value,
    dtype_kind,
    first_text,
)

__all__ = [
    "REDACTED",
    "BlobSource",
    "Finding",
    "SecretScanner",
    "TextVisitor",
    "TreePath",
    "TreeWalk",
    "iter_texts",
    "locate_line",
    "mask",
    "path_text",
]

#: Where array payloads live: a mapping or a reader of blob names (``None``: not read).
BlobSource = Mapping[str, bytes] | Callable[[str], bytes] | None


# -- paths ----------------------------------------------------------------------------

#: A path under construction: the root string, or ``(parent, segment)``; spelled out
#: only when something is found there, so a clean tree never builds a path.
TreePath = Any


def path_text(path: TreePath) -> str:
    segments: list[str] = []
    while type(path) is tuple:
        path, segment = path
        segments.append(segment)
    text = str(path)
    for segment in reversed(segments):
        text += segment if segment[:1] == "[" or not text else "." + segment
    return text


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("latin-1")).decode("ascii")


# -- one walk over every place text hides -----------------------------------------------------


class TextVisitor:
    """What a :class:`TreeWalk` does with the text it meets; this base looks and changes nothing.

    ``text`` returns the text to keep (the same object when unchanged); ``shown`` is how
    the file spells it when that differs (base64 of bytes, a blob's name). ``named``
    says whether the value held under ``name`` is replaced whole.
    """

    def text(self, text: str, path: TreePath, shown: str | None = None) -> str:
        return text

    #: The text rules the visitor applies. With them, an array of texts is searched once
    #: as a whole and element by element only when a rule matches somewhere; None: every
    #: text is visited.
    rules: RuleSet | None = None

    def texts(
        self, texts: list[str], path: TreePath, shown: Sequence[str] | None = None
    ) -> list[str]:
        if self.rules is not None and not self.rules.mentions("\n".join(texts)):
            return texts  # one search for a whole array: no per-element work when clean
        out: list[str] | None = None
        for index, text in enumerate(texts):
            new = self.text(text, (path, f"[{index}]"), shown[index] if shown else None)
            if new is not text:
                if out is None:
                    out = list(texts)
                out[index] = new
        return texts if out is None else out

    def named(self, name: str, value: Any, path: TreePath) -> bool:
        return False

    def name_matters(self, name: str) -> bool:
        """Whether :meth:`named` may act on values under ``name`` (else it is skipped)."""
        return False

    #: Keys known to need nothing (no text rule matches, no name rule applies), kept by
    #: a long-lived owner (a scanner, a redactor) as keys repeat across cases; None:
    #: every key is looked at every time.
    plain_keys: set[str] | None = None


_SCALARS = (int, float, bool, type(None))

#: Tagged nodes whose payload is an encoded value, and the key that holds it.
_PAYLOAD = {
    "$list": "$list",
    "$tuple": "$tuple",
    "$set": "$set",
    "$frozenset": "$frozenset",
    "$custom": "value",
    "$enum": "value",
    "$npscalar": "value",
}


class TreeWalk:
    """Copy-on-write walk of an encoded tree through every place text can hide.

    Reaches strings; mapping keys (plain objects and ``$dict``); the values under names
    (plain objects, ``$dict`` entries, object state and dict bases, namedtuple fields,
    pandas series and columns, positional arguments given ``names``); bytes; numpy
    string and object arrays, inline or in blobs; pandas values and labels; reprs of
    unencodable values. A subtree with nothing to change is returned as it is.

    ``blobs`` reads arrays stored in blobs; a rewritten blob array goes back into
    ``blobs`` when it is a dict (recording), else inline. A blob that cannot be read is
    skipped: replaying the case reports it.
    """

    def __init__(self, visitor: TextVisitor, blobs: BlobSource = None) -> None:
        self.visitor = visitor
        self.blobs = blobs
        self.learned = visitor.plain_keys
        self.plain: set[str] | frozenset[str] = (
            self.learned if self.learned is not None else frozenset()
        )

    # -- generic nodes -----------------------------------------------------------------

    def node(self, node: Any, path: TreePath, names: Sequence[str] | None = None) -> Any:
        kind = type(node)
        if kind is str:
            return self.visitor.text(node, path)
        if kind is list:
            return self.items(node, path)
        if kind is not dict:
            return node
        tag = None
        for key in node:
            if key[:1] == "$" and key != "$id" and key != "$keys":
                tag = key
                break
        if tag is None:
            return self.mapping(node, path, names)
        payload = node[tag]
        if tag in _PAYLOAD:
            slot = _PAYLOAD[tag]
            if slot not in node:
                return node
            new = self.node(node[slot], path)
            return node if new is node[slot] else {**node, slot: new}
        if tag == "$dict":
            new = self.pairs(payload, path) if type(payload) is list else payload
            return node if new is payload else {**node, tag: new}
        if tag == "$object":
            return self.obj(node, path)
        if tag == "$namedtuple":
            fields = node.get("fields")
            if type(fields) is not dict:
                return node
            new = self.mapping(fields, path, None, rename=False)
            return node if new is fields else {**node, "fields": new}
        if tag in ("$bytes", "$bytearray"):
            text = b64_text(payload)
            if not text:
                return node
            new_text = self.visitor.text(text, path, payload[:24])
            return node if new_text is text else {**node, tag: _b64(new_text)}
        if tag == "$ndarray":
            return self.array(node, path)
        if tag == "$unencodable":
            shown = node.get("repr")
            if type(shown) is not str:
                return node
            new_text = self.visitor.text(shown, path)
            return node if new_text is shown else {**node, "repr": new_text}
        if tag == "$series":
            return self.series(node, path)
        if tag == "$dataframe":
            return self.frame(node, path)
        return node  # numbers, dates, paths, uuids, classes, functions, $ref

    def items(
        self, items: list[Any], path: TreePath, names: Sequence[str] | None = None
    ) -> list[Any]:
        out: list[Any] | None = None
        text = self.visitor.text
        for index, child in enumerate(items):
            kind = type(child)
            if kind in _SCALARS:
                continue
            where = (path, f"[{index}]")
            if (
                names is not None
                and index < len(names)
                and self.visitor.named(names[index], child, where)
            ):
                new: Any = REDACTED
            elif kind is str:
                new = text(child, where)
            else:
                new = self.node(child, where)
            if new is not child:
                if out is None:
                    out = list(items)
                out[index] = new
        return items if out is None else out

    # -- names and keys ----------------------------------------------------------------

    def key(self, key: str, path: TreePath, index: int, rename: bool) -> tuple[str, str]:
        """The key to keep, and the path segment that names it without repeating a secret.

        Attribute and field names (``rename=False``) stay as they are.
        """
        if rename:
            new = self.visitor.text(key, (path, f"<key {index}>"))
            if new != key:
                return new, new
        if not _clean_key(key):
            return key, f"<key {index}>"
        learned = self.learned
        if learned is not None and len(learned) < 100_000 and not self.visitor.name_matters(key):
            learned.add(key)
        return key, key

    def mapping(
        self,
        node: dict[str, Any],
        path: TreePath,
        names: Sequence[str] | None = None,
        *,
        rename: bool = True,
    ) -> dict[str, Any]:
        out: dict[str, Any] | None = None
        renamed: dict[str, str] = {}
        taken: set[str] = set()
        named = self.visitor.named
        plain = self.plain
        for index, (key, child) in enumerate(node.items()):
            if key in plain and (names is None or key != "args"):  # the common case, fast
                kind = type(child)
                if kind in _SCALARS:
                    continue
                new: Any = (
                    self.visitor.text(child, (path, key))
                    if kind is str
                    else self.node(child, (path, key))
                )
                if new is not child:
                    if out is None:
                        out = dict(node)
                    out[key] = new
                continue
            if key[:1] == "$":
                continue
            new_key, segment = self.key(key, path, index, rename)
            where = (path, segment)
            if names is not None and key == "args":
                new = self.args(child, where, names)
            elif named(key, child, where):
                new = REDACTED
            else:
                new = self.node(child, where)
            if new_key != key:
                if not renamed:
                    taken = set(node)
                new_key = _free_key(new_key, taken)
                taken.add(new_key)
                renamed[key] = new_key
            if new is not child or new_key != key:
                if out is None:
                    out = dict(node)
                out[key] = new
        if out is None:
            return node
        if renamed:  # renamed in place: the order of the keys is the order of the dict
            out = {renamed.get(k, k): v for k, v in out.items()}
            if type(out.get("$keys")) is list:
                out["$keys"] = [renamed.get(k, k) if type(k) is str else k for k in out["$keys"]]
        return out

    def args(self, child: Any, path: TreePath, names: Sequence[str]) -> Any:
        """Positional arguments, named by parameter (a shared list is a tagged ``$list``)."""
        if type(child) is list:
            return self.items(child, path, names)
        if type(child) is dict and type(child.get("$list")) is list:
            new = self.items(child["$list"], path, names)
            return child if new is child["$list"] else {**child, "$list": new}
        return self.node(child, path)

    def pairs(self, pairs: list[Any], path: TreePath) -> list[Any]:
        """``[key, value]`` pairs of a ``$dict`` (or a dict subclass's base)."""
        out: list[Any] | None = None
        used = {p[0] for p in pairs if type(p) is list and len(p) == 2 and type(p[0]) is str}
        for index, pair in enumerate(pairs):
            if type(pair) is not list or len(pair) != 2:
                continue
            key, value = pair
            if type(key) is str:
                new_key, segment = self.key(key, path, index, True)
                where = (path, f"[{segment!r}]" if segment == key else f"[{segment}]")
                if new_key != key:
                    new_key = _free_key(new_key, used)
                    used.add(new_key)
                new_value = REDACTED if self.visitor.named(key, value, where) else None
            else:
                new_key = self.node(key, (path, f"<key {index}>"))
                where = (path, f"[{index}]")
                new_value = None
            if new_value is None:
                new_value = self.node(value, where)
            if new_key is not key or new_value is not value:
                if out is None:
                    out = list(pairs)
                out[index] = [new_key, new_value]
        return pairs if out is None else out

    def obj(self, node: dict[str, Any], path: TreePath) -> dict[str, Any]:
        out = node
        state = node.get("state")
        if type(state) is dict:
            new = self.mapping(state, path, rename=False)
            if new is not state:
                out = {**out, "state": new}
        base = node.get("base")
        if base is not None:
            if type(base) is list and base and all(type(p) is list and len(p) == 2 for p in base):
                new_base = self.pairs(base, path)  # a dict subclass: keys are names
            else:
                new_base = self.node(base, path)
            if new_base is not base:
                out = {**out, "base": new_base}
        if "getstate" in node:
            custom = self.node(node["getstate"], path)
            if custom is not node["getstate"]:
                out = {**out, "getstate": custom}
        return out

    # -- arrays ---------------------------------------------------------------------------

    def array(self, node: dict[str, Any], path: TreePath) -> Any:
        head = node["$ndarray"]
        if type(head) is not dict:
            return node
        kind = dtype_kind(head.get("dtype"))
        data = head.get("data")
        if kind == "O" and type(data) is list:
            new = self.items(data, path)
        elif kind == "U" and type(data) is list and all(type(x) is str for x in data):
            new = self.visitor.texts(data, path)
        elif kind == "S" and type(data) is list:
            plain = [t for t in map(b64_text, data) if t is not None]
            if len(plain) != len(data):
                return node  # not base64: decoding reports it
            changed = self.visitor.texts(plain, path, data)
            new = data if changed is plain else [_b64(t) for t in changed]
        elif kind in ("U", "S") and type(head.get("blob")) is str:
            return self.blob_array(node, head, kind, path)
        else:
            return node
        return node if new is data else {**node, "$ndarray": {**head, "data": new}}

    def blob_array(
        self, node: dict[str, Any], head: dict[str, Any], kind: str, path: TreePath
    ) -> Any:
        import io

        import numpy as np

        name = head["blob"]
        blobs = self.blobs
        if blobs is None:
            return node
        try:
            payload = blobs[name] if isinstance(blobs, Mapping) else blobs(name)
            arr = np.load(io.BytesIO(payload), allow_pickle=False)
        except Exception:  # noqa: BLE001 - no reader, missing or corrupt: replay reports it
            return node
        if not isinstance(arr, np.ndarray) or arr.dtype.kind != kind:
            return node
        flat = arr.ravel().tolist()
        texts = flat if kind == "U" else [x.decode("latin-1") for x in flat]
        changed = self.visitor.texts(texts, path, [name] * len(texts))
        if changed is texts:
            return node
        from legacy_harness.store import codec

        values: Any = changed if kind == "U" else [t.encode("latin-1") for t in changed]
        new_arr = np.array(values, dtype=kind).reshape(arr.shape)
        sink = self.blobs if isinstance(self.blobs, dict) else None
        encoded = codec.encode(new_arr, blobs=sink)
        if "$id" in node:
            encoded = {**encoded, "$id": node["$id"]}
        return encoded

    # -- pandas ---------------------------------------------------------------------------

    def values(self, column: Any, path: TreePath) -> Any:
        """A pandas values description: ``{dtype, values[, categories]}``."""
        if type(column) is not dict:
            return column
        out = column
        for slot in ("values", "categories"):
            if slot in column:
                child = column[slot]
                new = self.node(child, path) if slot == "values" else self.index(child, path)
                if new is not child:
                    out = {**out, slot: new}
        return out

    def index(self, desc: Any, path: TreePath) -> Any:
        if type(desc) is not dict or type(desc.get("levels")) is not list:
            return desc
        levels = desc["levels"]
        new = [self.values(level, path) for level in levels]
        if all(a is b for a, b in zip(new, levels, strict=True)):
            return desc
        return {**desc, "levels": new}

    def series(self, node: dict[str, Any], path: TreePath) -> Any:
        body = node["$series"]
        if type(body) is not dict:
            return node
        name = body.get("name")
        if type(name) is str and self.visitor.named(name, body, path):
            index = body.get("index")
            new: Any = {**_redacted_column(body, index), "index": index, "name": name}
        else:
            new = self.values(body, path)
            if "index" in body:
                index = self.index(body["index"], (path, "index"))
                if index is not body["index"]:
                    new = {**new, "index": index}
        return node if new is body else {**node, "$series": new}

    def frame(self, node: dict[str, Any], path: TreePath) -> Any:
        body = node["$dataframe"]
        if type(body) is not dict or type(body.get("data")) is not list:
            return node
        data = body["data"]
        labels = _column_labels(body.get("columns"), len(data))
        new_data: list[Any] | None = None
        for index, column in enumerate(data):
            label = labels[index]
            clean = label is not None and _clean_key(label)
            where = (path, f"[{label!r}]" if clean else f"[<column {index}>]")
            if label is not None and self.visitor.named(label, column, where):
                new: Any = _redacted_column(column, body.get("index"))
            else:
                new = self.values(column, where)
            if new is not column:
                if new_data is None:
                    new_data = list(data)
                new_data[index] = new
        out = body if new_data is None else {**body, "data": new_data}
        for slot in ("columns", "index"):
            if slot in body:
                desc = self.index(body[slot], (path, slot))
                if desc is not body[slot]:
                    out = {**out, slot: desc}
        return node if out is body else {**node, "$dataframe": out}


def _free_key(key: str, used: set[Any]) -> str:
    """``key``, or ``key#2``... when two secrets in one mapping redact to the same key."""
    if key not in used:
        return key
    number = 2
    while f"{key}#{number}" in used:
        number += 1
    return f"{key}#{number}"


def _column_labels(columns: Any, count: int) -> list[str | None]:
    """Column names as text (the last level of a MultiIndex), from an inline index."""
    labels: list[str | None] = [None] * count
    if type(columns) is not dict or type(columns.get("levels")) is not list:
        return labels
    levels = columns["levels"]
    level = levels[-1] if levels else None
    values = level.get("values") if type(level) is dict else None
    head = values.get("$ndarray") if type(values) is dict else None
    data = head.get("data") if type(head) is dict else None
    if type(data) is list and len(data) == count:
        labels = [x if type(x) is str else None for x in data]
    return labels


def _values_length(values: Any) -> int | None:
    """Length of a 1-D array node (inline or in a blob: the shape is in the tree)."""
    head = values.get("$ndarray") if type(values) is dict else None
    shape = head.get("shape") if type(head) is dict else None
    if type(shape) is list and len(shape) == 1 and type(shape[0]) is int:
        return int(shape[0])
    return None


def _index_length(desc: Any) -> int:
    if type(desc) is not dict:
        return 0
    bounds = desc.get("range")
    if type(bounds) is list and len(bounds) == 3 and all(type(x) is int for x in bounds):
        return len(range(*bounds)) if bounds[2] else 0
    levels = desc.get("levels")
    first = levels[0] if type(levels) is list and levels else None
    return (_values_length(first.get("values")) if type(first) is dict else None) or 0


def _redacted_column(column: Any, index: Any) -> dict[str, Any]:
    """A pandas column of ``"<redacted>"`` strings, as long as the frame, so it decodes."""
    values = column.get("values") if type(column) is dict else None
    length = _values_length(values)
    if length is None:
        length = _index_length(index)
    data = [REDACTED] * length
    return {
        "dtype": "object",
        "values": {"$ndarray": {"dtype": "|O", "shape": [length], "data": data}},
    }


_ALL_RULES = RuleSet(RULES)


@functools.lru_cache(maxsize=8192)
def _clean_key(key: str) -> bool:
    """No rule matches the key, so a path may spell it (the report must not)."""
    return not _ALL_RULES.mentions(key)


# -- the scanner ----------------------------------------------------------------------------


def mask(text: str) -> str:
    """Enough of a secret to find it again, not enough to use it."""
    text = text.strip()
    if len(text) <= 8:
        return f"{'*' * len(text)} ({len(text)} chars)"
    return f"{text[:4]}…{'*' * 4} ({len(text)} chars)"


@dataclass(frozen=True)
class Finding:
    """One suspected secret: where it is, what it looks like, a masked excerpt."""

    path: str
    kind: str
    excerpt: str
    #: Text to search for in the file to find the line (the key, or the start of the value).
    needle: str

    def message(self) -> str:
        return f"{self.path}: looks like {self.kind.replace('_', ' ')} ({self.excerpt})"


class _Collect(TextVisitor):
    """The scanner's visitor: records findings, changes nothing."""

    rules: RuleSet

    def __init__(self, scanner: SecretScanner) -> None:
        self.scanner = scanner
        self.rules = scanner.rules
        self.plain_keys = scanner.rules.plain_keys
        self.found: list[Finding] = []

    def name_matters(self, name: str) -> bool:
        return credential_name(name)

    def text(self, text: str, path: TreePath, shown: str | None = None) -> str:
        if not text or text == REDACTED or not self.rules.mentions(text):
            return text
        allowed = self.scanner.allowed
        for rule in self.rules.rules:
            for start, end in rule.spans(text):
                secret = text[start:end]
                if not allowed(secret):
                    needle = shown if shown is not None else secret[:24]
                    self.found.append(Finding(path_text(path), rule.label, mask(secret), needle))
                    break
        return text

    def named(self, name: str, value: Any, path: TreePath) -> bool:
        if credential_value(name, value):
            text = first_text(value)
            if text is not None and not self.scanner.allowed(text):
                self.found.append(
                    Finding(path_text(path), f"credential in key {name!r}", mask(text), f'"{name}"')
                )
        return False


@dataclass(frozen=True)
class SecretScanner:
    """The rules of one project: built-in patterns, e-mail policy, allow-list."""

    allow_emails: bool = False
    allow: tuple[re.Pattern[str], ...] = ()
    rules: RuleSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        skip = "emails" if self.allow_emails else None
        object.__setattr__(self, "rules", RuleSet(r for r in RULES if r.name != skip))

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> SecretScanner:
        """Read ``[tool.legacy_harness.check]`` ``allow_emails`` and ``allow``."""
        allow_emails = table.get("allow_emails", False)
        if not isinstance(allow_emails, bool):
            raise ConfigError(
                "[tool.legacy_harness.check] allow_emails must be true or false, e.g. allow_emails = true"
            )
        allow = table.get("allow", [])
        if not isinstance(allow, list) or not all(isinstance(p, str) for p in allow):
            raise ConfigError(
                "[tool.legacy_harness.check] allow must be a list of regexes, e.g."
                ' allow = [".*@example\\\\.com"]'
            )
        compiled = []
        for pattern in allow:
            try:
                compiled.append(re.compile(pattern))
            except re.error as error:
                raise ConfigError(
                    f"[tool.legacy_harness.check] allow pattern {pattern!r} is not a valid regex"
                    f" ({error}); fix the pattern"
                ) from None
        return cls(allow_emails, tuple(compiled))

    def allowed(self, text: str) -> bool:
        return any(pattern.fullmatch(text) for pattern in self.allow)

    def scan_text(self, path: str, key: str | None, text: str) -> list[Finding]:
        """Findings in one string value held under ``key`` (None: no name)."""
        visitor = _Collect(self)
        if key is not None:
            visitor.named(key, text, path)
        visitor.text(text, path)
        return visitor.found

    def scan_tree(
        self, tree: Any, where: str, blobs: BlobSource = None, names: Sequence[str] | None = None
    ) -> list[Finding]:
        """Findings in an encoded tree; ``blobs`` reads arrays stored beside the case."""
        visitor = _Collect(self)
        try:
            TreeWalk(visitor, blobs).node(tree, where, names)
        except RecursionError:
            visitor.found.append(Finding(where, "tree nested too deeply to scan", "", f'"{where}"'))
        return visitor.found

    def scan_case(
        self, case: GoldenCase, read_blob: Callable[[str], bytes] | None = None
    ) -> list[Finding]:
        """Findings in what a case recorded; ``meta`` (written by the tool) is not scanned.

        ``read_blob`` reads the case's blobs from the store, so string arrays too big to
        sit in the file are scanned as well.
        """
        blobs = _blob_source(case.blobs, read_blob)
        observation = case.observation
        trees: Iterable[tuple[Any, str]] = (
            (case.inputs, "inputs"),
            (observation.outcome, "outcome"),
            (observation.effects, "effects"),
            (observation.output, "output"),
        )
        found: list[Finding] = []
        for tree, where in trees:
            found.extend(self.scan_tree(tree, where, blobs))
        return found


def _blob_source(
    blobs: Mapping[str, bytes], read_blob: Callable[[str], bytes] | None
) -> BlobSource:
    if read_blob is None:
        return blobs or None
    if not blobs:
        return read_blob

    def read(name: str) -> bytes:
        return blobs[name] if name in blobs else read_blob(name)

    return read


class _Texts(TextVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def text(self, text: str, path: TreePath, shown: str | None = None) -> str:
        self.found.append((path_text(path), text))
        return text


def iter_texts(tree: Any, where: str, blobs: BlobSource = None) -> Iterator[tuple[str, str]]:
    """Every text an encoded tree holds, as ``(path, text)``, in the scanner's reach.

    Paths read like tolerance paths (``inputs.kwargs.user.password``, ``outcome[2]``);
    a key is ``<key N>`` (N: its position), so a path never repeats a secret.
    """
    visitor = _Texts()
    TreeWalk(visitor, blobs).node(tree, where)
    yield from visitor.found


def locate_line(text: str, needle: str, section: str | None = None) -> int:
    """1-based line of ``needle`` (as JSON writes it) in a case file's ``text``.

    ``section`` (``inputs``, ``outcome``...: the first part of a finding's path) starts
    the search at that top-level key, so a value found in the outcome is not located
    at the same text in the inputs.
    """
    import json

    start = 0
    if section:
        header = text.find(f'\n  "{section}": ')
        start = header if header >= 0 else 0
    for candidate in (json.dumps(needle, ensure_ascii=False)[1:-1], needle):
        index = text.find(candidate, start) if candidate else -1
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return 1
