"""How strong is the net? Run the mutants of a target against its masters.

For each mutant (:mod:`.mutate`), swap the target's ``__code__``, replay the masters and
count the mutant killed when some case no longer behaves the same (``verify``'s
comparison and tolerances), or runs past the time limit. Three things keep it fast
enough to run on every change:

- each case is replayed once on the original under a line tracer, and a mutant is
  replayed only against the cases that run one of its lines (a case that never runs
  the changed line runs the mutant exactly as the original);
- mutants with the same bytecode as the original or as another mutant are named
  equivalent and not run (trivial compiler equivalence);
- mutants run on an :class:`~legacy_harness.parallel.Executor` (local processes or a
  Dask cluster, ``--jobs``/``--executor``), in batches, and ``changed`` restricts them to lines
  that changed (``legacy-harness mutate --changed REF``).

The strength report counts killed, equivalent and surviving mutants. Equivalent ones
(same bytecode, or no search by ``characterize`` could kill them: see
:func:`claims_for`) are listed with their line and why, and are not counted against the
net. :func:`write_scores` keeps the result in ``<store>/.legacy-harness/mutation.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.config import Config
from legacy_harness.errors import CallTimeout, GoldenFileError, HarnessError
from legacy_harness.outcomes import CaseStatus, MutantStatus
from legacy_harness.parallel import Executor, LocalExecutor
from legacy_harness.record.targets import resolve, source_hash
from legacy_harness.store.confine import atomic_write
from legacy_harness.store.disk import StoredCase
from legacy_harness.verify import VerifySession, verify_case
from legacy_harness.widen.mutate import Mutant, MutantSource, compiled_equivalents
from legacy_harness.widen.probe import ArcTracer, region_of, time_limit

__all__ = [
    "MUTATION_FILE",
    "MutantResult",
    "MutantStatus",
    "MutationReport",
    "changed_lines",
    "claims_for",
    "notes_for",
    "kill_matrix",
    "MutantJob",
    "judge_batch",
    "read_scores",
    "run_mutants",
    "run_suite",
    "save_entries",
    "write_scores",
]

#: Where the last full mutation run of each target is kept, relative to the store.
MUTATION_FILE = Path(".legacy-harness") / "mutation.json"
#: The largest mutation.json read (it arrives in pull requests like golden files).
MAX_SCORES_BYTES = 4_000_000
FORMAT = 1


_KILLS = (MutantStatus.KILLED, MutantStatus.TIMEOUT)
_EQUIVALENT = (MutantStatus.EQUIVALENT, MutantStatus.DUPLICATE, MutantStatus.UNKILLED)


@dataclass
class MutantResult:
    mutant: Mutant
    status: MutantStatus
    killer: str | None = None  # the case id (or test name) that noticed
    why: str = ""  # for equivalents and survivors: what is known about it
    #: a survivor characterize hunted and could not kill (``why`` says how far it came)
    hunted: bool = False


@dataclass
class MutationReport:
    """The strength of one target's net."""

    target: str
    cases: int
    results: list[MutantResult] = field(default_factory=list)
    elapsed: float = 0.0
    source_hash: str = ""
    #: a hash of the case ids, so a reader can tell the score still fits the store
    masters: str = ""
    replays: int = 0  # case replays made against mutants
    jobs: int = 1
    #: where the mutants ran (the executor's description): "in-process", "2 local processes"
    runs_on: str = "in-process"
    scope: str | None = None  # "lines changed since REF" for a partial run

    def _of(self, *statuses: MutantStatus) -> list[MutantResult]:
        return [r for r in self.results if r.status in statuses]

    @property
    def mutants(self) -> int:
        """Every mutant made and judged (invalid and skipped ones aside)."""
        return len(self.results) - len(self._of(MutantStatus.INVALID, MutantStatus.SKIPPED))

    @property
    def killed(self) -> int:
        return len(self._of(*_KILLS))

    @property
    def total(self) -> int:
        """The mutants counted in the score: killed and survived."""
        return self.killed + len(self.survivors)

    @property
    def survivors(self) -> list[Mutant]:
        return [r.mutant for r in self._of(MutantStatus.SURVIVED)]

    @property
    def equivalents(self) -> list[MutantResult]:
        return self._of(*_EQUIVALENT)

    @property
    def score(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.killed / self.total

    def by_operator(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = {}
        for result in self.results:
            if result.status in _KILLS or result.status == MutantStatus.SURVIVED:
                entry = counts.setdefault(result.mutant.operator, [0, 0])
                entry[0] += result.status in _KILLS
                entry[1] += 1
        return {op: (k, n) for op, (k, n) in sorted(counts.items())}

    def render(self, filename: str | None = None) -> str:
        """The strength report: score, counts, then each equivalent and survivor with
        its line and source."""
        from legacy_harness.widen.measure import excerpt

        scope = f" on {self.scope}" if self.scope else ""
        lines = [
            f"{self.target}: {self.killed} of {self.total} mutants killed ({self.score:.1f}%)"
            f" by {self.cases} cases in {self.elapsed:.1f} s{scope}",
            f"  mutants {self.mutants}, killed {self.killed}, equivalent"
            f" {len(self.equivalents)}, survived {len(self.survivors)}"
            f" ({self.replays} replays, {self.runs_on})",
        ]
        operators = self.by_operator()
        if operators:
            lines.append("  " + ", ".join(f"{op} {k}/{n}" for op, (k, n) in operators.items()))
        for result in self.equivalents:
            mutant = result.mutant
            where = f": {excerpt(filename, mutant.line)}" if filename else ""
            lines.append(f"  equivalent line {mutant.line} ({mutant.description}){where}")
            lines.append(f"    {result.why}")
        for result in self._of(MutantStatus.SURVIVED):
            mutant = result.mutant
            where = f": {excerpt(filename, mutant.line)}" if filename else ""
            lines.append(f"  survived line {mutant.line} ({mutant.description}){where}")
            if result.why:
                lines.append(f"    {'hunted, ' if result.hunted else ''}{result.why}")
        skipped = len(self._of(MutantStatus.SKIPPED))
        if skipped:
            lines.append(f"  {skipped} mutants on unchanged lines not run")
        return "\n".join(lines)

    def to_data(self, filename: str | None = None) -> dict[str, Any]:
        """The report as JSON-ready data (the form of one target in mutation.json)."""
        from legacy_harness.widen.measure import excerpt

        def item(result: MutantResult) -> dict[str, Any]:
            mutant = result.mutant
            data: dict[str, Any] = {
                "line": mutant.line,
                "column": mutant.column,
                "operator": mutant.operator,
                "description": mutant.description,
                "source": excerpt(filename, mutant.line) if filename else "",
            }
            if result.status in _EQUIVALENT:
                data["kind"] = str(result.status)
            if result.hunted:
                data["hunted"] = True
            if result.why:
                data["why"] = result.why
            return data

        return {
            "target": self.target,
            "source_hash": self.source_hash,
            "masters": self.masters,
            "cases": self.cases,
            "mutants": self.mutants,
            "killed": self.killed,
            "equivalent": len(self.equivalents),
            "survived": len(self.survivors),
            "score": round(self.score, 2),
            "by_operator": {op: [k, n] for op, (k, n) in self.by_operator().items()},
            "survivors": [item(r) for r in self._of(MutantStatus.SURVIVED)],
            "equivalents": [item(r) for r in self.equivalents],
        }


# -- running mutants ------------------------------------------------------------------

#: One check of behaviour: its name, and a call returning True when behaviour held.
Check = tuple[str, Callable[[], bool]]


class Runner:
    """Runs mutants of one function against a fixed list of checks (the masters, or a
    hand-written suite). The same object works in the parent and in each worker."""

    def __init__(
        self, function: types.FunctionType, spec: str, checks: Sequence[Check], timeout: float
    ) -> None:
        self.function = function
        self.source = MutantSource(function, spec)
        self.checks = list(checks)
        self.timeout = timeout
        self.order = list(range(len(self.checks)))  # killers of one mutant go first

    def run(self, index: int, positions: Sequence[int]) -> tuple[MutantStatus, str | None, int]:
        """(status, killer, replays) of mutant ``index`` against the checks at ``positions``."""
        try:
            code = self.source.code(index)
        except (SyntaxError, ValueError, HarnessError):
            return MutantStatus.INVALID, None, 0
        wanted = set(positions)
        original = self.function.__code__
        self.function.__code__ = code
        replays = 0
        try:
            for position in [p for p in self.order if p in wanted]:
                name, check = self.checks[position]
                replays += 1
                try:
                    with time_limit(self.timeout):
                        held = check()
                except CallTimeout:
                    return MutantStatus.TIMEOUT, name, replays
                except Exception:  # noqa: BLE001 - the mutant broke the replay itself
                    held = False
                if not held:
                    self.order.remove(position)
                    self.order.insert(0, position)
                    return MutantStatus.KILLED, name, replays
        finally:
            self.function.__code__ = original
        return MutantStatus.SURVIVED, None, replays


#: Worker side: the runner of each map's shared key, built once per process. The parent
#: puts its own runner here before a map, so a forked worker starts with it.
_RUNNERS: dict[tuple[Any, ...], Runner] = {}
_RUNNERS_KEPT = 4


@dataclass(frozen=True)
class MutantJob:
    """What every worker needs to judge mutants of one target: sent once per map."""

    config: Config
    spec: str
    paths: tuple[str, ...]
    timeout: float

    @property
    def key(self) -> tuple[Any, ...]:
        return (str(self.config.store), self.spec, self.paths, self.timeout)


def _runner_of(job: MutantJob) -> Runner:
    """The job's runner in this process: the target resolved and the cases loaded once."""
    runner = _RUNNERS.get(job.key)
    if runner is None:
        session = VerifySession.open(job.config)
        stored = [session.store.load(Path(path)) for path in job.paths]
        runner = Runner(
            _function_of(job.spec), job.spec, _case_checks(session, stored), job.timeout
        )
        while len(_RUNNERS) >= _RUNNERS_KEPT:
            _RUNNERS.pop(next(iter(_RUNNERS)))
        _RUNNERS[job.key] = runner
    return runner


def judge_batch(
    job: MutantJob, batch: Sequence[tuple[int, Sequence[int]]]
) -> list[tuple[int, MutantStatus, str | None, int]]:
    """Worker side (:class:`~legacy_harness.parallel.Executor`): (index, status, killer,
    replays) of each mutant of ``batch``, against the cases at its positions."""
    runner = _runner_of(job)
    return [(index, *runner.run(index, positions)) for index, positions in batch]


def _case_checks(session: VerifySession, cases: Sequence[StoredCase]) -> list[Check]:
    def holds(stored: StoredCase) -> Callable[[], bool]:
        return lambda: (
            verify_case(session, stored).status
            not in (
                CaseStatus.CHANGED,
                CaseStatus.ERROR,
            )
        )

    return [(stored.case.id, holds(stored)) for stored in cases]


def _reached_lines(runner: Runner, spec: str, subject: str) -> list[frozenset[int]]:
    """Run every check once on the original, traced; the lines each one reaches. Raises
    when some check already fails: a score on a failing net would mean nothing."""
    region = region_of(resolve(spec))
    reached: list[frozenset[int]] = []
    failing: list[str] = []
    for name, check in runner.checks:
        with ArcTracer(region) as tracer:
            try:
                held = check()
            except Exception:  # noqa: BLE001 - a failing test is a failing check
                held = False
        if not held:
            failing.append(name)
        reached.append(frozenset(line for arc in tracer.arcs for line in arc if line > 0))
    if failing:
        names = ", ".join(failing[:3])
        more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
        raise HarnessError(
            f"{len(failing)} of {len(runner.checks)} {subject} of {spec} already fail"
            f" ({names}{more}): a mutation score on them would mean nothing; run"
            " 'legacy-harness verify' and fix or approve them first"
        )
    return reached


def executable_lines(code: types.CodeType) -> set[int]:
    """Lines the interpreter can report for ``code`` and the code nested in it."""
    lines = {line for _, _, line in code.co_lines() if line is not None}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            lines |= executable_lines(const)
    return lines


def _plan(
    runner: Runner,
    reached: Sequence[frozenset[int]],
    mutants: Iterable[Mutant],
) -> tuple[list[tuple[int, list[int]]], list[MutantResult]]:
    """Which cases each mutant is replayed against; mutants no case reaches survive
    without a replay."""
    executable = executable_lines(runner.function.__code__)
    everyone = list(range(len(runner.checks)))
    tasks: list[tuple[int, list[int]]] = []
    unreached: list[MutantResult] = []
    for mutant in mutants:
        lines = set(mutant.lines)
        if mutant.anywhere or not lines & executable:
            tasks.append((mutant.index, everyone))
            continue
        positions = [i for i, seen in enumerate(reached) if seen & lines]
        if positions:
            tasks.append((mutant.index, positions))
        else:
            why = f"no case runs line {mutant.line}"
            unreached.append(MutantResult(mutant, MutantStatus.SURVIVED, why=why))
    return tasks, unreached


def _batches(tasks: list[tuple[int, list[int]]], jobs: int) -> list[list[tuple[int, list[int]]]]:
    size = max(1, min(32, len(tasks) // (jobs * 4) or 1))
    return [tasks[start : start + size] for start in range(0, len(tasks), size)]


Progress = Callable[[int, int], None]

#: Mutants run in this process for this long first, and are spread over the executor
#: only when what is left looks like twice as much again: a shorter run loses more to
#: starting workers and sending them the cases than it gains.
MIN_SPREAD_SECONDS = 0.5


def _judge_all(
    runner: Runner,
    tasks: list[tuple[int, list[int]]],
    *,
    executor: Executor | None,
    job: MutantJob | None,
    progress: Progress | None,
) -> tuple[dict[int, tuple[MutantStatus, str | None]], int, bool]:
    """Judge every task: (outcomes, replays, whether the executor took part).

    Tasks run here until :data:`MIN_SPREAD_SECONDS` have passed and what is left looks
    long enough to share; the rest go to the executor in batches (a forked worker starts
    with this runner, killers first)."""
    outcomes: dict[int, tuple[MutantStatus, str | None]] = {}
    replays = 0
    if progress:
        progress(0, len(tasks))
    spread = executor is not None and job is not None and executor.jobs > 1
    started = time.monotonic()
    pending = list(tasks)

    def worth_spreading() -> bool:
        elapsed = time.monotonic() - started
        if not spread or elapsed < MIN_SPREAD_SECONDS:
            return False
        left = elapsed / max(1, len(outcomes)) * len(pending)
        return left >= 2 * MIN_SPREAD_SECONDS

    while pending and not worth_spreading():
        index, positions = pending.pop(0)
        status, killer, count = runner.run(index, positions)
        outcomes[index] = (status, killer)
        replays += count
        if progress:
            progress(len(outcomes), len(tasks))
    if not pending or executor is None or job is None:
        return outcomes, replays, False
    _RUNNERS[job.key] = runner  # what a forked worker starts with
    try:
        batches = _batches(pending, executor.jobs)
        for _, results in executor.map_unordered(judge_batch, batches, job):
            for index, status, killer, count in results:
                outcomes[index] = (status, killer)
                replays += count
            if progress:
                progress(len(outcomes), len(tasks))
    finally:
        _RUNNERS.pop(job.key, None)
    return outcomes, replays, True


def _function_of(spec: str) -> types.FunctionType:
    function = resolve(spec).function
    if not isinstance(function, types.FunctionType):
        raise HarnessError(f"target {spec} is not a Python function; cannot mutate it")
    return function


def _measure(
    runner: Runner,
    report: MutationReport,
    reached: Sequence[frozenset[int]],
    *,
    only: Sequence[int] | None,
    changed: set[int] | None,
    claims: dict[str, str] | None,
    notes: dict[str, str] | None,
    executor: Executor | None,
    job: MutantJob | None,
    progress: Progress | None,
) -> MutationReport:
    source = runner.source
    chosen: list[Mutant] = []
    results: dict[int, MutantResult] = {}
    for mutant in source.mutants:
        if only is not None and mutant.index not in only:
            continue
        if changed is not None and not set(mutant.lines) & changed:
            results[mutant.index] = MutantResult(mutant, MutantStatus.SKIPPED)
            continue
        chosen.append(mutant)
    codes: dict[int, types.CodeType] = {}
    for mutant in chosen:
        try:
            codes[mutant.index] = source.code(mutant.index)
        except (SyntaxError, ValueError, HarnessError):
            results[mutant.index] = MutantResult(mutant, MutantStatus.INVALID)
    equivalent = compiled_equivalents(source, codes)
    for index, found in equivalent.items():
        status = MutantStatus.EQUIVALENT if found.same_as is None else MutantStatus.DUPLICATE
        results[index] = MutantResult(found.mutant, status, why=found.why)
    to_run = [m for m in chosen if m.index not in results]
    tasks, unreached = _plan(runner, reached, to_run)
    for result in unreached:
        results[result.mutant.index] = result
    outcomes, report.replays, spread = _judge_all(
        runner, tasks, executor=executor, job=job, progress=progress
    )
    for mutant in to_run:
        if mutant.index in outcomes:
            status, killer = outcomes[mutant.index]
            results[mutant.index] = MutantResult(mutant, status, killer)
    for result in results.values():
        if result.status != MutantStatus.SURVIVED:
            continue
        if claims and result.mutant.key in claims:
            result.status = MutantStatus.UNKILLED
            result.why = claims[result.mutant.key]
        elif notes and result.mutant.key in notes:
            result.why, result.hunted = notes[result.mutant.key], True
    report.results = [results[m.index] for m in source.mutants if m.index in results]
    if spread and executor is not None:
        report.jobs, report.runs_on = executor.jobs, executor.description
    elif executor is not None and executor.jobs > 1:
        report.runs_on = "in-process: too little work to spread"
    return report


def run_mutants(
    session: VerifySession,
    spec: str,
    *,
    timeout: float = 2.0,
    only: Sequence[int] | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    changed: set[int] | None = None,
    claims: dict[str, str] | None = None,
    notes: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> MutationReport:
    """Apply each mutant of ``spec`` and replay the masters that reach it.

    ``changed``: file lines to restrict the mutants to; ``claims``: mutant key -> why,
    survivors characterize's search reached where they flip and could not kill
    (reported as unkilled, presumed equivalent, not counted); ``notes``: mutant key ->
    why, survivors the search never got to where they flip (still survivors, reported
    with how far it came); ``executor``: where mutants run (:mod:`legacy_harness.parallel`, e.g. from
    ``--jobs/--executor``); without one, ``jobs`` local processes.
    """
    started = time.monotonic()
    target = resolve(spec)
    spec = str(target.spec)
    function = _function_of(spec)
    cases: list[StoredCase] = [
        item
        for item in session.store.iter_cases([spec])
        if not isinstance(item, GoldenFileError) and item.case.replayable
    ]
    if not cases:
        raise HarnessError(
            f"no replayable cases for {spec} in {session.store.root}; record or characterize first"
        )
    runner = Runner(function, spec, _case_checks(session, cases), timeout)
    reached = _reached_lines(runner, spec, "masters")
    report = MutationReport(
        spec, len(cases), source_hash=source_hash(function), masters=masters_hash(cases)
    )
    job = MutantJob(session.config, spec, tuple(str(stored.path) for stored in cases), timeout)
    own = executor is None and jobs > 1
    if own:
        executor = LocalExecutor(jobs)
    try:
        _measure(
            runner,
            report,
            reached,
            only=only,
            changed=changed,
            claims=claims,
            notes=notes,
            executor=executor,
            job=job,
            progress=progress,
        )
    finally:
        if own and executor is not None:
            executor.close()
    report.elapsed = time.monotonic() - started
    return report


def kill_matrix(
    session: VerifySession,
    spec: str,
    cases: Sequence[StoredCase],
    claimed: dict[str, list[Mutant]],
    timeout: float,
) -> dict[str, list[Mutant]]:
    """Case id -> the mutants among those ``claimed`` for it that replaying the case
    (verify's comparison) tells apart from the original."""
    runner = Runner(_function_of(spec), spec, _case_checks(session, cases), timeout)
    confirmed: dict[str, list[Mutant]] = {}
    for position, stored in enumerate(cases):
        for mutant in claimed.get(stored.case.id, []):
            status, _, _ = runner.run(mutant.index, [position])
            if status in _KILLS:
                confirmed.setdefault(stored.case.id, []).append(mutant)
    return confirmed


def masters_hash(cases: Sequence[StoredCase]) -> str:
    ids = "\n".join(sorted(stored.case.id for stored in cases))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def run_suite(
    spec: str, tests: Sequence[Callable[[], object]], *, timeout: float = 2.0
) -> MutationReport:
    """The same measure for a hand-written suite: each test is a function that raises
    (an ``assert``) when behaviour is wrong, as pytest runs it. Lets a net of masters be
    compared with a suite written by hand, mutant for mutant."""
    started = time.monotonic()
    spec = str(resolve(spec).spec)
    function = _function_of(spec)

    def passes(test: Callable[[], object]) -> Callable[[], bool]:
        def check() -> bool:
            try:
                test()
            except AssertionError:
                return False
            return True

        return check

    checks = [(getattr(t, "__name__", repr(t)), passes(t)) for t in tests]
    runner = Runner(function, spec, checks, timeout)
    reached = _reached_lines(runner, spec, "tests")
    report = MutationReport(spec, len(checks), source_hash=source_hash(function))
    _measure(
        runner,
        report,
        reached,
        only=None,
        changed=None,
        claims=None,
        notes=None,
        executor=None,
        job=None,
        progress=None,
    )
    report.elapsed = time.monotonic() - started
    return report


# -- lines changed since a git ref ---------------------------------------------------

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)


def changed_lines(filename: str, ref: str) -> set[int]:
    """Lines of ``filename`` added or changed since git ``ref`` (every line when git
    does not track the file yet)."""
    if not ref or ref.startswith("-"):
        raise HarnessError(f"--changed {ref!r}: not a git ref; pass a branch, tag or commit")
    folder = str(Path(filename).parent)

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", "-C", folder, *args], capture_output=True, text=True, check=False
            )
        except OSError as error:
            raise HarnessError(f"--changed needs git, which cannot run ({error})") from None

    if git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise HarnessError(
            f"--changed {ref}: {folder} is not in a git checkout; drop --changed to mutate every line"
        )
    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise HarnessError(
            f"--changed {ref}: git knows no such commit in {folder}; pass a branch, tag or commit"
        )
    if git("ls-files", "--error-unmatch", filename).returncode != 0:
        with open(filename, encoding="utf-8") as handle:
            return set(range(1, sum(1 for _ in handle) + 1))
    diff = git("diff", "--unified=0", "--no-color", ref, "--", filename)
    if diff.returncode != 0:
        raise HarnessError(f"--changed {ref}: git diff failed: {diff.stderr.strip()}")
    lines: set[int] = set()
    for match in _HUNK.finditer(diff.stdout):
        start, count = int(match.group(1)), int(match.group(2) or 1)
        # a pure deletion (count 0) sits between two lines: both count as changed
        lines |= set(range(start, start + count)) if count else {start, start + 1}
    return lines


# -- mutation.json -------------------------------------------------------------------


def read_scores(store: Path) -> tuple[dict[str, Any], str | None]:
    """The saved scores (``{target: entry}``) and a problem, if the file is unusable.
    The file is data from the repository: bounded, parsed as JSON only, never trusted
    past its shape."""
    path = store / MUTATION_FILE
    if not path.exists():
        return {}, None
    if path.is_symlink() or path.parent.is_symlink():
        return {}, f"{path}: is a symbolic link; not read"
    try:
        if path.stat().st_size > MAX_SCORES_BYTES:
            return {}, f"{path}: larger than {MAX_SCORES_BYTES} bytes; not read"
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return {}, f"{path}: cannot be read ({error}); it will be rewritten"
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, dict) or not all(isinstance(v, dict) for v in targets.values()):
        return {}, f"{path}: 'targets' is not a table of targets; it will be rewritten"
    return targets, None


def _saved_verdicts(
    entry: dict[str, Any] | None, current_hash: str, field: str, wanted: Callable[[Any], bool]
) -> dict[str, str]:
    if not entry or entry.get("source_hash") != current_hash:
        return {}
    items = entry.get(field, [])
    found: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not wanted(item):
            continue
        try:
            key = f"{int(item['line'])}:{int(item['column'])}:{item['operator']}:{item['description']}"
        except (KeyError, TypeError, ValueError):
            continue
        found[key] = str(item.get("why", "no search killed it"))[:500]
    return found


def claims_for(entry: dict[str, Any] | None, current_hash: str) -> dict[str, str]:
    """Mutant key -> why, for the mutants characterize reached where they flip and
    could not kill, when the saved entry is for today's source."""
    return _saved_verdicts(
        entry, current_hash, "equivalents", lambda item: item.get("kind") == MutantStatus.UNKILLED
    )


def notes_for(entry: dict[str, Any] | None, current_hash: str) -> dict[str, str]:
    """Mutant key -> why, for the survivors characterize hunted without getting to where
    they flip, when the saved entry is for today's source: they stay survivors."""
    return _saved_verdicts(
        entry, current_hash, "survivors", lambda item: item.get("hunted") is True
    )


def write_scores(store: Path, reports: Sequence[MutationReport], filenames: dict[str, str]) -> Path:
    """Save full runs in ``<store>/.legacy-harness/mutation.json``, one entry per
    target (other targets' entries kept)."""
    entries = {
        report.target: report.to_data(filenames.get(report.target))
        for report in reports
        if report.scope is None
    }
    return save_entries(store, entries)


def save_entries(store: Path, entries: Mapping[str, dict[str, Any]]) -> Path:
    """Put ``entries`` (target -> entry) in ``mutation.json``, keeping other targets'
    entries, in a stable order, so an unchanged net rewrites no byte: the one writer of
    the file, for ``mutate`` runs and for scores measured elsewhere."""
    path = store / MUTATION_FILE
    targets, _ = read_scores(store)
    targets.update(entries)
    text = json.dumps({"format": FORMAT, "targets": dict(sorted(targets.items()))}, indent=2)
    atomic_write(path, (text + "\n").encode("utf-8"), root=store)
    return path
