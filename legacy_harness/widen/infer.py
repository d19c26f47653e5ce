"""Hypothesis strategies for a target's parameters, inferred from what is known of it.

In order of trust: a strategy the user registered (by parameter, then by type), the
parameter's type hint, and the values recorded calls passed. Recorded values give the
shape (types, container sizes, dict keys, the classes of objects and their state); the
target's source gives the numbers and strings it compares against, which is where its
behaviour changes, so generated numbers cluster around both.
"""

from __future__ import annotations

import ast
import copy
import enum
import inspect
import math
import textwrap
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from legacy_harness import strategies as registry
from legacy_harness.objects import object_state

Strategy = SearchStrategy[Any]


# -- constants mined from the source ----------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """``param <op> value`` (or ``param.attr``, ``len(param)``, ``len(param.attr)``)
    found at ``line``."""

    param: str
    value: Any
    line: int
    attr: str | None = None
    length: bool = False  # the comparison is on len() of the operand


@dataclass
class Constants:
    numbers: set[int | float] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)
    comparisons: list[Comparison] = field(default_factory=list)
    #: (param, line) of parameters used directly as a condition (``if flag``, ``a and flag``)
    flags: list[tuple[str, int]] = field(default_factory=list)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def mine_constants(function: Callable[..., Any], params: Iterable[str]) -> Constants:
    """Numbers, strings and comparisons of parameters in the function's source.

    Names of module constants (``age >= MIN_AGE``) are looked up in the function's
    globals; line numbers are those of the file.
    """
    found = Constants()
    try:
        lines, start = inspect.getsourcelines(function)
    except (OSError, TypeError):
        return found
    tree = ast.parse(textwrap.dedent("".join(lines)))
    names = set(params)
    namespace = getattr(function, "__globals__", {})
    offset = start - 1

    def value_of(node: ast.AST) -> tuple[bool, Any]:
        if isinstance(node, ast.Constant) and (
            _is_number(node.value) or isinstance(node.value, str)
        ):
            return True, node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            ok, value = value_of(node.operand)
            return (ok and _is_number(value)), (-value if ok and _is_number(value) else None)
        if isinstance(node, ast.Name) and node.id not in names:
            value = namespace.get(node.id)
            if _is_number(value) or isinstance(value, str):
                return True, value
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            values = [value_of(element) for element in node.elts]
            if values and all(ok for ok, _ in values):
                return True, tuple(value for _, value in values)
        return False, None

    def operand(node: ast.AST) -> tuple[str, str | None, bool] | None:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and len(node.args) == 1
        ):
            inner = operand(node.args[0])
            return (inner[0], inner[1], True) if inner is not None and not inner[2] else None
        if isinstance(node, ast.Name) and node.id in names:
            return node.id, None, False
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            return node.value.id, node.attr, False
        return None

    def note(value: Any) -> None:
        if isinstance(value, tuple):
            for item in value:
                note(item)
        elif _is_number(value):
            found.numbers.add(value)
        elif isinstance(value, str):
            found.strings.add(value)

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            note(node.value if not isinstance(node.value, bool) else None)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for left, right in zip(sides, sides[1:], strict=False):
                for subject, other in ((left, right), (right, left)):
                    who = operand(subject)
                    ok, value = value_of(other)
                    if who is not None and ok:
                        note(value)
                        found.comparisons.append(
                            Comparison(who[0], value, node.lineno + offset, who[1], who[2])
                        )
        elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.BoolOp, ast.UnaryOp)):
            tests = (
                node.values
                if isinstance(node, ast.BoolOp)
                else [node.operand]
                if isinstance(node, ast.UnaryOp)
                else [node.test]
            )
            for test in tests:
                if isinstance(test, ast.Name) and test.id in names:
                    found.flags.append((test.id, node.lineno + offset))
    found.comparisons = list(dict.fromkeys(found.comparisons))
    found.flags = list(dict.fromkeys(found.flags))
    return found


def boundary_values(value: Any) -> list[Any]:
    """Values on both sides of a comparison's constant: where off-by-one bugs live."""
    if isinstance(value, tuple):
        return list(dict.fromkeys(item for part in value for item in boundary_values(part)))
    if isinstance(value, int):
        return [value - 1, value, value + 1]
    if isinstance(value, float):
        return [
            value - 1,
            math.nextafter(value, -math.inf),
            value,
            math.nextafter(value, math.inf),
            value + 1,
        ]
    if isinstance(value, str):
        return [value]
    return []


# -- strategies from values --------------------------------------------------------------


@dataclass(frozen=True)
class Hints:
    """What generation may use besides the values themselves."""

    numbers: tuple[int | float, ...] = ()
    strings: tuple[str, ...] = ()

    @classmethod
    def of(cls, constants: Constants | None) -> Hints:
        if constants is None:
            return cls()
        numbers = sorted(
            {b for n in constants.numbers for b in boundary_values(n)},
            key=lambda v: (float(v), str(v)),
        )
        return cls(tuple(numbers), tuple(sorted(constants.strings)))

    @classmethod
    def of_values(
        cls, *, numbers: Iterable[int | float] = (), strings: Iterable[str] = ()
    ) -> Hints:
        """Hints from constants given directly (as the source would give them)."""
        return cls.of(Constants(set(numbers), set(strings)))


def _builtin(kind: type) -> bool:
    return kind.__module__ == "builtins"


def strategy_for_values(values: Sequence[Any], hints: Hints = Hints()) -> Strategy:
    """A strategy that draws values shaped like ``values`` (mixed types mixed)."""
    groups: dict[type, list[Any]] = {}
    for value in values:
        groups.setdefault(type(value), []).append(value)
    options = [_for_type(kind, group, hints) for kind, group in groups.items()]
    if not options:
        return st.none()
    return options[0] if len(options) == 1 else st.one_of(options)


def _numbers(kind: type, group: list[Any], hints: Hints) -> Strategy:
    known = [v for v in (*group, *hints.numbers) if isinstance(v, (int, float))]
    low, high = min(known), max(known)
    pad = max(10, (high - low) / 2)
    picked = sorted({kind(v) for v in known if kind is float or float(v).is_integer()})
    if kind is int:
        ranged: Strategy = st.integers(int(low - pad), int(high + pad))
    else:
        ranged = st.floats(low - pad, high + pad, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(picked), ranged) if picked else ranged


def _for_type(kind: type, group: list[Any], hints: Hints) -> Strategy:
    registered = registry.lookup_type(kind)
    if registered is not None:
        return registered
    if kind is bool:
        return st.booleans()
    if kind is type(None):
        return st.none()
    if kind in (int, float):
        return _numbers(kind, group, hints)
    if kind is str:
        known = sorted(set(group) | set(hints.strings))
        return st.one_of(st.sampled_from(known), st.text(max_size=12))
    if issubclass(kind, enum.Enum):
        return st.sampled_from(list(kind))
    if kind in (list, tuple, set, frozenset) or (kind is dict):
        return _container(kind, group, hints)
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray":
        return _arrays(group)
    if not _builtin(kind) and object_state(group[0]) is not None:
        return _instances(kind, group, hints)
    return st.sampled_from(group).map(copy.deepcopy)


#: the largest container drawn element by element
MAX_SIZE = 20


def _container(kind: type, group: list[Any], hints: Hints) -> Strategy:
    if kind is dict:
        if all(isinstance(k, str) for d in group for k in d):
            return _records(group, hints).map(dict)
        return st.sampled_from(group).map(copy.deepcopy)
    if kind is tuple and len({len(t) for t in group}) == 1 and group[0]:
        return st.tuples(
            *(strategy_for_values([t[i] for t in group], hints) for i in range(len(group[0])))
        )
    elements = [item for container in group for item in container]
    sizes = [len(container) for container in group]
    if not elements:
        return st.just(kind())
    items = strategy_for_values(elements[: MAX_SIZE * 20], hints)
    # sizes as observed, up to what Hypothesis can draw quickly; bigger recorded
    # containers are still offered whole (copied), so realistic large inputs stay in play
    low, high = min(min(sizes), MAX_SIZE), min(max(sizes) + 3, MAX_SIZE)
    if kind in (set, frozenset):
        drawn: Strategy = st.sets(items, max_size=high).map(kind)
    else:
        drawn = st.lists(items, min_size=low, max_size=high)
        drawn = drawn if kind is list else drawn.map(kind)
    if max(sizes) > MAX_SIZE:
        drawn = st.one_of(drawn, st.sampled_from(group).map(copy.deepcopy))
    return drawn


def _arrays(group: list[Any]) -> Strategy:
    """Numeric arrays like the recorded ones: same dtype and trailing shape, up to
    MAX_SIZE rows (and one dimension fewer, a single row), values in the observed range;
    the recorded arrays themselves stay in play."""
    import numpy as np
    from hypothesis.extra import numpy as hnp

    recorded = st.sampled_from(group).map(copy.deepcopy)
    first = group[0]
    if first.dtype.kind not in "biuf" or first.ndim == 0 or first.size == 0:
        return recorded
    values = np.concatenate([np.ravel(a) for a in group if a.dtype == first.dtype])[:100_000]
    values = values[np.isfinite(values)] if first.dtype.kind == "f" else values
    if first.dtype.kind == "b" or values.size == 0:
        elements = hnp.from_dtype(first.dtype, allow_nan=False, allow_infinity=False)
    else:
        low, high = values.min().item(), values.max().item()
        elements = hnp.from_dtype(
            first.dtype, min_value=low, max_value=high, allow_nan=False, allow_infinity=False
        )
    tail = tuple(first.shape[1:])
    shapes = st.integers(1, MAX_SIZE).map(lambda rows: (rows, *tail))
    if tail:
        shapes = st.one_of(shapes, st.just(tail))
    return st.one_of(hnp.arrays(first.dtype, shapes, elements=elements), recorded)


def _records(group: Sequence[dict[str, Any]], hints: Hints) -> SearchStrategy[dict[str, Any]]:
    """Dicts (or object states) with the keys seen: always-present keys always drawn."""
    keys = list(dict.fromkeys(k for record in group for k in record))
    always = {
        k: strategy_for_values([r[k] for r in group if k in r], hints)
        for k in keys
        if all(k in r for r in group)
    }
    sometimes = {
        k: strategy_for_values([r[k] for r in group if k in r], hints)
        for k in keys
        if k not in always
    }
    return st.fixed_dictionaries(always, optional=sometimes)


def rebuild(kind: type, state: dict[str, Any]) -> Any:
    """An instance of ``kind`` with ``state``, made as the codec makes it: without
    ``__init__``, so legacy constructors with side effects are not run."""
    instance = kind.__new__(kind)  # type: ignore[call-overload]
    for name, value in state.items():
        object.__setattr__(instance, name, value)
    return instance


def _instances(kind: type, group: list[Any], hints: Hints) -> Strategy:
    states = [object_state(value) or {} for value in group]
    return _records(states, hints).map(lambda state: rebuild(kind, state))


# -- one parameter ------------------------------------------------------------------------


def hinted(hint: Any, hints: Hints) -> Strategy | None:
    """The strategy for a type hint, with the mined constants mixed in for numbers."""
    if hint is inspect.Parameter.empty or hint is None:
        return None
    registered = registry.lookup_type(hint)
    if registered is not None:
        return registered
    if hint is Any or hint is object:  # says nothing: the recorded values say more
        return None
    try:
        base = st.from_type(hint)
        base.validate()  # from_type is lazy: resolve now, so Any nested in a hint falls back
    except Exception:  # noqa: BLE001 - an exotic hint: fall back to recorded values
        return None
    if hint in (int, float) and hints.numbers:
        picked = [hint(v) for v in hints.numbers if hint is float or float(v).is_integer()]
        return st.one_of(st.sampled_from(picked), base) if picked else base
    if hint is str and hints.strings:
        return st.one_of(st.sampled_from(hints.strings), base)
    return base


def type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - unresolvable annotations are as good as none
        return {}


GENERIC: Strategy = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))


def parameter_strategy(
    target: str,
    name: str,
    hint: Any,
    observed: Sequence[Any],
    hints: Hints,
) -> tuple[Strategy, str]:
    """The strategy for one parameter and where it came from (for the report)."""
    registered = registry.lookup_name(target, name)
    if registered is not None:
        return registered, "registered"
    from_hint = hinted(hint, hints)
    if from_hint is not None:
        return from_hint, "type hint"
    if observed:
        return strategy_for_values(observed, hints), "recorded values"
    return GENERIC, "generic"
