"""Stochastic reruns on a real Dask cluster (LocalCluster on 127.0.0.1, two worker
processes) give the same masters and reports as reruns in this process."""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli

pytest.importorskip("distributed", reason="the dask extra is not installed")

from distributed import LocalCluster  # noqa: E402

from legacy_harness.config import load_config  # noqa: E402
from legacy_harness.errors import GoldenFileError, HarnessError  # noqa: E402
from legacy_harness.parallel import DaskExecutor, LocalExecutor, gather  # noqa: E402
from legacy_harness.record.recorder import recording  # noqa: E402
from legacy_harness.stochastic.runner import (  # noqa: E402
    record_distributions,
    verify_distributions,
)
from legacy_harness.verify import VerifySession  # noqa: E402

TRAINER = '''
import numpy as np

def train(data, epochs=2):
    """A small training loop: random init and shuffling from the global generator."""
    w = np.random.randn() * 0.1
    for _ in range(epochs):
        for i in np.random.permutation(len(data)):
            w += RATE * (data[i] - w)
    return {"w": float(w), "bias": float(np.random.default_rng().normal(0.0, 0.01))}
'''


def where(shared: str, item: int) -> tuple[str, int, int]:
    return shared, os.getpid(), item * 2


def broken(shared: object, item: int) -> int:
    raise GoldenFileError("golden/case.json", f"item {item} is unreadable")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # any free port: no clash with another cluster
        silence_logs=logging.ERROR,
    ) as started:
        yield started


def make_project(root: Path, module: str, rate: float = 0.05) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / f"{module}.py").write_text(TRAINER.replace("RATE", repr(rate)))
    (root / "run.py").write_text(
        f"import numpy as np\nfrom {module} import train\nnp.random.seed(3)\n"
        "train(list(np.random.normal(2.0, 1.0, size=25)))\n"
    )
    return root


def distributions(root: Path) -> list[tuple[str, np.ndarray]]:
    """Per case: the distribution tree as text and its numeric samples."""
    found = []
    for path in sorted((root / "golden").rglob("case-*.json")):
        tree = json.loads(path.read_text())["distribution"]
        node = tree["numeric"]["samples"]["$ndarray"]
        if "blob" in node:
            samples = np.load(path.parent / "blobs" / node["blob"])
        else:
            samples = np.asarray(node["data"], dtype=np.float64)
        found.append((json.dumps(tree, sort_keys=True), samples))
    return found


def test_executor_runs_on_both_workers_and_keeps_error_types(cluster: LocalCluster) -> None:
    with DaskExecutor(cluster.scheduler_address) as executor:
        assert executor.jobs == 2 and cluster.scheduler_address in executor.description
        found = gather(executor, where, list(range(12)), "shared")
        assert [item for _, _, item in found] == [2 * i for i in range(12)]
        assert {shared for shared, _, _ in found} == {"shared"}
        assert os.getpid() not in {pid for _, pid, _ in found}
        assert len({pid for _, pid, _ in found}) == 2
        with pytest.raises(GoldenFileError, match="item 0 is unreadable") as error:
            gather(executor, broken, [0])
        assert error.value.path == "golden/case.json"


def record_exact(root: Path, module: str) -> None:
    """Record the program's call of ``module:train`` in this process (no subprocess)."""
    sys.path.insert(0, str(root))
    trainer = importlib.import_module(module)
    data = list(np.random.RandomState(3).normal(2.0, 1.0, size=25))  # as run.py draws it
    with recording([f"{module}:train"], store=root / "golden"):
        trainer.train(data)


def use_copy(root: Path, module: str) -> None:
    """Import ``module`` from ``root`` from now on: replay refuses code outside the project."""
    sys.modules.pop(module, None)
    sys.path[:] = [str(root)] + [p for p in sys.path if not p.startswith(str(root.parent))]


@pytest.fixture
def clean_imports() -> Iterator[None]:
    saved, modules = sys.path[:], set(sys.modules)
    yield
    sys.path[:] = saved
    for name in set(sys.modules) - modules:
        if name.startswith("dtrainer"):
            del sys.modules[name]


@pytest.mark.usefixtures("clean_imports")
def test_api_reruns_on_dask_equal_local_ones(cluster: LocalCluster, tmp_path: Path) -> None:
    module = "dtrainer_api"
    one = make_project(tmp_path / "one", module)
    record_exact(one, module)
    two = tmp_path / "two"
    shutil.copytree(one, two)
    with DaskExecutor(cluster.scheduler_address) as executor:
        record_distributions(runs=40, config=load_config(one), executor=executor)
        session = VerifySession.open(load_config(one))
        for sequential in (False, True):
            runs = None if sequential else 20
            far = verify_distributions(session, runs=runs, sequential=sequential, executor=executor)
            near = verify_distributions(session, runs=runs, sequential=sequential)
            assert [r.current.numeric.tolist() for r in far] == [
                r.current.numeric.tolist() for r in near
            ]
            assert [(t.result.pvalue, t.adjusted) for r in far for t in r.tests] == [
                (t.result.pvalue, t.adjusted) for r in near for t in r.tests
            ]
            assert [r.sequential for r in far] == [r.sequential for r in near]
    use_copy(two, module)  # the same code from the other folder, as a second checkout runs it
    record_distributions(runs=40, config=load_config(two), executor=LocalExecutor(1))
    remote, local = distributions(one), distributions(two)
    assert [tree for tree, _ in remote] == [tree for tree, _ in local]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(remote, local, strict=True))


@pytest.mark.usefixtures("clean_imports")
def test_command_line_on_dask_equals_local_after_a_code_change(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    module = "dtrainer_cli"
    address = cluster.scheduler_address
    one = make_project(tmp_path / "one", module)
    record_exact(one, module)
    two = tmp_path / "two"
    shutil.copytree(one, two)
    remote = run_cli(one, "record", "-t", f"{module}:train", "--runs", "40",
                     "--executor", "dask", "--scheduler", address, "--", "run.py")  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    assert "1 calls, 1 cases (0 new" in remote.stderr  # the call recorded in this process
    assert "statistical master stored" in remote.stderr
    use_copy(two, module)
    record_distributions(runs=40, config=load_config(two))  # in this process
    (one_tree, one_samples), (two_tree, two_samples) = distributions(one)[0], distributions(two)[0]
    assert one_tree == two_tree and np.array_equal(one_samples, two_samples)
    # the workers imported the module for the recording: they must notice the change
    (one / f"{module}.py").write_text(TRAINER.replace("RATE", "0.3"))
    far = run_cli(one, "verify", "--stochastic", "--sequential", "--scheduler", address)
    near = run_cli(one, "verify", "--stochastic", "--sequential", "--jobs", "1")
    assert far.returncode == near.returncode == 1, far.stdout + far.stderr
    assert far.stdout == near.stdout and "sequential test: reject after" in far.stdout


@pytest.mark.usefixtures("clean_imports")
def test_workers_refuse_to_run_another_copy_of_the_code(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    for folder, value in ((here, 1), (there, 2)):
        folder.mkdir()
        (folder / "dtrainer_copy.py").write_text(f"VALUE = {value}\n")
    sys.path.insert(0, str(here))
    importlib.import_module("dtrainer_copy")  # this machine runs here/dtrainer_copy.py
    # the workers find there/dtrainer_copy.py first on their path
    with DaskExecutor(cluster.scheduler_address, project=[there, here]) as executor:
        with pytest.raises(HarnessError, match=r"module dtrainer_copy on this worker \(.*there"):
            gather(executor, where, [1], "x")
