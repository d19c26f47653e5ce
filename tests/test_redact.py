"""Redaction at record time, and redacted fields on replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from legacy_harness.config import Config
from legacy_harness.errors import ConfigError
from legacy_harness.record.recorder import Recorder
from legacy_harness.record.redact import REDACTED, Redactor
from legacy_harness.store import codec
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

    repo = Path(__file__).resolve().parent.parent
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
