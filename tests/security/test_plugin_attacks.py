"""Crafted golden stores against the pytest plugin: nothing imported, nothing outside
the store written or deleted, no link followed, nothing passing by accident.

Golden files arrive in pull requests and CI runs pytest on them. Each test builds a
store an attacker could commit, runs pytest on it as CI would, and checks the world
outside the store is byte for byte what it was.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import legacy_harness.verify  # noqa: F401 - numpy imported once, before pytester's runs
from legacy_harness.record.recorder import Recorder

pytest_plugins = ["pytester"]

BILLING = """
def compute_invoice(amount, rate=0.2):
    return {"net": amount, "tax": round(amount * rate, 2)}
"""

#: A module that leaves a mark when imported: it must never be.
TRIPWIRE = """
import pathlib
pathlib.Path({mark!r}).write_text("imported")

def run():
    return 1
"""


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with billing.compute_invoice and two recorded cases of it."""
    pytester.makefile(".toml", pyproject='[tool.legacy_harness]\nstore = "tests/golden"\n')
    pytester.makepyfile(billing=BILLING)
    pytester.mkdir("tests")
    pytester.syspathinsert()
    import billing  # type: ignore[import-not-found]

    recorder = Recorder(["billing:compute_invoice"], pytester.path / "tests" / "golden")
    recorder.start()
    try:
        billing.compute_invoice(10)
        billing.compute_invoice(20)
    finally:
        recorder.stop()
        sys.modules.pop("billing", None)
    return pytester


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the project with files an attack would like to change."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "keep.txt").write_text("precious")
    (folder / "case-0000000000000001.json").write_text("{}")
    (folder / "blobs").mkdir()
    (folder / "blobs" / "a.npy").write_bytes(b"data")
    return folder


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file and link under ``folder``, by relative path: contents or link target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = f"-> {path.readlink()}"
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def store(pytester: pytest.Pytester) -> Path:
    return pytester.path / "tests" / "golden"


def case_files(pytester: pytest.Pytester) -> list[Path]:
    return sorted(store(pytester).glob("billing/compute_invoice/case-*.json"))


def plant_case(pytester: pytest.Pytester, module: str, qualname: str) -> Path:
    """A copy of a real case in the folder of another target (its fields say so too)."""
    source = case_files(pytester)[0]
    document = json.loads(source.read_text())
    document["target"] = f"{module}:{qualname}"
    folder = store(pytester) / module / qualname
    folder.mkdir(parents=True)
    path = folder / source.name
    path.write_text(json.dumps(document))
    return path


def change_billing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(billing=BILLING.replace("amount * rate", "amount * rate * 2"))
    shutil.rmtree(pytester.path / "__pycache__", ignore_errors=True)


# -- collection imports nothing ----------------------------------------------------------


def test_a_folder_named_after_an_installed_module_is_not_imported(
    project: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = tmp_path_factory.mktemp("site-packages")
    mark = site / "imported.txt"
    (site / "tripwire_installed.py").write_text(TRIPWIRE.format(mark=str(mark)))
    project.syspathinsert(site)
    plant_case(project, "tripwire_installed", "run")
    plant_case(project, "this", "s")  # the standard library's "this" prints on import
    collected = project.runpytest("--co", "-q")
    collected.stdout.fnmatch_lines(["tests/golden/tripwire_installed/run::case-*"])
    result = project.runpytest("-q")
    assert not mark.exists()
    assert "tripwire_installed" not in sys.modules
    assert "Beautiful is better than ugly" not in result.stdout.str()
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        ['*tripwire_installed is not part of the project*allow = [[]"tripwire_installed"[]]*']
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_collection_does_not_import_the_projects_modules(project: pytest.Pytester) -> None:
    mark = project.path / "imported.txt"
    project.makepyfile(tripwire_local=TRIPWIRE.format(mark=str(mark)))
    plant_case(project, "tripwire_local", "run")  # exists: collected, imported when run
    plant_case(project, "tripwire_local", "gone")  # does not exist: an unused master
    collected = project.runpytest("--co", "-q")
    collected.stdout.fnmatch_lines(["tests/golden/tripwire_local/run::case-*"])
    assert "tripwire_local/gone::" not in collected.stdout.str()  # no item: unused
    assert not mark.exists()


def test_a_conftest_in_the_store_is_not_imported_and_fails_the_run(
    project: pytest.Pytester,
) -> None:
    mark = project.path / "imported.txt"
    code = f"import pathlib\npathlib.Path({str(mark)!r}).write_text('imported')\n"
    (store(project) / "conftest.py").write_text(code)
    (store(project) / "billing" / "conftest.py").write_text(code)
    (store(project) / "billing" / "compute_invoice" / "conftest.py").write_text(code)
    result = project.runpytest("-q")
    assert not mark.exists()
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(["*billing/conftest.py is Python code inside the golden store*"])


# -- links are refused, never followed -------------------------------------------------


def test_a_linked_module_folder_is_refused(project: pytest.Pytester, outside: Path) -> None:
    (outside / "compute_invoice").mkdir()
    shutil.copy(case_files(project)[0], outside / "compute_invoice")
    (store(project) / "shop").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    for flags in ((), ("--golden-prune",), ("--golden-update",), ("--golden-record=all",)):
        result = project.runpytest("-q", *flags)
        result.assert_outcomes(passed=2, failed=1)
        result.stdout.fnmatch_lines(["*tests/golden/shop is a symbolic link*"])
    assert snapshot(outside) == before


def test_prune_refuses_links_naming_them(project: pytest.Pytester, outside: Path) -> None:
    target = store(project) / "billing" / "compute_invoice"
    (target / "blobs").symlink_to(outside / "blobs", target_is_directory=True)
    (target / "case-00000000000000ff.json").symlink_to(outside / "case-0000000000000001.json")
    project.makepyfile(billing="def renamed(amount):\n    return amount\n")
    before = snapshot(outside)
    result = project.runpytest("-q", "--golden-prune")
    assert snapshot(outside) == before
    result.stdout.fnmatch_lines(
        [
            "not removed: *case-00000000000000ff.json: is a symbolic link; the store never writes or deletes through links*"
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # what could not be removed still fails


def test_update_refuses_a_linked_blobs_folder(project: pytest.Pytester, outside: Path) -> None:
    target = store(project) / "billing" / "compute_invoice"
    (target / "blobs").symlink_to(outside / "blobs", target_is_directory=True)
    masters = {p: p.read_bytes() for p in case_files(project)}
    change_billing(project)
    before = snapshot(outside)
    result = project.runpytest("-q", "--golden-update")
    assert snapshot(outside) == before
    assert {p: p.read_bytes() for p in case_files(project)} == masters
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*cannot be updated*blobs: is a symbolic link*"])


def test_fixture_masters_behind_a_link_are_neither_written_nor_removed(
    project: pytest.Pytester, outside: Path
) -> None:
    checks = store(project) / "__checks__"
    checks.mkdir()
    (checks / "test_values").symlink_to(outside, target_is_directory=True)
    project.makepyfile(
        test_values="""
        def test_value(golden):
            golden.check({"a": 1}, name="keep")
        """
    )
    before = snapshot(outside)
    for flags in (("--golden-record=new",), ("--golden-update",), ("--golden-prune",)):
        result = project.runpytest("-q", "--golden-no-items", *flags)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*__checks__/test_values: is a symbolic link*"])
    assert snapshot(outside) == before


# -- fields that would move a write ------------------------------------------------------


@pytest.mark.parametrize("flag", ["--golden-update", "--golden-record=all"])
def test_an_id_that_climbs_out_of_the_store_is_refused(
    project: pytest.Pytester, outside: Path, flag: str
) -> None:
    victim = case_files(project)[0]
    document = json.loads(victim.read_text())
    # store.case_path(case) is <target folder>/case-<id>.json: this id lands in `outside`
    climb = "/".join([".."] * (len(victim.parent.parts) + 1))
    document["id"] = f"{climb}{outside}/x"
    landing = os.path.normpath(victim.parent / f"case-{document['id']}.json")
    assert landing == str(outside / "x.json")
    victim.write_text(json.dumps(document))
    change_billing(project)
    before = snapshot(outside)
    result = project.runpytest("-q", flag)
    assert snapshot(outside) == before
    assert victim.read_text() == json.dumps(document)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*field 'id' is '../..*but the file is named case-*"])


def test_a_target_field_that_disagrees_with_its_folder_is_an_error(
    project: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = tmp_path_factory.mktemp("site-packages")
    mark = site / "imported.txt"
    (site / "tripwire_field.py").write_text(TRIPWIRE.format(mark=str(mark)))
    project.syspathinsert(site)
    victim = case_files(project)[0]
    document = json.loads(victim.read_text())
    document["target"] = "tripwire_field:run"
    victim.write_text(json.dumps(document))
    result = project.runpytest("-q", "--golden-update")
    assert not mark.exists()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*field 'target' names tripwire_field:run but the file is in the folder of*"]
    )


def test_an_unreplayable_case_is_an_error_not_a_pass_or_a_skip(project: pytest.Pytester) -> None:
    victim = case_files(project)[0]
    document = json.loads(victim.read_text())
    document["meta"]["unencodable"] = ["inputs.args[0]: a socket"]
    victim.write_text(json.dumps(document))
    for flags in ((), ("--golden-record=all",), ("--golden-update",)):
        result = project.runpytest("-q", *flags)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["*cannot be replayed*a socket*register a codec*"])
