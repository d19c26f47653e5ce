"""Search inputs that kill the mutants the masters let survive.

Full coverage is not the stopping rule: a rules loop over objects held in ``self`` can
be fully covered by a typical run whose values never sit on a threshold, and then
``points > 500`` and ``points >= 500`` look the same. The stopping rule here is the
mutants: for each survivor, look for a call that the original and the mutant answer
differently (outcome, printed output, or state of an argument or ``self`` after the
call), and keep it as a case.

How a survivor is hunted, cheapest first:

1. **Where it flips.** The target is run in an instrumented copy in which each simple
   comparison (``a < b``, ``a == b``, ...) reports its operands. A comparison mutant is
   told apart where its operands are equal; a constant mutant inside a comparison where
   the other side equals the constant or its changed value. That gives a goal value for
   an operand at each evaluation (each turn of a loop over ``self.members``).
2. **Input to state.** A leaf of the input (``self.members[2].points``, a list's length,
   ``orders[0]["qty"]``) whose value is the operand's is set to the goal.
3. **Solving for derived values.** When no leaf holds the operand (``total`` computed
   from several leaves), each numeric leaf is nudged to see how the operand moves, and
   the secant step to the goal is tried.
4. **State that builds up.** For methods, instances rebuilt through the constructor
   and after a few calls of the method itself join the bases above.
5. **Hypothesis**, with ``target()`` on the distance to the flip, redraws one or two
   leaves at a time until the budget runs out.

Every candidate runs on the original (instrumented: one run gives the behaviour and the
operands) and on each living mutant whose lines it reaches. A survivor no search could
kill is reported with why: how close the search came to the flip.
"""

from __future__ import annotations

import builtins
import inspect
import math
import operator
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from libcst.metadata import PositionProvider

from legacy_harness.errors import CallTimeout, ForbiddenIO, HarnessError
from legacy_harness.widen.calls import (
    Call,
    Path,
    Subject,
    after_state,
    copy_call,
    is_number,
    leaves,
    with_leaf,
)
from legacy_harness.widen.mutate import Mutant, MutantSource, compiled_equivalents
from legacy_harness.widen.probe import Arc, Probe, no_io, probe_call, time_limit

HOOK = "__legacy_harness_compare__"

_COMPARISONS: dict[type[cst.BaseCompOp], tuple[str, Callable[[Any, Any], Any]]] = {
    cst.LessThan: ("<", operator.lt),
    cst.LessThanEqual: ("<=", operator.le),
    cst.GreaterThan: (">", operator.gt),
    cst.GreaterThanEqual: (">=", operator.ge),
    cst.Equal: ("==", operator.eq),
    cst.NotEqual: ("!=", operator.ne),
}


@dataclass(frozen=True)
class Site:
    """One simple comparison in the target: where, which operator, and its operands'
    columns (dedented source), so a mutant can be placed on it."""

    index: int
    line: int  # file line
    column: int  # where the operator and right operand start (the mutants' column)
    symbol: str
    left: tuple[int, int]  # columns of the left operand
    right: tuple[int, int]
    left_text: str
    right_text: str


class _Instrument(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, first_line: int, offset: int) -> None:
        super().__init__()
        self.first_line = first_line
        self.offset = offset
        self.sites: list[Site] = []
        self.functions: list[Callable[[Any, Any], Any]] = []

    def leave_Comparison(
        self, original: cst.Comparison, updated: cst.Comparison
    ) -> cst.BaseExpression:
        if len(original.comparisons) != 1:
            return updated
        known = _COMPARISONS.get(type(original.comparisons[0].operator))
        where = self.get_metadata(PositionProvider, original)
        if known is None or where.start.line != where.end.line:
            return updated  # a multi-line comparison rewritten would move the lines below
        if where.start.line < self.first_line:
            return updated
        comparison = original.comparisons[0]
        left = self.get_metadata(PositionProvider, original.left)
        right = self.get_metadata(PositionProvider, comparison.comparator)
        at = self.get_metadata(PositionProvider, comparison)
        code = cst.Module([]).code_for_node
        self.sites.append(
            Site(
                len(self.sites),
                where.start.line + self.offset,
                at.start.column,
                known[0],
                (left.start.column, left.end.column),
                (right.start.column, right.end.column),
                code(original.left),
                code(comparison.comparator),
            )
        )
        self.functions.append(known[1])
        return cst.Call(
            func=cst.Name(HOOK),
            args=[
                cst.Arg(cst.Integer(str(len(self.sites) - 1))),
                cst.Arg(updated.left),
                cst.Arg(updated.comparisons[0].comparator),
            ],
            lpar=updated.lpar,
            rpar=updated.rpar,
        )


class Observer:
    """The hook the instrumented copy calls: compares as the original would and notes
    the operands (numbers and strings; others only as reached)."""

    def __init__(self, functions: Sequence[Callable[[Any, Any], Any]], limit: int = 20_000):
        self.functions = functions
        self.limit = limit
        self.seen: list[tuple[int, Any, Any]] = []

    def __call__(self, index: int, left: Any, right: Any) -> Any:
        result = self.functions[index](left, right)
        if len(self.seen) < self.limit:
            comparable = (is_number(left) and is_number(right)) or (
                isinstance(left, str) and isinstance(right, str)
            )
            self.seen.append((index, left, right) if comparable else (index, None, None))
        return result


@contextmanager
def _hook(observer: Observer) -> Iterator[None]:
    """The hook is looked up as a builtin, so the module's namespace stays untouched."""
    setattr(builtins, HOOK, observer)
    try:
        yield
    finally:
        delattr(builtins, HOOK)


@dataclass(frozen=True)
class Goal:
    """Where a mutant flips: at ``site``, operand ``side`` (0 left, 1 right) equal to
    the other side's value plus each of ``shifts`` (``(0,)``: the operands equal)."""

    site: Site
    sides: tuple[int, ...]
    shifts: tuple[float, ...]

    def targets(self, left: Any, right: Any) -> list[tuple[int, Any, Any]]:
        """(side, current value, wanted value) pairs for one evaluation."""
        found = []
        for side in self.sides:
            mine, other = (left, right) if side == 0 else (right, left)
            if is_number(mine) and is_number(other):
                found += [(side, mine, other + shift) for shift in self.shifts]
            elif isinstance(mine, str) and isinstance(other, str) and self.shifts == (0,):
                found.append((side, mine, other))
        return found

    def hit(self, left: Any, right: Any) -> str | None:
        """``reward == 1000``: the operand at its flip point in this evaluation, if any."""
        for side, mine, wanted in self.targets(left, right):
            if mine == wanted:
                text = self.site.left_text if side == 0 else self.site.right_text
                return f"{text} == {mine!r}"
        return None

    def distance(self, left: Any, right: Any) -> float:
        best = math.inf
        for _, mine, wanted in self.targets(left, right):
            if is_number(mine):
                best = min(best, abs(float(mine) - float(wanted)))
            else:
                best = min(best, 0.0 if mine == wanted else 1.0)
        return best


def _number(text: str) -> float | None:
    try:
        return float(int(text.replace("_", ""), 0))
    except ValueError:
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return None


def goal_of(mutant: Mutant, sites: Sequence[Site]) -> Goal | None:
    """Where the mutant differs from the original, when that is a comparison."""
    for site in sites:
        if site.line != mutant.line:
            continue
        if mutant.operator == "comparison" and mutant.column == site.column:
            return Goal(site, (0, 1), (0,))
        if mutant.operator == "constant":
            before, _, after = mutant.description.partition(" -> ")
            old, new = _number(before), _number(after)
            if old is None or new is None:
                continue
            for side, (start, end) in enumerate((site.left, site.right)):
                if start <= mutant.column < end:
                    # the other operand must sit on the constant side's value or on its
                    # value once the constant moved
                    return Goal(site, (1 - side,), (0, new - old))
    return None


@dataclass
class Hunt:
    """What the search learnt about one mutant."""

    mutant: Mutant
    goal: Goal | None
    killed_by: Call | None = None
    tried: int = 0  # candidates that reached its lines
    best: float = math.inf  # closest approach to the flip
    at: str | None = None  # the operand at the flip point, once the search got there
    #: a few values the operand(s) took where the mutant's comparison is made
    values: list[str] = field(default_factory=list)

    def _varying(self) -> list[int]:
        """The goal's operand sides that are not a literal (``value`` in ``value < 1``)."""
        if self.goal is None:
            return []
        site = self.goal.site
        texts = (site.left_text, site.right_text)
        return [side for side in self.goal.sides if _number(texts[side]) is None]

    def saw(self, left: Any, right: Any, limit: int = 5) -> None:
        """Note the operand values of one evaluation at the goal's comparison."""
        for side in self._varying():
            text = repr(left if side == 0 else right)
            if len(self.values) < limit and len(text) <= 40 and text not in self.values:
                self.values.append(text)

    def why(self) -> str:
        """Why it is presumed equivalent, for the strength report."""
        line = self.mutant.line
        if self.tried == 0:
            return f"not killed: no generated input reached line {line}"
        if self.goal is None:
            return f"not killed: {self.tried} inputs reached line {line}; none told it apart"
        site = self.goal.site
        if self.best == 0:
            return (
                f"no input told it apart: {self.tried} inputs reached line {line}, some with"
                f" {self.at} where `{site.left_text} {site.symbol} {site.right_text}` flips;"
                " likely equivalent"
            )
        if math.isinf(self.best):
            return f"not killed: {self.tried} inputs reached line {line}, none with comparable operands"
        sides = " and ".join(site.left_text if s == 0 else site.right_text for s in self._varying())
        took = f"; {sides} took {', '.join(self.values)} there" if self.values else ""
        return (
            f"not killed: {self.tried} inputs reached line {line}; the closest came within"
            f" {self.best:g} of where `{site.left_text} {site.symbol} {site.right_text}`"
            f" flips{took}"
        )


@dataclass
class Found:
    """A call that kills mutants, and the arcs it takes."""

    call: Call
    arcs: frozenset[Arc]
    kills: list[Mutant]


@dataclass
class Trial:
    """One candidate run on the original: its behaviour and the operands it compared."""

    probe: Probe
    signature: str | None
    seen: list[tuple[int, Any, Any]]
    lines: frozenset[int]


class MutantSearch:
    """Hunts the living mutants of one target until each dies or time runs out."""

    def __init__(
        self,
        subject: Subject,
        mutants: Sequence[Mutant],
        *,
        timeout: float,
        deadline: float,
        seed: int = 0,
        numbers: Sequence[float] = (),
    ) -> None:
        function = subject.resolved.function
        if not isinstance(function, types.FunctionType):
            raise HarnessError(f"target {subject.spec} is not a Python function; cannot mutate it")
        self.subject = subject
        self.function = function
        self.timeout = timeout
        self.deadline = deadline
        self.seed = seed
        self.numbers = sorted({float(n) for n in numbers})
        self.source = MutantSource(function, subject.spec)
        instrument = _Instrument(self.source.first_line, self.source.line_offset)
        text = self.source.transformed(instrument)
        self.sites = instrument.sites
        self.functions = instrument.functions
        self.instrumented = self.source.compile_text(text, f"instrumented {subject.spec}")
        self.hunts = [Hunt(m, goal_of(m, self.sites)) for m in self._distinct(mutants)]
        self.found: list[Found] = []
        self.examples = 0
        self._trials: dict[int, tuple[Call, Trial | None]] = {}  # holds the call: ids stay unique

    def _distinct(self, mutants: Sequence[Mutant]) -> list[Mutant]:
        """The mutants worth hunting: valid, and not the same bytecode as the original
        or another mutant."""
        codes: dict[int, types.CodeType] = {}
        for mutant in mutants:
            try:
                codes[mutant.index] = self.source.code(mutant.index)
            except (SyntaxError, ValueError, HarnessError):
                continue
        same = compiled_equivalents(self.source, codes)
        return [m for m in mutants if m.index in codes and m.index not in same]

    # -- running -------------------------------------------------------------------

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    @property
    def alive(self) -> list[Hunt]:
        return [h for h in self.hunts if h.killed_by is None]

    def trial(self, call: Call) -> Trial | None:
        """Run ``call`` on the instrumented original; None when it hangs or does I/O."""
        observer = Observer(self.functions)
        live = copy_call(call)
        original = self.function.__code__
        self.function.__code__ = self.instrumented
        try:
            with _hook(observer):
                result = probe_call(
                    lambda: self.subject.invoke(self.function, live),
                    self.subject.region,
                    timeout=self.timeout,
                )
        finally:
            self.function.__code__ = original
        self.examples += 1
        if result.problem is not None:
            return None
        lines = frozenset(line for arc in result.arcs for line in arc if line > 0)
        return Trial(result, after_state(result, live), observer.seen, lines)

    def _mutant_kills(self, mutant: Mutant, call: Call, expected: str | None) -> bool:
        live = copy_call(call)
        original = self.function.__code__
        self.function.__code__ = self.source.code(mutant.index)
        try:
            result = probe_call(
                lambda: self.subject.invoke(self.function, live),
                self.subject.region,
                timeout=self.timeout,
            )
        finally:
            self.function.__code__ = original
        if result.problem is not None:
            return result.problem.startswith("timeout")  # a hang is a kill; I/O is not
        return after_state(result, live) != expected

    def offer(self, call: Call) -> Trial | None:
        """Run a candidate; every living mutant it reaches is tried against it."""
        found = self.trial(call)
        if found is None or found.signature is None:
            return found
        kills = []
        for hunt in self.alive:
            if not (hunt.mutant.anywhere or set(hunt.mutant.lines) & found.lines):
                continue
            hunt.tried += 1
            if hunt.goal is not None:
                for index, left, right in found.seen:
                    if index == hunt.goal.site.index and left is not None:
                        hunt.best = min(hunt.best, hunt.goal.distance(left, right))
                        hunt.at = hunt.at or hunt.goal.hit(left, right)
                        hunt.saw(left, right)
            if self._mutant_kills(hunt.mutant, call, found.signature):
                hunt.killed_by = call
                kills.append(hunt.mutant)
        if kills:
            self.found.append(Found(call, found.probe.arcs, kills))
        return found

    # -- the hunt ------------------------------------------------------------------

    def run(self, bases: Sequence[Call], progress: Callable[[str], None] | None = None) -> None:
        """Hunt every living mutant from ``bases`` (recorded and generated calls);
        ``progress`` hears how many are dead as each step of the hunt goes on."""

        def tell(step: str, done: int, total: int) -> None:
            if progress:
                killed = len(self.hunts) - len(self.alive)
                progress(f"{step} {done}/{total}, {killed} of {len(self.hunts)} mutants killed")

        pool = list(bases)
        for done, call in enumerate(pool):  # the calls at hand may already kill some
            if self.out_of_time() or not self.alive:
                return
            self.offer(call)
            tell("calls at hand", done + 1, len(pool))
        pool += self._built_up(pool)
        steered = list(self.alive)
        for done, hunt in enumerate(steered):
            if self.out_of_time():
                return
            if hunt.killed_by is None:
                self._steer(hunt, pool)
            tell("setting values where they flip", done + 1, len(steered))
        redrawn = list(self.alive)
        for done, hunt in enumerate(redrawn):
            tell("Hypothesis on the distance to the flip", done, len(redrawn))
            if self.out_of_time():
                return
            if hunt.killed_by is None:
                # at the flip point already and still alive: likely equivalent, so a
                # short look; never there: the full redraw
                self._hypothesis(hunt, pool, 30 if hunt.best == 0 else 150)

    def _trial_of(self, call: Call) -> Trial | None:
        """A base call's trial, run once."""
        key = id(call)
        if key not in self._trials:
            self._trials[key] = (call, self.trial(call))
        return self._trials[key][1]

    def _reaching(self, hunt: Hunt, pool: Sequence[Call], limit: int = 12) -> list[Call]:
        lines = set(hunt.mutant.lines)
        reaching = []
        for call in pool:
            trial = self._trial_of(call)
            if trial is not None and (trial.lines & lines or hunt.mutant.anywhere):
                reaching.append(call)
                if len(reaching) >= limit:
                    break
        return reaching or list(pool[:limit])

    def _steer(self, hunt: Hunt, pool: Sequence[Call]) -> None:
        """Steps 2 and 3: set leaves to goal values, directly or by a secant step."""
        for base in self._reaching(hunt, pool):
            if hunt.killed_by is not None or self.out_of_time():
                return
            trial = self._trial_of(base)
            if trial is None:
                continue
            wanted = self._wanted(hunt, trial)
            numbered = leaves(base)
            tried: set[tuple[Path, Any]] = set()
            for value, goal in wanted:
                for path, leaf in numbered:
                    if hunt.killed_by is not None or self.out_of_time():
                        return
                    if leaf != value or type(leaf) is bool or (path, goal) in tried:
                        continue
                    tried.add((path, goal))
                    for new in _fitted(leaf, goal):
                        variant = with_leaf(base, path, new)
                        if variant is not None:
                            self.offer(variant)
            if hunt.killed_by is None and hunt.goal is not None:
                self._secant(hunt, base, trial, numbered)

    def _wanted(self, hunt: Hunt, trial: Trial) -> list[tuple[Any, Any]]:
        """(operand value now, value that flips the mutant) at each evaluation; for a
        mutant off any comparison, the constants of the target as values to try."""
        if hunt.goal is None:
            return []
        wanted: list[tuple[Any, Any]] = []
        for index, left, right in trial.seen:
            if index == hunt.goal.site.index and left is not None:
                wanted += [(now, goal) for _, now, goal in hunt.goal.targets(left, right)]
        return list(dict.fromkeys((a, b) for a, b in wanted if a != b))[:40]

    def _secant(
        self, hunt: Hunt, base: Call, trial: Trial, numbered: list[tuple[Path, Any]]
    ) -> None:
        """For an operand computed from leaves: nudge each numeric leaf, see how the
        operand moves, and step to where it meets its goal."""
        assert hunt.goal is not None
        site = hunt.goal.site.index
        before = [
            (left, right) for index, left, right in trial.seen if index == site and left is not None
        ]
        if not before:
            return
        for path, leaf in [(p, v) for p, v in numbered if is_number(v)][:24]:
            if hunt.killed_by is not None or self.out_of_time():
                return
            for step in (1, 10, 100) if isinstance(leaf, int) else (abs(leaf) * 0.01 + 0.01,):
                nudged = with_leaf(base, path, leaf + step)
                moved = self.trial(nudged) if nudged is not None else None
                if moved is None:
                    break
                after = [(a, b) for i, a, b in moved.seen if i == site and a is not None]
                if len(after) != len(before) or after == before:
                    continue
                for (l0, r0), (l1, r1) in zip(before, after, strict=True):
                    for side, now, goal in hunt.goal.targets(l0, r0):
                        moved_to = l1 if side == 0 else r1
                        if not is_number(moved_to) or moved_to == now:
                            continue
                        slope = (float(moved_to) - float(now)) / step
                        solved = leaf + (float(goal) - float(now)) / slope
                        for new in _fitted(leaf, solved):
                            variant = with_leaf(base, path, new)
                            if variant is not None:
                                self.offer(variant)
                        if hunt.killed_by is not None:
                            return
                break

    def _built_up(self, pool: Sequence[Call], limit: int = 6) -> list[Call]:
        """Step 4: instances made by the constructor from recorded state, and instances
        after one to three calls of the method itself, as further bases."""
        if not self.subject.has_self:
            return []
        made: list[Call] = []
        for call in pool[:limit]:
            fresh = _constructed(call.instance, self.timeout)
            if fresh is not None:
                made.append(Call(dict(call.arguments), fresh))
            for base in [call] + made[-1:]:
                instance = base.instance
                for _ in range(3):
                    instance = self._after_call(Call(dict(call.arguments), instance))
                    if instance is None:
                        break
                    made.append(Call(dict(call.arguments), instance))
            if self.out_of_time():
                break
        return made

    def _after_call(self, call: Call) -> Any:
        """The instance once the original method ran on (a copy of) ``call``."""
        live = copy_call(call)
        try:
            with time_limit(self.timeout), no_io(), _quiet():
                self.subject.invoke(self.function, live)
        except (CallTimeout, ForbiddenIO):
            return None
        except Exception:  # noqa: BLE001 - a raising call still leaves its state
            pass
        return live.instance

    def _hypothesis(self, hunt: Hunt, pool: Sequence[Call], examples: int = 150) -> None:
        """Step 5: redraw one or two numeric leaves of a reaching call, guided by the
        distance to the flip."""
        bases = [
            (call, [(p, v) for p, v in leaves(call) if is_number(v)])
            for call in self._reaching(hunt, pool)
        ]
        bases = [(call, numbered) for call, numbered in bases if numbered]
        if not bases:
            return
        numbers = self.numbers
        label = f"mutant {hunt.mutant.index}"

        @st.composite
        def candidates(draw: st.DrawFn) -> Call:
            call, numbered = draw(st.sampled_from(bases))
            for _ in range(draw(st.integers(1, 2))):
                path, value = draw(st.sampled_from(numbered))
                call = with_leaf(call, path, draw(_near(value, numbers))) or call
            return call

        @hypothesis_seed(self.seed + hunt.mutant.index)
        @settings(
            database=None,
            deadline=None,
            max_examples=examples,
            phases=[Phase.generate, Phase.target],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(candidates())
        def run(call: Call) -> None:
            if hunt.killed_by is not None or self.out_of_time():
                return
            trial = self.offer(call)
            if trial is None or hunt.goal is None:
                return
            distances = [
                hunt.goal.distance(left, right)
                for index, left, right in trial.seen
                if index == hunt.goal.site.index and left is not None
            ]
            closest = min(distances, default=math.inf)
            if not math.isinf(closest):
                target(-closest, label=label)

        run()

    def unkilled(self) -> dict[str, str]:
        """Mutant key -> why, for the living mutants the search got to: reached where
        they flip (or, off any comparison, reached at all) and still not told apart.
        One the search never got to is a hole in the net, not a presumed equivalent."""
        return {
            hunt.mutant.key: hunt.why()
            for hunt in self.alive
            if hunt.tried and (hunt.goal is None or hunt.best == 0)
        }

    def unreached(self) -> dict[str, str]:
        """Mutant key -> why, for the living mutants the search never got to where they
        flip: survivors (holes in the net), reported with how far the search came."""
        presumed = self.unkilled()
        return {h.mutant.key: h.why() for h in self.alive if h.mutant.key not in presumed}


@contextmanager
def _quiet() -> Iterator[None]:
    import contextlib
    import io

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def _fitted(leaf: Any, value: Any) -> list[Any]:
    """``value`` in the leaf's type: an int leaf gets the nearest integers."""
    if isinstance(leaf, str):
        return [value] if isinstance(value, str) else []
    if not is_number(value) or not math.isfinite(float(value)):
        return []
    if isinstance(leaf, int):
        low, high = math.floor(value), math.ceil(value)
        return list(dict.fromkeys([int(low), int(high)]))
    return [float(value)]


def _near(value: Any, numbers: Sequence[float]) -> st.SearchStrategy[Any]:
    """Numbers like ``value``: around it, around the target's constants, and far."""
    anchors = [value, *numbers]
    low, high = min(anchors), max(anchors)
    span = max(10.0, (high - low), abs(high))
    picked: list[Any]
    if isinstance(value, int):
        picked = sorted({int(n) + d for n in numbers for d in (-1, 0, 1)})
        ranged: st.SearchStrategy[Any] = st.integers(int(low - span), int(high + span))
    else:
        picked = sorted({float(n) for n in numbers})
        ranged = st.floats(low - span, high + span, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(picked), ranged) if picked else ranged


def _constructed(instance: Any, timeout: float) -> Any:
    """A new instance made by the class's own constructor from the recorded state (each
    parameter from the attribute of the same name), or None when that cannot be done."""
    if instance is None or not hasattr(instance, "__dict__"):
        return None
    kind = type(instance)
    state = vars(instance)
    try:
        parameters = list(inspect.signature(kind).parameters.values())
    except (TypeError, ValueError):
        return None
    arguments: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        for name in (parameter.name, f"_{parameter.name}"):
            if name in state:
                arguments[parameter.name] = state[name]
                break
        else:
            if parameter.default is parameter.empty:
                return None
    try:
        import copy

        with time_limit(timeout), no_io(), _quiet():
            return kind(**copy.deepcopy(arguments))
    except (CallTimeout, ForbiddenIO):
        return None
    except Exception:  # noqa: BLE001 - a constructor that refuses: no such base
        return None


@dataclass
class SearchReport:
    """What the mutant search did for one target."""

    hunted: int = 0
    killed: int = 0
    examples: int = 0
    unkilled: dict[str, str] = field(default_factory=dict)
