"""Seed control: determinism inside ``seeded``, restoration outside, honest reporting."""

from __future__ import annotations

import random
import sys
import types

import numpy as np
import pytest

from legacy_harness.stochastic import SeedReport, seeded, seeds_for


def _draw() -> tuple[float, float, float]:
    return random.random(), float(np.random.random()), float(np.random.default_rng().random())


def test_same_seed_same_draws_and_different_seed_differs() -> None:
    with seeded(7):
        a = _draw()
    with seeded(7):
        b = _draw()
    with seeded(8):
        c = _draw()
    assert a == b
    assert all(x != y for x, y in zip(a, c, strict=True))


def test_states_are_restored_on_exit() -> None:
    random.seed(123)
    np.random.seed(123)
    expected_random, expected_np = random.random(), np.random.random()
    random.seed(123)
    np.random.seed(123)
    with seeded(1):
        random.random()
        np.random.random(10)
    assert random.random() == expected_random
    assert np.random.random() == expected_np


def test_restored_even_when_the_block_raises() -> None:
    original = np.random.default_rng
    state = random.getstate()
    with pytest.raises(RuntimeError), seeded(3):
        random.random()
        raise RuntimeError("boom")
    assert random.getstate() == state
    assert np.random.default_rng is original


def test_unseeded_default_rng_is_deterministic_inside_and_random_outside() -> None:
    original = np.random.default_rng
    with seeded(5):
        first = np.random.default_rng().random(3)
        second = np.random.default_rng().random(3)
    with seeded(5):
        again = np.random.default_rng().random(3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, second)  # successive children are independent streams
    assert np.random.default_rng is original
    assert np.random.default_rng().random() != np.random.default_rng().random()


def test_explicit_seed_is_untouched() -> None:
    outside = np.random.default_rng(42).random(4)
    with seeded(9):
        inside = np.random.default_rng(42).random(4)
    assert np.array_equal(inside, outside)


def test_name_bound_before_entry_is_not_patched_and_report_says_so() -> None:
    from numpy.random import default_rng

    with seeded(2) as report:
        a = default_rng().random()
    with seeded(2):
        b = default_rng().random()
    assert a != b
    assert any("from numpy.random import default_rng" in s for s in report.not_controlled)


def test_decorator_reproduces_and_restores() -> None:
    @seeded(11)
    def sample() -> tuple[float, float, float]:
        return _draw()

    random.seed(0)
    before = random.getstate()
    assert sample() == sample()
    assert random.getstate() == before


def test_nested_use_of_one_instance_restores_each_level() -> None:
    ctx = seeded(4)
    random.seed(99)
    outer_state = random.getstate()
    with ctx:
        mid_state = random.getstate()
        with ctx:
            random.random()
        assert random.getstate() == mid_state
    assert random.getstate() == outer_state


def test_report_lists_controlled_and_uncontrolled() -> None:
    with seeded(3) as report:
        pass
    assert isinstance(report, SeedReport)
    assert report.seed == 3
    assert report.controlled[:3] == [
        "random",
        "numpy.random (global)",
        "numpy.random.default_rng (unseeded)",
    ]
    assert (
        "PYTHONHASHSEED (set iteration order; fixed at interpreter start: use verify --hashseed)"
        in report.not_controlled
    )
    assert "BLAS thread count (summation order; use verify --threads 1)" in report.not_controlled
    assert "seed 3" in str(report)


class _FakeTorch(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("torch")
        self.state = "initial"
        self.seeds: list[int] = []
        self.cuda = types.SimpleNamespace(is_available=lambda: False)

    def manual_seed(self, seed: int) -> None:
        self.seeds.append(seed)
        self.state = f"seeded-{seed}"

    def get_rng_state(self) -> str:
        return self.state

    def set_rng_state(self, state: str) -> None:
        self.state = state


def test_torch_controlled_only_when_already_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    with seeded(1) as report:
        pass
    assert "torch" not in report.controlled
    assert "torch" not in sys.modules  # seeded() never imports torch itself

    fake = _FakeTorch()
    monkeypatch.setitem(sys.modules, "torch", fake)
    with seeded(6) as report:
        assert fake.state == "seeded-6"
    assert "torch" in report.controlled
    assert fake.seeds == [6]
    assert fake.state == "initial"


def test_bad_seed_is_rejected() -> None:
    with pytest.raises(ValueError):
        seeded(-1)


def test_seeds_for_is_reproducible_and_distinct() -> None:
    a = seeds_for(0, 500)
    assert a == seeds_for(0, 500)
    assert len(set(a)) == 500
    assert all(isinstance(s, int) and 0 <= s < 2**32 for s in a)
    assert seeds_for(0, 10) == a[:10]
    assert seeds_for(1, 10) != a[:10]
    assert seeds_for(3, 0) == []
    with pytest.raises(ValueError):
        seeds_for(0, -1)
