"""Golden files are untrusted: a case replays only the project's own code.

A pull request can add or edit any file under the store, and ``check`` replays the
store in CI. These tests plant cases that name a shell-running standard-library
function, a module outside the project, and a target other than the case's folder,
and drive every command that replays cases: nothing runs, nothing is imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import REPO, run_cli

from legacy_harness.config import config_from_table
from legacy_harness.errors import GoldenFileError, TargetError
from legacy_harness.record.project import ProjectModules, project_modules, trusted_target
from legacy_harness.record.targets import resolve_stored

EVIL_ID = "0123456789abcdef"


def config_for(root: Path, **table: object):  # type: ignore[no-untyped-def]
    return config_from_table(table, root=root)


# -- the decision, in-process ---------------------------------------------------------


def test_a_standard_library_target_is_refused_naming_file_field_and_the_allow_key(
    tmp_path: Path,
) -> None:
    store = tmp_path / "tests" / "golden"
    case = store / "subprocess" / "getoutput" / f"case-{EVIL_ID}.json"
    with pytest.raises(GoldenFileError) as raised:
        trusted_target(
            "subprocess:getoutput", config_for(tmp_path), case_path=case, store_root=store
        )
    message = str(raised.value)
    assert f"case-{EVIL_ID}.json" in message
    assert "field 'target'" in message and "standard library" in message
    assert 'allow = ["subprocess"]' in message


def test_allow_is_how_a_user_trusts_a_module_outside_the_project(tmp_path: Path) -> None:
    spec = trusted_target("subprocess:getoutput", config_for(tmp_path, allow=["subprocess"]))
    assert str(spec) == "subprocess:getoutput"
    with pytest.raises(GoldenFileError, match="standard library"):
        trusted_target("subprocess:getoutput", config_for(tmp_path, allow=["subproc"]))


def test_a_target_configured_by_name_is_trusted_by_configuration(tmp_path: Path) -> None:
    table = {"targets": {"json:dumps": {"rtol": 0.1}, "json.*:loads": {"rtol": 0.1}}}
    assert str(trusted_target("json:dumps", config_for(tmp_path, **table))) == "json:dumps"
    assert "json" in project_modules(config_for(tmp_path, **table))
    with pytest.raises(GoldenFileError, match="standard library"):
        trusted_target("json.decoder:scanstring", config_for(tmp_path, **table))


@pytest.mark.parametrize("target", ["os:system", "builtins:eval", "sys:exit", "__main__:main"])
def test_interpreter_modules_are_never_the_project(tmp_path: Path, target: str) -> None:
    with pytest.raises(GoldenFileError, match="outside the project"):
        trusted_target(target, config_for(tmp_path))


def test_installed_packages_are_not_the_project(tmp_path: Path) -> None:
    with pytest.raises(GoldenFileError, match="'pytest' is installed at"):
        trusted_target("pytest:main", config_for(tmp_path))


def test_project_modules_in_the_root_and_in_pythonpath_are_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flat_trust_mod.py").write_text("def f():\n    return 1\n")
    (tmp_path / "src" / "srcpkg_trust").mkdir(parents=True)
    (tmp_path / "src" / "srcpkg_trust" / "__init__.py").write_text("")
    (tmp_path / "src" / "srcpkg_trust" / "calc.py").write_text("def g():\n    return 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    config = config_for(tmp_path, pythonpath=[".", "src"])
    assert str(trusted_target("flat_trust_mod:f", config)) == "flat_trust_mod:f"
    assert resolve_stored("srcpkg_trust.calc:g", config).function() == 2
    sys.modules.pop("srcpkg_trust.calc", None)
    sys.modules.pop("srcpkg_trust", None)


def test_a_module_outside_the_project_is_refused_without_being_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    marker = tmp_path / "imported"
    (elsewhere / "trust_side_effect.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef f():\n    return 1\n"
    )
    monkeypatch.syspath_prepend(str(elsewhere))
    with pytest.raises(GoldenFileError, match="outside the project folders"):
        resolve_stored("trust_side_effect:f", config_for(project))
    assert not marker.exists() and "trust_side_effect" not in sys.modules


def test_a_symlink_in_the_project_to_the_standard_library_is_not_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stdlib_link").symlink_to(Path(json.__file__).parent.parent)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(GoldenFileError, match="outside the project"):
        trusted_target("stdlib_link.subprocess:getoutput", config_for(tmp_path))
    assert "stdlib_link" not in project_modules(config_for(tmp_path))


def test_a_case_replays_only_the_target_of_its_folder(tmp_path: Path) -> None:
    (tmp_path / "calc_trust.py").write_text("def double(x):\n    return 2 * x\n")
    store = tmp_path / "golden"
    config = config_for(tmp_path)
    inside = store / "calc_trust" / "double" / f"case-{EVIL_ID}.json"
    assert str(trusted_target("calc_trust:double", config, case_path=inside, store_root=store))
    with pytest.raises(GoldenFileError) as raised:
        trusted_target("calc_trust:triple", config, case_path=inside, store_root=store)
    assert "folder of calc_trust:double" in str(raised.value)
    loose = store / f"case-{EVIL_ID}.json"
    with pytest.raises(GoldenFileError, match="folder of no target"):
        trusted_target("calc_trust:double", config, case_path=loose, store_root=store)


def test_a_module_found_nowhere_keeps_the_missing_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no module named 'no_such_module_trust'"):
        resolve_stored("no_such_module_trust:f", config_for(tmp_path))


def test_project_modules_is_the_flat_layout_class_allow_list(tmp_path: Path) -> None:
    for name in ("billing.py", "model_objects.py", "random.py", "not-a-module.py", "notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "namespace_pkg").mkdir()
    (tmp_path / "namespace_pkg" / "mod.py").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("")
    (tmp_path / "venv_like").mkdir()
    (tmp_path / "venv_like" / "pyvenv.cfg").write_text("")
    (tmp_path / "venv_like" / "x.py").write_text("")
    names = project_modules(config_for(tmp_path, allow=["numpy"]))
    assert names == {"billing", "model_objects", "pkg", "namespace_pkg", "numpy"}
    assert ProjectModules.from_config(config_for(tmp_path)).refusal("model_objects") is None


# -- every command that replays cases, end to end -------------------------------------

CALC = """
def double(x):
    return 2 * x
"""

OUTSIDE = """
import pathlib
pathlib.Path({marker!r}).write_text("imported")

def f(x):
    return x
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trust") / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "tests/golden"\n')
    (root / "calc.py").write_text(textwrap.dedent(CALC))
    (root / "run.py").write_text("import calc\nfor i in range(3):\n    calc.double(i)\n")
    done = run_cli(root, "record", "-t", "calc:double", "--", "run.py")
    assert done.returncode == 0, done.stderr
    return root


@dataclass
class Attack:
    root: Path
    ran: Path  # written by the planted shell command
    imported: Path  # written when the module outside the project is imported
    env: dict[str, str]


@pytest.fixture
def attacked(recorded: Path, tmp_path: Path) -> Attack:
    """The recorded project plus three planted cases, and the files that betray them."""
    root = tmp_path / "project"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns("__pycache__"))
    marker = tmp_path / "pwned"
    imported = tmp_path / "imported"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "outside_mod.py").write_text(textwrap.dedent(OUTSIDE.format(marker=str(imported))))
    store = root / "tests" / "golden"
    template = json.loads(next((store / "calc" / "double").glob("case-*.json")).read_text())

    def plant(folder: str, target: str, args: list[str], ident: str) -> None:
        case = dict(template, target=target, id=ident)
        case["inputs"] = {"args": args, "kwargs": {}}
        path = store.joinpath(*folder.split(":")) / f"case-{ident}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(case, indent=2, sort_keys=True))

    shell = f"echo pwned > {marker}"
    plant("subprocess:getoutput", "subprocess:getoutput", [shell], EVIL_ID)
    plant("calc:double", "subprocess:getoutput", [shell], "fedcba9876543210")  # masquerade
    plant("outside_mod:f", "outside_mod:f", ["x"], "00112233aabbccdd")
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), str(outside)])}
    return Attack(root, marker, imported, env)


COMMANDS = {
    "verify": ["verify"],
    "verify-stochastic": ["verify", "--stochastic"],
    "check": ["check", "--jobs", "1"],
    "check-coverage": ["check", "--jobs", "1", "--min-coverage", "1"],
    "review": ["review", "--list"],
    "approve": ["approve", "--all"],
    "approve-case": ["approve", EVIL_ID],
    "coverage": ["coverage"],
    "minimize": ["minimize", "--dry-run"],
    "characterize": ["characterize", "-t", "calc:double", "--max-examples", "5",
                     "--budget", "5", "--no-mutants", "--dry-run"],
    "annotate": ["refactor", "annotate", "calc.py"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_runs_or_imports_what_a_golden_file_names(
    attacked: Attack, command: str
) -> None:
    root = attacked.root
    before = {p: p.read_bytes() for p in (root / "tests" / "golden").rglob("*") if p.is_file()}
    done = run_cli(root, *COMMANDS[command], env=attacked.env)
    output = done.stdout + done.stderr
    assert not attacked.ran.exists(), f"{command} ran a planted target:\n{output}"
    assert not attacked.imported.exists(), f"{command} imported a planted module:\n{output}"
    assert "Traceback" not in output, output
    after = {p: p.read_bytes() for p in (root / "tests" / "golden").rglob("*") if p.is_file()}
    planted = [p for p in before if "subprocess" in p.parts or "outside_mod" in p.parts]
    assert all(after.get(p) == before[p] for p in planted), "a planted case was rewritten"
    assert not [p for p in after if p not in before and "subprocess" in str(p)]
    if command in ("verify", "check"):
        assert done.returncode == 2, output
        assert 'allow = ["subprocess"]' in output and "field 'target'" in output
        assert "folder of calc:double" in output  # the masquerading case
        assert 'allow = ["outside_mod"]' in output


def test_the_pytest_items_never_run_planted_targets(attacked: Attack) -> None:
    """Items replay through verify_case, so planted cases fail instead of running.

    (Whether collecting the store imports a module named by a folder is the plugin's
    collection code, not replay's; it is not asserted here.)
    """
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=attacked.root, env={**os.environ, "NO_COLOR": "1", **attacked.env},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert not attacked.ran.exists(), output
    assert done.returncode == 1, output
    assert "3 passed" in done.stdout and 'allow = ["subprocess"]' in done.stdout
    assert "folder of calc:double" in done.stdout, done.stdout
