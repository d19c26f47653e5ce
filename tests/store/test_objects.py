"""One reading of an object's state for the codec, the comparison and the strategies."""

from __future__ import annotations

from hypothesis import find

from legacy_harness.objects import object_state, slot_names
from legacy_harness.widen.infer import strategy_for_values


class Single:
    __slots__ = "x"  # a string, not a tuple: one slot named "x"

    def __init__(self, x: int) -> None:
        self.x = x


class Mangled(Single):
    __slots__ = ("__secret", "unset")

    def __init__(self, x: int, secret: int) -> None:
        super().__init__(x)
        self.__secret = secret

    def secret(self) -> int:
        return self.__secret


def test_string_slots_and_mangled_slots_are_read() -> None:
    assert slot_names(Mangled) == ("_Mangled__secret", "unset", "x")
    assert object_state(Single(3)) == {"x": 3}
    assert object_state(Mangled(1, 2)) == {"x": 1, "_Mangled__secret": 2}  # unset slot left out


def test_exceptions_keep_args_and_opaque_values_have_no_state() -> None:
    assert object_state(ValueError("bad", 2)) == {"args": ("bad", 2)}
    assert object_state(3) is None
    assert object_state("text") is None


def test_generated_instances_of_slotted_classes_keep_their_state() -> None:
    found = find(strategy_for_values([Mangled(1, 7), Mangled(2, 9)]), lambda v: True)
    assert type(found) is Mangled
    assert found.secret() in (7, 9) and found.x in (1, 2)
