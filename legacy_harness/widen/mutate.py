"""Mutants of a target: small changes the masters should notice, and which are equivalent.

Coverage says which code the masters run; it does not say they would notice a change
there. Mutation testing does: make one small change to the target (a mutant), replay
the masters, and count the mutant killed when some case no longer behaves the same
(:mod:`.strength` runs them). The operators are the classic small set:

- comparison flips: ``<`` to ``<=`` and to ``>=`` (and likewise for each comparison),
  ``==`` to ``!=``, ``in`` to ``not in``, ``is`` to ``is not``;
- constants: each integer or float literal plus one and minus one;
- ``and`` to ``or`` and back;
- deleted statement: each simple statement replaced by ``pass``.

Mutants are found with libcst on the target function's source (parsed and walked once:
each mutant is one text edit, applied by a string splice and compiled) and applied by
swapping the function's ``__code__``, so every reference to the function (the
module, imports elsewhere, the replay machinery) runs the mutant.

Some mutants cannot be told apart from the original by any input. The cheap sure case
is trivial compiler equivalence: the mutant compiles to the same bytecode as the
original, or as another mutant. :func:`compiled_equivalents` names those, so they are
never run and never counted against the net.
"""

from __future__ import annotations

import inspect
import re
import textwrap
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from legacy_harness.errors import HarnessError
from legacy_harness.record.targets import resolve
from legacy_harness.widen.probe import region_of

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
    #: last line of the changed node: a case that runs none of ``line..end_line`` runs
    #: the mutant exactly as the original
    end_line: int = 0
    column: int = 0
    #: the change may act where its line is not run (a deleted assignment turns a local
    #: name into a global one, a deleted ``yield`` a generator into a function): every
    #: case can tell, whatever lines it reaches
    anywhere: bool = False

    @property
    def lines(self) -> range:
        return range(self.line, max(self.line, self.end_line) + 1)

    @property
    def key(self) -> str:
        """Names the mutant across runs of unchanged source (its index may not)."""
        return f"{self.line}:{self.column}:{self.operator}:{self.description}"


#: (start, end, text): replace the dedented source from ``start`` to ``end`` (each a
#: (line, column) pair, as libcst counts them) with ``text``
Edit = tuple[tuple[int, int], tuple[int, int], str]


class _Mutator(cst.CSTVisitor):
    """Enumerates mutation sites in traversal order, each with the one text edit that
    makes it: one traversal for all mutants, so making one is a string splice."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, first_line: int, line_offset: int) -> None:
        super().__init__()
        self.first_line = first_line  # first body line, in the dedented source
        self.offset = line_offset  # dedented line + offset = file line
        self.sites: list[Mutant] = []
        self.edits: list[Edit] = []

    def _site(
        self,
        node: cst.CSTNode,
        operator: str,
        description: str,
        span: tuple[cst.CSTNode, cst.CSTNode],
        text: str,
        anywhere: bool = False,
    ) -> None:
        where = self.get_metadata(PositionProvider, node)
        line = int(where.start.line)
        if line < self.first_line:
            return
        self.sites.append(
            Mutant(
                len(self.sites),
                operator,
                line + self.offset,
                description,
                int(where.end.line) + self.offset,
                int(where.start.column),
                anywhere,
            )
        )
        start = self.get_metadata(PositionProvider, span[0]).start
        end = self.get_metadata(PositionProvider, span[1]).end
        self.edits.append(((start.line, start.column), (end.line, end.column), text))

    def visit_ComparisonTarget(self, node: cst.ComparisonTarget) -> None:
        kind = type(node.operator)
        for replacement in _FLIPS.get(kind, ()):
            text = f"{_SYMBOLS[kind]} -> {_SYMBOLS[replacement]}"
            operator = (node.operator, node.operator)
            self._site(node, "comparison", text, operator, _SYMBOLS[replacement])

    def visit_Integer(self, node: cst.Integer) -> None:
        self._number(node, int(node.value.replace("_", ""), 0))

    def visit_Float(self, node: cst.Float) -> None:
        self._number(node, float(node.value.replace("_", "")))

    def _number(self, node: cst.Integer | cst.Float, value: float) -> None:
        for delta in (1, -1):
            new = value + delta
            literal = cst.Module([]).code_for_node(_literal(new))
            self._site(node, "constant", f"{node.value} -> {new!r}", (node, node), literal)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        swap, text = (
            ("or", "and -> or") if isinstance(node.operator, cst.And) else ("and", "or -> and")
        )
        self._site(node, "boolean", text, (node.operator, node.operator), swap)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        body = node.body
        if all(isinstance(s, cst.Pass) for s in body) or _is_docstring(body):
            return
        text = "delete " + cst.Module([]).code_for_node(node).strip()
        self._site(node, "delete", text, (body[0], body[-1]), "pass", _binds_or_yields(node))


def _literal(value: float) -> cst.BaseExpression:
    text = repr(value)
    if value < 0:
        return cst.UnaryOperation(cst.Minus(), _literal(-value))
    return cst.Float(text) if isinstance(value, float) else cst.Integer(text)


_BINDING = (
    cst.Assign,
    cst.AugAssign,
    cst.AnnAssign,
    cst.Import,
    cst.ImportFrom,
    cst.Global,
    cst.Nonlocal,
)


def _binds_or_yields(statement: cst.SimpleStatementLine) -> bool:
    """Deleting it changes the code outside its line: the scope of a name, or whether
    the function is a generator."""
    if any(isinstance(small, _BINDING) for small in statement.body):
        return True
    found: list[cst.CSTNode] = []

    class _Find(cst.CSTVisitor):
        def visit_Yield(self, node: cst.Yield) -> bool:
            found.append(node)
            return False

    statement.visit(_Find())
    return bool(found)


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


class MutantSource:
    """The target's source, parsed once: its mutants and the code object of each.

    Each mutant is compiled with the target's file and line numbers (tracebacks and
    tracing point at the real lines), in a copy of the module's namespace so defaults
    and annotations naming module globals resolve and the module itself is untouched.
    """

    def __init__(self, function: types.FunctionType, spec: str) -> None:
        self.function = function
        self.spec = spec
        self.source = _source_of(function, spec)
        self._wrapper = MetadataWrapper(cst.parse_module(self.source.text))
        self._mutants: list[Mutant] | None = None
        self._edits: list[Edit] = []
        self._codes: dict[int, types.CodeType] = {}
        # where each line starts, by the line ends libcst counts (not str.splitlines's)
        ends = re.finditer(r"\r\n|\r|\n", self.source.text)
        self._line_starts = [0, *(match.end() for match in ends)]

    @property
    def first_line(self) -> int:
        """The first body line, in the dedented source's numbering."""
        return self.source.body_first - self.source.def_line + 1

    @property
    def line_offset(self) -> int:
        """Dedented line + offset = line in the file."""
        return self.source.def_line - 1

    def _enumerate(self) -> None:
        mutator = _Mutator(self.first_line, self.line_offset)
        self._wrapper.visit(mutator)
        self._mutants, self._edits = mutator.sites, mutator.edits

    def transformed(self, transformer: cst.CSTTransformer) -> str:
        """The source after ``transformer`` (which may use position metadata)."""
        return self._wrapper.visit(transformer).code

    def compile_text(self, text: str, what: str) -> types.CodeType:
        """Compile a changed copy of the definition to fit the original function."""
        return _compile(self.function, self.source, text, what)

    @property
    def mutants(self) -> list[Mutant]:
        """Every mutant, in source order."""
        if self._mutants is None:
            self._enumerate()
        assert self._mutants is not None
        return self._mutants

    def text(self, index: int) -> str:
        """The definition with mutant ``index`` applied (-1: unchanged)."""
        if index < 0:
            return self.source.text
        self.mutants  # noqa: B018 - enumerates the sites and their edits
        (line, column), (end_line, end_column), text = self._edits[index]
        starts = self._line_starts
        first = starts[line - 1] + column
        last = starts[end_line - 1] + end_column
        return self.source.text[:first] + text + self.source.text[last:]

    def code(self, index: int) -> types.CodeType:
        """The code object of mutant ``index`` (-1: the original, compiled the same way,
        which is what :func:`compiled_equivalents` compares against)."""
        if index not in self._codes:
            what = f"mutant {index} of {self.spec}"
            self._codes[index] = self.compile_text(self.text(index), what)
        return self._codes[index]


def _compile(
    function: types.FunctionType, source: _Source, mutated: str, what: str
) -> types.CodeType:
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
    namespace: dict[str, Any] = dict(function.__globals__)
    exec(compile(text, function.__code__.co_filename, "exec"), namespace)  # noqa: S102 - our own mutated source
    made = namespace["__legacy_harness_outer__"]() if freevars else namespace[name]
    code: types.CodeType = made.__code__
    if code.co_freevars != freevars:
        raise HarnessError(f"{what} does not fit the original's closure")
    return code


def mutants_of(spec: str) -> list[Mutant]:
    """Every mutant of the target, in source order."""
    function = resolve(spec).function
    if not isinstance(function, types.FunctionType):
        raise HarnessError(f"target {spec} is not a Python function; cannot mutate it")
    return MutantSource(function, spec).mutants


def mutant_code(function: types.FunctionType, spec: str, index: int) -> types.CodeType:
    """The code object of mutant ``index``, compiled with the target's file and lines."""
    return MutantSource(function, spec).code(index)


def fingerprint(code: types.CodeType) -> tuple[Any, ...]:
    """What the interpreter runs, without where it came from: bytecode, constants (nested
    code by its own fingerprint), names and flags; line and column tables left out."""
    consts = tuple(
        ("code", fingerprint(c)) if isinstance(c, types.CodeType) else (type(c).__name__, c)
        for c in code.co_consts
    )
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_flags,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        getattr(code, "co_exceptiontable", b""),
    )


@dataclass(frozen=True)
class Equivalence:
    """A mutant no input can tell apart from the original (or from another mutant)."""

    mutant: Mutant
    same_as: Mutant | None  # None: the original
    why: str


def compiled_equivalents(
    source: MutantSource, codes: dict[int, types.CodeType]
) -> dict[int, Equivalence]:
    """Trivial compiler equivalence: mutants whose bytecode equals the original's, or an
    earlier mutant's (run once, counted once). ``codes`` holds each valid mutant's code."""
    seen: dict[tuple[Any, ...], Mutant | None] = {fingerprint(source.code(-1)): None}
    found: dict[int, Equivalence] = {}
    for mutant in source.mutants:
        code = codes.get(mutant.index)
        if code is None:
            continue
        key = fingerprint(code)
        if key not in seen:
            seen[key] = mutant
            continue
        same = seen[key]
        why = (
            "compiles to the same bytecode as the original"
            if same is None
            else f"compiles to the same bytecode as mutant {same.index}"
            f" (line {same.line}: {same.description})"
        )
        found[mutant.index] = Equivalence(mutant, same, why)
    return found
