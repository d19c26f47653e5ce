"""A careful hand-written suite for loyalty.Program.rewards: ten pytest-style tests,
each on a rule or a boundary of it. The mutation comparison runs them against every
mutant of the method (legacy_harness.widen.strength.run_suite)."""

from loyalty import Member, Program


def pay(*members):
    return Program(list(members)).rewards()


def test_points_below_gold_earn_a_tenth():
    assert pay(Member("a", 499, 1)) == ({"a": 49}, 49)


def test_gold_starts_above_500_points():
    assert pay(Member("a", 500, 1)) == ({"a": 50}, 50)
    assert pay(Member("a", 501, 1)) == ({"a": 100}, 100)


def test_loyal_from_twelve_months_doubles():
    assert pay(Member("a", 100, 11)) == ({"a": 10}, 10)
    assert pay(Member("a", 100, 12)) == ({"a": 20}, 20)


def test_gold_bonus_is_doubled_for_loyal_members():
    assert pay(Member("a", 600, 12)) == ({"a": 220}, 220)


def test_cap_at_1000():
    assert pay(Member("a", 10000, 1)) == ({"a": 1000}, 1000)
    assert pay(Member("a", 9510, 1)) == ({"a": 1000}, 1000)


def test_just_under_the_cap_is_paid_in_full():
    assert pay(Member("a", 9490, 1)) == ({"a": 999}, 999)


def test_inactive_members_are_skipped():
    assert pay(Member("a", 800, 20, active=False)) == ({}, 0)


def test_total_adds_every_member():
    assert pay(Member("a", 100, 1), Member("b", 200, 1)) == ({"a": 10, "b": 20}, 30)


def test_no_members_pay_nothing():
    assert pay() == ({}, 0)


def test_an_inactive_member_does_not_stop_the_others():
    assert pay(Member("a", 100, 1, active=False), Member("b", 100, 1)) == ({"b": 10}, 10)
