"""The lean path of a recorded call: immutable arguments skip the snapshot after the
call and the encoding run, the generators are watched through raw readings, and what
the call did is redacted on the writer thread. Each shortcut must write the very bytes
the general path writes, and keep every secret off the disk."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from legacy_harness.record import observe, recorder
from legacy_harness.record.observe import RngWatch, rng_state
from legacy_harness.record.recorder import Recorder
from legacy_harness.store.disk import GoldenStore

MODULE = """
import random
import numpy as np

def small(a, b=0, *rest, **options):
    print("small", a)
    return a if not rest else (a, rest, sorted(options))

def shout(text):
    print(text)
    return "token=" + text

def draw(n):
    return random.random() * n

def gauss(n):
    return float(np.random.standard_normal()) + n

def still(n):
    return n
"""

ODD = [
    (1, 2),
    (2**60, True),
    (float("nan"), float("-inf")),
    ("caf\u00e9", b"\x00\xff"),
    ("lone \udc80 surrogate", None),
    ((1, (2.5, "x", (b"y",))), complex(1, -2)),
]


def _record(mod, store: Path, calls) -> dict[str, bytes]:
    rec = Recorder([f"{mod.__name__}:small"], store, max_cases=100)
    rec.start()
    try:
        calls(mod)
    finally:
        rec.stop()
    return {str(p.relative_to(store)): p.read_bytes() for p in GoldenStore(store).iter_paths()}


def _odd_calls(mod) -> None:
    for a, b in ODD:
        mod.small(a, b)
    mod.small(1, 2, 3, z=1, c=(2,))  # extra positionals, keywords out of order
    mod.small(1, **{"$odd": 1})  # a key the plain dict form cannot hold


def test_immutable_arguments_give_the_bytes_of_the_general_path(
    make_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = make_module(MODULE)
    fast = _record(mod, tmp_path / "fast", _odd_calls)
    monkeypatch.setattr(recorder, "immutable", lambda *args, **kwargs: False)
    general = _record(mod, tmp_path / "general", _odd_calls)
    assert len(fast) == len(ODD) + 2
    assert fast == general


def test_secrets_in_text_arguments_output_and_outcome_never_reach_disk(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(MODULE)
    secret = "sk_live_" + "a1B2c3D4e5F6g7H8i9J0k1L2"
    rec = Recorder([f"{mod.__name__}:shout"], tmp_path / "golden")
    rec.start()
    try:
        mod.shout(secret)
        mod.shout("plain")
    finally:
        rec.stop()
    texts = [p.read_text() for p in GoldenStore(tmp_path / "golden").iter_paths()]
    assert len(texts) == 2
    assert all(secret not in text for text in texts)
    assert sum('"redacted"' in text for text in texts) == 1


def _rng_cases(mod, store: Path) -> dict[str, dict]:
    import json

    targets = [f"{mod.__name__}:{name}" for name in ("draw", "gauss", "still")]
    rec = Recorder(targets, store, max_cases=100)
    rec.start()
    try:
        random.seed(3)
        np.random.seed(3)
        mod.draw(1)
        mod.still(1)
        np.random.standard_normal()  # a gaussian is now cached beside the twister
        mod.gauss(1)  # draws only that cached gaussian: the twister does not move
        mod.still(2)
        np.random.seed(4)
        mod.gauss(2)
    finally:
        rec.stop()
    found = {}
    for path in GoldenStore(store).iter_paths():
        case = json.loads(path.read_text())
        found[f"{case['target'].split(':')[1]}{case['inputs']['args']}"] = case
    return found


def test_rng_is_stored_exactly_when_drawn_with_raw_readings_or_whole_states(
    make_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = make_module(MODULE)
    raw = _rng_cases(mod, tmp_path / "raw")
    assert {name for name, case in raw.items() if "rng" in case} == {
        "draw[1]",
        "gauss[1]",
        "gauss[2]",
    }
    assert raw["gauss[1]"]["rng"]["numpy"]["has_gauss"] == 1
    monkeypatch.setattr(observe, "_python_twister", lambda: None)
    monkeypatch.setattr(observe, "_numpy_twister", lambda numpy: None)
    whole = _rng_cases(mod, tmp_path / "whole")
    assert whole == raw


def test_the_watch_gives_the_state_at_entry_only_after_a_draw() -> None:
    watch = RngWatch()
    assert observe._python_twister() is not None  # CPython: the raw reader is in use
    random.seed(8)
    np.random.seed(8)
    np.random.standard_normal()
    entry = rng_state()
    mark = watch.mark()
    assert watch.drawn(mark) is None
    random.random()
    np.random.standard_normal()
    drawn = watch.drawn(mark)
    assert drawn is not None
    assert drawn[0] == entry[0]
    assert drawn[1][0] == entry[1][0] and drawn[1][2:] == entry[1][2:]
    assert drawn[1][1].dtype == entry[1][1].dtype and (drawn[1][1] == entry[1][1]).all()


def test_a_key_rule_on_a_parameter_name_is_applied_as_on_the_general_path(
    make_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legacy_harness.record.redact import Redactor

    mod = make_module(MODULE)

    def run(store: Path) -> dict[str, bytes]:
        rec = Recorder([f"{mod.__name__}:small"], store, redactor=Redactor(keys=("b",)))
        rec.start()
        try:
            mod.small(1, 2)
            mod.small(1, b=3)
        finally:
            rec.stop()
        return {p.name: p.read_bytes() for p in GoldenStore(store).iter_paths()}

    fast = run(tmp_path / "fast")
    assert sum(b'"<redacted>"' in text for text in fast.values()) == 1  # the keyword one
    monkeypatch.setattr(recorder, "immutable", lambda *args, **kwargs: False)
    assert run(tmp_path / "general") == fast
