"""Redaction at record time, and redacted fields on replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from paths import REPO

from legacy_harness.config import Config
from legacy_harness.errors import ConfigError
from legacy_harness.record.recorder import Recorder
from legacy_harness.record.redact import BUILTINS, REDACTED, Redactor, blob_names
from legacy_harness.store import codec
from legacy_harness.store.disk import GoldenStore
from legacy_harness.store.secret_rules import RULES
from legacy_harness.store.secret_scan import SecretScanner
from legacy_harness.verify import CHANGED, PASSED, VerifySession, iter_results


def test_builtins_are_on_by_default_and_can_be_turned_off() -> None:
    tree = {"password": "hunter2", "note": "token ghp_" + "a" * 36}
    assert Redactor.from_config({}).redact_tree(tree) == {
        "password": REDACTED,
        "note": f"token {REDACTED}",
    }
    assert Redactor.from_config({"redact": {"builtins": False}}).redact_tree(tree) == tree
    emails = Redactor.from_config({"redact": {"builtins": ["emails"]}})
    assert emails.redact_tree({"to": "a@b.org", "password": "x"}) == {
        "to": REDACTED,
        "password": "x",
    }


def test_keys_are_case_insensitive_globs_over_every_kind_of_mapping() -> None:
    redactor = Redactor.from_config({"redact": {"keys": ["ssn", "*_pin"], "builtins": False}})
    tree = {
        "SSN": "123",
        "card_pin": 1234,
        "user": {"$object": "app:User", "state": {"ssn": {"nested": [1, 2]}, "name": "A"}},
        "pairs": {"$dict": [["ssn", "9"], [1, "ssn"]]},
        "point": {"$namedtuple": "app:P", "fields": {"home_pin": 7}},
        "blob": {"$bytes": "c3Nu"},
    }
    out, paths = redactor.redact(tree, "inputs")
    assert out["SSN"] == REDACTED and out["card_pin"] == REDACTED
    assert out["user"]["state"] == {"ssn": REDACTED, "name": "A"}
    assert out["pairs"] == {"$dict": [["ssn", REDACTED], [1, "ssn"]]}
    assert out["point"]["fields"] == {"home_pin": REDACTED}
    assert out["blob"] == {"$bytes": "c3Nu"}
    assert sorted(paths) == [
        "inputs.SSN",
        "inputs.card_pin",
        "inputs.pairs['ssn']",
        "inputs.point.home_pin",
        "inputs.user.ssn",
    ]
    assert tree["SSN"] == "123"  # the input tree is left alone


def test_patterns_replace_only_the_matching_text() -> None:
    redactor = Redactor.from_config(
        {"redact": {"patterns": [r"\d{3}-\d{2}-\d{4}"], "builtins": False}}
    )
    out, paths = redactor.redact({"stdout": "ssn 123-45-6789 ok\n", "n": 5}, "output")
    assert out == {"stdout": f"ssn {REDACTED} ok\n", "n": 5}
    assert paths == ["output.stdout"]


def test_positional_arguments_are_redacted_by_parameter_name() -> None:
    redactor = Redactor.from_config({})
    out, paths = redactor.redact_inputs(
        {"args": ["alice", "hunter2"], "kwargs": {}}, ["user", "password"]
    )
    assert out["args"] == ["alice", REDACTED] and paths == ["inputs.args[1]"]


def test_references_into_a_redacted_value_are_dropped_so_the_tree_decodes() -> None:
    shared = {"k": 1}
    tree = codec.encode({"password": shared, "zcopy": shared})
    assert "$id" in json.dumps(tree["password"])  # the value is defined under the secret key
    out = Redactor.from_config({}).redact_tree(tree)
    assert codec.decode(out) == {"password": REDACTED, "zcopy": REDACTED}


def test_bad_configuration_names_the_problem() -> None:
    with pytest.raises(ConfigError, match="unknown key 'key'"):
        Redactor.from_config({"redact": {"key": ["x"]}})
    with pytest.raises(ConfigError, match="not a valid regex"):
        Redactor.from_config({"redact": {"patterns": ["("]}})
    with pytest.raises(ConfigError, match="unknown rule 'pgp'"):
        Redactor.from_config({"redact": {"builtins": ["pgp"]}})
    with pytest.raises(ConfigError, match="builtins must be true, false or a list"):
        Redactor.from_config({"redact": {"builtins": "all"}})


def test_todays_configuration_keeps_working() -> None:
    """The rule names of the first release are still accepted, and mean the same."""
    old = ["credential_keys", "private_key", "aws_access_key", "github_token", "gitlab_token"]
    old += ["slack_token", "jwt", "emails"]
    assert set(old) <= set(BUILTINS)
    redactor = Redactor.from_config(
        {"redact": {"keys": ["card"], "patterns": [r"\d{4}-\d{4}"], "builtins": old}}
    )
    tree = {"card": 7, "note": "pin 1234-5678", "to": "a@b.org", "password": "pw"}
    assert redactor.redact_tree(tree) == {
        "card": REDACTED, "note": f"pin {REDACTED}", "to": REDACTED, "password": REDACTED,
    }  # fmt: skip


def test_redaction_uses_the_scanners_table_itself() -> None:
    """One table serves both: the built-in rules are the scanner's objects, not copies."""
    redactor = Redactor.from_config({})
    assert all(any(rule is mine for mine in RULES) for rule in redactor.rules)
    assert {rule.name for rule in redactor.rules} == {r.name for r in RULES} - {"emails"}
    assert [r.name for r in Redactor.from_config({"redact": {"patterns": ["x"]}}).rules][0] == (
        "pattern 'x'"
    )


def test_ml_names_are_left_alone_and_weak_names_need_a_credential_value() -> None:
    tree = {
        "token_count": 512, "num_tokens": 4096, "tokenizer": "gpt2", "pad_token": "<pad>",
        "token": 50256, "tokens": ["the", "cat"], "use_auth_token": True, "prng_key": [0, 42],
    }  # fmt: skip
    redactor = Redactor.from_config({})
    assert redactor.redact_tree(tree) == tree
    assert redactor.redact_tree({"token": "the"}) == {"token": "the"}
    hexed = "9f86d081884c7d659a2feaa0c55ad015"
    assert redactor.redact_tree({"token": hexed}) == {"token": REDACTED}


def test_bytes_keep_their_type_with_the_secret_replaced() -> None:
    raw = b"\x00auth=ghp_" + b"a1B2" * 9 + b";\xff"
    out = Redactor.from_config({}).redact_tree(codec.encode({"raw": raw}))
    assert codec.decode(out) == {"raw": b"\x00auth=<redacted>;\xff"}


def test_a_secret_used_as_a_dict_key_is_renamed_and_collisions_kept_apart() -> None:
    one, two = "ghp_" + "a1B2" * 9, "ghp_" + "c3D4" * 9
    value = {"b": 1, one: {"hits": 3}, two: 2}  # insertion order differs from sorted order
    redactor = Redactor.from_config({})
    out, paths = redactor.redact(codec.encode(value), "outcome")
    decoded = codec.decode(out)
    assert decoded == {"b": 1, REDACTED: {"hits": 3}, f"{REDACTED}#2": 2}
    assert list(decoded) == ["b", REDACTED, f"{REDACTED}#2"]  # order kept
    assert sorted(paths) == ["outcome.<key 1>", "outcome.<key 2>"]
    pairs = codec.encode({1: "x", one: "y"})  # mixed keys: $dict pairs
    assert codec.decode(redactor.redact_tree(pairs)) == {1: "x", REDACTED: "y"}


def test_numpy_string_arrays_inline_and_in_blobs() -> None:
    token = "ghp_" + "a1B2" * 9
    redactor = Redactor.from_config({})
    inline = codec.encode(np.array(["a", f"t={token}"]))
    assert codec.decode(redactor.redact_tree(inline)).tolist() == ["a", f"t={REDACTED}"]
    blobs: dict[str, bytes] = {}
    big = np.array([f"w{i}" for i in range(99)] + [token])
    tree = codec.encode({"returned": big}, blobs=blobs)
    (old,) = blobs
    out, paths = redactor.redact(tree, "outcome", blobs=blobs)
    assert paths == ["outcome.returned[99]"]
    (new,) = blob_names(out)
    assert new != old and token.encode() not in blobs[new]
    decoded = codec.decode(out, blobs=blobs)["returned"]
    assert decoded.shape == (100,) and decoded[99] == REDACTED and decoded[0] == "w0"
    reader_only = redactor.redact_tree(tree, blobs.__getitem__)  # a reader: written inline
    assert blob_names(reader_only) == set()
    assert codec.decode(reader_only)["returned"][99] == REDACTED
    again = redactor.redact_tree(out, blobs)  # idempotent: the same blob, unchanged
    assert again is out


def test_pandas_columns_and_series_under_secret_names_decode_as_redacted() -> None:
    frame = pd.DataFrame({"user": ["a", "b"], "password": ["pw-1", "pw-2"], "n": [1, 2]})
    out, paths = Redactor.from_config({}).redact(codec.encode(frame), "inputs")
    decoded = codec.decode(out)
    assert list(decoded.columns) == ["user", "password", "n"]
    assert decoded["password"].tolist() == [REDACTED, REDACTED]
    assert decoded["user"].tolist() == ["a", "b"] and decoded["n"].tolist() == [1, 2]
    assert paths == ["inputs['password']"]
    series = pd.Series(["k-1", "k-2"], name="api_key", index=["x", "y"])
    redacted = codec.decode(Redactor.from_config({}).redact_tree(codec.encode(series)))
    assert redacted.tolist() == [REDACTED, REDACTED] and redacted.name == "api_key"
    assert redacted.index.tolist() == ["x", "y"]


def test_user_patterns_reach_keys_bytes_and_arrays() -> None:
    redactor = Redactor.from_config(
        {"redact": {"patterns": [r"\d{3}-\d{2}-\d{4}"], "builtins": False}}
    )
    value = {"123-45-6789": b"ssn 987-65-4321", "a": np.array(["000-11-2222"])}
    decoded = codec.decode(redactor.redact_tree(codec.encode(value)))
    assert list(decoded) == [REDACTED, "a"]
    assert decoded[REDACTED] == b"ssn <redacted>" and decoded["a"].tolist() == [REDACTED]


LOGIN = """
import secrets
import numpy as np

def login(user, password, *, retries=1):
    print(f"login {user}")
    return {"user": user, "api_key": "k-" + secrets.token_hex(8), "retries": retries}

def keys(password):
    return {"private_key": np.arange(100.0), "n": 1}
"""


def test_recording_never_writes_redacted_values_and_replay_compares_them_as_redacted(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(LOGIN)
    store = tmp_path / "golden"
    table = {"redact": {"keys": ["user"], "builtins": True}}
    recorder = Recorder(
        [f"{mod.__name__}:login", f"{mod.__name__}:keys"], store,
        redactor=Redactor.from_config(table),
    )  # fmt: skip
    recorder.start()
    try:
        mod.login("alice", "hunter2")
        mod.login("alice", "correct horse")  # same inputs once redacted: one case
        mod.keys("pw")
    finally:
        summary = recorder.stop()
    assert [s.cases for s in summary.targets] == [1, 1]
    texts = {p.parent.name: p.read_text() for p in store.rglob("case-*.json")}
    for secret in ("hunter2", "correct horse", "k-"):
        assert secret not in texts["login"]
    case = json.loads(texts["login"])
    assert case["inputs"]["args"] == [REDACTED, REDACTED]
    assert case["meta"]["redacted"] == [
        "inputs.args[0]", "inputs.args[1]", "outcome.returned.api_key", "outcome.returned.user",
    ]  # fmt: skip
    assert "stdout" in case["output"] and REDACTED not in case["output"]["stdout"]
    assert not list(store.rglob("blobs/*.npy"))  # the redacted array's blob was not written

    session = VerifySession.open(Config(root=tmp_path, store=store, table=table))
    results = {r.target.rsplit(":")[1]: r for r in iter_results(session)}
    login = results["login"]
    # stdout shows the replayed '<redacted>' user: the note says why the case changed
    assert login.status == CHANGED and [d.path for d in login.differences] == ["stdout"]
    assert "inputs.args[0]" in (login.note or "")
    assert results["keys"].status == PASSED


def test_a_new_secret_every_run_compares_equal_once_redacted(make_module, tmp_path: Path) -> None:
    mod = make_module(LOGIN)
    store = tmp_path / "golden"
    table: dict = {"redact": {"builtins": True}}
    recorder = Recorder([f"{mod.__name__}:login"], store, redactor=Redactor.from_config(table))
    recorder.start()
    try:
        mod.login("bob", "pw", retries=np.int64(2).item())
    finally:
        recorder.stop()
    session = VerifySession.open(Config(root=tmp_path, store=store, table=table))
    (result,) = iter_results(session)
    assert result.status == PASSED, result.differences
    bare = VerifySession.open(
        Config(root=tmp_path, store=store, table={"redact": {"builtins": False}})
    )
    (result,) = iter_results(bare)
    assert result.status == CHANGED and "outcome.api_key" in {d.path for d in result.differences}


def test_record_command_reads_the_redact_table(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    repo = REPO
    (tmp_path / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n'
        '[tool.legacy_harness.redact]\nkeys = ["card"]\npatterns = ["\\\\d{4}-\\\\d{4}"]\n'
    )
    (tmp_path / "shop.py").write_text(
        "def pay(card, amount):\n    print('charged', card)\n    return {'ok': True, 'card': card}\n"
    )
    (tmp_path / "run.py").write_text("import shop\nshop.pay('1234-5678', 10)\n")
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(
        [sys.executable, "-m", "legacy_harness", "record", "-t", "shop:pay", "--", "run.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "charged 1234-5678" in done.stdout  # the program's own output is untouched
    (path,) = (tmp_path / "golden").rglob("case-*.json")
    text = path.read_text()
    assert "1234-5678" not in text and "charged <redacted>" in text
    assert json.loads(text)["inputs"]["args"] == [REDACTED, 10]


def test_recorded_string_arrays_in_blobs_are_redacted_replayed_and_scan_clean(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(
        """
import numpy as np

def tokens(n):
    return np.array(["row %d" % i for i in range(n)] + ["ghp_" + "a1B2" * 9])
"""
    )
    store = tmp_path / "golden"
    table: dict = {"redact": {"builtins": True}}
    recorder = Recorder([f"{mod.__name__}:tokens"], store, redactor=Redactor.from_config(table))
    recorder.start()
    try:
        mod.tokens(80)
    finally:
        recorder.stop()
    (path,) = store.rglob("case-*.json")
    on_disk = path.read_bytes() + b"".join(p.read_bytes() for p in store.rglob("blobs/*.npy"))
    assert b"a1B2a1B2" not in on_disk and len(list(store.rglob("blobs/*.npy"))) == 1
    session = VerifySession.open(Config(root=tmp_path, store=store, table=table))
    (result,) = iter_results(session)
    assert result.status == PASSED, result.differences
    stored = GoldenStore(store).load(path)
    read = session.blob_reader(stored.case.target)
    assert SecretScanner().scan_case(stored.case, read) == []


def test_a_redacted_column_takes_the_frames_length_when_its_values_are_shared() -> None:
    shared = np.array(["pw-1", "pw-2"], dtype=object)
    tree = codec.encode({"a": shared, "frame": pd.DataFrame({"password": shared})})
    tree["a"]["$id"] = 1  # as if pandas had kept the array: the column refers to it
    tree["frame"]["$dataframe"]["data"][0]["values"] = {"$ref": 1}
    assert codec.decode(tree)["frame"]["password"].tolist() == ["pw-1", "pw-2"]
    out = Redactor.from_config({"redact": {"builtins": ["credential_keys"]}}).redact_tree(tree)
    assert codec.decode(out)["frame"]["password"].tolist() == [REDACTED, REDACTED]
