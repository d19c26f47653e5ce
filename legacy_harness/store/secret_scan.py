"""Find secrets in golden trees before they reach a repository.

Golden masters are often recorded from production data, and a case file is committed
like source code: a private key, an access token or a customer's e-mail address in a
case would leak with it. The scanner walks a case's encoded trees (inputs, outcome,
effects, output) and reports every value that looks like a secret, by its content
(PEM keys, cloud and chat tokens, JWTs, e-mail addresses) or by the name of the key
that holds it (``password``, ``api_key``...). The same catalogue drives redaction at
record time (:mod:`legacy_harness.record.redact`), so what redaction removes no longer fails
the check.

Findings never carry the secret itself, only a masked excerpt, so the report can be
printed in a CI log.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from legacy_harness.errors import ConfigError
from legacy_harness.store.case import GoldenCase

__all__ = [
    "CREDENTIAL_KEY",
    "EMAIL",
    "REDACTED",
    "VALUE_PATTERNS",
    "Finding",
    "SecretScanner",
    "iter_strings",
    "mask",
]

#: What redaction leaves in place of a value; never a finding.
REDACTED = "<redacted>"

#: Key names whose non-empty string values are credentials: ``password``,
#: ``db_password``, ``client-secret``, ``apiKey``, ``access_token``...
CREDENTIAL_KEY = re.compile(
    r"^(?:.*[_\-.])?(?:passw(?:or)?d|pwd|secret|token|api[_\-]?key|access[_\-]?key"
    r"|private[_\-]?key|secret[_\-]?key|auth[_\-]?token|credentials?)$",
    re.IGNORECASE,
)

#: Content patterns of well-known secrets: name -> regex over string values.
VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "private_key": re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
    ),
    "aws_access_key": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
    "github_token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    "gitlab_token": re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_\-]{20,}"),
    "slack_token": re.compile(
        r"\bxox[abposre]-[A-Za-z0-9\-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"
    ),
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
}

#: Any of the value patterns: one search clears a string that holds none of them.
_SCREEN = re.compile("|".join(f"(?:{p.pattern})" for p in VALUE_PATTERNS.values()))


@functools.lru_cache(maxsize=4096)
def _credential_key(key: str) -> bool:
    return CREDENTIAL_KEY.match(key) is not None


EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")

#: Tags whose payload is an encoded value; every other ``$`` tag holds a scalar form
#: (base64 bytes, dates, numbers) that is not text the program handled.
_CONTAINER_TAGS = ("$list", "$tuple", "$set", "$frozenset")


def mask(text: str) -> str:
    """Enough of a secret to find it again, not enough to use it."""
    text = text.strip()
    if len(text) <= 8:
        return f"{'*' * len(text)} ({len(text)} chars)"
    return f"{text[:4]}…{'*' * 4} ({len(text)} chars)"


def iter_strings(tree: Any, where: str) -> Iterator[tuple[str, str | None, str]]:
    """Every string value of an encoded tree as ``(path, key, text)``.

    ``key`` is the name of the mapping key that holds the value (for plain objects,
    ``$dict`` pairs with string keys, object state and namedtuple fields), else None.
    Paths read like tolerance paths: ``inputs.kwargs.user.password``, ``outcome[2]``.
    """
    stack: list[tuple[Any, str, str | None]] = [(tree, where, None)]
    while stack:
        node, path, key = stack.pop()
        kind = type(node)
        if kind is str:
            yield path, key, node
        elif kind is list:
            for index in range(len(node) - 1, -1, -1):
                stack.append((node[index], f"{path}[{index}]", None))
        elif kind is dict:
            tag = next((k for k in node if k[:1] == "$" and k not in ("$id", "$keys")), None)
            if tag is None:
                for name, child in node.items():
                    if name[:1] != "$":
                        stack.append((child, f"{path}.{name}" if path else name, name))
            elif tag in _CONTAINER_TAGS:
                stack.append((node[tag], path, key))
            elif tag == "$dict" and type(node[tag]) is list:
                for pair in node[tag]:
                    if type(pair) is list and len(pair) == 2:
                        name = pair[0] if type(pair[0]) is str else None
                        label = f"{path}[{name!r}]" if name is not None else f"{path}[?]"
                        stack.append((pair[1], label, name))
            elif tag == "$object":
                stack.append((node.get("state"), path, key))
            elif tag == "$namedtuple":
                stack.append((node.get("fields"), path, key))
            elif tag == "$custom":
                stack.append((node.get("value"), path, key))


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


@dataclass(frozen=True)
class SecretScanner:
    """The rules of one project: built-in patterns, e-mail policy, allow-list."""

    allow_emails: bool = False
    allow: tuple[re.Pattern[str], ...] = ()

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
        """Findings in one string value held under ``key``."""
        if not text or text == REDACTED:
            return []
        found: list[Finding] = []
        if key is not None and _credential_key(key) and not self.allowed(text):
            found.append(Finding(path, f"credential in key {key!r}", mask(text), f'"{key}"'))
        if _SCREEN.search(text) is not None:
            for kind, pattern in VALUE_PATTERNS.items():
                for match in pattern.finditer(text):
                    if not self.allowed(match.group()):
                        found.append(Finding(path, kind, mask(match.group()), match.group()[:24]))
                        break
        if not self.allow_emails and "@" in text:
            for match in EMAIL.finditer(text):
                if not self.allowed(match.group()):
                    found.append(
                        Finding(path, "e-mail address", mask(match.group()), match.group())
                    )
                    break
        return found

    def scan_tree(self, tree: Any, where: str) -> list[Finding]:
        found: list[Finding] = []
        for path, key, text in iter_strings(tree, where):
            found.extend(self.scan_text(path, key, text))
        return found

    def scan_case(self, case: GoldenCase) -> list[Finding]:
        """Findings in what a case recorded; ``meta`` (written by the tool) is not scanned."""
        observation = case.observation
        trees: Iterable[tuple[Any, str]] = (
            (case.inputs, "inputs"),
            (observation.outcome, "outcome"),
            (observation.effects, "effects"),
            (observation.output, "output"),
        )
        found: list[Finding] = []
        for tree, where in trees:
            found.extend(self.scan_tree(tree, where))
        return found


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
