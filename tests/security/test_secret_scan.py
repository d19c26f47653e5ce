"""The secret scan against a seeded corpus, and against inputs built to make it slow.

The corpus places every kind of secret the rules know in every place a golden tree can
hold text (strings, dict keys, bytes, numpy arrays inline and in blobs, object state,
pandas columns and labels, printed output) and lists innocent look-alikes from ML and
ops code (token counts, tokenizer keys, file names, hashes, placeholders). The test
prints how many secrets the scanner finds, how many innocents it flags, and what
redaction removes: the same rules, so both must be complete.

The adversarial inputs repeat near-misses of each pattern (the characters it
backtracks on) to 20 KB and 40 KB: the work (regex calls and the characters they pass
over, counted, not timed) must double, not quadruple. benchmarks/secret_scan_speed.py
prints the times.
"""

from __future__ import annotations

import base64
import collections
import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from legacy_harness.record.redact import Redactor, blob_names
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.secret_rules import RULES, Rule
from legacy_harness.store.secret_scan import Finding, SecretScanner, iter_texts

SEED = 20240611
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = string.ascii_letters + DIGITS
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _card(rng: random.Random, prefix: str, length: int) -> str:
    """A number of ``length`` digits starting with ``prefix`` that passes the Luhn check."""
    body = prefix + _draw(rng, DIGITS, length - len(prefix) - 1)
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Secret:
    """A secret as placed (``text``), the part that must vanish (``core``), its rule."""

    rule: str
    text: str
    core: str


def token_secrets(rng: random.Random) -> list[Secret]:
    """One or more secrets of every rule, with random bodies (built at run time)."""

    def pem(kind: str, end: bool = True, newline: str = "\n") -> Secret:
        body = newline.join(_draw(rng, ALNUM + "+/", 64) for _ in range(4))
        footer = f"{newline}-----END {kind}-----" if end else ""
        return Secret("private_key", f"-----BEGIN {kind}-----{newline}{body}{footer}", body)

    def plain(rule: str, text: str) -> Secret:
        return Secret(rule, text, text)

    visa = _card(rng, "4", 16)
    amex = _card(rng, "37", 15)
    discover = _card(rng, "6011", 16)
    db_pw, deploy_pw, cache_pw = (_draw(rng, ALNUM, 14) for _ in range(3))
    azure = _draw(rng, ALNUM + "+/", 86) + "=="
    jwt = ".".join(
        (
            _b64url({"alg": "HS256", "typ": "JWT"}),
            _b64url({"sub": _draw(rng, DIGITS, 10), "name": "A. User", "iat": 1516239022}),
            _draw(rng, URLSAFE, 43),
        )
    )
    return [
        pem("RSA PRIVATE KEY"),
        pem("OPENSSH PRIVATE KEY"),
        pem("PRIVATE KEY", end=False),  # a truncated log line: no END
        pem("PGP PRIVATE KEY BLOCK"),
        pem("ENCRYPTED PRIVATE KEY", newline="\\n"),  # as an environment variable holds it
        plain("aws_access_key", "AKIA" + _draw(rng, UPPER + DIGITS, 16)),
        plain("aws_access_key", "ASIA" + _draw(rng, UPPER + DIGITS, 16)),
        plain("google_api_key", "AIza" + _draw(rng, URLSAFE, 35)),
        plain("google_oauth_token", "ya29." + _draw(rng, URLSAFE, 60)),
        Secret(
            "azure_storage_key",
            f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={azure};"
            "EndpointSuffix=core.windows.net",
            azure,
        ),
        plain("github_token", "ghp_" + _draw(rng, ALNUM, 36)),
        plain("github_token", "gho_" + _draw(rng, ALNUM, 36)),
        plain("github_token", "github_pat_" + _draw(rng, ALNUM, 22) + "_" + _draw(rng, ALNUM, 59)),
        plain("gitlab_token", "glpat-" + _draw(rng, URLSAFE, 20)),
        plain(
            "slack_token",
            f"xoxb-{_draw(rng, DIGITS, 11)}-{_draw(rng, DIGITS, 13)}-{_draw(rng, ALNUM, 24)}",
        ),
        plain(
            "slack_token",
            f"https://hooks.slack.com/services/T{_draw(rng, UPPER, 8)}/B{_draw(rng, UPPER, 8)}/{_draw(rng, ALNUM, 24)}",
        ),
        plain(
            "discord_webhook",
            f"https://discord.com/api/webhooks/{_draw(rng, DIGITS, 18)}/{_draw(rng, URLSAFE, 68)}",
        ),
        plain("telegram_bot_token", f"{_draw(rng, DIGITS, 9)}:AA{_draw(rng, URLSAFE, 33)}"),
        plain("stripe_key", "sk_" + "live_" + _draw(rng, ALNUM, 24)),
        plain("stripe_key", "rk_" + "test_" + _draw(rng, ALNUM, 24)),
        plain("stripe_key", "whsec_" + _draw(rng, ALNUM, 32)),
        plain("square_token", "sq0atp-" + _draw(rng, URLSAFE, 22)),
        plain("card_number", " ".join(visa[i : i + 4] for i in range(0, 16, 4))),
        plain("card_number", f"{amex[:4]} {amex[4:10]} {amex[10:]}"),
        plain("card_number", _card(rng, "53", 16)),
        plain("card_number", "-".join(discover[i : i + 4] for i in range(0, 16, 4))),
        plain("npm_token", "npm_" + _draw(rng, ALNUM, 36)),
        plain("pypi_token", "pypi-AgEIcHlwaS5vcmc" + _draw(rng, URLSAFE, 70)),
        plain("rubygems_key", "rubygems_" + _draw(rng, HEX, 48)),
        plain("docker_hub_token", "dckr_pat_" + _draw(rng, URLSAFE, 27)),
        plain("huggingface_token", "hf_" + _draw(rng, string.ascii_letters, 34)),
        plain("openai_key", "sk-proj-" + _draw(rng, URLSAFE, 48)),
        plain("anthropic_key", "sk-ant-api03-" + _draw(rng, URLSAFE, 93)),
        plain("jwt", jwt),
        Secret("url_credentials", f"postgres://app:{db_pw}@db.internal:5432/sales", db_pw),
        Secret("url_credentials", f"https://deploy:{deploy_pw}@registry.corp.net/v2/", deploy_pw),
        Secret("url_credentials", f"redis://:{cache_pw}@cache:6379/0", cache_pw),
        plain("bearer_token", "Bearer " + _draw(rng, ALNUM, 30) + _draw(rng, DIGITS, 4)),
        plain("emails", "ops.lead+alerts@corp-mail.example.org"),
        plain("emails", f"j.{_draw(rng, string.ascii_lowercase, 5)}@uni.ac.uk"),
    ]


class Settings:
    """An object whose state holds a secret (and a name-mangled one)."""

    def __init__(self, note: Any, secret: Any = None) -> None:
        self.note = note
        if secret is not None:
            self.__password = secret


class Headers(dict):  # type: ignore[type-arg]
    """A dict subclass: its items are stored as the object's base."""


Note = collections.namedtuple("Note", "text db_password")

#: Where a secret can sit: the value a program handles, built around the text.
PLACES: dict[str, Callable[[str], Any]] = {
    "string": lambda s: f"connecting with {s} now",
    "dict key": lambda s: {s: 1, "n": 2},
    "bytes": lambda s: s.encode(),
    "numpy string array": lambda s: np.array(["a", s, "b"]),
    "numpy array in a blob": lambda s: np.array(["x"] * 80 + [s]),
    "numpy bytes array": lambda s: np.array([b"a", s.encode()]),
    "object state": lambda s: Settings([s]),
    "pandas column": lambda s: pd.DataFrame({"note": ["x", s], "n": [1, 2]}),
    "pandas index label": lambda s: pd.Series([1, 2], index=["a", s]),
    "namedtuple field": lambda s: Note(s, None),
    "mixed-key dict": lambda s: {1: s, "x": 2},
    "set in a tuple": lambda s: ({s},),
    "dict subclass": lambda s: Headers(note=s),
}


def name_secrets(rng: random.Random) -> list[tuple[str, Any, str]]:
    """Secrets found by the name that holds them: ``(label, value, core)``."""
    hexed = _draw(rng, HEX, 32)
    pw, api, aws, client, svc, bearer = (_draw(rng, ALNUM, 20) for _ in range(6))
    return [
        ("password in a dict", {"user": "ana", "password": pw}, pw),
        ("camelCase apiKey", {"apiKey": api}, api),
        ("environment variable", {"AWS_SECRET_ACCESS_KEY": aws, "HOME": "/root"}, aws),
        ("object attribute", Settings("n", secret=svc), svc),
        ("namedtuple field", Note("hello", "pw-" + client), "pw-" + client),
        ("mixed-key dict entry", {1: 2, "access_token": bearer}, bearer),
        ("pandas column", pd.DataFrame({"user": ["a", "b"], "password": [pw, "x-" + api]}), pw),
        ("pandas series name", pd.Series([api, aws], name="api_key"), api),
        ("bare token with a credential value", {"token": hexed}, hexed),
        ("auth tuple", {"auth": ("svc", "s3cr3t-" + svc)}, "s3cr3t-" + svc),
        ("HTTP header", Headers({"Authorization": "Basic " + api}), api),
        ("bytes under a key", {"private_key": ("k-" + client).encode()}, "k-" + client),
    ]


def innocents() -> list[tuple[str, Any]]:
    """Values from ML and ops code that look like secrets and are not."""
    return [
        ("token counts", {"token_count": "512", "num_tokens": "4096", "max_new_tokens": "256"}),
        ("tokenizer name", {"tokenizer": "bert-base-uncased", "tokenizer_config": "vocab.json"}),
        ("special tokens", {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "[UNK]"}),
        ("a word as token", {"token": "the", "next_token": "Ġworld"}),
        ("tokens list", {"tokens": ["Hello", ",", "world", "!"], "token_ids": [15496, 11]}),
        ("token column", pd.DataFrame({"token": ["the", "cat"], "token_count": [3, 1]})),
        ("vocabulary array", np.array(["<|endoftext|>", "Ġthe", "##ing"] * 30)),
        ("weight key", {"key": "layers.0.attention.weight", "prng_key": "[0 42]"}),
        ("masked password", {"password": "********", "db_password": "${DB_PASSWORD}"}),
        ("empty or absent", {"api_key": "", "secret": None, "is_secret": True}),
        ("names about secrets", {"password_hash": "bcrypt", "secret_number": "42"}),
        ("working directory", {"PWD": "/home/ci/project", "OLDPWD": "/home/ci"}),
        ("retina file name", "icons/logo@2x.png"),
        ("git remotes", "git@github.com:org/repo.git and ssh://git@github.com/org/repo.git"),
        ("pinned package", "torch==2.1.0+cu121 numpy@1.26.4"),
        ("digests", "sha256:" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (
            "identifiers",
            "run 123e4567-e89b-12d3-a456-426614174000 at 9fceb02d0ae598e95dc970b74767f19372d61af8",
        ),
        ("numbers", "4111 1111 1111 1112; 1234 5678 9012 3456; 2023 2024 2025 2026"),
        ("timestamps", "t=1700000000123456789 step 4111111111 of 5555555555555"),
        ("float printout", "tensor([0.4111111111111111, 0.5555555555555555, 4111111111111111.5])"),
        ("short prefixes", "AKIA-EXAMPLE ghp_short xoxb- glpat- eyJhbGciOi sk-learn hf_hub"),
        ("public material", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh\n-----END PUBLIC KEY-----"),
        (
            "URL placeholders",
            "postgres://app:${PGPASSWORD}@db/app https://user:****@host redis://localhost:6379/0",
        ),
        ("prose", "the bearer of the weights; Bearer <token>; user@localhost"),
        ("log line", "epoch 3: loss=0.4111 acc=0.93 lr=3e-4 grad_norm=1.2e+00"),
        ("random bytes", bytes(random.Random(SEED).randrange(256) for _ in range(512))),
    ]


@dataclass
class Scanned:
    found: list[Finding]
    tree: Any
    blobs: dict[str, bytes]


def scan(value: Any) -> Scanned:
    blobs: dict[str, bytes] = {}
    tree = codec.encode({"returned": value}, blobs=blobs)
    return Scanned(SecretScanner().scan_tree(tree, "outcome", blobs), tree, blobs)


REDACT_ALL = Redactor.from_config(
    {"redact": {"builtins": ["credential_keys", *(rule.name for rule in RULES)]}}
)


def texts_after_redaction(scanned: Scanned) -> tuple[str, Any, dict[str, bytes]]:
    """Every text the redacted tree still holds (decoded bytes and blob arrays too)."""
    blobs = dict(scanned.blobs)
    tree = REDACT_ALL.redact_tree(scanned.tree, blobs)
    kept = {name: blobs[name] for name in blob_names(tree)}
    texts = [text for _, text in iter_texts(tree, "outcome", kept)]
    return json.dumps(tree) + "\n".join(texts), tree, kept


def test_seeded_corpus_recall_false_alarms_and_redaction() -> None:
    rng = random.Random(SEED)
    places = list(PLACES.items())
    cases: list[tuple[str, Any, str, str | None]] = []
    for index, secret in enumerate(token_secrets(rng)):
        place, build = places[index % len(places)]
        cases.append((f"{secret.rule} in {place}", build(secret.text), secret.core, secret.rule))
    for label, value, core in name_secrets(rng):
        cases.append((label, value, core, None))
    assert len(cases) >= 40
    assert {rule.name for rule in RULES} <= {rule for *_, rule in cases}

    missed, wrong_kind, leaked, left = [], [], [], []
    for label, value, core, rule in cases:
        scanned = scan(value)
        if not scanned.found:
            missed.append(label)
        elif rule is not None and rule not in {f.kind for f in scanned.found} | {
            r.name for r in RULES if r.label in {f.kind for f in scanned.found}
        }:
            wrong_kind.append((label, [f.kind for f in scanned.found]))
        for finding in scanned.found:  # a report must never carry the secret
            assert core not in finding.message() and core not in finding.path, label
        text, redacted, kept = texts_after_redaction(scanned)
        if core in text:
            leaked.append(label)
        if SecretScanner().scan_tree(redacted, "outcome", kept):
            left.append(label)

    harmless = innocents()
    alarms = {}
    changed = []
    for label, value in harmless:
        scanned = scan(value)
        if scanned.found:
            alarms[label] = [f.message() for f in scanned.found]
        if REDACT_ALL.redact_tree(scanned.tree, dict(scanned.blobs)) != scanned.tree:
            changed.append(label)
    assert len(harmless) >= 20

    total = len(cases)
    print(
        f"\nsecret scan, seeded corpus (seed {SEED}):"
        f"\n  secrets found:           {total - len(missed)}/{total}"
        f" ({len(token_secrets(random.Random(SEED)))} by content in {len(PLACES)} places,"
        f" {len(name_secrets(random.Random(SEED)))} by name)"
        f"\n  innocents flagged:       {len(alarms)}/{len(harmless)}"
        f"\n  redaction removed:       {total - len(leaked)}/{total}"
        f" (nothing left to find in {total - len(left)}/{total})"
        f"\n  innocents redacted:      {len(changed)}/{len(harmless)}"
    )
    assert missed == [] and wrong_kind == []
    assert alarms == {}
    assert leaked == [] and left == []
    assert changed == []


def test_positional_arguments_are_redacted_by_secret_like_parameter_names() -> None:
    names = ["user", "password", "api_key", "token", "token_count", "num_tokens", "tokenizer"]
    hexed = "9f86d081884c7d659a2feaa0c55ad015"
    args = ["ana", "hunter2", "k-12345", hexed, "512", "4096", "gpt2"]
    out, paths = Redactor.from_config({}).redact_inputs({"args": args, "kwargs": {}}, names)
    redacted = [
        name for name, value in zip(names, out["args"], strict=True) if value == "<redacted>"
    ]
    assert redacted == ["password", "api_key", "token"]
    assert paths == ["inputs.args[1]", "inputs.args[2]", "inputs.args[3]"]
    out, _ = Redactor.from_config({}).redact_inputs(
        {"args": ["ana", "the"], "kwargs": {}}, ["user", "token"]
    )
    assert out["args"] == ["ana", "the"]  # a token that is a word is data, not a credential


# -- linear time ------------------------------------------------------------------------------

MAX_REPEAT = 16384


def _structure(parsed: Any, inside_repeat: bool = False) -> list[str]:
    """Problems in a parsed pattern: unbounded or nested repetition."""
    from re import _parser as sre  # the stdlib's own regex parser: the structure of a pattern

    problems = []
    for op, av in parsed:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, body = av
            if high is sre.MAXREPEAT or high > MAX_REPEAT:
                problems.append(
                    f"unbounded repeat {{{low},{'' if high is sre.MAXREPEAT else high}}}"
                )
            if inside_repeat:
                problems.append("a repeat inside a repeat")
            problems += _structure(body, True)
        elif op is sre.SUBPATTERN:
            problems += _structure(av[-1], inside_repeat)
        elif op is sre.BRANCH:
            for branch in av[1]:
                problems += _structure(branch, inside_repeat)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            problems += _structure(av[1], inside_repeat)
    return problems


def _opens_on_a_character(parsed: Any) -> bool:
    """The first element reads one character (a literal or a class), never a run."""
    from re import _parser as sre

    if not parsed:
        return False
    op, av = list(parsed)[0]
    if op is sre.SUBPATTERN:
        return _opens_on_a_character(av[-1])
    if op is sre.BRANCH:
        return all(_opens_on_a_character(branch) for branch in av[1])
    return op in (sre.LITERAL, sre.IN, sre.NOT_LITERAL)


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for rule in RULES:
        found.append((rule.name, rule.regex))
        found += [(f"{rule.name} helper", helper) for helper in rule.helpers]
    return found


@pytest.mark.parametrize(
    ("name", "pattern"), _patterns(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_pattern_is_linear_by_construction(name: str, pattern: re.Pattern[str]) -> None:
    from re import _parser as sre

    parsed = sre.parse(pattern.pattern, pattern.flags)
    assert _structure(parsed) == [], name
    if not name.endswith("helper"):  # a helper is matched at a known position, not searched
        assert _opens_on_a_character(parsed), f"{name} must open on a literal or one class"


def test_the_structure_check_catches_backtracking_patterns() -> None:
    from re import _parser as sre

    assert _structure(sre.parse(r"[a-z]+@")) == ["unbounded repeat {1,}"]
    assert "a repeat inside a repeat" in _structure(sre.parse(r"(?:\.[a-z]{1,9}){0,9}"))
    assert not _opens_on_a_character(sre.parse(r"[a-z]{1,64}@"))
    assert not _opens_on_a_character(sre.parse(r"(?<!x)abc"))


def _sample(rule: Rule) -> str:
    samples = [s for s in token_secrets(random.Random(SEED)) if s.rule == rule.name]
    return samples[0].text


def _adversaries(sample: str) -> dict[str, str]:
    """Near misses: prefixes of a real secret, and runs of the characters it is made of."""
    units = {
        f"prefix {n}": sample[:n] for n in sorted({1, 2, 3, 5, len(sample) // 2, len(sample) - 1})
    }
    units["whole, glued"] = sample
    units["whole, spaced"] = sample + " "
    for char in {c for c in sample if c.isalnum()} & {"a", "A", "0", "1", "4"} | set(sample) - set(
        ALNUM
    ):
        units[f"run of {char!r}"] = char
    units["run of 'a' with '@'"] = "a" * 63 + "@"
    return units


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


class _Counted:
    """A rule's regex that counts its work: the calls made, and the characters each call
    had to pass over (from where it started to where its match ended, or to the end of
    the text). With bounded repeats only (checked above), the engine's own steps are
    within a constant of the latter, so these counts stand in for time, exactly."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.calls = 0
        self.spanned = 0
        self.starts: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        end = len(text) if endpos is None else endpos
        found = self.regex.search(text, pos, end)
        self.calls += 1
        self.spanned += (found.end() if found is not None else end) - pos
        self.starts.append(pos)
        return found


def _counted(rules: Any, work: Callable[[], object]) -> tuple[int, int, list[list[int]]]:
    """(calls, characters passed over, start positions per rule) while ``work`` runs."""
    counters = [_Counted(rule.regex) for rule in rules]
    for rule, counter in zip(rules, counters, strict=True):
        object.__setattr__(rule, "regex", counter)
    try:
        work()
    finally:
        for rule, counter in zip(rules, counters, strict=True):
            object.__setattr__(rule, "regex", counter.regex)
    return (
        sum(c.calls for c in counters),
        sum(c.spanned for c in counters),
        [c.starts for c in counters],
    )


def _scan(rule: Rule, text: str) -> Callable[[], object]:
    return lambda: list(rule.spans(text))


def _linear(small: tuple[int, int, Any], large: tuple[int, int, Any]) -> bool:
    """Twice the input costs at most about twice the work (calls and characters)."""
    return large[0] <= 2 * small[0] + 4 and large[1] <= 2 * small[1] + 4 * 65536


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_adversarial_inputs_cost_linear_work(rule: Rule) -> None:
    """Near misses of each pattern repeated to 20 KB and 40 KB: the scan of a rule makes
    its searches left to right (each starts past the last), and twice the text costs
    at most about twice the calls and characters. (benchmarks/secret_scan_speed.py
    times the same inputs at 200 and 400 KB.)"""
    problems = []
    for label, unit in _adversaries(_sample(rule)).items():
        costs = [_counted([rule], _scan(rule, _fill(unit, size))) for size in (20_000, 40_000)]
        (starts,) = costs[1][2]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            problems.append(f"{label}: a search started where an earlier one had")
        if not _linear(costs[0], costs[1]):
            problems.append(f"{label}: {costs[0][:2]} -> {costs[1][:2]} (calls, characters)")
    assert problems == [], rule.name


def test_the_work_counter_sees_a_quadratic_scan() -> None:
    """The counter is what the test above trusts: a scan that restarts from the top for
    every match is caught, while the rules' own scans pass."""
    rule = Rule("demo", re.compile(r"a"))

    def quadratic(text: str) -> None:
        for index in range(0, len(text), 10):
            rule.regex.search(text, 0, index + 1)

    costs = [_counted([rule], lambda n=n: quadratic("b" * n)) for n in (2_000, 4_000)]
    assert not _linear(costs[0], costs[1])
    costs = [_counted([rule], _scan(rule, "a" * n)) for n in (2_000, 4_000)]
    assert _linear(costs[0], costs[1])


def test_a_160_kb_stdout_costs_linear_work_whatever_its_characters() -> None:
    """The check of a case with a big printout was quadratic in its e-mail pattern:
    scanning and redacting 160 KB of any of these costs about twice 80 KB."""
    scanner = SecretScanner()
    redactor = Redactor.from_config({"redact": {"builtins": True}})
    for unit in ("a", "a.", "a@", "a-b.c", "x" * 63 + "@b", "0 ", "://a:", "eyJa."):
        costs = []
        for size in (80_000, 160_000):
            observation = Observation(
                {"returned": None}, {}, {"stdout": _fill(unit, size), "stderr": "", "logs": []}
            )
            case = GoldenCase("m:f", "0" * 16, {"args": [], "kwargs": {}}, observation)
            costs.append(
                _counted(
                    RULES,
                    lambda case=case: (
                        scanner.scan_case(case),
                        redactor.redact_observation(case.observation),
                    ),
                )
            )
        assert _linear(costs[0], costs[1]), f"{unit!r}: {costs[0][:2]} -> {costs[1][:2]}"


def test_the_memo_of_clean_texts_never_hides_a_secret_at_any_length() -> None:
    """Texts around the screen's and the memo's limits, clean ones asked twice (the
    second answer comes from the memo), each with a secret spliced in still found."""
    from legacy_harness.store.secret_rules import RuleSet

    rules = RuleSet(RULES)
    secret = "ghp_" + "a1B2c3D4e5" * 4  # a GitHub token's shape
    sql = "SELECT name, plan FROM customers WHERE id = ? AND month = ? ORDER BY name "
    for length in (20, 79, 80, 81, 200, 1024, 1025, 3000):
        clean = (sql * (length // len(sql) + 1))[:length]
        assert not rules.mentions(clean) and not rules.mentions(clean)
        dirty = clean[: length // 2] + " " + secret + " " + clean[length // 2 :]
        assert rules.mentions(dirty) and rules.mentions(dirty)
        assert secret not in rules.redact(dirty)
