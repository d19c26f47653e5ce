"""Redaction: replace secrets in recorded trees before anything touches disk.

Recording real work captures real data. ``[tool.legacy_harness.redact]`` names the
keys (exact names or globs) and the regexes whose values the recorder replaces by the
string ``"<redacted>"``, plus built-in rules for common secrets (the table of
:mod:`legacy_harness.store.secret_rules`, the one the scanner uses)::

    [tool.legacy_harness.redact]
    keys = ["password", "*_token", "customer.ssn"]   # case-insensitive globs
    patterns = ["\\\\b\\\\d{3}-\\\\d{2}-\\\\d{4}\\\\b"]   # matches inside strings
    builtins = true          # or false, or a list: ["credential_keys", "jwt", "emails"]

A key rule replaces the whole value held under a matching name: plain objects, object
state, namedtuple fields, ``$dict`` entries with string keys, pandas series and columns
(the column becomes ``"<redacted>"`` strings), and positional arguments by parameter
name. ``credential_keys`` is the scanner's reading of names: ``password`` and
``api_key`` always, ``token`` only when its value looks like a credential, and never
``token_count``, ``num_tokens``, ``tokenizer`` or ``pad_token``. A pattern replaces
only the matching text, wherever text hides: strings, dict keys, bytes, numpy string
arrays (in blobs too), pandas values and labels, printed output and log messages. On
replay the same rules run over today's observation, so a redacted field compares as
``"<redacted>"`` on both sides instead of failing.

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

from legacy_harness.config import text_list
from legacy_harness.errors import CodecError, ConfigError
from legacy_harness.store.case import Observation
from legacy_harness.store.secret_rules import (
    REDACTED,
    RULES,
    Rule,
    RuleSet,
    credential_name,
    credential_value,
)
from legacy_harness.store.secret_scan import BlobSource, TextVisitor, TreePath, TreeWalk, path_text

__all__ = ["BUILTINS", "REDACTED", "Redactor", "blob_names"]

#: Built-in rules by name; ``builtins = true`` enables all but ``emails``.
BUILTINS: tuple[str, ...] = ("credential_keys", *(rule.name for rule in RULES))
_DEFAULT_BUILTINS = ("credential_keys", *(rule.name for rule in RULES if rule.redact_by_default))
_WHERE = "[tool.legacy_harness.redact]"


def _compile_keys(keys: Sequence[str]) -> re.Pattern[str] | None:
    if not keys:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(k)})" for k in keys), re.IGNORECASE)


@dataclass(frozen=True)
class Redactor:
    """Key rules and text rules; :meth:`redact` applies them to an encoded tree.

    ``keys`` are the user's globs, ``patterns`` the user's regexes, ``builtins`` the
    chosen built-in rules (names in :data:`BUILTINS`).
    """

    keys: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    builtins: frozenset[str] = frozenset()
    _key_rule: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _rules: RuleSet = field(default=RuleSet(()), repr=False, compare=False)
    _key_cache: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)
    _active: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.builtins) - set(BUILTINS))
        if unknown:
            raise ConfigError(
                f"{_WHERE} builtins has unknown rule {unknown[0]!r}; known: {', '.join(BUILTINS)}"
            )
        chosen = tuple(rule for rule in RULES if rule.name in self.builtins)
        mine = tuple(Rule(f"pattern {p.pattern!r}", p) for p in self.patterns)
        object.__setattr__(self, "_key_rule", _compile_keys(self.keys))
        object.__setattr__(self, "_rules", RuleSet(mine + chosen))
        active = bool(self.keys or self._rules.rules or "credential_keys" in self.builtins)
        object.__setattr__(self, "_active", active)

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
        keys = text_list(table, "keys", _WHERE, 'a list of key names or globs, e.g. ["password"]')
        texts = text_list(table, "patterns", _WHERE, "a list of regexes")
        builtins = table.get("builtins", True)
        if builtins is True:
            chosen: Iterable[str] = _DEFAULT_BUILTINS
        elif builtins is False:
            chosen = ()
        elif isinstance(builtins, list) and all(isinstance(b, str) for b in builtins):
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
        return cls(tuple(keys), tuple(patterns), frozenset(chosen))

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Text rules in the order they run: the user's patterns, then the built-in ones."""
        return self._rules.rules

    @property
    def credential_keys(self) -> bool:
        return "credential_keys" in self.builtins

    @property
    def active(self) -> bool:
        return self._active

    def hides(self, name: str, value: Any) -> bool:
        """Whether the value held under ``name`` is replaced whole."""
        return self._user_key(name) or (self.credential_keys and credential_value(name, value))

    def hides_some(self, name: str) -> bool:
        """Whether some value under ``name`` would be replaced (so the name must be asked)."""
        return self._user_key(name) or (self.credential_keys and credential_name(name))

    def _user_key(self, name: str) -> bool:
        known = self._key_cache.get(name)
        if known is None:
            rule = self._key_rule
            known = rule is not None and rule.fullmatch(name) is not None
            if len(self._key_cache) < 10_000:
                self._key_cache[name] = known
        return known

    def redact_text(self, text: str) -> str:
        """``text`` with every span a text rule matches replaced by ``"<redacted>"``."""
        return self._rules.redact(text)

    # -- trees -----------------------------------------------------------------------

    def redact_tree(self, tree: Any, blobs: BlobSource = None) -> Any:
        """``tree`` with redacted values replaced by ``"<redacted>"``; the input is not changed."""
        return self.redact(tree, "", blobs=blobs)[0]

    def redact(
        self,
        tree: Any,
        where: str,
        names: Sequence[str] | None = None,
        blobs: BlobSource = None,
    ) -> tuple[Any, list[str]]:
        """Redact ``tree`` and list the paths replaced.

        ``names`` gives keys to the items of a top-level ``args`` list (parameter names),
        so positional arguments are redacted like keyword arguments. ``blobs`` reads
        string arrays stored in blobs; a redacted one is written back into it when it is
        a dict (recording), else inline.
        """
        if not self._active:
            return tree, []
        run = _Redact(self)
        try:
            result = TreeWalk(run, blobs).node(tree, where, names)
        except RecursionError:
            raise CodecError(f"{where or 'tree'}: nested too deeply to redact") from None
        if run.removed_ids:
            result = _drop_refs(result, run.removed_ids)
        return result, run.paths

    def redact_inputs(
        self, inputs: Any, positional: Sequence[str], blobs: BlobSource = None
    ) -> tuple[Any, list[str]]:
        """Redact an encoded inputs tree, naming positional arguments by parameter."""
        return self.redact(inputs, "inputs", positional, blobs)

    def redact_observation(
        self, observation: Observation, blobs: BlobSource = None
    ) -> tuple[Observation, list[str]]:
        """Redact what a call did (outcome, effects, printed output and logs)."""
        if not self._active:
            return observation, []
        outcome, paths = self.redact(observation.outcome, "outcome", blobs=blobs)
        effects, more = self.redact(observation.effects, "effects", blobs=blobs)
        paths += more
        output, more = self.redact(observation.output, "output", blobs=blobs)
        paths += more
        if not paths:
            return observation, []
        return Observation(outcome, effects, output), paths


class _Redact(TextVisitor):
    """One redaction pass: the paths replaced, and the ``$id``s that went away with them."""

    rules: RuleSet

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.rules = redactor._rules
        self.plain_keys = redactor._rules.plain_keys
        self.paths: list[str] = []
        self.removed_ids: set[int] = set()

    def text(self, text: str, path: TreePath, shown: str | None = None) -> str:
        new = self.rules.redact(text)
        if new == text:
            return text
        self.paths.append(path_text(path))
        return new

    def name_matters(self, name: str) -> bool:
        return self.redactor.hides_some(name)

    def named(self, name: str, value: Any, path: TreePath) -> bool:
        if not self.redactor.hides(name, value):
            return False
        self.paths.append(path_text(path))
        self.removed_ids.update(_ids_in(value))
        return True


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
