"""``check --shard K/N`` splits a store the same way everywhere, and ``merge-reports``
joins the shards' JSON and JUnit reports into what one whole run reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from legacy_harness.check.gate import parse_shard, shard_of
from legacy_harness.cli import main
from legacy_harness.errors import UsageError
from legacy_harness.outcomes import ExitCode
from legacy_harness.schema import load_schema
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

CALC = "def add(a, b):\n    return a + b if a != 7 else 0\n\ndef neg(a):\n    return -a\n"
STAMP = {"by": "Reviewer <r@example.com>", "at": "2024-03-01T00:00:00+00:00", "commit": None}


def write_case(root: Path, target: str, args: list, returned: object) -> None:
    inputs = {"args": codec.encode(args), "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    output = {"stdout": "", "stderr": "", "logs": []}
    observation = Observation({"returned": codec.encode(returned)}, {}, output)
    meta = {"origin": "recorded", "reviewed": dict(STAMP)}
    GoldenStore(root / "golden").write(GoldenCase(target, case_id, inputs, observation, None, meta))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "calc_shard.py").write_text(CALC)
    for n in range(12):
        write_case(root, "calc_shard:add", [n, 1], n + 1)  # n = 7 changed today
        write_case(root, "calc_shard:neg", [n], -n)
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    return root


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "--format", "json", "--jobs", "1", *args])
    return int(code), json.loads(capsys.readouterr().out)


def test_shards_partition_the_store_and_merge_into_the_whole_run(project, capsys) -> None:
    whole_code, whole = check(capsys, "--junit-xml", "whole.xml")
    shard_files = []
    seen: list[str] = []
    for k in (1, 2, 3):
        code, document = check(capsys, "--shard", f"{k}/3", "--junit-xml", f"shard-{k}.xml")
        Path(f"shard-{k}.json").write_text(json.dumps(document))
        shard_files += [f"shard-{k}.json", f"shard-{k}.xml"]
        ids = [case["id"] for case in document["cases"]]
        assert all(int(i, 16) % 3 == k - 1 for i in ids)
        seen += ids
    assert sorted(seen) == sorted(case["id"] for case in whole["cases"])  # disjoint, complete
    code = main(["merge-reports", *shard_files, "--junit-xml", "merged.xml"])
    merged = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(load_schema()).validate(merged)  # a check document
    assert merged["command"] == "check"
    assert whole_code == code == merged["exit_code"] == ExitCode.CHANGED
    assert merged["cases"] == whole["cases"]
    assert merged["counts"] == whole["counts"] == {
        "passed": 23, "changed": 1, "unstable": 0, "error": 0, "skipped": 0,
    }  # fmt: skip
    assert merged["targets"] == whole["targets"]
    one, joined = ET.parse("whole.xml").getroot(), ET.parse("merged.xml").getroot()
    for key in ("tests", "failures", "errors", "skipped"):
        assert joined.get(key) == one.get(key), key
    names = lambda root: sorted(c.get("name") for c in root.iter("testcase"))  # noqa: E731
    assert names(joined) == names(one)


def test_merged_exit_code_is_the_worst_shard_and_an_empty_shard_is_no_failure(
    project, capsys, tmp_path
) -> None:
    base = {"command": "check", "exit_code": 0, "cases": [], "policy": []}
    case = {"target": "calc:add", "id": "ab", "path": "golden/x", "status": "passed"}
    empty = {**base, "exit_code": int(ExitCode.NO_CASES)}
    passed = {**base, "cases": [case]}
    policy = {**base, "exit_code": int(ExitCode.POLICY), "policy": [{"kind": "secret"}] * 2}
    broken = {**base, "exit_code": int(ExitCode.ERROR), "error": "cannot read pyproject.toml"}
    for name, document in [("e", empty), ("p", passed), ("s", policy), ("b", broken)]:
        (tmp_path / f"{name}.json").write_text(json.dumps(document))
    reports = lambda *names: [str(tmp_path / f"{n}.json") for n in names]  # noqa: E731
    assert main(["merge-reports", *reports("e", "p")]) == ExitCode.SAME
    assert main(["merge-reports", *reports("e", "e")]) == ExitCode.NO_CASES
    assert main(["merge-reports", *reports("p", "s", "e")]) == ExitCode.POLICY
    capsys.readouterr()
    assert main(["merge-reports", *reports("s", "b", "p")]) == ExitCode.ERROR
    merged = json.loads(capsys.readouterr().out)
    assert len(merged["policy"]) == 1  # found by one shard twice: reported once
    assert "cannot read pyproject.toml" in merged["error"]


def test_merge_refuses_what_is_not_a_check_report(project, capsys, tmp_path) -> None:
    (tmp_path / "verify.json").write_text(json.dumps({"command": "verify", "exit_code": 0}))
    (tmp_path / "junk.xml").write_text("<html/>")
    assert main(["merge-reports", str(tmp_path / "verify.json")]) == ExitCode.ERROR
    assert "is not a check report" in capsys.readouterr().err
    assert main(["merge-reports", str(tmp_path / "junk.xml"), "--junit-xml", "m.xml"]) == 2
    assert "is not a JUnit report of check" in capsys.readouterr().err
    assert main(["merge-reports", str(tmp_path / "junk.xml")]) == ExitCode.ERROR
    assert "--junit-xml PATH" in capsys.readouterr().err


def test_shard_numbers_are_checked_and_the_split_is_by_case_id() -> None:
    assert parse_shard("2/4") == (2, 4)
    for wrong in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(UsageError, match="K/N"):
            parse_shard(wrong)
    assert shard_of(Path("golden/m/f/case-00000000000000ff.json"), 4) == 0xFF % 4
    odd = Path("golden/m/f/case-not-hex.json")
    assert shard_of(odd, 5) == shard_of(Path("elsewhere") / odd.name, 5)


def test_a_bad_shard_flag_is_a_usage_error(project, capsys) -> None:
    assert main(["check", "--shard", "4/3"]) == ExitCode.ERROR
    assert "1 <= K <= N" in capsys.readouterr().err
