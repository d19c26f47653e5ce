"""``check`` over a store on a real Dask cluster (LocalCluster on 127.0.0.1, two worker
processes) gives the verdicts, in the order, of a check in this process."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from distributed import Client, LocalCluster  # noqa: E402

from legacy_harness.check import CheckOptions, run_check  # noqa: E402
from legacy_harness.config import load_config  # noqa: E402
from legacy_harness.outcomes import CaseStatus, ExitCode  # noqa: E402
from legacy_harness.parallel import DaskExecutor  # noqa: E402
from legacy_harness.store import codec  # noqa: E402
from legacy_harness.store.case import GoldenCase, Observation  # noqa: E402
from legacy_harness.store.disk import GoldenStore  # noqa: E402

MODULE = "def triple(x):\n    return 3 * x if x != 13 else -1\n"


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as started,
    ):
        yield started


def make_store(root: Path, count: int) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "dask_calc.py").write_text(MODULE)
    store = GoldenStore(root / "golden")
    output = {"stdout": "", "stderr": "", "logs": []}
    for x in range(count):
        inputs = {"args": [x], "kwargs": {}}
        case_id = codec.tree_hash({"target": "dask_calc:triple", "inputs": inputs})
        observation = Observation({"returned": 3 * x}, {}, output)
        store.write(GoldenCase("dask_calc:triple", case_id, inputs, observation, None, {}))
    return root


def test_check_on_a_dask_cluster_matches_a_check_in_process(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_store(tmp_path / "proj", 60)
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    config = load_config(root)
    options = CheckOptions(jobs=1, allow_unreviewed=True)
    here = run_check(config, options)
    with DaskExecutor(client=client, project=config.pythonpath) as executor:
        assert executor.jobs == 2
        there = run_check(config, options, executor=executor)
    verdicts = lambda report: [(c.path, c.status, c.differences) for c in report.cases]  # noqa: E731
    assert verdicts(there) == verdicts(here)
    assert there.exit_code == here.exit_code == ExitCode.CHANGED
    assert [c.case_id for c in there.cases if c.status == CaseStatus.CHANGED] == [
        codec.tree_hash({"target": "dask_calc:triple", "inputs": {"args": [13], "kwargs": {}}})
    ]
    # both worker processes replayed cases: each imported the project's module
    loaded = client.run(lambda: "dask_calc" in __import__("sys").modules)
    assert list(loaded.values()) == [True, True]
