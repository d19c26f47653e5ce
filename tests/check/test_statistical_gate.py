"""Statistical masters in the gate: a new order of random draws passes, a shift fails.

One case of a stochastic function is recorded with a statistical master (the API that
``record --runs`` calls); then the code changes and ``check``, ``verify`` and the pytest
items judge it. Every seed is fixed, so the verdicts are the same on every run.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from legacy_harness.cli import main
from legacy_harness.config import load_config
from legacy_harness.record.recorder import Recorder
from legacy_harness.schema import load_schema
from legacy_harness.stochastic.runner import record_distributions

jsonschema = pytest.importorskip("jsonschema", reason="the test extra: pip install -e .[test]")
pytest_plugins = ["pytester"]

SAMPLER = """
import numpy as np

def simulate(n):
    noise = np.random.normal(0.0, 1.0, size=n)
    jitter = np.random.uniform(0.0, 1.0, size=n)
    return {"level": float(noise.mean()), "spread": float(jitter.max()), "n": n}
"""
#: The same numbers drawn in another order: the distribution of each leaf is unchanged.
REORDERED = SAMPLER.replace(
    "    noise = np.random.normal(0.0, 1.0, size=n)\n    jitter = np.random.uniform(0.0, 1.0, size=n)\n",
    "    jitter = np.random.uniform(0.0, 1.0, size=n)\n    noise = np.random.normal(0.0, 1.0, size=n)\n",
)
#: ``level`` moved by one standard deviation of itself (the sd of a mean of n normals).
SHIFTED = SAMPLER.replace("float(noise.mean())", "float(noise.mean() + 1 / np.sqrt(n))")
N = 16

_names = itertools.count()


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """A project with one case of ``MODULE:simulate`` and its statistical master (60
    runs); returns a function that puts new code in place and gives the module name."""
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    module = f"sampler_{next(_names)}"
    root = pytester.path
    (root / "pyproject.toml").write_text(
        '[tool.legacy_harness]\nstore = "golden"\n[tool.legacy_harness.stochastic]\nalpha = 0.01\n'
    )
    (root / f"{module}.py").write_text(SAMPLER)
    pytester.syspathinsert()
    monkeypatch.chdir(root)
    recorder = Recorder([f"{module}:simulate"], root / "golden")
    recorder.start()
    try:
        np.random.seed(3)
        __import__(module).simulate(N)
    finally:
        recorder.stop()
    recorded = record_distributions(runs=60, seed=11, config=load_config(root))
    assert [r.written for r in recorded] == [True]

    def change(source: str) -> str:
        (root / f"{module}.py").write_text(source)
        sys.modules.pop(module, None)  # each run imports the code as it is now
        return module

    return change


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--allow-unreviewed", "--format", "json", *args])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, load_schema())
    return int(code), document


def test_a_new_order_of_draws_passes_check_verify_and_pytest(
    project: Callable[[str], str], pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    module = project(REORDERED)
    code, document = check_json(capsys)
    assert code == 0, document
    statistics = document["cases"][0]["statistics"]
    assert statistics["failed"] is False and statistics["master_runs"] == 60
    assert len(statistics["seeds"]) == statistics["runs"] >= 10
    level = [leaf for leaf in statistics["leaves"] if leaf["leaf"] == "outcome.level"]
    assert {leaf["test"] for leaf in level} == {"ks", "mann-whitney", "brown-forsythe"}
    # the leaf that never varies (n) is tested for equality, and stays exact
    (n_test,) = [leaf for leaf in statistics["leaves"] if leaf["leaf"] == "outcome.n"]
    assert n_test["test"] == "equality" and n_test["p_value"] == 1.0
    # the exact replay alone (recorded generator states) sees the new order
    assert main(["verify", "--exact", module + ":simulate"]) == 1
    assert "outcome.level" in capsys.readouterr().out
    assert main(["verify", module + ":simulate"]) == 0
    capsys.readouterr()
    sys.modules.pop(module, None)
    pytester.runpytest("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_one_sigma_shift_fails_check_verify_and_pytest(
    project: Callable[[str], str], pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    module = project(SHIFTED)
    code, document = check_json(capsys)
    assert code == 1
    case = document["cases"][0]
    assert case["status"] == "changed"
    assert [d["path"] for d in case["differences"]] == ["outcome.level"]
    moved = [leaf for leaf in case["statistics"]["leaves"] if leaf["failed"]]
    assert {leaf["leaf"] for leaf in moved} == {"outcome.level"}
    for leaf in moved:
        assert leaf["adjusted_p_value"] <= 0.01 and leaf["adjusted_p_value"] >= leaf["p_value"]
    location = next(leaf for leaf in moved if leaf["test"] == "mann-whitney")
    assert location["effect_size"] > 0  # today's level is higher
    # the text report shows the histogram pair of the leaf that moved
    assert main(["check", "--allow-unreviewed"]) == 1
    text = capsys.readouterr().out
    assert "outcome.level moved" in text and "master (n=60)" in text and "current (n=" in text
    assert main(["verify", module + ":simulate"]) == 1
    capsys.readouterr()
    sys.modules.pop(module, None)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*distribution changed*", "*outcome.level moved*"])


def test_verify_json_carries_the_statistics(
    project: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    module = project(SHIFTED)
    assert main(["verify", "--format", "json", module + ":simulate"]) == 1
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, load_schema())
    (case,) = document["cases"]
    assert case["status"] == "changed" and case["statistics"]["alpha"] == 0.01
    assert "outcome.level moved" in case["explanation"]
    assert main(["verify", "--alpha", "2"]) == 2
    assert "--alpha 2.0 must be between 0 and 1" in capsys.readouterr().err


def test_github_summary_and_an_ascii_console_show_the_histogram_pair(
    project: Callable[[str], str], pytester: pytest.Pytester
) -> None:
    from cli_runner import run_cli

    project(SHIFTED)
    summary = pytester.path / "summary.md"
    done = run_cli(
        pytester.path,
        "check",
        "--allow-unreviewed",
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "PYTHONIOENCODING": "ascii",
        },
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "::error" in done.stdout and "outcome.level moved" in done.stdout
    assert "=====" in done.stdout and "\u2588" not in done.stdout  # the master's bars in ASCII
    markdown = summary.read_text(encoding="utf-8")
    assert "outcome.level moved" in markdown and "\u2588\u2588\u2588" in markdown


def test_reruns_that_fail_make_the_case_an_error_not_a_crash(
    project: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import legacy_harness.stochastic.gate as gate

    project(REORDERED)

    def broken(*args: Any, **kwargs: Any) -> Any:
        if args[1]:  # a run with cases to judge
            raise RuntimeError("the sampler exploded")
        return {}

    monkeypatch.setattr(gate, "judge_statistically", broken)
    code, document = check_json(capsys)
    assert code == 2
    (case,) = document["cases"]
    assert case["status"] == "error" and "the sampler exploded" in case["error"]


def test_sequential_in_the_project_table_stops_at_the_decision(
    project: Callable[[str], str], pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(SHIFTED)
    pyproject = pytester.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "sequential = true\n")
    code, document = check_json(capsys)
    assert code == 1
    statistics = document["cases"][0]["statistics"]
    assert statistics["sequential"] == "reject"
    assert statistics["runs"] == len(statistics["seeds"]) < 32  # fewer than the planned runs
