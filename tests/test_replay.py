"""Replay and verify against today's code, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from legacy_harness.config import Config
from legacy_harness.errors import CodecError
from legacy_harness.record.recorder import recording
from legacy_harness.record.targets import resolve
from legacy_harness.replay import replay
from legacy_harness.report.summary import summarize
from legacy_harness.store import codec
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import (
    CHANGED,
    ERROR,
    PASSED,
    SKIPPED,
    VerifySession,
    iter_results,
)

STOCHASTIC = """
import random
import numpy as np

def simulate(n):
    draws = np.random.normal(size=n)
    pick = random.choice(["a", "b", "c"])
    return {"mean": float(draws.mean()), "pick": pick, "raw": draws}

class Model:
    def __init__(self):
        self.weights = None

    def fit(self, x):
        self.weights = np.random.randn(3) + x
        return None

def shout(text):
    print(text.upper())
    return len(text)
"""


def session_for(store: Path, tmp_path: Path) -> VerifySession:
    return VerifySession.open(Config(root=tmp_path, store=store))


def test_rng_is_restored_so_unseeded_stochastic_code_replays_exactly(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(STOCHASTIC)
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:simulate", f"{mod.__name__}:Model.fit"], store=store):
        mod.simulate(200)  # 200 floats: the array goes to a blob
        mod.Model().fit(1.0)
    np.random.seed(12345)  # a different global state now
    results = list(iter_results(session_for(store, tmp_path)))
    assert [r.status for r in results] == [PASSED, PASSED], [r.differences for r in results]
    assert list((store / mod.__name__ / "simulate" / "blobs").glob("*.npy"))


def test_changed_behaviour_reports_the_field(make_module, tmp_path: Path) -> None:
    mod = make_module(STOCHASTIC)
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:shout"], store=store):
        mod.shout("hello")
    mod.shout.__code__ = (lambda text: print(text) or len(text) + 1).__code__
    (result,) = iter_results(session_for(store, tmp_path))
    assert result.status == CHANGED
    paths = {d.path: d.kind for d in result.differences}
    assert paths["outcome"] == "value" and paths["stdout"] == "output changed"
    assert summarize([result]).exit_code == 1


def test_classes_outside_the_allow_list_are_never_imported(make_module, tmp_path: Path) -> None:
    mod = make_module("def f(x):\n    return x\n", name="shopx")
    store = GoldenStore(tmp_path / "golden")
    case_dir = store.target_dir("shopx:f")
    case_dir.mkdir(parents=True)
    document = {
        "format": 1, "target": "shopx:f", "id": "evil", "effects": {}, "output": {}, "meta": {},
        "inputs": {"args": [{"$object": "subprocess:Popen", "state": {"args": "rm -rf /"}}], "kwargs": {}},
        "outcome": {"returned": None},
    }  # fmt: skip
    (case_dir / "case-evil.json").write_text(json.dumps(document))
    stored = next(iter(store.iter_cases()))
    policy = codec.ClassPolicy(frozenset({"shopx"}))
    with pytest.raises(CodecError, match="subprocess:Popen is outside the allowed modules"):
        replay(stored.case, lambda name: b"", policy, target=resolve(f"{mod.__name__}:f"))  # type: ignore[union-attr]


def test_bad_value_tree_fails_that_case_only(make_module, tmp_path: Path) -> None:
    mod = make_module(STOCHASTIC)
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:shout"], store=store):
        mod.shout("a")
        mod.shout("b")
    first = sorted(GoldenStore(store).iter_paths())[0]
    document = json.loads(first.read_text())
    document["inputs"]["args"] = [{"$nonsense": 1}]
    first.write_text(json.dumps(document))
    results = sorted(iter_results(session_for(store, tmp_path)), key=lambda r: r.status)
    assert [r.status for r in results] == [ERROR, PASSED]
    assert first.name in (results[0].error or "") and "inputs" in (results[0].error or "")
    assert summarize(results).exit_code == 2


def test_unreplayable_case_is_skipped_with_reason(make_module, tmp_path: Path) -> None:
    mod = make_module("def make(n):\n    return (i for i in range(n))\n")
    store = tmp_path / "golden"
    with pytest.warns(UserWarning):
        with recording([f"{mod.__name__}:make"], store=store):
            mod.make(3)
    (result,) = iter_results(session_for(store, tmp_path))
    assert result.status == SKIPPED and "generator" in (result.error or "")


def test_target_removed_since_recording_is_an_error(make_module, tmp_path: Path) -> None:
    mod = make_module(STOCHASTIC)
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:shout"], store=store):
        mod.shout("x")
    del mod.shout
    (result,) = iter_results(session_for(store, tmp_path))
    assert result.status == ERROR and "has no 'shout'" in (result.error or "")


def test_update_case_rewrites_the_observation_and_keeps_inputs(make_module, tmp_path: Path) -> None:
    from legacy_harness.verify import update_case

    mod = make_module(STOCHASTIC)
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:simulate"], store=store):
        mod.simulate(100)
    session = session_for(store, tmp_path)
    (stored,) = [s for s in session.store.iter_cases()]
    mod.simulate.__code__ = (lambda n: {"mean": 0.0, "pick": "z", "raw": np.zeros(n)}).__code__
    status, accepted = update_case(session, stored)  # type: ignore[arg-type]
    assert status == "updated" and {d.path for d in accepted} >= {"outcome.mean", "outcome.pick"}
    (result,) = iter_results(session)
    assert result.status == PASSED
    reloaded = next(iter(session.store.iter_cases()))
    assert reloaded.case.inputs == stored.case.inputs  # type: ignore[union-attr]
