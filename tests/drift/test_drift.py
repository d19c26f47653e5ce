"""drift: today's inputs against the recorded profile, on the bundled scoring example."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from cli_runner import run_cli
from paths import REPO
from scipy import stats as scipy_stats

from legacy_harness.config import config_from_table
from legacy_harness.drift import (
    DriftSettings,
    compare_profiles,
    observing,
    render_json,
    render_text,
    settings_from_config,
)
from legacy_harness.drift.compare import new_values_pvalue, psi, wasserstein
from legacy_harness.errors import ConfigError
from legacy_harness.outcomes import ExitCode
from legacy_harness.record.profile import InputProfile, ProfileBook

EXAMPLE = REPO / "examples" / "legacy_scoring"
TARGETS = ["scoring:score_applicant", "scoring:affordability", "scoring:risk_band"]
#: Leaves that do not depend on income: a shifted income must not name them.
UNMOVED = {
    ("scoring:score_applicant", f"applicant[{key!r}]")
    for key in ("age", "region", "employment", "debt", "prior_default", "id")
} | {("scoring:affordability", "debt")}
#: Leaves that depend on income (risk_band's points are computed from it).
INCOME = {
    ("scoring:score_applicant", "applicant['income']"),
    ("scoring:affordability", "income"),
    ("scoring:risk_band", "points"),
}


# -- the pieces ---------------------------------------------------------------------------


def test_wasserstein_and_the_new_values_test_match_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=700), rng.normal(0.3, 1.2, size=500)
    assert wasserstein(a, b) == pytest.approx(scipy_stats.wasserstein_distance(a, b))
    for new, size, recorded in [(1, 100, 100), (5, 300, 2000), (12, 50, 40)]:
        # every one of `new` unseen values fell in this run: hypergeometric, all successes
        expected = scipy_stats.hypergeom(size + recorded, size, new).pmf(new)
        assert new_values_pvalue(new, size, recorded) == pytest.approx(expected, rel=1e-9)
    assert new_values_pvalue(0, 10, 10) == 1.0


def test_psi_is_small_for_one_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(1)
    before = rng.normal(size=2000)
    assert psi(before, rng.normal(size=2000)) < 0.03
    assert psi(before, rng.normal(0.5, 1, size=2000)) > 0.2


def test_settings_come_from_the_drift_table_and_bad_ones_say_how_to_fix_them() -> None:
    assert settings_from_config({"drift": {"alpha": 0.01, "min_psi": 0.2}}) == DriftSettings(
        alpha=0.01, min_psi=0.2
    )
    config_from_table({"drift": {"alpha": 0.01}}, root=Path("."))  # a known key of the table
    with pytest.raises(ConfigError, match=r"unknown key 'alpa'; known keys: alpha"):
        settings_from_config({"drift": {"alpa": 0.01}})
    with pytest.raises(ConfigError, match="alpha must be between 0 and 1"):
        settings_from_config({"drift": {"alpha": 2}})


# -- the statistics, through the API ------------------------------------------------------


@pytest.fixture
def scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The example's modules, imported from a copy under their own names."""
    root = tmp_path / "legacy_scoring"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    for name in ("scoring", "run_batch"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(root))
    import run_batch

    yield run_batch
    for name in ("scoring", "run_batch"):
        sys.modules.pop(name, None)


def _day(
    run_batch: ModuleType, book_of: dict[str, InputProfile], seed: int, mode: str
) -> dict[str, InputProfile]:
    """One day of 3,000 applications, observed: the profiles of the three targets."""
    with observing(book_of) as book:
        for application in run_batch.applications(3000, seed, mode):
            try:
                run_batch.score_applicant(application)
            except ValueError:
                pass
    return book.profiles


def _recorded(run_batch: ModuleType, seed: int) -> dict[str, InputProfile]:
    """A recorded profile, as it comes back from its file."""
    book = ProfileBook()
    from legacy_harness.record.targets import Patch, function_copy, resolve

    patches = []
    for spec in TARGETS:
        target = resolve(spec)
        patch = Patch(target, book.feeding(target, function_copy(target.function)))
        patch.apply()
        patches.append(patch)
    try:
        for application in run_batch.applications(3000, seed):
            try:
                run_batch.score_applicant(application)
            except ValueError:
                pass
    finally:
        for patch in patches:
            patch.undo()
    return {
        k: InputProfile.from_tree(json.loads(json.dumps(v.to_tree())))
        for k, v in book.profiles.items()
    }


def test_a_day_from_the_same_distribution_passes_in_99_of_100_seeds(scoring: ModuleType) -> None:
    baseline = _recorded(scoring, seed=1)
    assert sorted(baseline) == sorted(TARGETS)
    passed = 0
    named: list[str] = []
    for seed in range(100, 200):
        report = compare_profiles(baseline, _day(scoring, baseline, seed, "same"))
        assert len(report.leaves) >= 10
        if not report.moved:
            passed += 1
        named += [leaf.name for leaf in report.moved]
    assert passed >= 99, named


def test_a_shifted_income_and_a_new_region_are_named_and_nothing_else(scoring: ModuleType) -> None:
    baseline = _recorded(scoring, seed=1)
    shifted = compare_profiles(baseline, _day(scoring, baseline, 7, "shifted"))
    moved = {(leaf.target, leaf.leaf) for leaf in shifted.moved}
    assert ("scoring:score_applicant", "applicant['income']") in moved
    assert ("scoring:affordability", "income") in moved
    assert moved <= INCOME and not moved & UNMOVED
    income = next(leaf for leaf in shifted.moved if leaf.leaf == "applicant['income']")
    assert income.psi is not None and income.psi > 0.1 and income.shift is not None
    assert shifted.exit_code is ExitCode.CHANGED

    region = compare_profiles(baseline, _day(scoring, baseline, 8, "new-region"))
    assert [leaf.name for leaf in region.moved] == ["scoring:score_applicant applicant['region']"]
    assert region.moved[0].new_values[0][0] == "'islands'"
    text = render_text(region)
    assert "never seen when recording: 'islands'" in text
    assert "applicant['income']" not in text


# -- the command, as a user runs it -------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drift") / "legacy_scoring"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    targets = [word for target in TARGETS for word in ("--target", target)]
    done = run_cli(root, "record", *targets, "--", "run_batch.py", "--seed", "1")
    assert done.returncode == 0, done.stderr
    return root


def test_drift_exits_0_on_a_day_like_the_recorded_one(recorded: Path) -> None:
    done = run_cli(recorded, "drift", "--", "run_batch.py", "--seed", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scored 2" in done.stdout  # the program's own output is untouched
    assert "legacy-harness drift: no input moved" in done.stdout
    assert not list(recorded.glob("tests/golden/**/case-*.tmp*"))


def test_drift_names_the_shifted_income_with_histograms_and_advice(recorded: Path) -> None:
    before = sorted(
        p.read_bytes() for p in (recorded / "tests" / "golden").rglob("*") if p.is_file()
    )
    done = run_cli(recorded, "drift", "--", "run_batch.py", "--seed", "3", "--mode", "shifted")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "MOVED scoring:score_applicant applicant['income'] (numbers)" in out
    assert "ks: statistic" in out and "PSI" in out and "Wasserstein" in out
    assert "recorded (n=" in out and "this run (n=" in out and "█" in out and "#" in out
    assert "legacy-harness record --mode new" in out and "legacy-harness characterize" in out
    for _, leaf in UNMOVED:
        assert f"MOVED scoring:score_applicant {leaf}" not in out
    after = sorted(
        p.read_bytes() for p in (recorded / "tests" / "golden").rglob("*") if p.is_file()
    )
    assert after == before  # drift stores nothing


def test_drift_json_names_a_new_region(recorded: Path) -> None:
    done = run_cli(
        recorded,
        "drift",
        "--format",
        "json",
        "--",
        "run_batch.py",
        "--seed",
        "4",
        "--mode",
        "new-region",
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # the program printed to stderr: stdout is the report
    assert report["moved_leaves"] == ["scoring:score_applicant applicant['region']"]
    region = next(leaf for leaf in report["leaves"] if leaf["leaf"] == "applicant['region']")
    assert region["new_values"][0]["value"] == "'islands'"
    assert {test["test"] for test in region["tests"]} == {"chi-square", "new values"}
    assert report["exit_code"] == 1 and report["settings"]["alpha"] == 0.05


def test_drift_without_a_profile_or_a_program_is_one_error_line(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "p")
    (tmp_path / "p" / "tests" / "golden").mkdir(parents=True)
    done = run_cli(tmp_path / "p", "drift", "--", "run_batch.py")
    assert done.returncode == 2
    assert done.stderr.startswith("error: legacy-harness drift: no input profile for any target")
    done = run_cli(tmp_path / "p", "drift")
    assert done.returncode == 2 and "nothing to run" in done.stderr


def test_render_json_is_plain_data(scoring: ModuleType) -> None:
    baseline = _recorded(scoring, seed=1)
    report = compare_profiles(baseline, _day(scoring, baseline, 9, "same"))
    data = json.loads(render_json(report))
    assert data["moved"] is False and data["moved_leaves"] == []
    assert {leaf["leaf"] for leaf in data["leaves"]} >= {"applicant['income']", "points"}
