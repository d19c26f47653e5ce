"""What a secret looks like: one table for the scanner and for redaction.

:data:`RULES` holds the content patterns (private keys, cloud, VCS, payment, chat and
package-registry tokens, JWTs, credentials in URLs, e-mail addresses);
:func:`credential_value` reads names (``password`` and ``api_key`` hold secrets,
``token`` only when its value looks like one, ``token_count`` and ``pad_token`` never).
The scanner (:mod:`legacy_harness.store.secret_scan`) reports what they match and
redaction (:mod:`legacy_harness.record.redact`) removes it, so the two cannot drift.

Every pattern runs in linear time: it opens on a literal (or one character class),
repeats only single characters and only up to a bound, and never nests a repeat; a
pattern that would open on a run reads that run backwards in Python from its literal
instead. A 400 KB printout costs twice a 200 KB one, whatever its characters.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "REDACTED",
    "RULES",
    "Rule",
    "RuleSet",
    "b64_text",
    "credential_name",
    "credential_value",
    "dtype_kind",
    "first_text",
    "is_placeholder",
    "looks_like_credential",
]

#: What redaction leaves in place of a value; never a finding.
REDACTED = "<redacted>"

Span = tuple[int, int]
Check = Callable[[str, "re.Match[str]"], Span | None]


# -- the table of secrets ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Rule:
    """One kind of secret: a linear-time regex, and a check where the shape alone misleads.

    ``check`` sees the match and returns the span that is secret (a card number must
    pass Luhn; a private key runs to its END line), or None for a look-alike. Without
    it the span is ``group``'s. ``helpers`` lists the other regexes ``check`` uses, so
    the linear-time test reads them too.
    """

    name: str
    regex: re.Pattern[str]
    kind: str = ""
    group: int = 0
    check: Check | None = None
    helpers: tuple[re.Pattern[str], ...] = ()
    #: Part of ``builtins = true`` in ``[tool.legacy_harness.redact]``.
    redact_by_default: bool = True

    @property
    def label(self) -> str:
        return self.kind or self.name

    def spans(self, text: str) -> Iterator[Span]:
        """Non-empty secret spans in ``text``, left to right, without overlap."""
        search = self.regex.search
        check = self.check
        pos = done = 0
        while True:
            match = search(text, pos)
            if match is None:
                return
            span = check(text, match) if check is not None else match.span(self.group)
            start = max(span[0], done) if span is not None else 0
            if span is not None and span[1] > start:  # a leftward check stays after the last
                yield start, span[1]
                done = span[1]
                pos = max(span[1], match.start() + 1)
            else:
                pos = max(match.end(), match.start() + 1)


_PEM_FOOTER = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
#: A key's base64 body and PEM headers (``Proc-Type: 4,ENCRYPTED``), literal ``\n`` too.
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s\\:,\-]{0,16384}")


def _pem_span(text: str, match: re.Match[str]) -> Span:
    """A key runs to its END line; without one (a truncated log), to the end of its body."""
    end = match.end()
    limit = min(len(text), end + 16384)
    dash = text.find("-----", end, limit)
    if dash >= 0:
        footer = _PEM_FOOTER.match(text, dash)
        if footer is not None:
            return match.start(), footer.end()
        limit = dash
    body = _PEM_BODY.match(text, end, limit)
    return match.start(), body.end() if body is not None else end


_DOUBLED = {str(d): (2 * d - 9 if d > 4 else 2 * d) for d in range(10)}


def _luhn(digits: str) -> bool:
    """The check digit of payment cards: every second digit from the right doubled."""
    total = sum(map(int, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))
    return total % 10 == 0


def _card_brand(digits: str) -> bool:
    """Issuer prefix and length: Visa, Mastercard, Amex, Discover, JCB, Diners."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16
    if two in (34, 37):
        return n == 15
    if four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649 or 3528 <= four <= 3589:
        return 16 <= n <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19
    return False


def _card_span(text: str, match: re.Match[str]) -> Span | None:
    digits = match.group().replace(" ", "").replace("-", "")
    return match.span() if _card_brand(digits) and _luhn(digits) else None


#: File suffixes that are no top-level domain: ``icon@2x.png`` is a file, not an address.
_FILE_SUFFIXES = frozenset(
    "png jpg jpeg gif svg webp bmp tif tiff ico json yaml yml toml csv tsv txt rst log html"
    " htm css js mjs pyc pth pkl npy npz hdf5 onnx ckpt safetensors whl tar gz bz2 zip"
    " parquet feather arrow".split()
)
_LOCAL_PART = string.ascii_letters + string.digits + "._%+-"
_SCHEME = string.ascii_letters + string.digits + "+.-"


def _run_before(text: str, start: int, chars: str, low: int, high: int) -> int | None:
    """Start of the whole run of ``chars`` ending at ``start``, if its length is in range.

    Patterns open on a literal (``@``, ``://``) so the regex engine finds candidates
    fast; the run before it is read here, at most ``high + 1`` characters per match.
    """
    window = text[max(0, start - high - 1) : start]
    length = len(window) - len(window.rstrip(chars))
    if length < low or length > high:
        return None
    return start - length


def _in_userinfo(text: str, start: int) -> bool:
    """Whether ``start`` follows ``scheme://`` (and maybe ``user:``) in the same URL."""
    head = text[max(0, start - 260) : start]
    scheme = head.rfind("://")
    if scheme < 0:
        return False
    between = head[scheme + 3 :]
    return not any(c.isspace() or c in "/@\"'<>" for c in between) and between.count(":") <= 1


def _email_span(text: str, match: re.Match[str]) -> Span | None:
    start, end = match.span()
    local = _run_before(text, start, _LOCAL_PART, 1, 64)
    if local is None:
        return None
    if _in_userinfo(text, local):
        return None  # ssh://git@host, https://user:pw@host: credentials in URLs has it
    if text[end : end + 1] == ":" and text[end + 1 : end + 2] not in ("", " ", "\n", "\t"):
        return None  # git@github.com:org/repo is a remote, not an address
    if match.group().rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES:
        return None
    return local, end


def _telegram_span(text: str, match: re.Match[str]) -> Span | None:
    start = _run_before(text, match.start(), string.digits, 8, 10)
    return None if start is None else (start, match.end())


def _url_password(text: str, match: re.Match[str]) -> Span | None:
    """The password of ``scheme://user:password@host``, unless a placeholder (``${PW}``)."""
    scheme = _run_before(text, match.start(), _SCHEME, 1, 20)
    if scheme is None or not text[scheme].isalpha() or is_placeholder(match.group(1)):
        return None
    return match.span(1)


def _plausible_group(text: str, match: re.Match[str]) -> Span | None:
    return match.span(1) if looks_like_credential(match.group(1)) else None


def _fresh(width: int, chars: str) -> str:
    """Lookbehind placed after a ``width``-character literal: the run starts with it.

    ``ghp_`` inside ``xghp_...`` is no token; checking the character before the literal
    once the literal has matched keeps the engine's fast literal search, where a
    lookbehind in front would be tried at every position.
    """
    return f"(?<![{chars}].{{{width}}})"


_W = r"A-Za-z0-9_\-"  # URL-safe base64 and the alphabets of most tokens
_AN = "A-Za-z0-9"
_AN_ = "A-Za-z0-9_"

#: Content patterns of well-known secrets, one table for the scanner and redaction.
#: Each opens on a literal (or one character class), repeats only single characters up
#: to a bound, and never nests a repeat: linear time, whatever the input.
RULES: tuple[Rule, ...] = (
    Rule(
        "private_key",
        re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"),
        check=_pem_span,
        helpers=(_PEM_FOOTER, _PEM_BODY),
    ),
    Rule(
        "aws_access_key",
        re.compile(
            r"(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)"
            rf"{_fresh(4, _AN)}[A-Z0-9]{{16}}(?![{_AN}])"
        ),
    ),
    Rule("google_api_key", re.compile(rf"AIza{_fresh(4, _W)}[{_W}]{{35}}(?![{_W}])")),
    Rule("google_oauth_token", re.compile(rf"ya29\.{_fresh(5, _W + '.')}[{_W}]{{20,2048}}")),
    Rule("azure_storage_key", re.compile(r"AccountKey=([A-Za-z0-9+/]{86}==)"), group=1),
    Rule(
        "github_token",
        re.compile(
            rf"gh[pousr]_{_fresh(4, _AN_)}[{_AN}]{{36,251}}(?![{_AN_}])"
            rf"|github_pat_{_fresh(11, _AN_)}[{_AN_}]{{22,244}}(?![{_AN_}])"
        ),
    ),
    Rule(
        "gitlab_token",
        re.compile(
            rf"gl{_fresh(2, _W)}(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent)-[{_W}]{{20,255}}"
        ),
    ),
    Rule(
        "slack_token",
        re.compile(
            rf"xox{_fresh(3, _AN)}[abposre]-[A-Za-z0-9\-]{{10,255}}"
            r"|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]{16,255}"
        ),
    ),
    Rule(
        "discord_webhook",
        re.compile(
            r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{5,30}/"
            rf"[{_W}]{{20,255}}"
        ),
    ),
    Rule(
        "telegram_bot_token",
        re.compile(rf":AA(?<=[0-9]:AA)[{_W}]{{33}}(?![{_W}])"),
        check=_telegram_span,
    ),
    Rule(
        "stripe_key",
        re.compile(
            rf"(?:sk|rk)_{_fresh(3, _AN_)}(?:live|test)_[{_AN}]{{16,247}}"
            rf"|whsec_{_fresh(6, _AN_)}[{_AN}]{{32,255}}"
        ),
    ),
    Rule("square_token", re.compile(rf"sq0{_fresh(3, _W)}(?:atp|csp)-[{_W}]{{22,43}}")),
    Rule(
        "card_number",
        re.compile(
            r"[2-6](?<![0-9.,\-][2-6])"
            r"(?:[0-9]{12,18}"  # one separator throughout: 4-4-4-4, or Amex's 4-6-5
            r"|[0-9]{3} [0-9]{4} [0-9]{4} [0-9]{4}|[0-9]{3}-[0-9]{4}-[0-9]{4}-[0-9]{4}"
            r"|(?<=3)[0-9]{3} [0-9]{6} [0-9]{4,5}|(?<=3)[0-9]{3}-[0-9]{6}-[0-9]{4,5})"
            r"(?![0-9]|[.,][0-9])"
        ),
        check=_card_span,
    ),
    Rule("npm_token", re.compile(rf"npm_{_fresh(4, _AN_)}[{_AN}]{{36}}(?![{_AN}])")),
    Rule("pypi_token", re.compile(rf"pypi-AgE{_fresh(8, _W)}[{_W}]{{50,1024}}")),
    Rule("rubygems_key", re.compile(rf"rubygems_{_fresh(9, _AN_)}[a-f0-9]{{48}}(?![{_AN}])")),
    Rule("docker_hub_token", re.compile(rf"dckr_pat_{_fresh(9, _W)}[{_W}]{{27,255}}")),
    Rule("huggingface_token", re.compile(rf"hf_{_fresh(3, _AN_)}[A-Za-z]{{34}}(?![{_AN_}])")),
    Rule(
        "openai_key",
        re.compile(
            rf"sk-{_fresh(3, _W)}(?:(?:proj|svcacct|admin)-[{_W}]{{40,300}}"
            rf"|[{_AN}]{{20}}T3BlbkFJ[{_AN}]{{20}}(?![{_W}]))"
        ),
    ),
    Rule(
        "anthropic_key",
        re.compile(rf"sk-ant-{_fresh(7, _W)}[a-z]{{3,8}}[0-9]{{2}}-[{_W}]{{80,200}}"),
    ),
    Rule(
        "jwt",
        re.compile(rf"eyJ{_fresh(3, _W)}[{_W}]{{8,4096}}\.eyJ[{_W}]{{8,8192}}\.[{_W}]{{0,4096}}"),
    ),
    Rule(
        "url_credentials",
        re.compile(r"://[^\s/?#@:\"'<>]{0,256}:([^\s/?#@\"'<>]{1,256})@"),
        check=_url_password,
    ),
    Rule(
        "bearer_token",
        re.compile(
            rf"(?:Bearer|bearer|BEARER){_fresh(6, _AN_)}[ \t]{{1,4}}"
            r"([A-Za-z0-9._~+/\-]{16,4096}={0,2})"
        ),
        check=_plausible_group,
    ),
    Rule(
        "emails",
        re.compile(r"@[A-Za-z0-9][A-Za-z0-9.\-]{0,252}\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"),
        kind="e-mail address",
        check=_email_span,
        redact_by_default=False,
    ),
)


def _screen(rules: tuple[Rule, ...]) -> re.Pattern[str] | None:
    """One regex that any match of ``rules`` also matches: clean text costs one search.

    None when the rules cannot be joined (a user's pattern with global flags): the
    rules are then tried one by one.
    """
    if not rules or any(rule.regex.flags & ~re.UNICODE for rule in rules):
        return None
    try:
        return re.compile("|".join(f"(?:{rule.regex.pattern})" for rule in rules))
    except re.error:
        return None


class RuleSet:
    """Rules applied together: one joined screen, and a memo of texts known clean.

    Texts up to 80 characters are screened by the joined regex (one call); longer ones
    rule by rule, where each regex's own literal prefix lets the engine skip ahead (on
    longer texts the joined regex, which loses those prefixes, is the slower of the two).
    Keys, values, SQL statements, URLs and headers repeat across thousands of cases (a
    taped call holds several), so a clean verdict is remembered for texts up to 1,024
    characters, within a budget of entries and characters.
    """

    SCREEN_LIMIT = 80
    MEMO_LIMIT = 1024
    MEMO_ENTRIES = 100_000
    MEMO_CHARS = 8_000_000

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        self._clean: set[str] = set()
        self._clean_chars = 0
        #: Mapping keys a walk with these rules found needing nothing (see TreeWalk).
        self.plain_keys: set[str] = set()

    @functools.cached_property
    def screen(self) -> re.Pattern[str] | None:
        """The joined regex, compiled at the first text screened: a recording that
        captures no call never pays for it."""
        return _screen(self.rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def mentions(self, text: str) -> bool:
        """Whether any rule's regex matches in ``text`` (a rule's check may still refuse)."""
        short = len(text) <= self.MEMO_LIMIT
        if short and text in self._clean:
            return False
        if self.screen is not None and len(text) <= self.SCREEN_LIMIT:
            hit = self.screen.search(text) is not None
        else:
            hit = any(rule.regex.search(text) is not None for rule in self.rules)
        if short and not hit and len(self._clean) < self.MEMO_ENTRIES:
            if self._clean_chars + len(text) <= self.MEMO_CHARS:
                self._clean.add(text)
                self._clean_chars += len(text)
        return hit

    def redact(self, text: str, replacement: str = REDACTED) -> str:
        """``text`` with every span a rule finds replaced, rule after rule."""
        if not self.rules or text == replacement or not self.mentions(text):
            return text
        for rule in self.rules:
            spans = list(rule.spans(text))
            if spans:
                parts: list[str] = []
                last = 0
                for start, end in spans:
                    parts.append(text[last:start])
                    parts.append(replacement)
                    last = end
                parts.append(text[last:])
                text = "".join(parts)
        return text


# -- names that hold secrets ----------------------------------------------------------------

_NOT, _WEAK, _STRONG = 0, 1, 2

#: A name ending in one of these holds a credential, whatever precedes it.
_SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "pwd", "secret", "credential", "credentials", "auth"}
    | {"authorization", "apikey", "privatekey", "secretkey", "accesskey", "accesstoken"}
    | {"authtoken", "refreshtoken", "bearertoken", "clientsecret", "connectionstring"}
)
#: ``<qualifier>_key`` names a credential (``api_key``, ``aws_secret_access_key``)...
_KEY_QUALIFIERS = frozenset(
    "api access private secret signing encryption decryption master account storage license"
    " subscription auth ssh gpg pgp client app consumer deploy service hmac webhook admin root"
    " crypto shared".split()
)
#: ...and ``<qualifier>_token`` one too (``access_token``, ``GITHUB_TOKEN``, ``bot_token``).
_TOKEN_QUALIFIERS = frozenset(
    "access auth refresh bearer api oauth csrf xsrf id bot session personal private secret"
    " security app client service deploy registry jwt sas admin github gh gitlab slack npm"
    " pypi hf huggingface discord telegram stripe docker vault cloudflare sentry twilio openai"
    " anthropic circle travis codecov heroku netlify vercel login upload publish".split()
)
#: ``<word>_token`` in machine learning is a vocabulary entry (``pad_token``, ``eos_token``).
_ML_TOKEN_WORDS = frozenset(
    "pad eos bos unk cls sep mask start end begin stop special sos eot eod image img audio"
    " video placeholder sentinel boundary null blank next prev previous last first current cur"
    " input output target new added extra vocab word sub subword sentence decoder encoder query"
    " text num max min total per bpe byte char tool think system assistant role default sample"
    " predicted generated ignore fill middle prefix suffix".split()
)
#: Environment variables that only look like passwords: the working directory.
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})
_WORDS = re.compile(r"[A-Z]{1,128}(?![a-z])|[A-Z]?[a-z]{1,128}|[0-9]{1,128}")


@functools.lru_cache(maxsize=8192)
def _name_strength(name: str) -> int:
    """How surely ``name`` holds a credential: by its words, camelCase and snake_case alike.

    Strong names hold a secret whatever the value; a weak one (``token``, ``user_token``)
    only when the value looks like a credential; ML words (``token_count``,
    ``num_tokens``, ``tokenizer``, ``pad_token``) hold none.
    """
    if len(name) > 128 or name in _NOT_SECRET_NAMES:
        return _NOT
    words = [word.lower() for word in _WORDS.findall(name)]
    if not words:
        return _NOT
    last = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if last.endswith("s") and last[:-1] in ("password", "secret", "key", "token"):
        last = last[:-1]  # api_keys, client_secrets; but bare "tokens" stays ML below
        if last == "token" and before not in _TOKEN_QUALIFIERS:
            return _NOT
    if (
        last in _SECRET_WORDS
        or before + last in _SECRET_WORDS
        or last.endswith(("password", "passwd", "secret"))
    ):
        return _STRONG
    if last == "key" or (last.endswith("key") and last[:-3] in _KEY_QUALIFIERS):
        qualifier = before if last == "key" else last[:-3]
        return _STRONG if qualifier in _KEY_QUALIFIERS else _NOT
    if last == "token" or last.endswith("token"):
        qualifier = before if last == "token" else last[:-5]
        if qualifier in _TOKEN_QUALIFIERS:
            return _STRONG
        return _NOT if qualifier in _ML_TOKEN_WORDS else _WEAK
    return _NOT


def credential_name(name: str) -> bool:
    """Whether a key, attribute, column or parameter called ``name`` may hold a credential."""
    return _name_strength(name) != _NOT


_PLACEHOLDER_WORDS = frozenset(
    "none null nil undefined true false redacted password passwd pass secret changeme"
    " change_me example dummy todo".split()
)
_MASK_CHARS = frozenset("*•●xX.")


def is_placeholder(text: str) -> bool:
    """Text that stands in for a secret: masks, ``${VAR}``, ``{{ var }}``, ``<token>``."""
    t = text.strip()
    if not t or t == REDACTED or t.lower() in _PLACEHOLDER_WORDS or set(t) <= _MASK_CHARS:
        return True
    if t[0] == "$" and (t.endswith("}") or (t[1:].isidentifier() and t[1:].isupper())):
        return True  # ${DB_PASSWORD}, $DB_PASSWORD: a reference, not the value
    if t[0] == "%" and len(t) > 2 and t[-1] in "%s" and t[1:-1].strip("()").isidentifier():
        return True
    if t.startswith("{{") and t.endswith("}}"):
        return True
    return t[0] == "<" and t[-1] == ">" and len(t) <= 64 and "<" not in t[1:-1]


def looks_like_credential(text: str) -> bool:
    """A value that would be a token: long, no spaces, letters and digits mixed.

    Used where the name alone is not enough (``token`` holds words in NLP code), so
    ``"the"``, ``"<pad>"`` and ``"tokenization"`` are not credentials, ``secrets.token_hex()``
    output is.
    """
    t = text.strip()
    if not 16 <= len(t) <= 4096 or is_placeholder(t):
        return False
    has_digit = has_alpha = has_upper = has_lower = False
    for char in t:
        if char.isspace():
            return False
        if char.isdigit():
            has_digit = True
        elif char.isalpha():
            has_alpha = True
            has_upper = has_upper or char.isupper()
            has_lower = has_lower or char.islower()
    return has_alpha and (has_digit or (has_upper and has_lower and len(t) >= 20))


def credential_value(name: str, value: Any) -> bool:
    """Whether the encoded ``value`` held under ``name`` is a credential to hide.

    A strong name hides any value but None, booleans and placeholders (``password =
    "****"``); a weak one only text that looks like a credential.
    """
    strength = _name_strength(name)
    if strength == _NOT or value is None or type(value) is bool:
        return False
    if type(value) is str:
        if is_placeholder(value):
            return False
        return strength == _STRONG or looks_like_credential(value)
    if strength == _STRONG:
        return True
    return any(looks_like_credential(text) for text in _texts_in(value, limit=64))


# -- text inside encoded values ------------------------------------------------------------


def b64_text(payload: Any) -> str | None:
    """Bytes as text: latin-1 maps each byte to one character, so patterns see ASCII."""
    if type(payload) is not str:
        return None
    try:
        return base64.b64decode(payload, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


def dtype_kind(dtype: Any) -> str:
    if type(dtype) is not str or not dtype:
        return ""
    return dtype[1:2] if dtype[0] in "<>|=" else dtype[:1]


def _texts_in(tree: Any, limit: int) -> Iterator[str]:
    """Non-empty, non-placeholder texts of a tree (strings, bytes, inline string arrays)."""
    stack = [tree]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        kind = type(node)
        if kind is str:
            if not is_placeholder(node):
                yield node
        elif kind is list:
            stack.extend(reversed(node))
        elif kind is dict:
            for key in ("$bytes", "$bytearray"):
                if key in node:
                    text = b64_text(node[key])
                    if text and not is_placeholder(text):
                        yield text
                    break
            else:
                array = node.get("$ndarray")
                if type(array) is dict:
                    data = array.get("data")
                    dtype = dtype_kind(array.get("dtype"))
                    if dtype in ("U", "O") and type(data) is list:
                        stack.extend(reversed(data))
                    elif dtype == "S" and type(data) is list:
                        stack.extend(reversed([{"$bytes": x} for x in data]))
                    continue
                stack.extend(
                    reversed(
                        [
                            v
                            for k, v in node.items()
                            if k in _TEXT_SLOTS or (k[:1] != "$" and k not in _NOT_TEXT)
                        ]
                    )
                )


#: Tag payloads that hold encoded values, and description fields that never hold text.
_TEXT_SLOTS = frozenset({"$list", "$tuple", "$set", "$frozenset", "$dict", "$series", "$dataframe"})
_NOT_TEXT = frozenset(
    {"dtype", "shape", "blob", "name", "names", "index", "range", "ordered", "flavour", "tz"}
    | {"unit", "fold", "columns"}
)


def first_text(tree: Any) -> str | None:
    """The first text a value holds, for a masked excerpt of a credential found by name."""
    return next(_texts_in(tree, limit=10_000), None)
