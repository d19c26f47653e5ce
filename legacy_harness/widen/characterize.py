"""Generate inputs with Hypothesis and record a case for each one that reaches code the
store does not yet cover, plus boundary cases around the comparisons the target makes.

The loop, per target:

1. replay the stored cases under the arc tracer: the baseline of what is covered;
2. draw calls with Hypothesis (strategies from :mod:`.infer`: registered, type hints,
   recorded values, constants from the source), guided by ``target()`` on the number of
   new arcs a call reaches, and keep each call that reaches new arcs;
3. boundary search: for every comparison of a parameter with a constant (``age >=
   MIN_AGE``) and every parameter used as a flag, take a kept or recorded call that
   reaches it and try the values on both sides of the constant. When the target answers
   differently across them the comparison is live on that path, and the calls are kept:
   exactly the cases that tell ``>=`` from ``>`` and 18 from 17 or 19;
4. mutant search (:mod:`.search`): coverage is not the stopping rule. The mutants the
   masters let survive (:mod:`.strength`) are hunted with inputs that sit where each
   one flips, and each call that kills one is kept;
5. record the kept calls through the recorder, as ``origin: generated`` cases; each
   case kept for mutants says which it kills (``meta.kills``, confirmed by replay), and
   the strength of the net after it, with the survivors no search could kill, goes to
   ``<store>/.legacy-harness/mutation.json``.

Every call first runs in a probe: traced, time-limited, with files, sockets and
processes refused. A target that hangs or does I/O is reported and left alone.

A target with boundaries (declared in the configuration, or taped with its cases) never
touches the real resources here: every call runs against the pooled tapes of its
recorded cases, as on replay. A generated input that makes a boundary call no tape holds
(another customer's row, another URL) is reported with that call and not kept, and the
kept calls are stored with the tape they were answered from, without running for real.
"""

from __future__ import annotations

import copy
import inspect
import io
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.record.boundaries.database import StandInConnection
from legacy_harness.record.recorder import Recorder
from legacy_harness.record.targets import resolve
from legacy_harness.replay import decode_inputs
from legacy_harness.verify import VerifySession
from legacy_harness.widen.calls import SELF, Call, Subject, behaviour, copy_call
from legacy_harness.widen.infer import (
    Comparison,
    Constants,
    Hints,
    Strategy,
    boundary_values,
    mine_constants,
    parameter_strategy,
    strategy_for_values,
    type_hints,
)
from legacy_harness.widen.mutate import Mutant
from legacy_harness.widen.probe import Arc, Probe, probe_call
from legacy_harness.widen.strength import MutantStatus, MutationReport
from legacy_harness.widen.taped import Tapes, tape_problem

#: Tape misses listed in the report (all are counted).
MISSES_SHOWN = 5


@dataclass
class Kept:
    call: Call
    arcs: frozenset[Arc]
    why: str  # "recorded", "new arcs", "boundary ...", "kills mutant ..."
    kills: tuple[Mutant, ...] = ()


@dataclass
class CharacterizeReport:
    """What characterize did for one target."""

    target: str
    strategies: dict[str, str] = field(default_factory=dict)  # parameter -> source
    baseline_arcs: int = 0
    arcs: int = 0
    examples: int = 0
    new_arc_calls: int = 0
    boundary_calls: int = 0
    written: dict[str, int] = field(default_factory=dict)  # store write outcome -> count
    #: inputs whose call reached a boundary call no tape holds: "input: the call"
    tape_misses: list[str] = field(default_factory=list)
    problem: str | None = None
    elapsed: float = 0.0
    #: the masters' strength before the mutant search, and the net's after it
    before: MutationReport | None = None
    after: MutationReport | None = None
    mutant_calls: int = 0  # calls kept because they kill a mutant
    mutants_hunted: int = 0
    mutants_killed: int = 0  # by the search, in-process
    mutant_problem: str | None = None

    def render(self) -> str:
        lines = [
            f"{self.target}: {self.examples} inputs tried in {self.elapsed:.1f} s;"
            f" arcs {self.baseline_arcs} -> {self.arcs};"
            f" kept {self.new_arc_calls} reaching new code, {self.boundary_calls} boundary cases"
        ]
        if self.strategies:
            lines.append(
                "  strategies: " + ", ".join(f"{k} from {v}" for k, v in self.strategies.items())
            )
        if self.written:
            lines.append(
                "  written: " + ", ".join(f"{n} {k}" for k, n in sorted(self.written.items()) if n)
            )
        if self.mutants_hunted or self.before or self.after:
            was = (
                f"masters killed {self.before.killed} of {self.before.total}"
                if self.before
                else "no masters"
            )
            lines.append(
                f"  mutants: {was}; hunted {self.mutants_hunted} survivors, kept"
                f" {self.mutant_calls} cases killing {self.mutants_killed}"
            )
        if self.after:
            lines.append(
                f"  now {self.after.killed} of {self.after.total} mutants killed"
                f" ({self.after.score:.1f}%), {len(self.after.equivalents)} equivalent,"
                f" {len(self.after.survivors)} survived"
            )
            for result in self.after.equivalents:
                mutant = result.mutant
                lines.append(
                    f"  equivalent line {mutant.line} ({mutant.description}): {result.why}"
                )
            for result in self.after.results:
                if result.status == MutantStatus.SURVIVED:
                    mutant = result.mutant
                    lines.append(f"  survived line {mutant.line} ({mutant.description})")
                    if result.why:
                        lines.append(f"    {result.why}")
        if self.tape_misses:
            lines.append(
                f"  {len(self.tape_misses)} inputs reached a boundary call no tape holds"
                " (not run for real, not kept; record such calls to widen the tapes):"
            )
            lines += [f"    {miss}" for miss in self.tape_misses[:MISSES_SHOWN]]
            if len(self.tape_misses) > MISSES_SHOWN:
                lines.append(f"    ... and {len(self.tape_misses) - MISSES_SHOWN} more")
        if self.mutant_problem:
            lines.append(f"  mutants: {self.mutant_problem}")
        if self.problem:
            lines.append(f"  stopped: {self.problem}")
        return "\n".join(lines)


class _Stop(Exception):
    """The target was stopped (timeout or I/O); carries the reason."""


class Explorer:
    """State of one characterize run: the covered arcs and the calls kept so far."""

    def __init__(
        self,
        subject: Subject,
        *,
        timeout: float,
        deadline: float,
        tapes: Tapes | None = None,
        report: CharacterizeReport | None = None,
    ) -> None:
        self.subject = subject
        self.tapes = tapes
        self.report = report
        self.timeout = timeout
        self.deadline = deadline
        self.seen: set[Arc] = set()
        self.pool: list[Kept] = []
        self.kept: list[Kept] = []
        self.tried = 0
        self.problem: str | None = None
        self.combined: set[tuple[int, int]] = set()  # (line, base) pairs already combined

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def probe(self, call: Call) -> tuple[Probe, Call]:
        live = copy_call(call)
        self.tried += 1
        if self.tapes is not None:
            return self._probe_taped(call, live), live
        result = probe_call(
            lambda: self.subject.invoke(self.subject.resolved.function, live),
            self.subject.region,
            timeout=self.timeout,
        )
        if result.problem is not None:
            kind, _, detail = result.problem.partition(": ")
            if kind == "timeout":
                self.problem = f"a call ran past the {self.timeout:g} s limit ({_short(call)}); the target is too slow or hangs"
            else:
                self.problem = (
                    f"the target {detail} ({_short(call)}); characterize only runs code without I/O"
                )
            raise _Stop(self.problem)
        return result, live

    def _probe_taped(self, call: Call, live: Call) -> Probe:
        """Run ``live`` against the pooled tapes; a boundary call they do not hold (or
        access no boundary covers) is noted and the call counts as reaching nothing."""
        assert self.tapes is not None
        channel = self.tapes.channel()
        result = probe_call(
            lambda: channel.run(lambda: self.subject.invoke(self.subject.resolved.function, live)),
            self.subject.region,
            timeout=self.timeout,
            guard_io=False,  # the channel's guard blocks what no boundary covers
        )
        problem = tape_problem(channel.blocked, channel.mismatches)
        if problem is not None:
            if self.report is not None:
                self.report.tape_misses.append(f"{_short(call)}: {problem}")
            return Probe(frozenset(), problem=f"tape: {problem}")
        if result.problem is not None and result.problem.startswith("timeout"):
            self.problem = f"a call ran past the {self.timeout:g} s limit ({_short(call)}); the target is too slow or hangs"
            raise _Stop(self.problem)
        return result

    def offer(self, call: Call, why: str) -> int:
        """Probe ``call``; keep it when it reaches new arcs. Returns the number of new arcs."""
        result, _ = self.probe(call)
        return self.keep(call, result.arcs, why)

    def keep(self, call: Call, arcs: frozenset[Arc], why: str) -> int:
        """Keep ``call`` when ``arcs`` (what it reached) holds new arcs; how many are new."""
        new = len(arcs - self.seen)
        if new:
            self.seen |= arcs
            kept = Kept(call, arcs, why)
            self.pool.append(kept)
            self.kept.append(kept)
        return new


def _short(call: Call, width: int = 120) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    return text if len(text) <= width else text[: width - 3] + "..."


# -- strategies ----------------------------------------------------------------------------


def call_strategy(
    subject: Subject,
    recorded: Sequence[Call],
    *,
    guided: bool,
    report: CharacterizeReport,
) -> st.SearchStrategy[Call]:
    """Calls of the target: each parameter from its own strategy, and (guided) recorded
    calls with one parameter redrawn, which keeps the rest of a realistic input."""
    constants = _constants(subject) if guided else Constants()
    hints = Hints.of(constants)
    annotations = type_hints(subject.resolved.function)
    strategies: dict[str, Strategy] = {}
    for parameter in subject.parameters:
        name = parameter.name
        observed = [c.arguments[name] for c in recorded if name in c.arguments]
        if parameter.kind == parameter.VAR_POSITIONAL:
            observed = [item for values in observed for item in values]
        elif parameter.kind == parameter.VAR_KEYWORD:
            continue
        if observed and all(isinstance(value, StandInConnection) for value in observed):
            # a connection answered by the tapes: passed as recorded, never redrawn
            strategies[name] = st.sampled_from(observed)
            report.strategies[name] = "recorded connections"
            continue
        known = annotations.get(name, inspect.Parameter.empty)
        if (
            not observed
            and known is inspect.Parameter.empty
            and parameter.default is not parameter.empty
        ):
            if not _registered(subject.spec, name):
                continue  # never passed, nothing known: leave the default
        strategy, source = parameter_strategy(subject.spec, name, known, observed, hints)
        if parameter.kind == parameter.VAR_POSITIONAL:
            strategy = st.lists(strategy, max_size=3).map(tuple)
        strategies[name] = strategy
        report.strategies[name] = source
    instances: Strategy = st.none()
    if subject.has_self:
        selves = [c.instance for c in recorded if c.instance is not None]
        if not selves:
            raise HarnessError(
                f"{subject.spec}: no recorded instance to build 'self' from; record some calls first"
            )
        instances = strategy_for_values(selves, hints)
        report.strategies[SELF] = "recorded instances"
    independent = st.builds(Call, st.fixed_dictionaries(strategies), instances)
    if not guided or not recorded:
        return independent
    names = list(strategies) + ([SELF] if subject.has_self else [])

    @st.composite
    def near_recorded(draw: st.DrawFn) -> Call:
        base = draw(st.sampled_from(recorded))
        name = draw(st.sampled_from(names))
        call = Call(dict(base.arguments), base.instance)
        if name == SELF:
            call.instance = draw(instances)
        else:
            call.arguments[name] = draw(strategies[name])
        return call

    return st.one_of(near_recorded(), independent)


def _registered(spec: str, name: str) -> bool:
    from legacy_harness import strategies as registry

    return registry.lookup_name(spec, name) is not None


def _constants(subject: Subject) -> Constants:
    names = [p.name for p in subject.parameters] + ([SELF] if subject.has_self else [])
    return mine_constants(subject.resolved.function, names)


# -- the run -------------------------------------------------------------------------------


def _recorded_calls(session: VerifySession, subject: Subject) -> list[Call]:
    calls: list[Call] = []
    for item in session.store.iter_cases([subject.spec]):
        if isinstance(item, GoldenFileError) or not item.case.replayable:
            continue
        try:
            inputs = decode_inputs(
                item.case,
                session.blob_reader(subject.spec),
                session.class_policy_for(subject.spec),
            )
        except HarnessError:
            continue
        call = subject.from_inputs(inputs)
        if call is not None:
            calls.append(call)
    return calls


def explore(
    subject: Subject,
    recorded: Sequence[Call],
    *,
    max_examples: int,
    budget: float,
    timeout: float,
    seed: int,
    guided: bool,
    report: CharacterizeReport,
    tapes: Tapes | None = None,
) -> Explorer:
    """Steps 1-3 of the module docstring: no store writes, just the calls worth keeping.
    With ``tapes``, every call is answered by them (see :class:`Tapes`)."""
    started = time.monotonic()
    explorer = Explorer(
        subject, timeout=timeout, deadline=started + budget, tapes=tapes, report=report
    )
    try:
        for call in recorded:
            result, _ = explorer.probe(call)
            explorer.seen |= result.arcs
            explorer.pool.append(Kept(call, result.arcs, "recorded"))
        report.baseline_arcs = len(explorer.seen)
        strategy = call_strategy(subject, recorded, guided=guided, report=report)
        hypothesis_deadline = started + budget * (0.6 if guided else 1.0)
        _generate(explorer, strategy, max_examples, seed, guided, hypothesis_deadline)
        if guided:
            boundary_search(explorer, _constants(subject))
    except _Stop:
        pass
    report.problem = explorer.problem
    report.arcs = len(explorer.seen)
    report.examples = explorer.tried
    report.new_arc_calls = sum(not k.why.startswith("boundary") for k in explorer.kept)
    report.boundary_calls = sum(k.why.startswith("boundary") for k in explorer.kept)
    return explorer


def _generate(
    explorer: Explorer,
    strategy: st.SearchStrategy[Call],
    max_examples: int,
    seed: int,
    guided: bool,
    deadline: float,
) -> None:
    stopped: list[_Stop] = []

    @hypothesis_seed(seed)
    @settings(
        database=None,
        deadline=None,
        max_examples=max_examples,
        phases=[Phase.generate, Phase.target] if guided else [Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def run(call: Call) -> None:
        if stopped or time.monotonic() > deadline:
            return
        try:
            new = explorer.offer(call, "new arcs")
        except _Stop as stop:
            stopped.append(stop)
            return
        if guided:
            target(float(new), label="new arcs")

    run()
    if stopped:
        raise stopped[0]


def boundary_search(explorer: Explorer, constants: Constants, rounds: int = 4) -> None:
    """Step 3: calls on both sides of each comparison, kept where the answer changes.

    Variants that reach new arcs are kept too and become bases for the next round, so
    a branch behind a comparison no generated input happened to satisfy is still found.
    """
    probes: list[tuple[Comparison | tuple[str, int], list[Any]]] = [
        (c, boundary_values(c.value)) for c in constants.comparisons
    ]
    probes += [(flag, [True, False]) for flag in constants.flags]
    done: set[int] = set()
    for _ in range(rounds):
        grew = _combine_on_lines(explorer, probes)
        for index, (where, values) in enumerate(probes):
            if index in done or explorer.out_of_time():
                continue
            line = where.line if isinstance(where, Comparison) else where[1]
            for base in list(explorer.pool):
                if not any(line in arc for arc in base.arcs):
                    continue
                variants = [
                    v
                    for v in (
                        _variant(base.call, where, value)
                        for value in _with_base(where, values, base.call)
                    )
                    if v is not None
                ]
                if len(variants) < 2:
                    continue
                signatures = set()
                reaching = []
                for variant in variants:
                    result, live = explorer.probe(variant)
                    if any(line in arc for arc in result.arcs):
                        # only calls that reach the comparison tell its sides apart
                        reaching.append(variant)
                        signatures.add(behaviour(result, variant, live))
                    if explorer.keep(variant, result.arcs, "new arcs (boundary search)"):
                        grew = True
                if len(signatures) > 1:
                    label = _label(where, line)
                    for variant in reaching:
                        explorer.kept.append(Kept(variant, frozenset(), f"boundary {label}"))
                    done.add(index)
                    break
        if not grew:
            return


def _combine_on_lines(
    explorer: Explorer,
    probes: Sequence[tuple[Comparison | tuple[str, int], list[Any]]],
    limit: int = 64,
) -> bool:
    """Compound conditions (``score >= 720 and years > 3``): try the boundary values of
    all the comparisons on one line together, since one change at a time cannot make
    both sides true from a base where both are false. Keeps calls that reach new arcs."""
    import itertools

    by_line: dict[int, list[tuple[Comparison | tuple[str, int], list[Any]]]] = {}
    for where, values in probes:
        line = where.line if isinstance(where, Comparison) else where[1]
        by_line.setdefault(line, []).append((where, values))
    grew = False
    for line, group in by_line.items():
        if len(group) < 2 or explorer.out_of_time():
            continue
        for base in list(explorer.pool):
            if (line, id(base)) in explorer.combined or not any(line in arc for arc in base.arcs):
                continue
            explorer.combined.add((line, id(base)))
            for choice in itertools.islice(itertools.product(*(v for _, v in group)), limit):
                call: Call | None = base.call
                for (where, _), value in zip(group, choice, strict=True):
                    call = _variant(call, where, value) if call is not None else None
                if call is None:
                    continue
                result, _ = explorer.probe(call)
                if explorer.keep(call, result.arcs, "new arcs (boundary search)"):
                    grew = True
    return grew


def _label(where: Comparison | tuple[str, int], line: int) -> str:
    if isinstance(where, Comparison):
        name = where.param + (f".{where.attr}" if where.attr else "")
        name = f"len({name})" if where.length else name
        return f"line {line}: {name} around {where.value!r}"
    return f"line {line}: {where[0]} true and false"


def _with_base(where: Comparison | tuple[str, int], values: list[Any], call: Call) -> list[Any]:
    """For equality with strings, the base's own value is the 'other side'."""
    if isinstance(where, Comparison) and all(isinstance(v, str) for v in values):
        current = _current(call, where)
        if current is _MISSING:
            return values
        # the other side of an equality: the base's own value, or one unlike any constant
        other = current if current not in values else f"{current}~other"
        return [*values, other]
    return values


_MISSING = object()


def _current(call: Call, where: Comparison) -> Any:
    holder = call.instance if where.param == SELF else call.arguments.get(where.param, _MISSING)
    if where.attr is None:
        return holder
    return getattr(holder, where.attr, _MISSING)


def _resized(container: Any, size: Any) -> Any:
    """``container`` (a list or tuple) grown or cut to ``size`` by repeating its items."""
    if not isinstance(container, (list, tuple)) or not container or not isinstance(size, int):
        return _MISSING
    if size < 0:
        return _MISSING
    items = [copy.deepcopy(container[i % len(container)]) for i in range(size)]
    return type(container)(items)


def _variant(call: Call, where: Comparison | tuple[str, int], value: Any) -> Call | None:
    param, attr = (where.param, where.attr) if isinstance(where, Comparison) else (where[0], None)
    if isinstance(where, Comparison) and where.length:
        current = _current(call, Comparison(param, None, 0, attr))
        value = _resized(current, value)
        if value is _MISSING:
            return None
    if attr is None:
        if param == SELF or param not in call.arguments:
            return None
        if isinstance(call.arguments[param], bool) != isinstance(value, bool):
            return None
        return Call({**call.arguments, param: value}, call.instance)
    holder = call.instance if param == SELF else call.arguments.get(param)
    if holder is None or not hasattr(holder, attr):
        return None
    try:
        changed = copy.deepcopy(holder)
        setattr(changed, attr, value)
    except Exception:  # noqa: BLE001 - frozen or uncopyable: no variant
        return None
    if param == SELF:
        return Call(dict(call.arguments), changed)
    return Call({**call.arguments, param: changed}, call.instance)


# -- recording -----------------------------------------------------------------------------


def record_calls(session: VerifySession, subject: Subject, kept: Sequence[Kept]) -> dict[str, int]:
    """Step 5: call the target through the recorder for each kept call."""
    recorder = Recorder(
        [subject.spec], session.store, origin="generated", mode="new", max_cases=10**9
    )
    recorder.start()
    try:
        owner = subject.resolved.owner
        raw = vars(owner)[subject.resolved.attribute]
        wrapper = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
        sink = io.StringIO()
        for item in kept:
            with redirect_stdout(sink), redirect_stderr(sink):
                try:
                    subject.invoke(wrapper, copy_call(item.call))
                except Exception:  # noqa: BLE001 - raising is a recorded outcome
                    pass
    finally:
        summary = recorder.stop()
    return dict(summary.targets[0].outcomes)


def _ids(subject: Subject, kept: Sequence[Kept]) -> dict[str, Kept]:
    """The case id each kept call was recorded under (first one wins)."""
    found: dict[str, Kept] = {}
    for item in kept:
        try:
            found.setdefault(subject.case_id(item.call), item)
        except Exception:  # noqa: BLE001 - an input the codec cannot hash: no note
            continue
    return found


def _annotate(
    session: VerifySession,
    subject: Subject,
    kept: Sequence[Kept],
    kills: dict[str, list[Mutant]] | None = None,
) -> None:
    """Say in each generated case why it was kept (``meta.why``) and which mutants it
    kills (``meta.kills``, mutant keys), for the reviewer and for minimize."""
    by_id = _ids(subject, kept)
    for stored in session.store.iter_cases([subject.spec]):
        if isinstance(stored, GoldenFileError):
            continue
        case = stored.case
        item = by_id.get(case.id)
        if item is None or case.meta.get("origin") != "generated":
            continue
        meta = dict(case.meta)
        meta["why"] = item.why
        killed = (kills or {}).get(case.id)
        if killed:
            meta["kills"] = [mutant.key for mutant in killed]
        if meta != case.meta:
            case.meta = meta
            # the case's blobs are on disk already: rewriting the file keeps them
            session.store.write(case, overwrite=True)


def _kill_label(kills: Sequence[Mutant]) -> str:
    first = kills[0]
    more = f" and {len(kills) - 1} more" if len(kills) > 1 else ""
    return f"kills mutant line {first.line} ({first.description}){more}"


def hunt_mutants(
    session: VerifySession,
    subject: Subject,
    explorer: Explorer,
    report: CharacterizeReport,
    *,
    deadline: float,
    timeout: float,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Step 4: the masters' survivors hunted from every call at hand. Returns, as
    mutant key -> why, the survivors the search reached where they flip and could not
    kill (presumed equivalent), and those it never got to (holes, said how far it came)."""
    from legacy_harness.widen.search import MutantSearch
    from legacy_harness.widen.strength import run_mutants

    try:
        report.before = run_mutants(session, subject.spec, timeout=max(timeout, 2.0))
        candidates = list(report.before.survivors)
    except HarnessError as error:
        if "no replayable cases" not in str(error):
            report.mutant_problem = f"not hunted: {error}"
            return {}, {}
        from legacy_harness.widen.mutate import mutants_of

        candidates = mutants_of(subject.spec)  # no masters yet: every mutant is alive
    if not candidates:
        return {}, {}
    if progress:
        progress(f"hunting {len(candidates)} surviving mutants")
    constants = _constants(subject)
    search = MutantSearch(
        subject,
        candidates,
        timeout=timeout,
        deadline=deadline,
        seed=seed,
        numbers=sorted(float(n) for n in constants.numbers),
    )
    search.run([item.call for item in explorer.pool], progress=progress)
    report.mutants_hunted = len(search.hunts)
    report.mutants_killed = len(search.hunts) - len(search.alive)
    report.examples += search.examples
    for found in search.found:
        kept = Kept(found.call, found.arcs, _kill_label(found.kills), tuple(found.kills))
        explorer.kept.append(kept)
        report.mutant_calls += 1
    return search.unkilled(), search.unreached()


def confirm_kills(
    session: VerifySession, subject: Subject, kept: Sequence[Kept], timeout: float
) -> dict[str, list[Mutant]]:
    """Replay each recorded mutant-killing case against the mutants it was kept for:
    case id -> the mutants verify confirms it kills."""
    from legacy_harness.widen.strength import kill_matrix

    wanted = {case_id: item for case_id, item in _ids(subject, kept).items() if item.kills}
    cases = [
        stored
        for stored in session.store.iter_cases([subject.spec])
        if not isinstance(stored, GoldenFileError) and stored.case.id in wanted
    ]
    claimed = {stored.case.id: list(wanted[stored.case.id].kills) for stored in cases}
    return kill_matrix(session, subject.spec, cases, claimed, timeout)


def characterize(
    session: VerifySession,
    spec: str,
    *,
    max_examples: int = 200,
    budget: float = 60.0,
    timeout: float = 1.0,
    seed: int = 0,
    guided: bool = True,
    write: bool = True,
    mutants: bool = True,
    progress: Callable[[str], None] | None = None,
) -> CharacterizeReport:
    """Widen the store's net for one target; see the module docstring for the steps.

    ``mutants``: after coverage, hunt the mutants the masters let survive (guided runs
    only), record the strength of the net and save it (when writing). ``budget``
    bounds each phase: coverage, then the hunt.
    """
    started = time.monotonic()
    subject = Subject(resolve(spec))
    report = CharacterizeReport(subject.spec)
    recorded = _recorded_calls(session, subject)
    tapes = Tapes.of(session, subject)
    hunting = mutants and guided and tapes is None
    if mutants and guided and tapes is not None:
        report.mutant_problem = (
            "not hunted: the target reaches boundaries, and the mutant search runs calls"
            " without their tapes (mutate measures the masters' strength)"
        )
    with tapes.boundaries.installed() if tapes is not None else nullcontext():
        _characterize(
            session,
            subject,
            report,
            recorded,
            tapes,
            hunting,
            write,
            progress,
            max_examples=max_examples,
            budget=budget,
            timeout=timeout,
            seed=seed,
            guided=guided,
        )
    report.elapsed = time.monotonic() - started
    return report


def _characterize(
    session: VerifySession,
    subject: Subject,
    report: CharacterizeReport,
    recorded: Sequence[Call],
    tapes: Tapes | None,
    hunting: bool,
    write: bool,
    progress: Callable[[str], None] | None,
    *,
    max_examples: int,
    budget: float,
    timeout: float,
    seed: int,
    guided: bool,
) -> None:
    """Steps 1-5, in one block so a target's boundaries stay installed through all."""
    if progress:
        progress("generating inputs for coverage")
    explorer = explore(
        subject,
        recorded,
        max_examples=max_examples,
        budget=budget,
        timeout=timeout,
        seed=seed,
        guided=guided,
        report=report,
        tapes=tapes,
    )
    unkilled: dict[str, str] = {}
    unreached: dict[str, str] = {}
    if hunting and explorer.problem is None:
        unkilled, unreached = hunt_mutants(
            session,
            subject,
            explorer,
            report,
            deadline=time.monotonic() + budget,
            timeout=timeout,
            seed=seed,
            progress=progress,
        )
    if write and explorer.kept:
        if progress:
            progress(f"recording {len(explorer.kept)} cases")
        if tapes is None:
            report.written = record_calls(session, subject, explorer.kept)
        else:
            report.written, missed = tapes.record([item.call for item in explorer.kept])
            report.tape_misses += [f"{_short(call)}: {problem}" for call, problem in missed]
        kills = confirm_kills(session, subject, explorer.kept, timeout) if hunting else {}
        _annotate(session, subject, explorer.kept, kills)
    if write and hunting and explorer.problem is None and report.mutant_problem is None:
        if progress:
            progress("measuring the net's strength")
        report.after = _strength_after(session, subject, unkilled, unreached, timeout)


def _strength_after(
    session: VerifySession,
    subject: Subject,
    unkilled: dict[str, str],
    unreached: dict[str, str],
    timeout: float,
) -> MutationReport | None:
    """The net's strength once the new cases are in, saved to mutation.json: survivors
    the hunt reached where they flip are presumed equivalent (``unkilled``), the others
    stay survivors with how far the hunt came (``unreached``)."""
    from legacy_harness.widen.strength import run_mutants, write_scores

    try:
        after = run_mutants(
            session,
            subject.spec,
            timeout=max(timeout, 2.0),
            claims=unkilled,
            notes=unreached,
        )
    except HarnessError:
        return None
    write_scores(
        session.store.root, [after], {subject.spec: subject.resolved.function.__code__.co_filename}
    )
    return after
