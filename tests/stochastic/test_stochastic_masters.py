"""Statistical masters end to end: record --runs, verify --stochastic, --sequential, --hashseed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli

from legacy_harness.stochastic.masters import build_distribution, sample_leaves

TRAINER = '''
import numpy as np

def train(data, epochs=3):
    """SGD-style estimate of the mean: global np.random for init and shuffling."""
    w = np.random.randn() * 0.1
    history = []
    for _ in range(epochs):
        for i in {ORDER}:
            w += 0.05 * (data[i] - w)
        history.append(float(w))
    return {"w": float(w), "history": history, "n": len(data)}

def total(values):
    return sum(values)

def bag(words):
    return list(set(words))
'''
PERMUTATION = "np.random.permutation(len(data))"
SAME_DISTRIBUTION = "np.argsort(np.random.random(len(data)))"  # another uniform shuffle
RUNNER = """
import numpy as np
from trainer import train, total, bag
np.random.seed(7)
data = list(np.random.normal(3.0, 1.0, size=40))
train(data)
total([1, 2, 3])
bag(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"])
"""


cli = run_cli


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stochastic")
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "trainer.py").write_text(TRAINER.replace("{ORDER}", PERMUTATION))
    (root / "run.py").write_text(RUNNER)
    done = cli(root, "record", "-t", "trainer:train", "-t", "trainer:total", "--runs", "120", "--", "run.py",
               env={"PYTHONHASHSEED": "0"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root


def test_record_runs_stores_samples_only_where_results_vary(recorded: Path) -> None:
    cases = {
        json.loads(p.read_text())["target"]: json.loads(p.read_text())
        for p in (recorded / "golden").rglob("case-*.json")
    }
    distribution = cases["trainer:train"]["distribution"]
    assert distribution["runs"] == 120 and len(set(distribution["seeds"])) == 120
    assert "$ndarray" in distribution["numeric"]["samples"]
    assert "distribution" not in cases["trainer:total"]


def test_record_runs_advises_with_plan(tmp_path: Path) -> None:
    (tmp_path / "trainer.py").write_text(TRAINER.replace("{ORDER}", PERMUTATION))
    (tmp_path / "run.py").write_text(RUNNER)
    done = cli(
        tmp_path,
        "record",
        "-t",
        "trainer:train",
        "-t",
        "trainer:total",
        "--runs",
        "40",
        "--",
        "run.py",
    )
    assert "trainer:train case-" in done.stderr and "statistical master stored" in done.stderr
    assert "trainer:total case-" in done.stderr and "exact master only" in done.stderr
    assert "advice: record 40 reference runs and replay" in done.stderr


def test_unchanged_code_passes_both_ways(recorded: Path) -> None:
    assert cli(recorded, "verify", "trainer:train").returncode == 0
    done = cli(recorded, "verify", "--stochastic")
    assert done.returncode == 0, done.stdout


@pytest.fixture
def project(recorded: Path, tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "p"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_new_random_stream_same_distribution_fails_exact_passes_statistical(project: Path) -> None:
    (project / "trainer.py").write_text(TRAINER.replace("{ORDER}", SAME_DISTRIBUTION))
    exact = cli(project, "verify", "--exact", "trainer:train")
    assert exact.returncode == 1 and "outcome.w" in exact.stdout
    default = cli(project, "verify", "trainer:train")  # the statistical master decides
    assert default.returncode == 0, default.stdout
    statistical = cli(project, "verify", "--stochastic", "trainer:train")
    assert statistical.returncode == 0, statistical.stdout


def test_real_behaviour_change_fails_both(project: Path) -> None:
    (project / "trainer.py").write_text(
        TRAINER.replace("{ORDER}", PERMUTATION).replace("0.05 *", "0.08 *")
    )
    assert cli(project, "verify", "--exact", "trainer:train").returncode == 1
    assert cli(project, "verify", "trainer:train").returncode == 1
    statistical = cli(project, "verify", "--stochastic", "trainer:train")
    assert statistical.returncode == 1
    assert "moved:" in statistical.stdout and "master (n=120)" in statistical.stdout


def test_sequential_mode_stops_early_on_a_clear_change(project: Path) -> None:
    (project / "trainer.py").write_text(
        TRAINER.replace("{ORDER}", PERMUTATION).replace("0.05 *", "0.5 *")
    )
    done = cli(project, "verify", "--stochastic", "--sequential", "trainer:train")
    assert done.returncode == 1
    runs = int(done.stdout.split("sequential test: reject after ")[1].split()[0])
    assert runs < 20


def test_hashseed_pins_set_order_in_a_subprocess(project: Path) -> None:
    done = cli(project, "record", "-t", "trainer:bag", "--", "run.py", env={"PYTHONHASHSEED": "0"})
    assert done.returncode == 0, done.stderr
    pinned = cli(
        project,
        "verify",
        "--hashseed",
        "0",
        "--threads",
        "1",
        "trainer:bag",
        env={"PYTHONHASHSEED": "random"},
    )
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert "PYTHONHASHSEED=0" in pinned.stderr
    other = cli(project, "verify", "--hashseed", "1", "trainer:bag")
    assert other.returncode == 1


def test_sample_leaves_summarises_large_arrays_and_keeps_small_ones() -> None:
    view = {
        "outcome": {
            "big": np.arange(100.0),
            "small": np.array([1.0, 2.0]),
            "label": "x",
            "flag": True,
        },
        "effects": {},
    }
    leaves = sample_leaves(view)
    assert leaves["outcome.big#mean"] == 49.5 and leaves["outcome.big#max"] == 99.0
    assert (
        leaves["outcome.small[1]"] == 2.0
        and leaves["outcome.label"] == "x"
        and leaves["outcome.flag"] is True
    )
    raised = sample_leaves({"raised": {"type": "builtins.ValueError"}, "effects": {}})
    assert raised == {"raised.type": "builtins.ValueError"}


def test_build_distribution_flags_strings_that_never_repeat() -> None:
    samples = [
        {"outcome.id": f"run-{i}", "outcome.x": float(i % 3), "outcome.kind": "a"} for i in range(6)
    ]
    distribution = build_distribution(samples, list(range(6)))
    assert distribution.unstable == ["outcome.id"]
    # two runs in parallel processes may read the same clock tick: still unstable
    stamps = [{"outcome.at": f"12:00:{i // 2 if i < 2 else i}"} for i in range(20)]
    assert build_distribution(stamps, list(range(20))).unstable == ["outcome.at"]
    few = [{"outcome.pick": f"word-{i % 12}"} for i in range(20)]  # repeats: a distribution
    assert build_distribution(few, list(range(20))).unstable == []
    assert distribution.varying == ["outcome.x", "outcome.id"]
    assert distribution.numeric.shape == (6, 1)


def test_record_with_too_few_runs_warns_and_keeps_the_masters(tmp_path: Path) -> None:
    (tmp_path / "trainer.py").write_text(TRAINER.replace("{ORDER}", PERMUTATION))
    (tmp_path / "run.py").write_text(RUNNER)
    done = cli(tmp_path, "record", "-t", "trainer:train", "--runs", "10", "--", "run.py")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "warning: 10 reference runs cannot reach power 0.9" in done.stderr
    assert "statistical master stored" in done.stderr
    assert cli(tmp_path, "verify", "--stochastic", "trainer:train").returncode == 0
