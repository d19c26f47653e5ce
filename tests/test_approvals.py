"""approvaltests integration: tolerant comparator, reporters by name, check_text."""

from __future__ import annotations

from pathlib import Path

import pytest

from legacy_harness.approvals import (
    ApprovalException,
    StoreNamer,
    TolerantComparator,
    configured_reporter,
    reporter_by_name,
    reporter_classes,
    text_differences,
    verify_text,
)
from legacy_harness.compare import Policy
from legacy_harness.errors import ConfigError

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI runs these tests with CI=true; the tests that want it set it themselves."""
    monkeypatch.delenv("CI", raising=False)


def test_text_numbers_compare_with_tolerance_and_the_rest_exactly() -> None:
    approved = "total: 10.5\nitems: 3\n"
    assert text_differences(approved, "total: 10.5000000001\nitems: 3\n") == []
    assert text_differences(approved, "total: 10.6\nitems: 3\n")[0].path == "[1][0]"
    assert text_differences(approved, "total: 10.5\nitems: 4\n")  # integers exactly
    changed = text_differences(approved, "sum: 10.5\nitems: 3\n")
    assert changed[0].kind == "output changed"
    loose = Policy().with_overrides(rtol=0.05)
    assert text_differences(approved, "total: 10.6\nitems: 3\n", loose) == []


def test_json_text_compares_structurally_with_path_globs() -> None:
    policy = Policy().with_overrides(paths={"metrics.*": {"atol": 0.01}})
    approved = '{"metrics": {"auc": 0.91}, "n": 3}'
    assert text_differences(approved, '{"n": 3, "metrics": {"auc": 0.905}}', policy) == []
    assert text_differences(approved, '{"n": 4, "metrics": {"auc": 0.91}}', policy)[0].path == "n"


def test_an_approvaltests_suite_gains_tolerance(tmp_path: Path) -> None:
    namer = StoreNamer(tmp_path, "report")
    Path(namer.get_approved_filename()).write_text("mean: 0.333333\n")
    with pytest.raises(ApprovalException):
        verify_text("mean: 0.333334", namer)
    verify_text("mean: 0.333334", namer, comparator=TolerantComparator(rtol=1e-5))
    assert not Path(namer.get_received_filename()).exists()
    strict = TolerantComparator()
    with pytest.raises(ApprovalException):
        verify_text("mean: 0.333334", namer, comparator=strict)
    assert strict.last_differences[0].path == "[1][0]"
    assert TolerantComparator(rtol=1e-5) == TolerantComparator(rtol=1e-5)


def test_reporters_by_name() -> None:
    assert type(reporter_by_name("native")).__name__ == "PythonNativeReporter"
    assert type(reporter_by_name("quiet")).__name__ == "ReportQuietly"
    assert type(reporter_by_name("DiffReporter")).__name__ == "DiffReporter"
    assert type(reporter_by_name("sh")).__name__ == "GenericDiffReporter"  # a program on PATH
    with pytest.raises(ConfigError, match="not a reporter"):
        reporter_by_name("no-such-diff-tool-anywhere")


def test_check_text_through_pytest_with_a_reporter(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makefile(".toml", pyproject='[tool.legacy_harness]\nstore = "golden"\n')
    pytester.makepyfile(
        test_text="""
        VALUE = 2.0

        def test_report(golden):
            golden.check_text(f"rows: 3\\nmean: {VALUE}")
        """
    )
    pytester.runpytest("-q", "--golden-record=new").assert_outcomes(passed=1)
    approved = pytester.path / "golden" / "__checks__" / "test_text" / "test_report"
    assert (approved / "0.approved.txt").read_text() == "rows: 3\nmean: 2.0\n"
    source = (pytester.path / "test_text.py").read_text()
    pytester.makepyfile(test_text=source.replace("VALUE = 2.0", "VALUE = 2.5"))
    result = pytester.runpytest("-q", "--golden-reporter=native")
    result.assert_outcomes(failed=1)
    # the native reporter printed its diff; our report names the number that changed
    result.stdout.fnmatch_lines(
        ["*[[]2[]][[]0[]]: value differs*", "*received: *", "-mean: 2.0", "+mean: 2.5"]
    )
    assert (approved / "0.received.txt").is_file()
    pytester.runpytest("-q", "--golden-update").assert_outcomes(passed=1)
    assert (approved / "0.approved.txt").read_text() == "rows: 3\nmean: 2.5\n"
    assert not (approved / "0.received.txt").exists()
    result = pytester.runpytest("-q", "--golden-reporter=no-such-diff-tool-anywhere")
    result.stderr.fnmatch_lines(["*not a reporter*"])


def test_every_approvaltests_reporter_name_works() -> None:
    classes = reporter_classes()
    assert {"PythonNativeReporter", "DiffReporter", "ReportWithMeldMergeLinux"} <= classes.keys()
    for name, cls in classes.items():
        try:
            cls()
        except TypeError:
            with pytest.raises(ConfigError, match="needs arguments"):
                reporter_by_name(name)
            continue
        assert type(reporter_by_name(name)) is cls, name
    short = {
        "PythonNative": "PythonNativeReporter",
        "pythonnative": "PythonNativeReporter",
        "MeldMergeLinux": "ReportWithMeldMergeLinux",
        "BeyondCompare": "ReportWithBeyondCompare",
        "Quietly": "ReportQuietly",
        "ThatAutomaticallyApproves": "ReporterThatAutomaticallyApproves",
        "approvaltests.reporters.PythonNativeReporter": "PythonNativeReporter",
    }
    for name, class_name in short.items():
        assert type(reporter_by_name(name)).__name__ == class_name, name


def test_the_users_default_reporter_is_respected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # imported here, after legacy_harness.approvals switched off approvaltests' downloads
    import approvaltests
    from approvaltests.core.reporter import Reporter

    class Recording(Reporter):
        """A reporter a user could set as approvaltests' default."""

        def __init__(self) -> None:
            self.calls: list[tuple[str, str]] = []

        def report(self, received_path: str, approved_path: str) -> bool:
            self.calls.append((received_path, approved_path))
            return True

    monkeypatch.delenv("APPROVAL_TESTS_USE_REPORTER", raising=False)
    namer = StoreNamer(tmp_path, "report")
    Path(namer.get_approved_filename()).write_text("total: 1\n")
    assert configured_reporter() is None
    with pytest.raises(ApprovalException):
        verify_text("total: 2", namer)  # nobody configured one: none runs
    mine = Recording()
    approvaltests.set_default_reporter(mine)
    try:
        assert configured_reporter() is mine
        with pytest.raises(ApprovalException):
            verify_text("total: 2", namer)
        assert mine.calls == [(namer.get_received_filename(), namer.get_approved_filename())]
        chosen = Recording()
        with pytest.raises(ApprovalException):
            verify_text("total: 2", namer, reporter=chosen)  # an explicit one wins
        assert len(chosen.calls) == 1 and len(mine.calls) == 1
    finally:
        approvaltests.set_default_reporter(None)
    monkeypatch.setenv("APPROVAL_TESTS_USE_REPORTER", "approvaltests.reporters.ReportQuietly")
    assert type(configured_reporter()).__name__ == "EnvironmentVariableReporter"


def test_check_text_runs_the_default_reporter_set_in_conftest(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject='[tool.legacy_harness]\nstore = "golden"\n')
    pytester.makeconftest(
        """
        import approvaltests
        from approvaltests.core.reporter import Reporter

        class Shout(Reporter):
            def report(self, received_path, approved_path):
                print("USER REPORTER RAN")
                return True

        approvaltests.set_default_reporter(Shout())

        def pytest_unconfigure(config):
            approvaltests.set_default_reporter(None)
        """
    )
    pytester.makepyfile(
        test_text="""
        VALUE = 1

        def test_report(golden):
            golden.check_text(f"value: {VALUE}")
        """
    )
    pytester.runpytest("-q", "--golden-record=new").assert_outcomes(passed=1)
    source = (pytester.path / "test_text.py").read_text()
    pytester.makepyfile(test_text=source.replace("VALUE = 1", "VALUE = 2"))
    result = pytester.runpytest("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*USER REPORTER RAN*"])
    chosen = pytester.runpytest("-q", "--golden-reporter=PythonNative")
    chosen.assert_outcomes(failed=1)
    chosen.stdout.fnmatch_lines(["-value: 1", "+value: 2"])
    assert "USER REPORTER RAN" not in chosen.stdout.str()
