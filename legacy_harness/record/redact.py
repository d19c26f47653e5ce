"""Redaction: replace secrets in recorded trees before anything touches disk.

Recording real work captures real data. ``[tool.legacy_harness.redact]`` names the
keys (exact names or globs) and the regexes whose values the recorder replaces by the
string ``"<redacted>"``, plus built-in rules for common secrets (the catalogue of
:mod:`legacy_harness.store.secret_scan`)::

    [tool.legacy_harness.redact]
    keys = ["password", "*_token", "customer.ssn"]   # case-insensitive globs
    patterns = ["\\\\b\\\\d{3}-\\\\d{2}-\\\\d{4}\\\\b"]   # matches inside strings
    builtins = true          # or false, or a list: ["credential_keys", "jwt", "emails"]

A key rule replaces the whole value held under a matching key (plain objects, object
state, namedtuple fields, ``$dict`` entries with string keys, and positional arguments
by parameter name). A pattern replaces only the matching text inside string values,
including printed output and log messages. On replay the same rules run over today's
observation, so a redacted field compares as ``"<redacted>"`` on both sides instead of
failing.

A redacted *input* cannot be replayed faithfully: the replayed call receives the
string ``"<redacted>"``. Redact inputs only when they do not influence behaviour (a
password passed through to a client, say); verify notes such cases in their verdict.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.errors import ConfigError
from legacy_harness.store.case import Observation
from legacy_harness.store.secret_scan import CREDENTIAL_KEY, EMAIL, REDACTED, VALUE_PATTERNS

__all__ = ["BUILTINS", "REDACTED", "Redactor", "blob_names"]

#: Built-in rules by name; ``builtins = true`` enables all but ``emails``.
BUILTINS: tuple[str, ...] = ("credential_keys", *VALUE_PATTERNS, "emails")
_DEFAULT_BUILTINS = tuple(name for name in BUILTINS if name != "emails")
_WHERE = "[tool.legacy_harness.redact]"
_CONTAINER_TAGS = ("$list", "$tuple", "$set", "$frozenset")


def _compile_keys(keys: Sequence[str]) -> re.Pattern[str] | None:
    if not keys:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(k)})" for k in keys), re.IGNORECASE)


def _screen(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One regex that finds whether any pattern matches, to skip clean strings in one search."""
    if not patterns or any(p.flags & ~re.UNICODE for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:  # e.g. inline global flags in a user's pattern: check one by one
        return None


@dataclass(frozen=True)
class Redactor:
    """Key rules and text patterns; :meth:`redact_tree` applies them to an encoded tree."""

    keys: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    credential_keys: bool = False
    _key_rule: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _screen: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _key_cache: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key_rule", _compile_keys(self.keys))
        object.__setattr__(self, "_screen", _screen(self.patterns))

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> Redactor:
        """Build from the ``[tool.legacy_harness]`` table (``Config.table``): its ``redact``."""
        table = table.get("redact", {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"{_WHERE} must be a table with keys, patterns and builtins")
        unknown = sorted(set(table) - {"keys", "patterns", "builtins"})
        if unknown:
            raise ConfigError(
                f"{_WHERE} has unknown key {unknown[0]!r}; known keys: builtins, keys, patterns"
            )
        keys = table.get("keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise ConfigError(
                f'{_WHERE} keys must be a list of key names or globs, e.g. ["password"]'
            )
        texts = table.get("patterns", [])
        if not isinstance(texts, list) or not all(isinstance(p, str) and p for p in texts):
            raise ConfigError(f"{_WHERE} patterns must be a list of regexes")
        builtins = table.get("builtins", True)
        if builtins is True:
            chosen: Iterable[str] = _DEFAULT_BUILTINS
        elif builtins is False:
            chosen = ()
        elif isinstance(builtins, list) and all(isinstance(b, str) for b in builtins):
            bad = [b for b in builtins if b not in BUILTINS]
            if bad:
                raise ConfigError(
                    f"{_WHERE} builtins has unknown rule {bad[0]!r}; known: {', '.join(BUILTINS)}"
                )
            chosen = builtins
        else:
            raise ConfigError(f"{_WHERE} builtins must be true, false or a list of rule names")
        patterns: list[re.Pattern[str]] = []
        for text in texts:
            try:
                patterns.append(re.compile(text))
            except re.error as error:
                raise ConfigError(
                    f"{_WHERE} pattern {text!r} is not a valid regex ({error}); fix the pattern"
                ) from None
        chosen = set(chosen)
        patterns.extend(VALUE_PATTERNS[name] for name in VALUE_PATTERNS if name in chosen)
        if "emails" in chosen:
            patterns.append(EMAIL)
        return cls(tuple(keys), tuple(patterns), "credential_keys" in chosen)

    @property
    def active(self) -> bool:
        return bool(self._key_rule or self.patterns or self.credential_keys)

    def key_matches(self, key: str) -> bool:
        known = self._key_cache.get(key)
        if known is None:
            rule = self._key_rule
            known = bool(
                (self.credential_keys and CREDENTIAL_KEY.match(key))
                or (rule is not None and rule.fullmatch(key) is not None)
            )
            if len(self._key_cache) < 10_000:
                self._key_cache[key] = known
        return known

    def redact_text(self, text: str) -> str:
        screen = self._screen
        if screen is not None and screen.search(text) is None:
            return text
        for pattern in self.patterns:
            text = pattern.sub(REDACTED, text)
        return text

    # -- trees -----------------------------------------------------------------------

    def redact_tree(self, tree: Any) -> Any:
        """``tree`` with redacted values replaced by ``"<redacted>"``; the input is not changed."""
        return self.redact(tree, "")[0]

    def redact(
        self, tree: Any, where: str, names: Sequence[str] | None = None
    ) -> tuple[Any, list[str]]:
        """Redact ``tree`` and list the paths replaced.

        ``names`` gives keys to the items of a top-level ``args`` list (parameter names),
        so positional arguments are redacted like keyword arguments.
        """
        if not self.active:
            return tree, []
        run = _Run(self)
        result = run.node(tree, where, names)
        if run.removed_ids:
            result = _drop_refs(result, run.removed_ids)
        return result, run.paths

    def redact_inputs(self, inputs: Any, positional: Sequence[str]) -> tuple[Any, list[str]]:
        """Redact an encoded inputs tree, naming positional arguments by parameter."""
        return self.redact(inputs, "inputs", positional)

    def redact_observation(self, observation: Observation) -> tuple[Observation, list[str]]:
        """Redact what a call did (outcome, effects, printed output and logs)."""
        if not self.active:
            return observation, []
        outcome, paths = self.redact(observation.outcome, "outcome")
        effects, more = self.redact(observation.effects, "effects")
        paths += more
        output, more = self.redact(observation.output, "output")
        paths += more
        if not paths:
            return observation, []
        return Observation(outcome, effects, output), paths


Path = Any  # a path under construction: the root string, or (parent, segment)


def _path_text(path: Path) -> str:
    segments: list[str] = []
    while type(path) is tuple:
        path, segment = path
        segments.append(segment)
    text = str(path)
    for segment in reversed(segments):
        text += segment if segment[:1] == "[" or not text else "." + segment
    return text


class _Run:
    """One pass over a tree: the copy, the paths replaced, and ``$id``s that went away.

    Copy on write: a subtree with nothing to redact is returned as it is, and a path is
    only spelled out when something at it is replaced, so a clean tree costs one walk.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.matches = redactor.key_matches
        self.patterns = bool(redactor.patterns)
        self.paths: list[str] = []
        self.removed_ids: set[int] = set()

    def replace(self, node: Any, path: Path) -> str:
        self.paths.append(_path_text(path))
        self.removed_ids.update(_ids_in(node))
        return REDACTED

    def items(self, items: list[Any], path: Path, names: Sequence[str] | None = None) -> list[Any]:
        out: list[Any] | None = None
        for index, child in enumerate(items):
            where = (path, f"[{index}]")
            if names is not None and index < len(names) and self.matches(names[index]):
                new = self.replace(child, where)
            elif type(child) is int or type(child) is float:
                continue
            else:
                new = self.node(child, where)
            if new is not child:
                if out is None:
                    out = list(items)
                out[index] = new
        return items if out is None else out

    def node(self, node: Any, path: Path, names: Sequence[str] | None = None) -> Any:
        new: Any
        kind = type(node)
        if kind is str:
            if not self.patterns:
                return node
            new = self.redactor.redact_text(node)
            if new == node:
                return node
            self.paths.append(_path_text(path))
            return new
        if kind is list:
            return self.items(node, path)
        if kind is not dict:
            return node
        tag = None
        for key in node:
            if key[:1] == "$" and key != "$id" and key != "$keys":
                tag = key
                break
        matches = self.matches
        if tag is None:
            out: dict[str, Any] | None = None
            for key, child in node.items():
                if key[:1] == "$":
                    continue
                where = (path, key)
                if key == "args" and names is not None and type(child) is list:
                    new = self.items(child, where, names)
                elif matches(key):
                    new = self.replace(child, where)
                else:
                    new = self.node(child, where)
                if new is not child:
                    if out is None:
                        out = dict(node)
                    out[key] = new
            return node if out is None else out
        field_name = _PAYLOAD.get(tag)
        if tag == "$dict" and type(node[tag]) is list:
            pairs: list[Any] | None = None
            for index, pair in enumerate(node[tag]):
                if type(pair) is list and len(pair) == 2 and type(pair[0]) is str:
                    where = (path, f"[{pair[0]!r}]")
                    if matches(pair[0]):
                        value = self.replace(pair[1], where)
                    else:
                        value = self.node(pair[1], where)
                    if value is not pair[1]:
                        if pairs is None:
                            pairs = list(node[tag])
                        pairs[index] = [pair[0], value]
            if pairs is None:
                return node
            return {**node, tag: pairs}
        if field_name is None or field_name not in node:
            return node
        new = self.node(node[field_name], path)
        if new is node[field_name]:
            return node
        return {**node, field_name: new}


#: Tagged nodes whose payload is an encoded value, and the key that holds it.
_PAYLOAD = {
    **{tag: tag for tag in _CONTAINER_TAGS},
    "$object": "state",
    "$namedtuple": "fields",
    "$custom": "value",
}


def _ids_in(tree: Any) -> set[int]:
    found: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            ident = node.get("$id")
            if type(ident) is int:
                found.add(ident)
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return found


def _drop_refs(tree: Any, ids: set[int]) -> Any:
    """Replace references to values that were redacted away, so the tree still decodes."""
    if type(tree) is list:
        return [_drop_refs(child, ids) for child in tree]
    if type(tree) is dict:
        if len(tree) == 1 and tree.get("$ref") in ids:
            return REDACTED
        return {key: _drop_refs(child, ids) for key, child in tree.items()}
    return tree


def blob_names(*trees: Any) -> set[str]:
    """Blobs the trees still name, so blobs of redacted arrays are not written."""
    names: set[str] = set()
    stack: list[Any] = list(trees)
    while stack:
        node = stack.pop()
        if type(node) is dict:
            blob = node.get("blob")
            if type(blob) is str and "dtype" in node:
                names.add(blob)
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return names
