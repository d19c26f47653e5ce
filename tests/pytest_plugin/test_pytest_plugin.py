"""The pytest plugin driven through pytester: stored cases as items, options, summary."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import legacy_harness.verify  # noqa: F401 - numpy imported once, before pytester's runs
from legacy_harness.record.recorder import Recorder
from legacy_harness.store.disk import GoldenStore

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI runs these tests with CI=true; the tests that want it set it themselves."""
    monkeypatch.delenv("CI", raising=False)


BILLING = """
def compute_invoice(amount, rate=0.2):
    print("invoice for", amount)
    return {"net": amount, "tax": round(amount * rate, 2)}
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project with billing.compute_invoice and three recorded cases of it."""
    monkeypatch.delenv("CI", raising=False)
    pytester.makefile(".toml", pyproject='[tool.legacy_harness]\nstore = "tests/golden"\n')
    pytester.makepyfile(billing=BILLING)
    pytester.mkdir("tests")
    pytester.syspathinsert()
    import billing  # type: ignore[import-not-found]

    recorder = Recorder(["billing:compute_invoice"], pytester.path / "tests" / "golden")
    recorder.start()
    try:
        for amount in (10, 20, 30):
            billing.compute_invoice(amount)
    finally:
        recorder.stop()
        sys.modules.pop("billing", None)  # each run imports the code as it is then
    return pytester


def change_billing(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(billing=source)
    shutil.rmtree(pytester.path / "__pycache__", ignore_errors=True)


def case_files(pytester: pytest.Pytester) -> list[Path]:
    return sorted((pytester.path / "tests" / "golden").glob("billing/*/case-*.json"))


def test_every_stored_case_is_an_item_with_a_readable_id(project: pytest.Pytester) -> None:
    result = project.runpytest("--co", "-q")
    ids = [line for line in result.outlines if "::" in line]
    assert len(ids) == 3
    assert all(i.startswith("tests/golden/billing/compute_invoice::case-") for i in ids)
    result = project.runpytest("-q")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*golden masters: 3 checked, 3 passed, 0 changed*0 unused*"])


def test_a_changed_case_fails_with_the_comparison_report(project: pytest.Pytester) -> None:
    change_billing(
        project, BILLING.replace("round(amount * rate, 2)", "round(amount * rate, 2) + 1")
    )
    result = project.runpytest("-q")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*billing:compute_invoice case *: behaviour changed (1 difference)",
            "outcome.tax: value differs",
            "*master: tests/golden/billing/compute_invoice/case-*.json",
        ]
    )
    assert "pytest_plugin.py" not in result.stdout.str()  # no traceback of the plugin
    result.stdout.fnmatch_lines(["*3 changed*"])


def test_k_x_and_last_failed_select_cases(project: pytest.Pytester) -> None:
    first = case_files(project)[0].stem
    result = project.runpytest("-q", "-k", first)
    result.assert_outcomes(passed=1, deselected=2)
    change_billing(project, BILLING.replace("amount * rate", "amount * rate * 2"))
    project.runpytest("-q").assert_outcomes(failed=3)
    result = project.runpytest("-q", "-x")
    result.assert_outcomes(failed=1)
    result = project.runpytest("-q", "--lf", "-k", first)
    result.assert_outcomes(failed=1, deselected=2)
    # one case by its file path
    result = project.runpytest("-q", str(case_files(project)[1]))
    result.assert_outcomes(failed=1)


def test_golden_update_rewrites_changed_masters_and_prints_the_changes(
    project: pytest.Pytester,
) -> None:
    change_billing(project, BILLING.replace('"tax"', '"vat"'))
    result = project.runpytest("-q", "--golden-update")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*3 updated*", "updated billing/compute_invoice/case-*.json:", "*outcome.vat*"]
    )
    assert all('"vat"' in p.read_text() for p in case_files(project))
    project.runpytest("-q").assert_outcomes(passed=3)


def test_golden_no_items_and_golden_store(project: pytest.Pytester) -> None:
    project.runpytest("-q", "--golden-no-items").assert_outcomes()
    moved = project.path / "elsewhere"
    (project.path / "tests" / "golden").rename(moved)
    # the store is given on the command line; default arguments do not reach it, so
    # the plugin adds it to what is collected
    result = project.runpytest("--co", "-q", "--golden-store", "elsewhere")
    result.stdout.fnmatch_lines(["elsewhere/billing/compute_invoice::case-*"])
    project.runpytest("-q", "--golden-store", "elsewhere").assert_outcomes(passed=3)


def test_unused_cases_of_a_removed_target_fail_the_run_then_are_pruned(
    project: pytest.Pytester,
) -> None:
    change_billing(project, "def renamed(amount):\n    return amount\n")
    result = project.runpytest("-q")
    result.stdout.fnmatch_lines(
        [
            "*0 checked*3 unused*",
            "unused masters fail the run (remove them with --golden-prune*",
            "*tests/golden/billing/compute_invoice/case-*.json: billing has no compute_invoice",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert len(case_files(project)) == 3
    warned = project.runpytest("-q", "--golden-warn-unused")
    warned.stdout.fnmatch_lines(["*3 unused*", "unused (not failing: --golden-warn-unused*"])
    assert warned.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # nothing ran, nothing failed
    result = project.runpytest("-q", "--golden-prune")
    result.stdout.fnmatch_lines(["removed:", "*case-*.json: billing has no compute_invoice"])
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert case_files(project) == []
    assert not (project.path / "tests" / "golden" / "billing" / "compute_invoice").exists()


def test_a_broken_case_file_is_an_error_not_a_crash(project: pytest.Pytester) -> None:
    broken = case_files(project)[0]
    broken.write_text("{ not json")
    result = project.runpytest("-q")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*is not valid JSON*", "*1 errors*"])


def test_under_xdist(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks="""
        def test_value(golden):
            golden.check({"a": 1.5})
        """
    )
    project.runpytest("-q", "--golden-record=new").assert_outcomes(passed=4)
    result = project.runpytest_subprocess("-q", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*golden masters: 4 checked, 4 passed, 0 changed*0 unused*"])
    change_billing(project, BILLING.replace("amount * rate", "amount * rate * 2"))
    result = project.runpytest_subprocess("-q", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        ["*outcome.tax: value differs*", "*4 checked, 1 passed, 3 changed*"]
    )


def test_missing_fixture_master_fails_under_ci(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(
        test_checks="""
        def test_value(golden):
            golden.check([1, 2, 3])
        """
    )
    monkeypatch.setenv("CI", "true")
    result = project.runpytest("-q", "--golden-record=new")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*CI=true, so masters are never created here*"])
    assert not (project.path / "tests" / "golden" / "__checks__").exists()
    monkeypatch.delenv("CI")
    project.runpytest("-q", "--golden-record=new").assert_outcomes(passed=4)


def test_seeded_marker_pins_generators_and_reports_them(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_seed="""
        import random
        import pytest

        @pytest.mark.seeded(7)
        def test_one():
            assert random.random() == random.Random(7).random()
            assert False, "show sections"
        """
    )
    result = project.runpytest("-q", "--golden-no-items")
    result.stdout.fnmatch_lines(["*Captured seeded call*", "seed 7: controlled random*"])
    assert "AssertionError: show sections" in result.stdout.str()


def test_unused_fixture_masters_are_judged_only_in_a_full_run(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks="""
        def test_kept(golden):
            golden.check(1, name="one")
            golden.check(2, name="two")

        def test_gone(golden):
            golden.check(3)
        """
    )
    project.runpytest("-q", "--golden-record=new").assert_outcomes(passed=5)
    project.makepyfile(
        test_checks="""
        def test_kept(golden):
            golden.check(1, name="one")
        """
    )
    partial = project.runpytest("-q", "-k", "kept")
    partial.stdout.fnmatch_lines(["*0 unused*"])
    partial = project.runpytest("-q", "--golden-prune", "-k", "kept")
    partial.stdout.fnmatch_lines(["*fixture masters not pruned: tests were selected with -k*"])
    full = project.runpytest("-q")
    full.stdout.fnmatch_lines(
        [
            "*2 unused*",
            "*tests/golden/__checks__/test_checks/test_gone/0.json: its test no longer exists",
            "*test_kept/two.json: its test passed without checking it",
        ]
    )
    project.runpytest("-q", "--golden-prune").stdout.fnmatch_lines(["removed:"])
    remaining = sorted(
        p.name for p in (project.path / "tests" / "golden" / "__checks__").rglob("*.json")
    )
    assert remaining == ["one.json"]


def test_a_failing_test_keeps_its_masters(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks="""
        def test_kept(golden):
            golden.check(1, name="one")
        """
    )
    project.runpytest("-q", "--golden-record=new").assert_outcomes(passed=4)
    project.makepyfile(
        test_checks="""
        def test_kept(golden):
            assert False
        """
    )
    result = project.runpytest("-q", "--golden-prune")
    result.stdout.fnmatch_lines(["*0 unused*"])
    assert list((project.path / "tests" / "golden" / "__checks__").rglob("one.json"))


def test_pythonpath_and_config_errors(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            """
            [tool.legacy_harness]
            store = "golden"
            pythonpath = ["src"]
            """
        ),
    )
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "pricing_src.py").write_text("def f(x):\n    return x * 2\n")
    GoldenStore(pytester.path / "golden")  # nothing recorded yet
    pytester.makepyfile(
        test_it="""
        def test_import(golden):
            import pricing_src
            golden.check(pricing_src.f(2))
        """
    )
    pytester.runpytest("-q", "--golden-record=new").assert_outcomes(passed=1)
    pytester.makefile(".toml", pyproject="[tool.legacy_harness]\nstroe = 1\n")
    result = pytester.runpytest("-q")
    result.stderr.fnmatch_lines(["*legacy-harness*unknown key 'stroe'*"])


def test_the_fixture_is_also_legacy_golden(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_names="""
        def test_same(golden, legacy_golden):
            assert golden is legacy_golden
            legacy_golden.check({"a": 1})
        """
    )
    project.runpytest("-q", "--golden-record=new", "--golden-no-items").assert_outcomes(passed=1)
    assert (project.path / "tests/golden/__checks__/test_names/test_same/0.json").is_file()


def test_a_golden_fixture_of_another_plugin_is_reported_not_shadowed(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        other_golden="""
        import pytest

        @pytest.fixture
        def golden():
            return "theirs"
        """,
        test_clash="""
        def test_theirs(golden):
            assert golden == "theirs"

        def test_ours(legacy_golden):
            legacy_golden.check({"a": 1})
        """,
    )
    result = project.runpytest("-p", "other_golden", "--golden-record=new", "--golden-no-items")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "legacy-harness: the fixture 'golden' belongs to plugin 'other_golden'"
            " (other_golden)*ask for 'legacy_golden'*-p no:other_golden*",
            "*PytestConfigWarning: the fixture 'golden' belongs to plugin 'other_golden'*",
        ]
    )
    # without the other plugin, `golden` is legacy-harness's fixture again
    alone = project.runpytest("-q", "--golden-no-items", "-k", "ours")
    alone.assert_outcomes(passed=1, deselected=1)
    assert "belongs to plugin" not in alone.stdout.str()
    clash = project.runpytest("-q", "--golden-no-items", "-k", "theirs")
    clash.assert_outcomes(failed=1, deselected=1)  # now `golden` is ours, not "theirs"


def test_loading_the_plugin_imports_no_module_of_the_project_or_numpy(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_modules="""
        import sys

        def test_nothing_heavy_was_loaded():
            assert "numpy" not in sys.modules
            assert "billing" not in sys.modules
        """
    )
    # the module's test runs first, after the store was collected: collecting imported
    # neither the code under test nor numpy (replaying the cases then does)
    result = project.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["test_modules.py::test_nothing_heavy_was_loaded PASSED*"])
    result.assert_outcomes(passed=4)
