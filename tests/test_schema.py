"""Every ``--format json`` document validates against the schema shipped in the package."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from legacy_harness.cli import main
from legacy_harness.schema import SCHEMA_VERSION, load_schema
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

jsonschema = pytest.importorskip("jsonschema", reason="the test extra: pip install -e .[test]")

SHOP = """
def price(qty, unit):
    if qty > 10:
        return round(qty * unit * 0.9, 2)
    return round(qty * unit, 2)


def label(name):
    return "item " + name
"""

_names = itertools.count()


def write_case(root: Path, target: str, args: list[Any], returned: Any, reviewed: bool) -> None:
    store = GoldenStore(root / "golden")
    inputs = {"args": codec.encode(args), "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    meta: dict[str, Any] = {"origin": "recorded"}
    if reviewed:
        meta["reviewed"] = {"by": "R <r@example.com>", "at": "2024-03-01T00:00:00", "commit": None}
    observation = Observation(
        {"returned": codec.encode(returned)}, {}, {"stdout": "", "stderr": "", "logs": []}
    )
    store.write(GoldenCase(target, case_id, inputs, observation, None, meta), overwrite=True)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A project whose module has a fresh name; one case changed, one unreviewed."""
    module = f"schema_shop_{next(_names)}"
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (tmp_path / f"{module}.py").write_text(SHOP)
    write_case(tmp_path, f"{module}:price", [2, 1.5], 3.0, True)
    write_case(tmp_path, f"{module}:price", [20, 1.5], 99.0, True)  # today: 27.0
    write_case(tmp_path, f"{module}:label", ["tea"], "item tea", False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    yield module


@pytest.fixture
def document(capsys: pytest.CaptureFixture[str]) -> Callable[..., dict[str, Any]]:
    validator = jsonschema.Draft202012Validator(load_schema())

    def run(*args: str, code: int) -> dict[str, Any]:
        capsys.readouterr()
        at = args.index("--") if "--" in args else len(args)  # a program's arguments go last
        assert main([*args[:at], "--format", "json", *args[at:]]) == code, capsys.readouterr().err
        data: dict[str, Any] = json.loads(capsys.readouterr().out)
        validator.validate(data)
        assert data["command"] == args[0] and data["exit_code"] == code
        assert data["schema_version"] == SCHEMA_VERSION
        return data

    return run


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["envelope"]["required"] == [
        "command",
        "version",
        "schema_version",
        "exit_code",
    ]


def test_verify_and_check(shop: str, document: Callable[..., dict[str, Any]]) -> None:
    verify = document("verify", code=1)
    (changed,) = [case for case in verify["cases"] if case["status"] == "changed"]
    assert changed["differences"][0]["path"] == "outcome"
    check = document("check", code=1)
    assert check["policy"][0]["kind"] == "unreviewed"
    assert check["counts"]["changed"] == 1


def test_coverage_and_minimize(shop: str, document: Callable[..., dict[str, Any]]) -> None:
    coverage = document("coverage", code=0)
    assert {t["target"] for t in coverage["targets"]} == {f"{shop}:price", f"{shop}:label"}
    assert document("coverage", "--fail-under", "100", code=0)["fail_under"] == 100.0
    minimize = document("minimize", "--dry-run", code=0)
    assert minimize["dry_run"] is True and len(minimize["targets"]) == 2


def test_review_and_approve(shop: str, document: Callable[..., dict[str, Any]]) -> None:
    review = document("review", code=1)
    assert sorted(item["kind"] for item in review["pending"]) == ["changed", "new"]
    approve = document("approve", f"{shop}:label", code=0)
    assert approve["approved"] == 1 and approve["cases"][0]["action"] == "approved"


def test_refactor(shop: str, document: Callable[..., dict[str, Any]]) -> None:
    result = document(
        "refactor", "rename", "--old", f"{shop}:label", "--new", "tag", f"{shop}.py", code=0
    )
    assert result["helper"] == "rename" and result["files"] == [f"{shop}.py"]
    assert result["verified"] is None and "+def tag(name):" in result["diff"]


def test_a_failing_command_still_answers_in_json(
    shop: str, document: Callable[..., dict[str, Any]]
) -> None:
    failed = document("coverage", "nowhere:gone", code=2)
    assert "no cases for nowhere:gone" in failed["error"]


def test_the_progress_total_is_counted_from_the_folders(shop: str, tmp_path: Path) -> None:
    from legacy_harness.cli.support import case_count, open_session
    from legacy_harness.config import load_config

    session = open_session(load_config(), "verify")
    assert case_count(session) == 3
    assert case_count(session, [f"{shop}:price"]) == 2


JOB = """
from {module} import price, label

price(3, 2.0)
label("tea")
"""


def _record_first(shop: str) -> None:
    """``drift`` compares with the input profile that ``record`` keeps."""
    Path("job.py").write_text(JOB.format(module=shop))
    assert main(["record", "-t", f"{shop}:price", "-q", "--", "job.py"]) == 0


#: One run of every command that writes JSON: its arguments (given the module's name),
#: the exit code it should end with, and what must hold in its document.
RUNS: dict[str, tuple[Callable[[str], list[str]], int, Callable[[dict[str, Any]], bool]]] = {
    "verify": (lambda shop: [], 1, lambda d: d["counts"]["changed"] == 1),
    "check": (lambda shop: [], 1, lambda d: d["policy"][0]["kind"] == "unreviewed"),
    "coverage": (lambda shop: [], 0, lambda d: len(d["targets"]) == 2),
    "minimize": (lambda shop: ["--dry-run"], 0, lambda d: d["dry_run"] is True),
    "review": (lambda shop: [], 1, lambda d: len(d["pending"]) == 2),
    "approve": (lambda shop: [f"{shop}:label"], 0, lambda d: d["approved"] == 1),
    "refactor": (
        lambda shop: ["rename", "--old", f"{shop}:label", "--new", "tag", f"{shop}.py"],
        0,
        lambda d: d["helper"] == "rename",
    ),
    "record": (
        lambda shop: ["-t", f"{shop}:label", "--", "job.py"],
        0,
        lambda d: d["targets"][0]["calls"] == 1 and d["program_status"] == 0,
    ),
    "mutate": (
        lambda shop: ["-t", f"{shop}:label"],
        0,
        lambda d: d["targets"][0]["target"].endswith(":label") and d["saved"] is not None,
    ),
    "characterize": (
        lambda shop: [
            "-t",
            f"{shop}:label",
            "--max-examples",
            "3",
            "--budget",
            "2",
            "--no-mutants",
            "--dry-run",
        ],  # fmt: skip
        0,
        lambda d: d["dry_run"] is True and d["targets"][0]["examples"] >= 1,
    ),
    "docs": (
        lambda shop: ["--out", "site"],
        0,
        lambda d: d["pages_format"] == "markdown" and len(d["written"]) == 3,
    ),
    "drift": (
        lambda shop: ["--", "job.py"],
        0,
        lambda d: d["moved"] is False and d["moved_leaves"] == [],
    ),
}


def test_every_command_has_a_json_run_below() -> None:
    from legacy_harness.cli import COMMANDS

    # merge-reports prints check's document: validated in tests/check/test_shard.py
    assert set(RUNS) | {"merge-reports"} == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(RUNS))
def test_every_command_writes_json_the_schema_accepts(
    command: str, shop: str, document: Callable[..., dict[str, Any]]
) -> None:
    arguments, code, holds = RUNS[command]
    Path("job.py").write_text(JOB.format(module=shop))
    if command == "drift":
        _record_first(shop)
    data = document(command, *arguments(shop), code=code)
    assert holds(data), data
    assert list(data)[:4] == ["command", "version", "schema_version", "exit_code"]
