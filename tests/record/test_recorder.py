"""Recording: what one case captures, and how the wrapper behaves."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import numpy as np
import pytest

from legacy_harness.record.recorder import Recorder, UnencodableValueWarning, record, recording
from legacy_harness.store import codec
from legacy_harness.store.disk import GoldenStore

LEGACY = """
import logging
import random
import numpy as np

log = logging.getLogger("legacy")

TAX = 0.2

def price(lines, customer):
    total = 0.0
    for line in lines:
        line["net"] = line["qty"] * line["unit"]
        total += line["net"]
    if total < 0:
        raise ValueError(f"negative total: {total}")
    print(f"priced {len(lines)} lines")
    log.warning("big order" if total > 100 else "small order")
    return round(total * (1 + TAX), 2)

def pure(x, y=1):
    return x + y

def noisy(n):
    return [random.random() for _ in range(n)], np.random.normal(size=n)

def gen(n):
    return (i for i in range(n))

class Item:
    def __init__(self, sku, quality):
        self.sku = sku
        self.quality = quality

class Inventory:
    def __init__(self):
        self.items = []
        self.log = []

    def age(self, days):
        for item in self.items:
            item.quality = max(0, item.quality - days)
        self.log.append(days)

    @classmethod
    def of(cls, skus):
        inv = cls()
        inv.items = [Item(s, 10) for s in skus]
        return inv

    @staticmethod
    def grade(q):
        return "A" if q > 5 else "B"

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
"""


def cases(store: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in GoldenStore(store).iter_paths()]


def test_function_case_captures_inputs_before_effects_output_and_logs(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(LEGACY)
    lines = [{"qty": 2, "unit": 10.0}]
    with recording([f"{mod.__name__}:price"], store=tmp_path / "golden"):
        assert mod.price(lines, "C1") == 24.0
    (case,) = cases(tmp_path / "golden")
    assert case["inputs"]["args"] == [[{"qty": 2, "unit": 10.0}], "C1"]  # before the mutation
    assert case["outcome"] == {"returned": 24.0}
    assert case["effects"] == {
        "lines": [{"qty": 2, "unit": 10.0, "net": 20.0, "$keys": ["qty", "unit", "net"]}]
    }
    assert case["output"]["stdout"] == "priced 1 lines\n"
    assert case["output"]["logs"] == [
        {"level": "WARNING", "logger": "legacy", "message": "small order"}
    ]
    assert "rng" not in case
    assert case["meta"]["origin"] == "recorded" and case["meta"]["source_hash"]


def test_exception_is_recorded_and_reraised(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    with recording([f"{mod.__name__}:price"], store=tmp_path):
        with pytest.raises(ValueError, match="negative total"):
            mod.price([{"qty": -1, "unit": 5.0}], "C2")
    (case,) = cases(tmp_path)
    raised = case["outcome"]["raised"]
    assert raised["type"] == "builtins.ValueError"
    assert raised["message"] == "negative total: -5.0"
    assert raised["args"] == ["negative total: -5.0"]
    assert case["effects"]["lines"][0]["net"] == -5.0


def test_stdout_still_reaches_the_user(make_module, tmp_path: Path, capsys) -> None:
    mod = make_module(LEGACY)
    with recording([f"{mod.__name__}:price"], store=tmp_path):
        mod.price([{"qty": 1, "unit": 1.0}], "C")
    assert "priced 1 lines" in capsys.readouterr().out


def test_method_effects_on_self_and_objects_in_lists(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    inventory = mod.Inventory.of(["a", "b"])
    with recording([f"{mod.__name__}:Inventory.age"], store=tmp_path):
        assert inventory.age(3) is None
    (case,) = cases(tmp_path)
    before = case["inputs"]["self"]["state"]
    after = case["effects"]["self"]["state"]
    assert [item["state"]["quality"] for item in before["items"]] == [10, 10]
    assert [item["state"]["quality"] for item in after["items"]] == [7, 7]
    assert after["log"] == [3]
    assert case["outcome"] == {"returned": None}
    assert "days" not in case["effects"]


def test_classmethod_and_staticmethod_targets(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    name = mod.__name__
    with recording([f"{name}:Inventory.of", f"{name}:Inventory.grade"], store=tmp_path):
        mod.Inventory.of(["x"])
        assert mod.Inventory().grade(7) == "A"
    got = {c["target"]: c for c in cases(tmp_path)}
    assert got[f"{name}:Inventory.grade"]["inputs"]["args"] == [7]
    assert got[f"{name}:Inventory.of"]["outcome"]["returned"]["$object"] == f"{name}:Inventory"
    assert "self" not in got[f"{name}:Inventory.of"]["inputs"]


def test_from_import_before_and_after_start_are_both_captured(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    early = make_module(f"from {mod.__name__} import pure\n\ndef go():\n    return pure(1)\n")
    with recording([f"{mod.__name__}:pure"], store=tmp_path):
        late = make_module(f"from {mod.__name__} import pure\n\ndef go():\n    return pure(2)\n")
        early.go()
        late.go()
    assert sorted(c["inputs"]["args"][0] for c in cases(tmp_path)) == [1, 2]
    assert early.pure is mod.pure  # unpatched again


def test_identical_inputs_are_deduplicated_and_cap_drops_calls(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    with recording([f"{mod.__name__}:pure"], store=tmp_path, max_cases=3) as recorder:
        for x in [1, 1, 2, 2, 3, 4, 5]:
            mod.pure(x)
    stats = recorder.summary().targets[0]
    assert len(cases(tmp_path)) == 3
    assert stats.cases == 3 and stats.dropped == 2
    assert "cap reached: 2 later calls not recorded" in recorder.summary().render()


def test_recursive_target_records_outermost_call_only(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    with recording([f"{mod.__name__}:fib"], store=tmp_path):
        assert mod.fib(6) == 8
    assert [c["inputs"]["args"] for c in cases(tmp_path)] == [[6]]


def test_rng_state_is_stored_only_when_the_call_draws(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    random.seed(1)
    np.random.seed(1)
    with recording([f"{mod.__name__}:noisy", f"{mod.__name__}:pure"], store=tmp_path):
        mod.noisy(3)
        mod.pure(1)
    got = {c["target"].split(":")[1]: c for c in cases(tmp_path)}
    assert set(got["noisy"]["rng"]) == {"random", "numpy"}
    assert "rng" not in got["pure"]


def test_unencodable_value_warns_and_marks_case_not_replayable(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with recording([f"{mod.__name__}:gen"], store=tmp_path):
            list(mod.gen(2))
    assert any(
        issubclass(w.category, UnencodableValueWarning) and "register_codec" in str(w.message)
        for w in caught
    )
    (case,) = cases(tmp_path)
    assert case["outcome"]["returned"]["$unencodable"].endswith("generator")
    assert case["meta"]["unencodable"]


def test_rerecording_same_behaviour_changes_no_byte(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    for _ in range(2):
        with recording([f"{mod.__name__}:price"], store=tmp_path, mode="all"):
            mod.price([{"qty": 3, "unit": 0.1}], "C")
        (path,) = GoldenStore(tmp_path).iter_paths()
        snapshot = path.read_bytes()
    assert path.read_bytes() == snapshot
    assert b"0.30000000000000004" in snapshot  # exact float round trip


def test_record_decorator_records_every_call(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    decorated = record(store=tmp_path)(mod.pure)
    mod.pure = decorated
    assert decorated(2, y=3) == 5
    (case,) = cases(tmp_path)
    assert case["inputs"] == {"args": [2], "kwargs": {"y": 3}}
    assert decorated.__wrapped__ is not None


def test_recorder_unpatches_even_when_the_block_raises(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    code = mod.pure.__code__
    with pytest.raises(RuntimeError):
        with recording([f"{mod.__name__}:pure"], store=tmp_path):
            assert mod.pure.__code__ is not code
            raise RuntimeError("boom")
    assert mod.pure.__code__ is code
    assert not [name for name in vars(mod) if name.startswith("__legacy_harness_hook")]
    assert "__signature__" not in vars(mod.pure)


def test_references_taken_before_recording_are_captured(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    inventory = mod.Inventory.of(["a"])
    bound = inventory.age  # a bound method taken before recording starts
    callbacks = {"price": mod.pure}  # a registry holding the function itself
    with recording([f"{mod.__name__}:Inventory.age", f"{mod.__name__}:pure"], store=tmp_path):
        import inspect

        assert list(inspect.signature(mod.pure).parameters) == ["x", "y"]
        bound(2)
        assert callbacks["price"](5) == 6
    assert {c["target"].split(":")[1] for c in cases(tmp_path)} == {"Inventory.age", "pure"}


def test_methods_using_super_keep_working_while_recorded(make_module, tmp_path: Path) -> None:
    mod = make_module(
        """
        class Base:
            def total(self, x):
                return x + 1

        class Child(Base):
            def total(self, x):
                return super().total(x) * 2
        """
    )
    with recording([f"{mod.__name__}:Child.total", f"{mod.__name__}:Base.total"], store=tmp_path):
        assert mod.Child().total(3) == 8
    assert {c["target"].split(":")[1] for c in cases(tmp_path)} == {"Child.total", "Base.total"}


def test_case_id_is_a_stable_hash_of_the_inputs(make_module, tmp_path: Path) -> None:
    mod = make_module(LEGACY)
    recorder = Recorder([f"{mod.__name__}:pure"], tmp_path)
    recorder.start()
    mod.pure(10)
    recorder.stop()
    (case,) = cases(tmp_path)
    expected = codec.tree_hash({"target": f"{mod.__name__}:pure", "inputs": case["inputs"]})
    assert case["id"] == expected


def test_output_of_other_threads_is_not_captured_into_a_call(make_module, tmp_path: Path) -> None:
    mod = make_module(
        """
        import logging
        import threading

        def work(started, release):
            started.set()
            release.wait(5)
            print("from the call")
            logging.getLogger("legacy").warning("call log")
            return 1
        """
    )
    import threading

    started, release = threading.Event(), threading.Event()

    def noisy() -> None:
        started.wait(5)
        print("from another thread")
        logging.getLogger("legacy").warning("other thread log")
        release.set()

    import logging

    other = threading.Thread(target=noisy)
    other.start()
    with pytest.warns(UnencodableValueWarning):  # the events hold locks: not replayable
        with recording([f"{mod.__name__}:work"], store=tmp_path):
            mod.work(started, release)
    other.join()
    (case,) = cases(tmp_path)
    assert case["output"]["stdout"] == "from the call\n"
    assert [log["message"] for log in case["output"]["logs"]] == ["call log"]


def test_record_decorator_refuses_functions_replay_cannot_find(tmp_path: Path) -> None:
    from legacy_harness.errors import TargetError

    def local(x):
        return x

    decorated = record(store=tmp_path)(local)
    with pytest.raises(TargetError, match="only module-level functions"):
        decorated(1)


def test_system_exit_and_keyboard_interrupt_are_recorded_not_dropped(make_module, tmp_path) -> None:
    import pytest as _pytest

    from legacy_harness.config import config_from_table
    from legacy_harness.store.disk import GoldenStore
    from legacy_harness.verify import VerifySession, iter_results

    mod = make_module(
        "import sys\n"
        "def leave(code):\n"
        "    sys.exit(code)\n"
        "def stop():\n"
        "    raise KeyboardInterrupt\n"
    )
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:leave", f"{mod.__name__}:stop"], store=store):
        with _pytest.raises(SystemExit):
            mod.leave(3)
        with _pytest.raises(KeyboardInterrupt):
            mod.stop()
    cases = {item.case.target: item.case for item in GoldenStore(store).iter_cases()}
    assert (
        cases[f"{mod.__name__}:leave"].observation.outcome["raised"]["type"].endswith("SystemExit")
    )
    assert (
        "KeyboardInterrupt" in cases[f"{mod.__name__}:stop"].observation.outcome["raised"]["type"]
    )
    session = VerifySession.open(config_from_table({"store": "golden"}, root=tmp_path))
    statuses = {r.target: r.status for r in iter_results(session, [f"{mod.__name__}:leave"])}
    assert statuses == {f"{mod.__name__}:leave": "passed"}


@pytest.mark.parametrize("origin", ["recorded", "generated"])
def test_calls_past_the_cap_bypass_the_wrappers_and_are_all_counted(
    make_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, origin: str
) -> None:
    """Past the cap the next calls skip the wrappers, counted in advance; stop gives
    back what was counted but never made, so the summary counts every call exactly."""
    from legacy_harness.record import profile

    monkeypatch.setattr(profile, "EVERY_CALL", 10)
    mod = make_module(LEGACY)
    recorder = Recorder([f"{mod.__name__}:pure"], tmp_path, max_cases=1, origin=origin)
    recorder.start()
    try:
        results = [mod.pure(x) for x in [5] * 1000 + [6, 7]]
        state = recorder.patches[0].state
        assert state is not None and state.skip > 0  # calls are bypassing the wrappers now
    finally:
        summary = recorder.stop()
    assert results == [6] * 1000 + [7, 8]
    stats = summary.targets[0]
    assert stats.calls + stats.dropped == 1002 and stats.cases == 1
    assert mod.pure(1) == 2 and recorder.summary().targets[0].dropped == stats.dropped
    if origin == "recorded":  # the profile still reads its sample: the first 10, then 1 in 64
        tree = json.loads(profile.profile_path(tmp_path, f"{mod.__name__}:pure").read_text())
        assert tree["calls"] == 10 + len(range(64, 1003, 64))


def test_source_hash_is_of_the_target_code_not_the_trampoline(make_module, tmp_path: Path) -> None:
    """The hash is taken at the first case, while the target runs patched: it must still
    fingerprint the target's own source."""
    from legacy_harness.record.targets import source_hash

    mod = make_module(LEGACY)
    expected = source_hash(mod.pure)
    with recording([f"{mod.__name__}:pure"], store=tmp_path):
        mod.pure(3)
    assert [c["meta"]["source_hash"] for c in cases(tmp_path)] == [expected]
