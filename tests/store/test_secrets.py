"""The secret scanner: what it finds in golden trees, where, and what it lets through."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from legacy_harness.errors import ConfigError
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.secret_rules import (
    REDACTED,
    RULES,
    credential_name,
    credential_value,
    is_placeholder,
    looks_like_credential,
)
from legacy_harness.store.secret_scan import (
    SecretScanner,
    iter_texts,
    locate_line,
    mask,
)

PEM_BODY = "MIIEowIBAAKCAQEA7" + "q" * 40
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
# built from pieces, so this file holds no token a repository scanner would stop
SAMPLES = {
    "private_key": PEM,
    "aws_access_key": "key AKIA" + "IOSFODNN7EXAMPLE in use",
    "github_token": "ghp_" + "a1B2" * 9,
    "gitlab_token": "glpat-" + "x" * 20,
    "slack_token": "xoxb-" + "1234567890-abcdefghij",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "stripe_key": "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "card_number": "card 4111 1111 1111 1111 on file",
    "url_credentials": "DATABASE_URL=postgres://app:" + "Tr0ub4dor@db:5432/sales",
    "huggingface_token": "hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH",
}


def kinds(found: list) -> set[str]:
    return {f.kind for f in found}


@pytest.mark.parametrize(("kind", "text"), sorted(SAMPLES.items()))
def test_each_builtin_pattern_is_found_in_a_string_value(kind: str, text: str) -> None:
    found = SecretScanner().scan_tree({"args": [{"note": text}]}, "inputs")
    assert kind in kinds(found)
    assert found[0].path == "inputs.args[0].note"
    assert text not in found[0].excerpt  # the report never carries the secret


def test_rule_names_are_unique_and_emails_are_off_by_default_in_redaction() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert [rule.name for rule in RULES if not rule.redact_by_default] == ["emails"]


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",  # no END line
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF",
        "PRIVATE_KEY='-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----'",
    ],
)
def test_private_keys_are_found_with_or_without_their_end_line(text: str) -> None:
    assert kinds(SecretScanner().scan_text("x", None, text)) == {"private_key"}


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----",
        "4111 1111 1111 1112",  # fails the Luhn check
        "1234 5678 9012 3456",  # no card issuer starts so
        "0.41111111111111111 and 41111111111111111.5",  # digits of floats
        "icon@2x.png",
        "git@github.com:org/repo.git",
        "ssh://git@github.com/org/repo.git",
        "postgres://app:${PGPASSWORD}@db:5432/app",
        "https://user:****@host/path",
        "the bearer of the weights",
        "xghp_" + "a" * 36,  # not where a token starts
    ],
)
def test_look_alikes_are_not_findings(text: str) -> None:
    assert SecretScanner().scan_text("x", None, text) == []


def test_credentials_in_urls_report_the_password_only() -> None:
    (found,) = SecretScanner().scan_text("x", None, "redis://:s3cr3t-pw@cache:6379/0")
    assert found.kind == "url_credentials" and found.excerpt == "s3cr…**** (9 chars)"


def test_credential_keys_with_non_empty_strings_are_secrets() -> None:
    tree = {"db_password": "hunter2", "apiKey": "abc123", "token": "", "tokens": ["a", "b"]}
    found = SecretScanner().scan_tree(tree, "outcome.returned")
    assert [f.path for f in found] == ["outcome.returned.db_password", "outcome.returned.apiKey"]
    assert found[0].kind == "credential in key 'db_password'" and found[0].needle == '"db_password"'


@pytest.mark.parametrize(
    "name",
    [
        "password", "db_password", "DB_PASSWORD", "dbPassword", "passwd", "pwd", "passphrase",
        "secret", "client-secret", "clientSecret", "api_key", "apiKey", "X-Api-Key", "API_KEYS",
        "aws_secret_access_key", "private_key", "access_token", "accessToken", "GITHUB_TOKEN",
        "x-auth-token", "refresh_token", "bot_token", "credentials", "Authorization", "auth",
        "connection_string", "_Service__password", "token", "user_token",
    ],
)  # fmt: skip
def test_secret_like_names(name: str) -> None:
    assert credential_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "token_count", "num_tokens", "tokens", "max_new_tokens", "tokenizer", "token_ids",
        "token_type_ids", "pad_token", "eos_token", "bos_token", "unk_token", "mask_token",
        "cls_token", "sep_token", "next_token", "padToken", "key", "keys", "sort_key",
        "prng_key", "cache_key", "password_hash", "password_length", "secret_number", "PWD",
        "OLDPWD", "author", "monkey", "tokenizer_config", "a" * 200 + "_password",
    ],
)  # fmt: skip
def test_ml_and_everyday_names_are_not_secret_like(name: str) -> None:
    assert not credential_name(name)


def test_a_weak_name_holds_a_credential_only_when_the_value_looks_like_one() -> None:
    assert credential_value("token", "9f86d081884c7d659a2feaa0c55ad015")
    assert not credential_value("token", "the")
    assert not credential_value("token", "tokenization")
    assert not credential_value("token", 50256)  # a token id
    assert credential_value("password", "x1")  # a strong name: any real value
    assert credential_value("password", 1234)
    for value in (None, True, "", "********", "${DB_PASSWORD}", "{{ password }}", "<pad>"):
        assert not credential_value("password", value), value


def test_placeholders_and_plausible_credentials() -> None:
    for text in ("", "  ", REDACTED, "****", "xxxx", "${PW}", "$DB_PASSWORD", "%(pw)s", "%PW%"):
        assert is_placeholder(text), text
    for text in ("$ecr3tPass", "hunter2", "<a><b>"):
        assert not is_placeholder(text), text
    assert looks_like_credential("k-7f3a9c2e1b0d4a5f")
    assert looks_like_credential("AbCdEfGhIjKlMnOpQrStUv")  # mixed case, long
    assert not looks_like_credential("hello world 12345678")
    assert not looks_like_credential("abcdefghijklmnopqrst")


def test_redacted_values_and_scalar_tags_are_not_findings() -> None:
    tree = {
        "password": REDACTED,
        "blob": {"$bytes": "aGVsbG8gd29ybGQ="},
        "when": {"$datetime": "2024-03-01T12:00:00+00:00"},
        "id": {"$uuid": "123e4567-e89b-12d3-a456-426614174000"},
    }
    assert SecretScanner().scan_tree(tree, "inputs") == []


def test_bytes_are_read_as_text() -> None:
    tree = codec.encode({"raw": b"\x00\x01key AKIAIOSFODNN7EXAMPLE\xff"})
    (found,) = SecretScanner().scan_tree(tree, "inputs")
    assert found.kind == "aws_access_key" and found.path == "inputs.raw"
    assert found.needle == tree["raw"]["$bytes"][:24]  # the file shows base64: find that


def test_keys_inside_objects_dict_pairs_and_namedtuples_are_seen() -> None:
    tree = {
        "args": [
            {"$object": "app:User", "state": {"secret": "s3cr3t-value"}},
            {"$dict": [[1, "x"], ["api_key", "k-123456"]]},
            {"$namedtuple": "app:Login", "fields": {"password": "pw-123456"}},
            {"$tuple": ["ops@corp.example.org"]},
            {"$object": "app:Headers", "base": [["Authorization", "Basic dXNlcjpwdw=="]]},
        ]
    }
    paths = [p for p, _ in iter_texts(tree, "inputs")]
    assert "inputs.args[1]['api_key']" in paths
    found = SecretScanner().scan_tree(tree, "inputs")
    assert kinds(found) == {
        "credential in key 'secret'",
        "credential in key 'api_key'",
        "credential in key 'password'",
        "credential in key 'Authorization'",
        "e-mail address",
    }


def test_a_secret_in_a_dict_key_is_found_and_no_path_spells_it() -> None:
    token = "ghp_" + "Z9" * 18
    tree = codec.encode({"cache": {token: {"hits": 3, "owner": "ana@corp.io"}}})
    found = SecretScanner().scan_tree(tree, "outcome")
    assert [(f.path, f.kind) for f in found] == [
        ("outcome.cache.<key 0>", "github_token"),
        ("outcome.cache.<key 0>.owner", "e-mail address"),
    ]
    assert all(token not in f.message() for f in found)


def test_numpy_string_arrays_inline_bytes_and_object_arrays_are_seen() -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    tree = codec.encode(
        {
            "u": np.array(["a", key]),
            "s": np.array([b"x", key.encode()]),
            "o": np.array([1, key], dtype=object),
            "f": np.arange(3.0),
        }
    )
    found = SecretScanner().scan_tree(tree, "outcome")
    assert sorted(f.path for f in found) == ["outcome.o[1]", "outcome.s[1]", "outcome.u[1]"]


def test_string_arrays_in_blobs_are_read_through_the_store() -> None:
    words = np.array(["w"] * 99 + ["mail ops@corp.io"])
    blobs: dict[str, bytes] = {}
    tree = codec.encode({"returned": words}, blobs=blobs)
    (name,) = blobs
    case = GoldenCase("m:f", "0" * 16, {"args": [], "kwargs": {}}, Observation(tree))
    assert SecretScanner().scan_case(case) == []  # loaded from disk: no blobs, no reader
    (found,) = SecretScanner().scan_case(case, read_blob=blobs.__getitem__)
    assert found.path == "outcome.returned[99]" and found.needle == name

    def missing(name: str) -> bytes:
        raise FileNotFoundError(name)

    assert SecretScanner().scan_case(case, read_blob=missing) == []  # replay reports it


def test_pandas_columns_by_name_and_content_and_labels() -> None:
    frame = pd.DataFrame(
        {"user": ["a", "b"], "password": ["pw-1", "pw-2"], "ops@corp.io": [1, 2]},
        index=["r1", "key AKIAIOSFODNN7EXAMPLE"],
    )
    found = SecretScanner().scan_tree(codec.encode(frame), "outcome")
    assert [(f.path, f.kind) for f in found] == [
        ("outcome['password']", "credential in key 'password'"),
        ("outcome.columns[2]", "e-mail address"),
        ("outcome.index[1]", "aws_access_key"),
    ]
    series = pd.Series(["x1-secret", "x2-secret"], name="api_key")
    (found_series,) = SecretScanner().scan_tree(codec.encode(series), "outcome")
    assert found_series.kind == "credential in key 'api_key'"


def test_token_columns_of_words_are_not_credentials() -> None:
    frame = pd.DataFrame({"token": ["the", "cat"], "token_count": [3, 1]})
    assert SecretScanner().scan_tree(codec.encode(frame), "outcome") == []


def test_reprs_of_unencodable_values_are_scanned() -> None:
    tree = {"$unencodable": "db:Conn", "repr": "<Conn postgres://app:hunter22@db/app>"}
    assert kinds(SecretScanner().scan_tree(tree, "outcome")) == {"url_credentials"}


def test_a_tree_too_deep_to_walk_is_a_finding_not_a_crash() -> None:
    tree: object = "x"
    for _ in range(5000):
        tree = [tree]
    (found,) = SecretScanner().scan_tree(tree, "inputs")
    assert found.kind == "tree nested too deeply to scan"


def test_emails_fail_unless_allowed_globally_or_by_pattern() -> None:
    tree = {"to": "anna@example.com", "cc": "bob@corp.io"}
    assert len(SecretScanner().scan_tree(tree, "x")) == 2
    assert SecretScanner.from_config({"allow_emails": True}).scan_tree(tree, "x") == []
    only = SecretScanner.from_config({"allow": [r".*@example\.com"]}).scan_tree(tree, "x")
    assert [f.path for f in only] == ["x.cc"]


def test_meta_is_not_scanned_but_output_is() -> None:
    case = GoldenCase(
        "m:f",
        "0" * 16,
        {"args": [], "kwargs": {}},
        Observation(
            {"returned": 1}, {}, {"stdout": "mail ceo@corp.io\n", "stderr": "", "logs": []}
        ),
        meta={"reviewed": {"by": "Reviewer <rev@corp.io>"}},
    )
    found = SecretScanner().scan_case(case)
    assert [f.path for f in found] == ["output.stdout"]


def test_bad_configuration_is_reported() -> None:
    with pytest.raises(ConfigError, match="allow_emails"):
        SecretScanner.from_config({"allow_emails": "yes"})
    with pytest.raises(ConfigError, match="not a valid regex"):
        SecretScanner.from_config({"allow": ["("]})


def test_mask_and_locate_line() -> None:
    assert mask("hunter2") == "******* (7 chars)"
    assert mask("ghp_abcdefghijkl").startswith("ghp_…")
    text = '{\n  "a": 1,\n  "password": "x"\n}\n'
    assert locate_line(text, '"password"') == 3
    assert locate_line(text, "absent") == 1
    case = '{\n  "inputs": {\n    "to": "a@b.io"\n  },\n  "outcome": {\n    "returned": "a@b.io"\n  }\n}'
    assert locate_line(case, "a@b.io", "inputs") == 3
    assert locate_line(case, "a@b.io", "outcome") == 6


def test_findings_locate_their_line_in_a_written_case_file() -> None:
    tree = codec.encode({"returned": {"note": "ghp_" + "a1B2" * 9}})
    text = json.dumps({"inputs": {}, "outcome": tree}, indent=2)
    (found,) = SecretScanner().scan_tree(tree, "outcome")
    line = text.splitlines()[locate_line(text, found.needle, "outcome") - 1]
    assert '"note"' in line
