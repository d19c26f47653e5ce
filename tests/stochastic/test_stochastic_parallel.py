"""Stochastic reruns spread over processes give the masters and verdicts of jobs=1."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli

from legacy_harness.config import load_config
from legacy_harness.parallel import Executor, LocalExecutor
from legacy_harness.stochastic.masters import CaseDistributionResult
from legacy_harness.stochastic.runner import record_distributions, verify_distributions
from legacy_harness.verify import VerifySession

MODULE = "ptrainer"  # a name no other test imports: the API tests import it here
TRAINER = '''
import numpy as np

def train(data, epochs=3):
    """SGD-style estimate of the mean: global np.random for init and shuffling."""
    w = np.random.randn() * 0.1
    history = []
    for _ in range(epochs):
        for i in np.random.permutation(len(data)):
            w += RATE * (data[i] - w)
        history.append(float(w))
    labels = ["low", "high"]
    return {"w": float(w), "history": history, "side": labels[int(w > 3.0)]}

def noisy_sum(values):
    return float(np.sum(values) + np.random.default_rng().normal())
'''
RUNNER = f"""
import numpy as np
from {MODULE} import train, noisy_sum
np.random.seed(7)
data = list(np.random.normal(3.0, 1.0, size=30))
train(data)
train(data[:12])
noisy_sum([1.0, 2.0, 3.0])
"""


def write_trainer(root: Path, rate: float) -> None:
    (root / f"{MODULE}.py").write_text(TRAINER.replace("RATE", repr(rate)))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with exact masters of three cases of two targets."""
    root = tmp_path_factory.mktemp("parallel")
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    write_trainer(root, 0.05)
    (root / "run.py").write_text(RUNNER)
    done = run_cli(
        root, "record", "-t", f"{MODULE}:train", "-t", f"{MODULE}:noisy_sum", "--", "run.py"
    )
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def copies(recorded: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    pair = []
    for name in ("one", "two"):
        shutil.copytree(recorded, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        pair.append(tmp_path / name)
    saved = sys.path[:]
    yield pair[0], pair[1]
    sys.path[:] = saved
    sys.modules.pop(MODULE, None)


def distributions(root: Path) -> dict[str, tuple[dict, dict[str, bytes]]]:
    """Per case file: its distribution tree and the blobs that tree refers to."""
    found = {}
    for path in sorted((root / "golden").rglob("case-*.json")):
        tree = json.loads(path.read_text()).get("distribution")
        if tree is None:
            continue
        text = json.dumps(tree)
        blobs = {
            blob.name: blob.read_bytes()
            for blob in (path.parent / "blobs").glob("*.npy")
            if blob.name in text
        }
        found[path.name] = (tree, blobs)
    return found


def summary(results: list[CaseDistributionResult]) -> list[tuple]:
    """Everything a report is made of, per case: seeds, samples, p-values, decisions."""
    return [
        (
            r.stored.case.id,
            r.current.seeds,
            r.current.numeric.tolist(),
            r.current.categorical.tolist(),
            [(t.leaf, t.result.name, t.result.pvalue, t.adjusted) for t in r.tests],
            r.sequential,
            r.missing,
        )
        for r in results
    ]


def test_recorded_masters_do_not_depend_on_the_executor(copies: tuple[Path, Path]) -> None:
    outcome = {}
    for root, executor in zip(copies, (LocalExecutor(1), LocalExecutor(2)), strict=True):
        sys.modules.pop(MODULE, None)  # each copy replays its own code
        sys.path[:] = [str(root)] + [p for p in sys.path if not p.startswith(str(root.parent))]
        with executor:
            recorded = record_distributions(runs=40, config=load_config(root), executor=executor)
        outcome[root] = [(r.stored.case.id, r.written, r.distribution.numeric) for r in recorded]
    one, two = (outcome[root] for root in copies)
    assert [(i, w) for i, w, _ in one] == [(i, w) for i, w, _ in two]
    assert sum(w for _, w, _ in one) == 3  # every case varies with the seed
    assert all(np.array_equal(a, b) for (_, _, a), (_, _, b) in zip(one, two, strict=True))
    assert distributions(copies[0]) == distributions(copies[1])


def test_verdicts_do_not_depend_on_the_executor(copies: tuple[Path, Path]) -> None:
    root = copies[0]
    record_distributions(runs=40, config=load_config(root))
    write_trainer(root, 0.08)  # a real change, so some tests fail and some pass
    sys.modules.pop(MODULE, None)
    session = VerifySession.open(load_config(root))
    executors: list[Executor] = [LocalExecutor(1), LocalExecutor(2)]
    fixed, sequential = [], []
    for executor in executors:
        with executor:
            fixed.append(summary(verify_distributions(session, runs=25, executor=executor)))
            sequential.append(
                summary(verify_distributions(session, sequential=True, executor=executor))
            )
    assert fixed[0] == fixed[1] and sequential[0] == sequential[1]
    assert {decision for *_, decision, _ in sequential[0]} <= {"accept", "reject"}
    assert any(decision == "reject" for *_, decision, _ in sequential[0])
    assert all(len(seeds) == 25 for _, seeds, *_ in fixed[0])


def test_command_line_jobs_give_the_same_masters_and_report(copies: tuple[Path, Path]) -> None:
    for root, jobs in zip(copies, ("1", "2"), strict=True):
        done = run_cli(root, "record", "-t", f"{MODULE}:train", "-t", f"{MODULE}:noisy_sum",
                       "--runs", "40", "--jobs", jobs, "--mode", "all", "--", "run.py")  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert distributions(copies[0]) == distributions(copies[1])
    root = copies[0]
    write_trainer(root, 0.09)
    reports = {}
    for jobs in ("1", "2"):
        for mode in ([], ["--sequential"]):
            done = run_cli(root, "verify", "--stochastic", *mode, "--jobs", jobs)
            assert done.returncode == 1, done.stdout + done.stderr
            reports[jobs, bool(mode)] = done.stdout
    assert reports["1", False] == reports["2", False]
    assert reports["1", True] == reports["2", True]
    assert "sequential test: reject after" in reports["2", True]


def test_jobs_from_the_configuration(recorded: Path, tmp_path: Path) -> None:
    root = tmp_path / "configured"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\njobs = 2\n')
    done = run_cli(root, "record", "-t", f"{MODULE}:noisy_sum", "--runs", "12", "--mode", "all",
                   "--", "run.py")  # fmt: skip
    assert done.returncode == 0 and "statistical master stored" in done.stderr, done.stderr
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\njobs = 0\n')
    bad = run_cli(root, "verify", "--stochastic")
    assert bad.returncode == 2
    assert "[tool.legacy_harness] jobs must be a positive integer" in bad.stderr
