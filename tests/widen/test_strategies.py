"""Strategy inference: registered, type hints, recorded values of each supported type."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legacy_harness import strategies
from legacy_harness.errors import ConfigError
from legacy_harness.widen.infer import (
    Hints,
    boundary_values,
    mine_constants,
    parameter_strategy,
    strategy_for_values,
)


def draws(strategy: st.SearchStrategy[Any], n: int = 150) -> list[Any]:
    seen: list[Any] = []

    @settings(
        max_examples=n, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def collect(value: Any) -> None:
        seen.append(value)

    collect()
    return seen


@pytest.fixture
def clean_registry() -> Iterator[None]:
    yield
    keys: list[type | str] = [Decimal, "legacy:price:amount", "legacy:price:other"]
    for key in keys:
        strategies.unregister(key)


def test_register_by_type_and_by_name(clean_registry: None) -> None:
    by_type = st.decimals(0, 10, places=2)
    by_name = st.just(Decimal("1.50"))
    strategies.register(Decimal, by_type)
    strategies.register("legacy:price:amount", by_name)
    assert strategies.lookup_type(Decimal) is by_type
    assert strategies.lookup("legacy:price", "amount", Decimal) is by_name
    assert strategies.lookup("legacy:price", "other", Decimal) is by_type
    assert strategies.lookup("legacy:price", "other", int) is None
    strategies.unregister(Decimal)
    assert strategies.lookup_type(Decimal) is None


def test_register_refuses_bad_names_and_non_strategies() -> None:
    with pytest.raises(ConfigError, match="module:qualname:param"):
        strategies.register("price:amount", st.none())
    with pytest.raises(ConfigError, match="Hypothesis strategy"):
        strategies.register(int, 3)  # type: ignore[arg-type]


def test_lookup_by_type_follows_subclasses(clean_registry: None) -> None:
    class Money(Decimal):
        pass

    strategies.register(Decimal, st.just(Decimal(1)))
    assert strategies.lookup_type(Money) is not None


def test_registered_name_wins_over_hint_and_values(clean_registry: None) -> None:
    strategies.register("legacy:price:amount", st.just(7))
    strategy, source = parameter_strategy("legacy:price", "amount", int, [1, 2], Hints())
    assert source == "registered" and set(draws(strategy, 20)) == {7}


def test_registered_type_applies_to_recorded_values(clean_registry: None) -> None:
    strategies.register(Decimal, st.just(Decimal("9.99")))
    assert set(draws(strategy_for_values([Decimal("1.10")]), 20)) == {Decimal("9.99")}


def test_ints_cluster_around_observed_values_and_constants() -> None:
    values = draws(strategy_for_values([34, 41], Hints.of_values(numbers=[18])), 300)
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    assert {17, 18, 19} <= set(values)
    assert min(values) >= 17 - 12 and max(values) <= 41 + 15


def test_floats_stay_finite_and_hit_the_constant() -> None:
    values = draws(strategy_for_values([0.5, 2.5], Hints.of_values(numbers=[1.0])), 300)
    assert all(isinstance(v, float) and v == v for v in values)
    assert 1.0 in values


def test_strings_come_from_observed_values_and_source_constants() -> None:
    values = draws(strategy_for_values(["south"], Hints.of_values(strings=["capital"])), 200)
    assert {"south", "capital"} <= set(values)
    assert all(isinstance(v, str) for v in values)


def test_bools_none_and_mixed_types() -> None:
    assert set(draws(strategy_for_values([True]), 50)) == {True, False}
    assert set(draws(strategy_for_values([None]), 10)) == {None}
    mixed = draws(strategy_for_values([None, 3]), 100)
    assert None in mixed and any(isinstance(v, int) for v in mixed)


def test_containers_keep_their_observed_shapes() -> None:
    lists = draws(strategy_for_values([[1, 2], [3]]), 100)
    assert all(isinstance(v, list) and 1 <= len(v) <= 5 for v in lists)
    tuples = draws(strategy_for_values([(1, "a"), (2, "b")]), 50)
    assert all(
        isinstance(t, tuple) and isinstance(t[0], int) and isinstance(t[1], str) for t in tuples
    )
    sets = draws(strategy_for_values([frozenset({1, 2})]), 50)
    assert all(isinstance(v, frozenset) for v in sets)
    records = draws(
        strategy_for_values([{"qty": 2, "sku": "A"}, {"qty": 5, "sku": "B", "promo": True}]), 150
    )
    assert all({"qty", "sku"} <= set(r) <= {"qty", "sku", "promo"} for r in records)
    assert any("promo" in r for r in records) and any("promo" not in r for r in records)


class Color(enum.Enum):
    RED = 1
    BLUE = 2


def test_enums_draw_every_member() -> None:
    assert set(draws(strategy_for_values([Color.RED]), 50)) == {Color.RED, Color.BLUE}


class Account:
    constructed = 0

    def __init__(self, owner: str) -> None:
        Account.constructed += 1
        self.owner = owner
        self.balance = 0
        self.history: list[int] = []

    def deposit(self, amount: int) -> None:
        self.balance += amount
        self.history.append(amount)


def test_instances_are_rebuilt_from_recorded_state_without_init() -> None:
    a, b = Account("ann"), Account("bob")
    a.deposit(5)
    made = Account.constructed
    values = draws(strategy_for_values([a, b]), 100)
    assert Account.constructed == made  # rebuilt, never constructed
    assert all(
        type(v) is Account and set(vars(v)) == {"owner", "balance", "history"} for v in values
    )
    # fresh objects each time: a method that mutates one leaves the others alone
    values[0].deposit(3)
    assert all(v.history is not values[0].history for v in values[1:])


def test_type_hints_give_strategies_with_constants_mixed_in() -> None:
    strategy, source = parameter_strategy("m:f", "n", int, [], Hints.of_values(numbers=[100]))
    assert source == "type hint"
    assert 100 in draws(strategy, 200)
    strategy, source = parameter_strategy("m:f", "when", list[str], [], Hints())
    assert source == "type hint"
    assert all(isinstance(v, list) for v in draws(strategy, 30))
    strategy, source = parameter_strategy("m:f", "x", Any, [], Hints())
    assert source in ("type hint", "generic")


def test_generic_when_nothing_is_known() -> None:
    _, source = parameter_strategy("m:f", "x", Any.__class__, [], Hints())
    assert source in ("type hint", "generic")
    _, source = parameter_strategy("m:f", "x", None, [], Hints())
    assert source == "generic"


MIN_AGE = 18


def rules(age: Any, region: Any, flag: Any) -> str:
    if age >= MIN_AGE and region in ("north", "south"):
        return "adult"
    if flag:
        return "flag"
    return "other" if age > -5 else "neg"


def test_constants_are_mined_from_comparisons_and_module_names() -> None:
    found = mine_constants(rules, ["age", "region", "flag"])
    assert 18 in found.numbers and -5 in found.numbers
    assert {"north", "south"} <= found.strings
    params = {(c.param, c.value) for c in found.comparisons}
    assert (
        ("age", 18) in params and ("age", -5) in params and ("region", ("north", "south")) in params
    )
    assert [f[0] for f in found.flags] == ["flag"]
    assert boundary_values(18) == [17, 18, 19]
    assert boundary_values(("a", "b")) == ["a", "b"]


def test_numpy_arrays_keep_dtype_trailing_shape_and_range() -> None:
    import numpy as np

    recorded = np.array([[1.0, 50.0], [2.0, 60.0], [3.0, 70.0]])
    values = draws(strategy_for_values([recorded]), 100)
    assert all(isinstance(v, np.ndarray) and v.dtype == recorded.dtype for v in values)
    assert all(v.shape[-1] == 2 and v.ndim in (1, 2) for v in values)
    assert any(v.ndim == 1 for v in values) and any(v.ndim == 2 and v.shape[0] != 3 for v in values)
    assert all(((v >= 1.0) & (v <= 70.0)).all() for v in values)
