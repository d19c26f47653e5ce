"""Mutation testing of the masters: how strong is the net?

Coverage says which code the masters run; it does not say they would notice a change
there. Mutation testing does: make one small change to the target (a mutant), replay
every master, and count the mutant killed when some case no longer behaves the same.
The operators are the classic small set:

- comparison flips: ``<`` to ``<=`` and to ``>=`` (and likewise for each comparison),
  ``==`` to ``!=``, ``in`` to ``not in``, ``is`` to ``is not``;
- constants: each integer or float literal plus one and minus one;
- ``and`` to ``or`` and back;
- deleted statement: each simple statement replaced by ``pass``.

Mutants are made with libcst on the target function's source and applied by swapping
the function's ``__code__``, so every reference to the function (the module, imports
elsewhere, the replay machinery) runs the mutant; the original code is put back after
each. A mutant that survives is either a hole in the net or equivalent to the original
(no input can tell them apart); the report cannot know which, so it lists all of them
with their lines for a person to judge.
"""

from __future__ import annotations

import inspect
import textwrap
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from legacy_harness.errors import CallTimeout, GoldenFileError, HarnessError
from legacy_harness.outcomes import CaseStatus
from legacy_harness.record.targets import resolve
from legacy_harness.store.disk import StoredCase
from legacy_harness.verify import VerifySession, verify_case
from legacy_harness.widen.probe import region_of, time_limit

_FLIPS: dict[type[cst.BaseCompOp], tuple[type[cst.BaseCompOp], ...]] = {
    cst.LessThan: (cst.LessThanEqual, cst.GreaterThanEqual),
    cst.LessThanEqual: (cst.LessThan, cst.GreaterThan),
    cst.GreaterThan: (cst.GreaterThanEqual, cst.LessThanEqual),
    cst.GreaterThanEqual: (cst.GreaterThan, cst.LessThan),
    cst.Equal: (cst.NotEqual,),
    cst.NotEqual: (cst.Equal,),
    cst.In: (cst.NotIn,),
    cst.NotIn: (cst.In,),
    cst.Is: (cst.IsNot,),
    cst.IsNot: (cst.Is,),
}
_SYMBOLS = {
    cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">", cst.GreaterThanEqual: ">=",
    cst.Equal: "==", cst.NotEqual: "!=", cst.In: "in", cst.NotIn: "not in", cst.Is: "is",
    cst.IsNot: "is not",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    """One small change to the target: where it is and what it does."""

    index: int
    operator: str  # "comparison", "constant", "boolean", "delete"
    line: int
    description: str


class _Mutator(cst.CSTTransformer):
    """Enumerates mutation sites in traversal order; applies the one numbered ``chosen``."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, first_line: int, line_offset: int, chosen: int = -1) -> None:
        super().__init__()
        self.first_line = first_line  # first body line, in the dedented source
        self.offset = line_offset  # dedented line + offset = file line
        self.chosen = chosen
        self.sites: list[Mutant] = []

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    def _site(self, node: cst.CSTNode, operator: str, description: str) -> bool:
        """Register a site; True when it is the one to apply."""
        line = self._line(node)
        if line < self.first_line:
            return False
        index = len(self.sites)
        self.sites.append(Mutant(index, operator, line + self.offset, description))
        return index == self.chosen

    def leave_ComparisonTarget(
        self, original: cst.ComparisonTarget, updated: cst.ComparisonTarget
    ) -> cst.ComparisonTarget:
        kind = type(original.operator)
        for replacement in _FLIPS.get(kind, ()):
            text = f"{_SYMBOLS[kind]} -> {_SYMBOLS[replacement]}"
            if self._site(original, "comparison", text):
                updated = updated.with_changes(operator=_operator(replacement, original.operator))
        return updated

    def leave_Integer(self, original: cst.Integer, updated: cst.Integer) -> cst.BaseExpression:
        return self._number(original, updated, int(original.value.replace("_", ""), 0))

    def leave_Float(self, original: cst.Float, updated: cst.Float) -> cst.BaseExpression:
        return self._number(original, updated, float(original.value.replace("_", "")))

    def _number(
        self, original: cst.Integer | cst.Float, updated: cst.BaseExpression, value: float
    ) -> cst.BaseExpression:
        for delta in (1, -1):
            new = value + delta
            if self._site(original, "constant", f"{original.value} -> {new!r}"):
                updated = _literal(new)
        return updated

    def leave_BooleanOperation(
        self, original: cst.BooleanOperation, updated: cst.BooleanOperation
    ) -> cst.BaseExpression:
        if isinstance(original.operator, cst.And):
            swap: cst.BaseBooleanOp = cst.Or(
                whitespace_before=original.operator.whitespace_before,
                whitespace_after=original.operator.whitespace_after,
            )
            text = "and -> or"
        else:
            swap = cst.And(
                whitespace_before=original.operator.whitespace_before,
                whitespace_after=original.operator.whitespace_after,
            )
            text = "or -> and"
        if self._site(original, "boolean", text):
            return updated.with_changes(operator=swap)
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        body = original.body
        if all(isinstance(s, cst.Pass) for s in body) or _is_docstring(body):
            return updated
        text = "delete " + cst.Module([]).code_for_node(original).strip()
        if self._site(original, "delete", text):
            return updated.with_changes(body=[cst.Pass()])
        return updated


def _operator(kind: type[cst.BaseCompOp], like: cst.BaseCompOp) -> cst.BaseCompOp:
    before = getattr(like, "whitespace_before", cst.SimpleWhitespace(" "))
    after = getattr(like, "whitespace_after", cst.SimpleWhitespace(" "))
    if kind in (cst.NotIn, cst.IsNot):
        return kind(
            whitespace_before=before,
            whitespace_between=cst.SimpleWhitespace(" "),
            whitespace_after=after,
        )  # type: ignore[call-arg]
    return kind(whitespace_before=before, whitespace_after=after)  # type: ignore[call-arg]


def _literal(value: float) -> cst.BaseExpression:
    text = repr(value)
    if value < 0:
        return cst.UnaryOperation(cst.Minus(), _literal(-value))
    return cst.Float(text) if isinstance(value, float) else cst.Integer(text)


def _is_docstring(body: Sequence[cst.BaseSmallStatement]) -> bool:
    return (
        len(body) == 1
        and isinstance(body[0], cst.Expr)
        and isinstance(body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


@dataclass
class _Source:
    """The target's definition (from its ``def`` line), dedented, and where it sits."""

    text: str
    def_line: int  # file line of ``def``
    body_first: int  # file line of the first body statement


def _source_of(function: Callable[..., Any], spec: str) -> _Source:
    region = region_of(resolve(spec))
    lines, start = inspect.getsourcelines(function)
    text = textwrap.dedent("".join(lines[region.def_line - start :]))
    return _Source(text, region.def_line, region.body_first)


def mutants_of(spec: str) -> list[Mutant]:
    """Every mutant of the target, in source order."""
    target = resolve(spec)
    source = _source_of(target.function, spec)
    mutator = _Mutator(source.body_first - source.def_line + 1, source.def_line - 1)
    MetadataWrapper(cst.parse_module(source.text)).visit(mutator)
    return mutator.sites


def mutant_code(function: types.FunctionType, spec: str, index: int) -> types.CodeType:
    """The code object of mutant ``index``, compiled with the target's file and lines."""
    source = _source_of(function, spec)
    mutator = _Mutator(source.body_first - source.def_line + 1, source.def_line - 1, index)
    mutated = MetadataWrapper(cst.parse_module(source.text)).visit(mutator).code
    freevars = function.__code__.co_freevars
    name = function.__code__.co_name
    if freevars:
        # a deleted statement may have held the only use of a free variable: name them
        # all once more after the body (unreachable or harmless) so the closure still fits
        body_line = mutated.splitlines()[source.body_first - source.def_line]
        indent = body_line[: len(body_line) - len(body_line.lstrip())]
        mutated = mutated.rstrip("\n") + f"\n{indent}({', '.join(freevars)},)\n"
        # a closure (or a method using super()): compile inside a function that defines
        # the same free variables, so the code object fits the original's closure
        header = ["def __legacy_harness_outer__():"] + [f"    {var} = None" for var in freevars]
        body = textwrap.indent(mutated, "    ")
        footer = [f"    return {name}"]
        text = (
            "\n" * max(0, source.def_line - 1 - len(header))
            + "\n".join(header)
            + "\n"
            + body
            + "\n".join(footer)
            + "\n"
        )
    else:
        text = "\n" * (source.def_line - 1) + mutated
    # the def runs in a copy of the module's namespace: defaults and annotations that
    # name module globals resolve, and the module's own binding of the name is untouched
    namespace: dict[str, Any] = dict(function.__globals__)
    exec(compile(text, function.__code__.co_filename, "exec"), namespace)  # noqa: S102 - our own mutated source
    made = namespace["__legacy_harness_outer__"]() if freevars else namespace[name]
    code: types.CodeType = made.__code__
    if code.co_freevars != freevars:
        raise HarnessError(f"mutant {index} of {spec} does not fit the original's closure")
    return code


@dataclass
class MutantResult:
    mutant: Mutant
    status: str  # "killed", "timeout" (counted as killed), "survived", "invalid"
    killer: str | None = None  # the case id that noticed


@dataclass
class MutationReport:
    target: str
    cases: int
    results: list[MutantResult] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return sum(r.status != "invalid" for r in self.results)

    @property
    def killed(self) -> int:
        return sum(r.status in ("killed", "timeout") for r in self.results)

    @property
    def survivors(self) -> list[Mutant]:
        return [r.mutant for r in self.results if r.status == "survived"]

    @property
    def score(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.killed / self.total

    def render(self, filename: str | None = None) -> str:
        from legacy_harness.widen.measure import excerpt

        lines = [
            f"{self.target}: {self.killed} of {self.total} mutants killed ({self.score:.1f}%)"
            f" by {self.cases} cases in {self.elapsed:.1f} s"
        ]
        by_operator: dict[str, list[int]] = {}
        for result in self.results:
            counts = by_operator.setdefault(result.mutant.operator, [0, 0])
            counts[0] += result.status in ("killed", "timeout")
            counts[1] += result.status != "invalid"
        lines.append(
            "  " + ", ".join(f"{op} {k}/{n}" for op, (k, n) in sorted(by_operator.items()))
        )
        for mutant in self.survivors:
            where = f": {excerpt(filename, mutant.line)}" if filename else ""
            lines.append(f"  survived line {mutant.line} ({mutant.description}){where}")
        return "\n".join(lines)


def run_mutants(
    session: VerifySession,
    spec: str,
    *,
    timeout: float = 2.0,
    only: Sequence[int] | None = None,
) -> MutationReport:
    """Apply each mutant of ``spec`` in turn and replay the masters against it."""
    started = time.monotonic()
    target = resolve(spec)
    function = target.function
    if not isinstance(function, types.FunctionType):
        raise HarnessError(f"target {spec} is not a Python function; cannot mutate it")
    cases: list[StoredCase] = [
        item
        for item in session.store.iter_cases([str(target.spec)])
        if not isinstance(item, GoldenFileError) and item.case.replayable
    ]
    if not cases:
        raise HarnessError(
            f"no replayable cases for {spec} in {session.store.root}; record or characterize first"
        )
    failing = [
        stored
        for stored in cases
        if verify_case(session, stored).status in (CaseStatus.CHANGED, CaseStatus.ERROR)
    ]
    if failing:
        names = ", ".join(str(stored.path) for stored in failing[:3])
        more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
        raise HarnessError(
            f"{len(failing)} of {len(cases)} masters of {spec} already fail ({names}{more}):"
            " a mutation score on them would mean nothing; run 'legacy-harness verify' and"
            " fix or approve them first"
        )
    report = MutationReport(str(target.spec), len(cases))
    original = function.__code__
    for mutant in mutants_of(spec):
        if only is not None and mutant.index not in only:
            continue
        try:
            code = mutant_code(function, spec, mutant.index)
        except (SyntaxError, ValueError, HarnessError):
            report.results.append(MutantResult(mutant, "invalid"))
            continue
        function.__code__ = code
        try:
            report.results.append(_judge(session, mutant, cases, timeout))
        finally:
            function.__code__ = original
    report.elapsed = time.monotonic() - started
    return report


def _judge(
    session: VerifySession, mutant: Mutant, cases: list[StoredCase], timeout: float
) -> MutantResult:
    for position, stored in enumerate(cases):
        try:
            with time_limit(timeout):
                verdict = verify_case(session, stored)
        except CallTimeout:
            return MutantResult(mutant, "timeout", stored.case.id)
        if verdict.status in (CaseStatus.CHANGED, CaseStatus.ERROR):
            # cases that kill one mutant tend to kill its neighbours: try them first
            cases.insert(0, cases.pop(position))
            return MutantResult(mutant, "killed", stored.case.id)
    return MutantResult(mutant, "survived")
