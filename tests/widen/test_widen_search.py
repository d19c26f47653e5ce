"""The mutant search: instrumented comparisons, leaves of nested inputs, and the hunt."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType

from legacy_harness.record.targets import resolve
from legacy_harness.widen.calls import Call, Subject, leaf_name, leaves, with_leaf
from legacy_harness.widen.mutate import mutants_of
from legacy_harness.widen.search import MutantSearch, goal_of

RULES = """
class Item:
    def __init__(self, sku, qty):
        self.sku = sku
        self.qty = qty


class Basket:
    def __init__(self, items, level=0):
        self.items = items
        self.level = level

    def price(self, unit):
        total = 0
        for item in self.items:
            cost = item.qty * unit
            if item.qty >= 10:
                cost = cost - 5
            total += cost
        if total > 250:
            total = 250
        return total

    def add(self, qty):
        self.items.append(Item("x", qty))
        if len(self.items) > 3:
            self.level += 1
        return self.level
"""


def subject_of(module: ModuleType, name: str) -> Subject:
    return Subject(resolve(f"{module.__name__}:{name}"))


def search_for(module: ModuleType, name: str, **kwargs: object) -> MutantSearch:
    subject = subject_of(module, name)
    return MutantSearch(
        subject,
        mutants_of(subject.spec),
        timeout=1.0,
        deadline=time.monotonic() + 30,
        **kwargs,  # type: ignore[arg-type]
    )


def test_leaves_reach_into_objects_held_in_self_and_can_be_set(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(RULES)
    basket = module.Basket([module.Item("a", 2), module.Item("b", 12)])
    call = Call({"unit": 3}, basket)
    found = {leaf_name(path): value for path, value in leaves(call)}
    assert found == {
        "unit": 3,
        "self.items[0].sku": "a",
        "self.items[0].qty": 2,
        "self.items[1].sku": "b",
        "self.items[1].qty": 12,
        "len(self.items)": 2,
        "self.level": 0,
    }
    paths = {leaf_name(path): path for path, _ in leaves(call)}
    changed = with_leaf(call, paths["self.items[1].qty"], 10)
    assert changed is not None and changed.instance.items[1].qty == 10
    assert basket.items[1].qty == 12  # the original call is untouched
    longer = with_leaf(call, paths["len(self.items)"], 4)
    assert longer is not None and [i.sku for i in longer.instance.items] == ["a", "b", "a", "b"]
    pair = Call({"pair": (1, {"k": 5})})
    nested = {leaf_name(p): p for p, _ in leaves(pair)}
    moved = with_leaf(pair, nested["pair[1]['k']"], 6)
    assert moved is not None and moved.arguments["pair"] == (1, {"k": 6})


def test_comparisons_are_instrumented_and_mutants_placed_on_them(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(RULES)
    search = search_for(module, "Basket.price")
    assert [(s.line, s.symbol, s.left_text, s.right_text) for s in search.sites] == [
        (17, ">=", "item.qty", "10"),
        (20, ">", "total", "250"),
    ]
    goals = {
        (m.line, m.description): goal_of(m, search.sites) for m in mutants_of(search.subject.spec)
    }
    flip = goals[(17, ">= -> >")]
    assert flip is not None and flip.site.line == 17 and flip.shifts == (0,)
    constant = goals[(20, "250 -> 251")]
    assert constant is not None and constant.sides == (0,) and constant.shifts == (0, 1)
    assert goals[(16, "delete cost = item.qty * unit")] is None
    # one run of the instrumented original gives its behaviour and every operand
    basket = module.Basket([module.Item("a", 2), module.Item("b", 12)])
    trial = search.trial(Call({"unit": 3}, basket))
    assert trial is not None
    assert trial.seen == [(0, 2, 10), (0, 12, 10), (1, 37, 250)]
    assert module.Basket.price(basket, 3) == 37  # the original code is back


def test_survivors_in_nested_state_are_killed_and_equivalents_explained(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(RULES)
    search = search_for(module, "Basket.price", numbers=[10, 250])
    typical = Call({"unit": 3}, module.Basket([module.Item("a", 2), module.Item("b", 14)]))
    steps: list[str] = []
    search.run([typical], progress=steps.append)
    # the progress line follows the hunt step by step, with the dead counted
    assert steps[0].startswith("calls at hand 1/1, ")
    assert any(s.startswith("setting values where they flip") for s in steps)
    assert steps[-1].endswith(f"{len(search.hunts) - 2} of {len(search.hunts)} mutants killed")
    alive = {(h.mutant.line, h.mutant.description) for h in search.alive}
    # qty == 10 is set on the object held in self; total == 250 and 251 are solved for
    # through `qty * unit` (secant steps): every boundary mutant dies ...
    for boundary in [(17, ">= -> >"), (17, "10 -> 11"), (17, "10 -> 9"), (20, "250 -> 251")]:
        assert boundary not in alive, (boundary, alive)
    # ... but the cap's `>` -> `>=` and 250 -> 249 cannot be told apart from the original
    assert alive == {(20, "> -> >="), (20, "250 -> 249")}
    whys = search.unkilled()
    assert all("total == 250" in why and "likely equivalent" in why for why in whys.values())
    killers = {m.description for found in search.found for m in found.kills}
    assert ">= -> >" in killers


def test_state_built_up_by_the_method_itself_is_searched(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(RULES)
    search = search_for(module, "Basket.add")
    one_item = Call({"qty": 1}, module.Basket([module.Item("a", 1)]))
    search.run([one_item])
    alive = {(h.mutant.line, h.mutant.description) for h in search.alive}
    assert (26, "> -> >=") not in alive and (26, "3 -> 4") not in alive, alive


COUPONS = """
class Cart:
    COUPONS = {"TENTH": 0.1, "FIVE": 5}

    def __init__(self, subtotal):
        self.subtotal = subtotal

    def discount(self, coupon):
        value = self.COUPONS[coupon]
        if value < 1:
            return self.subtotal * value
        return value
"""


def test_survivors_never_reached_where_they_flip_stay_survivors_with_how_far_it_came(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(COUPONS)
    search = search_for(module, "Cart.discount", numbers=[1])
    search.deadline = time.monotonic() + 3  # no input can move `value`: a short hunt
    bases = [Call({"coupon": c}, module.Cart(40)) for c in ("TENTH", "FIVE")]
    search.run(bases)
    alive = {h.mutant.description: h for h in search.alive if h.mutant.line == 10}
    assert {"< -> <=", "1 -> 2"} <= set(alive)  # no coupon is worth exactly 1 (or 2)
    # not presumed equivalent: the hunt never had `value` on the flip ...
    assert not {h.mutant.key for h in alive.values()} & set(search.unkilled())
    # ... so each is a survivor, reported with how close it came and what `value` was
    why = search.unreached()[alive["< -> <="].mutant.key]
    assert why.startswith("not killed: ") and "of where `value < 1` flips" in why
    assert "value took 0.1, 5 there" in why


BY_NAME = """
class Member:
    def __init__(self, points):
        self.points = points


def bonuses(members):
    paid = {}
    for name, member in members.items():
        paid[name] = 50 if member.points > 500 else 0
    return paid
"""


def test_thresholds_on_objects_in_a_dict_argument_are_reached_through_their_leaves(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(BY_NAME)
    typical = Call({"members": {"ann": module.Member(120), "bob": module.Member(900)}})
    assert {leaf_name(p) for p, _ in leaves(typical)} >= {
        "members['ann'].points",
        "members['bob'].points",
    }
    search = search_for(module, "bonuses", numbers=[500])
    search.run([typical])
    alive = {(h.mutant.line, h.mutant.description) for h in search.alive}
    # points == 500 and 501 are set on a member held in the dict: the boundary dies
    assert (10, "> -> >=") not in alive and (10, "500 -> 501") not in alive, alive
    assert (10, "500 -> 499") not in alive, alive
