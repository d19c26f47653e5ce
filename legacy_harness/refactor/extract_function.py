"""``extract-function``: move a range of statements into a new function.

The new function's parameters and return values come from scope analysis (libcst
``ScopeProvider``), not from guessing: a name read in the block whose value comes from
before the block is a parameter; a name the block assigns that is read anywhere else
in the function is returned (a tuple when there are several). A name the block may
leave unassigned (e.g. assigned only in an ``if``) is also passed in, so the caller
keeps its old value exactly as before.

In a method, a block that uses ``self`` (or ``cls``) becomes a new method called as
``self.new(...)``; otherwise the block becomes a module-level function placed right
after the enclosing top-level definition.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider, ScopeProvider

from legacy_harness.refactor._common import (
    HarnessCommand,
    RefusalError,
    check_identifier,
    find_definition,
    qualname_of,
    replace_nodes,
)


def _parse_lines(lines: str) -> tuple[int, int]:
    try:
        start, _, end = lines.partition("-")
        first, last = int(start), int(end or start)
    except ValueError:
        raise RefusalError(f"{lines!r}: --lines must be START-END (1-based, inclusive)") from None
    if first < 1 or last < first:
        raise RefusalError(f"{lines!r}: --lines must be START-END with START <= END")
    return first, last


def _sub_blocks(node: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            yield child
        elif isinstance(
            child,
            cst.Else | cst.ExceptHandler | cst.ExceptStarHandler | cst.Finally | cst.If,
        ):
            yield from _sub_blocks(child)
        elif isinstance(child, cst.MatchCase):
            yield from _sub_blocks(child)


def _all_nodes(nodes: Sequence[cst.CSTNode]) -> set[int]:
    found: set[int] = set()

    class Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.add(id(node))
            return True

    for node in nodes:
        node.visit(Walk())
    return found


class _Escapes(cst.CSTVisitor):
    """Control flow that would leave the block: extracted code cannot do that."""

    def __init__(self) -> None:
        super().__init__()
        self.loops = 0
        self.reasons: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        self.reasons.append("it returns")

    def visit_Yield(self, node: cst.Yield) -> None:
        self.reasons.append("it yields")

    def visit_Await(self, node: cst.Await) -> None:
        self.reasons.append("it awaits")

    def visit_Global(self, node: cst.Global) -> None:
        self.reasons.append("it declares global")

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.reasons.append("it declares nonlocal")

    def _loop(self, node: cst.For | cst.While) -> bool:
        """A break or continue in the body stays inside this loop; in ``else`` it does not."""
        self.loops += 1
        node.body.visit(self)
        self.loops -= 1
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_For(self, node: cst.For) -> bool:
        if node.asynchronous is not None:
            self.reasons.append("it uses async for")
        return self._loop(node)

    def visit_While(self, node: cst.While) -> bool:
        return self._loop(node)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self.reasons.append("it uses async with")

    def visit_Break(self, node: cst.Break) -> None:
        if not self.loops:
            self.reasons.append("it breaks out of an enclosing loop")

    def visit_Continue(self, node: cst.Continue) -> None:
        if not self.loops:
            self.reasons.append("it continues an enclosing loop")


def _names(stmts: Sequence[cst.CSTNode]) -> list[cst.Name]:
    """All Name nodes of the statements, in source order."""
    found: list[cst.Name] = []

    class Walk(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.append(node)

    for stmt in stmts:
        stmt.visit(Walk())
    return found


def _definitely_assigned(stmts: Sequence[cst.BaseStatement]) -> set[str]:
    """Names every run of the block assigns (plain assignments at the block's top level)."""
    names: set[str] = set()
    for stmt in stmts:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets = [small.target]
            while targets:
                target = targets.pop()
                if isinstance(target, cst.Name):
                    names.add(target.value)
                elif isinstance(target, cst.Tuple | cst.List):
                    targets.extend(e.value for e in target.elements)
    return names


class ExtractFunctionCommand(HarnessCommand):
    """Extract whole statements of a function into a new function or method."""

    DESCRIPTION = (
        "Move lines START-END of a function into a new function (or method when they "
        "use self); parameters and return values come from scope analysis."
    )
    METADATA_DEPENDENCIES = (ScopeProvider, PositionProvider)

    def __init__(self, context: CodemodContext, function: str, lines: str, name: str) -> None:
        super().__init__(context)
        check_identifier(name, "--name")
        self.function = function
        self.first, self.last = _parse_lines(str(lines))
        self.name = name

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--function", required=True, help="qualname of the function")
        arg_parser.add_argument("--lines", required=True, help="START-END, 1-based, inclusive")
        arg_parser.add_argument("--name", required=True, help="name of the new function")

    # -- locating the block -------------------------------------------------------------

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node)
        return pos.start.line, pos.end.line

    def _select(self, block: cst.IndentedBlock) -> tuple[cst.IndentedBlock, int, int]:
        inside: list[int] = []
        partial: list[int] = []
        for index, stmt in enumerate(block.body):
            start, end = self._span(stmt)
            if end < self.first or start > self.last:
                continue
            if start >= self.first and end <= self.last:
                inside.append(index)
            else:
                partial.append(index)
        where = f"lines {self.first}-{self.last}"
        if inside and not partial:
            return block, inside[0], inside[-1] + 1
        if len(partial) == 1 and not inside:
            for sub in _sub_blocks(block.body[partial[0]]):
                start, end = self._span(sub)
                if not (end < self.first or start > self.last):
                    return self._select(sub)
        raise RefusalError(f"{where}: do not cover whole statements of one block")

    # -- the transform -----------------------------------------------------------------

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        chain = find_definition(tree, self.function, self.context.full_module_name)
        func = chain[-1]
        qual = qualname_of(chain)
        if not isinstance(func, cst.FunctionDef):
            raise RefusalError(f"{qual}: is a class; name a function or method")
        in_class = len(chain) == 2 and isinstance(chain[0], cst.ClassDef)
        if len(chain) > 2 or (len(chain) == 2 and not in_class):
            raise RefusalError(f"{qual}: only top-level functions and methods are supported")
        if self._already_done(tree, chain, func):
            return tree
        if not isinstance(func.body, cst.IndentedBlock):
            raise RefusalError(f"{qual}: a one-line function has nothing to extract")
        block, lo, hi = self._select(func.body)
        stmts = list(block.body[lo:hi])
        escapes = _Escapes()
        for stmt in stmts:
            stmt.visit(escapes)
        if escapes.reasons:
            raise RefusalError(
                f"{qual} lines {self.first}-{self.last}: cannot extract because "
                f"{escapes.reasons[0]}"
            )
        used = {n.value for n in _names(stmts)}
        for decl in m.findall(func.body, m.Global() | m.Nonlocal()):
            for item in decl.names:  # type: ignore[attr-defined]
                if item.name.value in used:
                    kind = "global" if isinstance(decl, cst.Global) else "nonlocal"
                    raise RefusalError(
                        f"{qual}: {item.name.value} is declared {kind} in the function; "
                        "the extracted code would make it local"
                    )
        inputs, outputs = self._dataflow(func, stmts)
        receiver = self._receiver(func) if in_class else None
        as_method = receiver is not None and receiver in inputs
        if not as_method and any(m.findall(s, m.Call(func=m.Name("super"))) for s in stmts):
            raise RefusalError(f"{qual}: the block calls super() and would leave the class")
        if as_method:
            inputs.remove(receiver)  # type: ignore[arg-type]
        call = self._call_statement(stmts[0], inputs, outputs, receiver if as_method else None)
        new_def = self._new_def(stmts, inputs, outputs, receiver if as_method else None)

        def replace_block(updated: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(updated, cst.IndentedBlock)
            body = list(updated.body)
            return updated.with_changes(body=[*body[:lo], call, *body[hi:]])

        mapping: dict[cst.CSTNode, object] = {block: replace_block}
        host: cst.CSTNode = chain[0].body if as_method else tree
        anchor = func if as_method else chain[0]
        host_body = chain[0].body.body if as_method else tree.body
        at = list(host_body).index(anchor) + 1  # type: ignore[arg-type]

        def insert_def(updated: cst.CSTNode) -> cst.CSTNode:
            body = list(updated.body)  # type: ignore[attr-defined]
            return updated.with_changes(body=[*body[:at], new_def, *body[at:]])

        mapping[host] = insert_def
        return replace_nodes(tree, mapping)  # type: ignore[arg-type]

    def _already_done(self, tree: cst.Module, chain: list, func: cst.FunctionDef) -> bool:  # type: ignore[type-arg]
        """The new name exists: fine if the function already calls it, else a clash."""
        existing = [s for s in tree.body if isinstance(s, cst.FunctionDef | cst.ClassDef)]
        if len(chain) == 2:
            existing += [s for s in chain[0].body.body if isinstance(s, cst.FunctionDef)]
        if not any(s.name.value == self.name for s in existing):
            return False
        called = m.findall(
            func.body,
            m.Call(func=m.Name(self.name) | m.Attribute(attr=m.Name(self.name))),
        )
        if called:
            return True
        raise RefusalError(f"{self.name}: already defined; choose another --name")

    def _receiver(self, func: cst.FunctionDef) -> str | None:
        decorators = {cst.helpers.get_full_name_for_node(d.decorator) for d in func.decorators}
        if "staticmethod" in decorators or not func.params.params:
            return None
        self.is_classmethod = "classmethod" in decorators
        return func.params.params[0].name.value

    # -- data flow ---------------------------------------------------------------------

    def _dataflow(
        self, func: cst.FunctionDef, stmts: list[cst.BaseStatement]
    ) -> tuple[list[str], list[str]]:
        fscope = self.get_metadata(ScopeProvider, stmts[0])
        in_block = _all_nodes(stmts)
        inputs: dict[str, int] = {}
        outputs: dict[str, int] = {}
        assigned_outside: set[str] = set()
        for assignment in fscope.assignments if fscope is not None else []:
            node = getattr(assignment, "node", None)
            if assignment.scope is fscope and id(node) not in in_block:
                assigned_outside.add(assignment.name)
        for name in m.findall(func, m.Name()):
            assert isinstance(name, cst.Name)
            scope = self.get_metadata(ScopeProvider, name, None)
            if scope is None:
                continue
            for access in scope.accesses[name]:
                if access.node is not name:
                    continue
                local = [r for r in access.referents if r.scope is fscope]
                if id(name) in in_block:
                    if any(id(getattr(r, "node", None)) not in in_block for r in local):
                        inputs.setdefault(name.value, 0)
                elif any(id(getattr(r, "node", None)) in in_block for r in local):
                    outputs.setdefault(name.value, 0)
        definitely = _definitely_assigned(stmts)
        for name_value in outputs:
            if name_value in assigned_outside and name_value not in definitely:
                inputs.setdefault(name_value, 0)
        first_seen: dict[str, int] = {}
        for index, found in enumerate(_names(stmts)):
            first_seen.setdefault(found.value, index)
        return (
            sorted(inputs, key=lambda n: first_seen.get(n, 0)),
            sorted(outputs, key=lambda n: first_seen.get(n, 0)),
        )

    # -- building the code -------------------------------------------------------------

    def _call_statement(
        self,
        first: cst.BaseStatement,
        inputs: list[str],
        outputs: list[str],
        receiver: str | None,
    ) -> cst.BaseStatement:
        callee = f"{receiver}.{self.name}" if receiver else self.name
        code = f"{callee}({', '.join(inputs)})"
        if outputs:
            code = f"{', '.join(outputs)} = {code}"
        call = cst.parse_statement(code + "\n")
        start = self._span(first)[0]
        lines: list[cst.EmptyLine] = list(getattr(first, "leading_lines", ()))
        before = start - len(lines)
        keep = [line for i, line in enumerate(lines) if before + i < self.first]
        return call.with_changes(leading_lines=keep)

    def _new_def(
        self,
        stmts: list[cst.BaseStatement],
        inputs: list[str],
        outputs: list[str],
        receiver: str | None,
    ) -> cst.FunctionDef:
        start = self._span(stmts[0])[0]
        lines: list[cst.EmptyLine] = list(getattr(stmts[0], "leading_lines", ()))
        before = start - len(lines)
        moved = [line for i, line in enumerate(lines) if before + i >= self.first]
        body = [stmts[0].with_changes(leading_lines=moved), *stmts[1:]]
        if outputs:
            body.append(cst.parse_statement(f"return {', '.join(outputs)}\n"))
        params = [receiver, *inputs] if receiver else inputs
        header = f"def {self.name}({', '.join(params)}):\n    pass\n"
        new = cst.parse_statement(header)
        assert isinstance(new, cst.FunctionDef)
        blank = cst.EmptyLine(indent=False)
        new = new.with_changes(
            body=new.body.with_changes(body=body),
            leading_lines=[blank] if receiver else [blank, blank],
        )
        if receiver and getattr(self, "is_classmethod", False):
            new = new.with_changes(decorators=[cst.Decorator(cst.Name("classmethod"))])
        return new
