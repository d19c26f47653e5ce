"""Keep the smallest set of cases that still covers what the store covers.

Recording a long run and characterizing both add cases; many of them take the same
paths. Minimizing keeps, per target, a smallest set (greedy set cover, then a pass
that drops any case the others make redundant) that preserves

- every arc of the target's code that some case reaches, and
- every distinct outcome kind: each exception type raised, returning normally, and each
  effect shape (which arguments the call changed, and what kind of value they hold);
- every mutant some case was kept for killing (``meta.kills``, written by characterize's
  mutant search): boundary cases add no arc, and dropping them would let mutants live.

Recorded cases are preferred over generated ones when both cover the same ground.
Cases that cannot be replayed are never removed: nothing is known about what they cover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.replay import replay
from legacy_harness.store.case import GoldenCase
from legacy_harness.store.disk import StoredCase
from legacy_harness.verify import VerifySession
from legacy_harness.widen.probe import Arc, probe_call, region_of

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.config import Config
    from legacy_harness.parallel import Executor

Element = tuple[Any, ...]


def outcome_kind(case: GoldenCase) -> str:
    """The outcome kind of a case: what it raised or that it returned, and its effect shape."""
    outcome = case.observation.outcome
    head = f"raised {outcome['raised'].get('type')}" if "raised" in outcome else "returned"
    effects = case.observation.effects
    if not effects:
        return head
    shape = ", ".join(f"{name}: {_skeleton(tree)}" for name, tree in sorted(effects.items()))
    return f"{head}; changed {shape}"


def _skeleton(tree: Any) -> str:
    """The kind of an encoded value, without its contents."""
    if isinstance(tree, dict):
        tagged = [key for key in tree if key.startswith("$") and key not in ("$id",)]
        if tagged:
            tag = tagged[0]
            return f"{tag}:{tree[tag]}" if tag in ("$object", "$namedtuple", "$enum") else tag
        return "dict{" + ",".join(sorted(tree)) + "}"
    if isinstance(tree, list):
        return "list"
    return type(tree).__name__


@dataclass
class Profile:
    """What one stored case covers."""

    stored: StoredCase
    arcs: frozenset[Arc]
    kind: str

    @property
    def elements(self) -> set[Element]:
        kills = self.stored.case.meta.get("kills", [])
        killed = {("kill", str(key)) for key in kills} if isinstance(kills, list) else set()
        return {("arc", *arc) for arc in self.arcs} | {("kind", self.kind)} | killed


@dataclass
class MinimizePlan:
    target: str
    keep: list[StoredCase] = field(default_factory=list)
    drop: list[StoredCase] = field(default_factory=list)
    unjudged: list[StoredCase] = field(default_factory=list)  # not replayable: always kept
    arcs: int = 0
    kinds: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def before(self) -> int:
        return len(self.keep) + len(self.drop) + len(self.unjudged)

    @property
    def after(self) -> int:
        return len(self.keep) + len(self.unjudged)


def profile(session: VerifySession, stored: StoredCase, timeout: float | None) -> Profile:
    """Replay the case under the arc tracer (rng restored, as verify replays it)."""
    case = stored.case
    target = session.target_of(stored)
    region = region_of(target)
    result = probe_call(
        lambda: replay(
            case,
            session.blob_reader(case.target),
            session.class_policy_for(case.target),
            target=target,
        ),
        region,
        timeout=timeout,
        guard_io=False,
    )
    if result.problem is not None:
        raise HarnessError(f"case-{case.id} could not be replayed: {result.problem}")
    if result.raised is not None:
        raise HarnessError(f"case-{case.id} could not be replayed: {result.raised}")
    replayed = result.returned
    if replayed.blocked or replayed.mismatches:  # what it covers today is not what it would
        problem = (replayed.blocked or [m.render() for m in replayed.mismatches])[0]
        raise HarnessError(f"case-{case.id} of {case.target} does not replay: {problem}")
    return Profile(stored, result.arcs, outcome_kind(case))


def choose(profiles: Sequence[Profile], *, required: Sequence[Profile] = ()) -> list[Profile]:
    """A small subset covering every element any profile covers (greedy, then pruned).

    ``required`` profiles are kept whatever they add. Ties go to recorded cases, then to
    the case id, so the same store always minimizes the same way.
    """

    def rank(p: Profile) -> tuple[int, str]:
        return (p.stored.case.meta.get("origin") != "recorded", p.stored.case.id)

    universe: set[Element] = set().union(*(p.elements for p in profiles)) if profiles else set()
    chosen = list(required)
    covered: set[Element] = set().union(*(p.elements for p in chosen)) if chosen else set()
    candidates = sorted((p for p in profiles if p not in chosen), key=rank)
    while covered < universe:
        best = max(candidates, key=lambda p: len(p.elements - covered))
        chosen.append(best)
        candidates.remove(best)
        covered |= best.elements
    # a later pick can make an earlier one redundant
    for profile_ in sorted(chosen[len(required) :], key=rank, reverse=True):
        others = [p for p in chosen if p is not profile_]
        rest: set[Element] = set().union(*(p.elements for p in others)) if others else set()
        if universe <= rest:
            chosen = others
    return chosen


def plan(
    session: VerifySession,
    target: str,
    *,
    keep_boundary: bool = False,
    timeout: float | None = 10.0,
    executor: Executor | None = None,
) -> MinimizePlan:
    """Decide which cases of ``target`` to keep; changes nothing. The cases are
    replayed over ``executor`` (processes or a Dask cluster) when given and the target
    has enough of them to pay for it."""
    result = MinimizePlan(target)
    profiles: list[Profile] = []
    judged: list[StoredCase] = []
    for item in session.store.iter_cases([target]):
        if isinstance(item, GoldenFileError):
            result.errors.append(str(item))
        elif not item.case.replayable:
            result.unjudged.append(item)
        else:
            judged.append(item)
    for item, found in zip(judged, _profiles(session, judged, timeout, executor), strict=True):
        if isinstance(found, Profile):
            profiles.append(found)
        else:
            result.errors.append(found)
            result.unjudged.append(item)
    required = [
        p
        for p in profiles
        if keep_boundary and str(p.stored.case.meta.get("why", "")).startswith("boundary")
    ]
    chosen = choose(profiles, required=required)
    kept = {id(p) for p in chosen}
    result.keep = [p.stored for p in profiles if id(p) in kept]
    result.drop = [p.stored for p in profiles if id(p) not in kept]
    result.arcs = len(set().union(*(p.arcs for p in profiles))) if profiles else 0
    result.kinds = sorted({p.kind for p in profiles})
    return result


#: Fewer cases than this are profiled in-process: starting workers would cost more.
PARALLEL_FROM = 40
#: Cases per task sent to a worker.
CHUNK = 10


def _profiles(
    session: VerifySession,
    items: list[StoredCase],
    timeout: float | None,
    executor: Executor | None,
) -> list[Profile | str]:
    """The profile of each case, or why it could not be replayed, in the order given."""
    if executor is None or executor.jobs == 1 or len(items) < PARALLEL_FROM:
        return [_profile_or_error(session, item, timeout) for item in items]
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    found = dict(executor.map_unordered(profile_chunk, chunks, (session.config, timeout)))
    return [entry for index in range(len(chunks)) for entry in found[index]]


def _profile_or_error(
    session: VerifySession, item: StoredCase, timeout: float | None
) -> Profile | str:
    try:
        return profile(session, item, timeout)
    except HarnessError as error:
        return str(error)


#: (what the run shares, its session): one session per worker process and run.
_SESSION: tuple[object, VerifySession] | None = None


def profile_chunk(
    shared: tuple[Config, float | None], items: list[StoredCase]
) -> list[Profile | str]:
    """A worker's part of ``minimize --jobs``: the profiles of ``items``, in order."""
    global _SESSION
    config, timeout = shared
    if _SESSION is None or _SESSION[0] is not shared:
        _SESSION = (shared, VerifySession.open(config))
    return [_profile_or_error(_SESSION[1], item, timeout) for item in items]


def apply(session: VerifySession, minimize_plan: MinimizePlan) -> int:
    """Remove the dropped cases (and blobs nothing refers to any more)."""
    for stored in minimize_plan.drop:
        session.store.remove(stored.path)
    if minimize_plan.drop:
        session.store.remove_unused_blobs(minimize_plan.target)
    return len(minimize_plan.drop)
