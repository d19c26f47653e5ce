"""The secret scanner: what it finds in golden trees, and what it lets through."""

from __future__ import annotations

import pytest

from legacy_harness.errors import ConfigError
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.secret_scan import (
    REDACTED,
    SecretScanner,
    iter_strings,
    locate_line,
    mask,
)

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"
SAMPLES = {
    "private_key": PEM,
    "aws_access_key": "key AKIAIOSFODNN7EXAMPLE in use",
    "github_token": "ghp_" + "a1B2" * 9,
    "gitlab_token": "glpat-" + "x" * 20,
    "slack_token": "xoxb-1234567890-abcdefghij",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


def kinds(found: list) -> set[str]:
    return {f.kind for f in found}


@pytest.mark.parametrize(("kind", "text"), sorted(SAMPLES.items()))
def test_each_builtin_pattern_is_found_in_a_string_value(kind: str, text: str) -> None:
    found = SecretScanner().scan_tree({"args": [{"note": text}]}, "inputs")
    assert kind in kinds(found)
    assert found[0].path == "inputs.args[0].note"
    assert text not in found[0].excerpt  # the report never carries the secret


def test_credential_keys_with_non_empty_strings_are_secrets() -> None:
    tree = {"db_password": "hunter2", "apiKey": "abc123", "token": "", "tokens": ["a", "b"]}
    found = SecretScanner().scan_tree(tree, "outcome.returned")
    assert [f.path for f in found] == ["outcome.returned.apiKey", "outcome.returned.db_password"]


def test_redacted_values_and_tag_payloads_are_not_findings() -> None:
    tree = {
        "password": REDACTED,
        "blob": {"$bytes": "QUtJQUlPU0ZPRE5ON0VYQU1QTEU="},
        "when": {"$datetime": "2024-03-01T12:00:00+00:00"},
    }
    assert SecretScanner().scan_tree(tree, "inputs") == []


def test_keys_inside_objects_dict_pairs_and_namedtuples_are_seen() -> None:
    tree = {
        "args": [
            {"$object": "app:User", "state": {"secret": "s3cr3t-value"}},
            {"$dict": [[1, "x"], ["api_key", "k-123456"]]},
            {"$namedtuple": "app:Login", "fields": {"password": "pw-123456"}},
            {"$tuple": ["ops@corp.example.org"]},
        ]
    }
    paths = [p for p, _, _ in iter_strings(tree, "inputs")]
    assert "inputs.args[1]['api_key']" in paths
    found = SecretScanner().scan_tree(tree, "inputs")
    assert kinds(found) == {
        "credential in key 'secret'",
        "credential in key 'api_key'",
        "credential in key 'password'",
        "e-mail address",
    }


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
