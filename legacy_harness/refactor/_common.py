"""Shared pieces of the refactoring helpers.

Every helper is a libcst ``CodemodCommand`` so that it runs both from
:func:`legacy_harness.refactor.transform_source` and from ``python -m libcst.tool
codemod``. A helper that cannot prove a change safe raises :class:`RefusalError`
rather than guessing: the point of the toolkit is that behaviour never changes silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodCommand, SkipFile

from legacy_harness.errors import RefusalError, TargetNotFound

FuncOrClass = cst.FunctionDef | cst.ClassDef


def split_spec(spec: str) -> tuple[str | None, str]:
    """Split ``"pkg.mod:Qual.name"`` into module and qualname (module may be absent)."""
    spec = spec.strip()
    if ":" in spec:
        module, _, qual = spec.partition(":")
        return (module or None), qual
    return None, spec


def module_name_for_path(path: Path) -> str:
    """Dotted module name of a file, walking up while folders are packages.

    Lets a single-file codemod know whether it is looking at the module that defines
    a target (``rename``) without a repository root being configured.
    """
    path = path.resolve()
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def _lookup(body: Sequence[cst.CSTNode], names: list[str]) -> list[FuncOrClass]:
    """Definitions along ``names`` inside a module or class body (outermost first)."""
    for stmt in body:
        if isinstance(stmt, FuncOrClass) and stmt.name.value == names[0]:
            if len(names) == 1:
                return [stmt]
            if isinstance(stmt, cst.ClassDef):
                inner = _lookup(stmt.body.body, names[1:])
                if inner:
                    return [stmt, *inner]
    return []


def find_definition(
    module: cst.Module, spec: str, module_name: str | None = None
) -> list[FuncOrClass]:
    """Locate a function, method or class by qualname; returns its chain of parents.

    ``spec`` is ``"Qual.name"``, ``"pkg.mod:Qual.name"`` or the dotted
    ``"pkg.mod.Qual.name"`` that libcst-style commands take: the longest qualname
    suffix found in the file wins. A module part that disagrees with ``module_name``
    (when known) means "not this file".
    """
    mod, qual = split_spec(spec)
    if mod is not None:
        if module_name and mod != module_name:
            raise TargetNotFound(f"{spec}: not defined in module {module_name}")
        chain = _lookup(module.body, qual.split("."))
        if not chain:
            raise TargetNotFound(f"{spec}: no function or class {qual} in this file")
        return chain
    parts = qual.split(".")
    for start in range(len(parts)):
        chain = _lookup(module.body, parts[start:])
        if chain:
            prefix = ".".join(parts[:start])
            if prefix and module_name and not module_name.endswith(prefix):
                break
            return chain
    if _is_lambda_assignment(module, parts[-1]):
        raise RefusalError(f"{spec}: is a lambda; turn it into a def first")
    raise TargetNotFound(f"{spec}: no function or class of that name in this file")


def _is_lambda_assignment(module: cst.Module, name: str) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.Assign)
                    and isinstance(small.value, cst.Lambda)
                    and any(
                        isinstance(t.target, cst.Name) and t.target.value == name
                        for t in small.targets
                    )
                ):
                    return True
    return False


def qualname_of(chain: Sequence[FuncOrClass]) -> str:
    return ".".join(node.name.value for node in chain)


def param_names(params: cst.Parameters) -> list[str]:
    """All parameter names of a signature, in order."""
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    return names


def add_kwonly_param(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    """Append a keyword-only parameter (before ``**kwargs``; adds a bare ``*`` if needed)."""
    star_arg = params.star_arg
    if not isinstance(star_arg, cst.Param | cst.ParamStar):
        star_arg = cst.ParamStar()
    return params.with_changes(star_arg=star_arg, kwonly_params=[*params.kwonly_params, param])


def kwonly_param(name: str, default: cst.BaseExpression) -> cst.Param:
    return cst.Param(
        name=cst.Name(name),
        default=default,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def docstring_count(body: Sequence[cst.BaseStatement]) -> int:
    """1 when the block starts with a docstring, so inserted code goes after it."""
    if body and isinstance(body[0], cst.SimpleStatementLine):
        first = body[0].body
        if len(first) == 1 and isinstance(first[0], cst.Expr):
            if isinstance(first[0].value, cst.SimpleString | cst.ConcatenatedString):
                return 1
    return 0


def insert_statements(func: cst.FunctionDef, stmts: Sequence[cst.BaseStatement]) -> cst.FunctionDef:
    """Insert statements at the top of a function body, after its docstring."""
    body = func.body
    if isinstance(body, cst.SimpleStatementSuite):
        body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=body.body)])
    assert isinstance(body, cst.IndentedBlock)
    inner: list[cst.BaseStatement] = list(body.body)
    at = docstring_count(inner)
    return func.with_changes(body=body.with_changes(body=[*inner[:at], *stmts, *inner[at:]]))


class NodeReplacer(cst.CSTTransformer):
    """Replace nodes by identity; a callable value receives the updated node.

    Collect-then-replace keeps metadata lookups on the original (resolved) tree.
    """

    def __init__(
        self,
        mapping: dict[cst.CSTNode, cst.CSTNode | Callable[[cst.CSTNode], cst.CSTNode]],
    ) -> None:
        super().__init__()
        self.mapping = mapping

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[no-untyped-def, override]
        repl = self.mapping.get(original_node)
        if repl is None:
            return updated_node
        if callable(repl) and not isinstance(repl, cst.CSTNode):
            return repl(updated_node)
        return repl


def replace_nodes(
    tree: cst.Module,
    mapping: dict[cst.CSTNode, cst.CSTNode | Callable[[cst.CSTNode], cst.CSTNode]],
) -> cst.Module:
    return tree.visit(NodeReplacer(mapping)) if mapping else tree


class NameCollector(cst.CSTVisitor):
    """Every Name used as a variable (not attribute names, keywords or import parts)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node)


def variable_names(nodes: Iterable[cst.CSTNode]) -> list[cst.Name]:
    collector = NameCollector()
    for node in nodes:
        node.visit(collector)
    return collector.names


def import_bindings(
    module: cst.Module, *, relative: bool = True, definitions: bool = False
) -> dict[str, str]:
    """Module-level names and what they are bound to: an import's local name -> the
    dotted name imported (``np`` -> ``numpy``, ``Path`` -> ``pathlib.Path``).

    Star imports bind nothing known; ``relative=False`` skips ``from . import x``;
    ``definitions`` also lists the module's classes and functions (bound to ``""``), in
    the order they appear, so a later import or definition wins as in Python.
    """
    bound: dict[str, str] = {}
    for stmt in module.body:
        if definitions and isinstance(stmt, cst.ClassDef | cst.FunctionDef):
            bound[stmt.name.value] = ""
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    dotted = cst.helpers.get_full_name_for_node(alias.name) or ""
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        bound[alias.asname.name.value] = dotted
                    else:
                        top = dotted.split(".")[0]
                        bound[top] = top
            elif isinstance(small, cst.ImportFrom) and (relative or not small.relative):
                if isinstance(small.names, cst.ImportStar):
                    continue
                mod = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                for alias in small.names:
                    name = cst.helpers.get_full_name_for_node(alias.name) or ""
                    local = (
                        alias.asname.name.value
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                        else name
                    )
                    bound[local] = f"{mod}.{name}"
    return bound


def subclass_names(source: str, name: str) -> list[str]:
    """Top-level classes of ``source`` that derive from class ``name`` there, directly or
    not: their instances carry the state the class defines."""
    tree = cst.parse_module(source)
    bases = {
        stmt.name.value: {cst.helpers.get_full_name_for_node(arg.value) for arg in stmt.bases}
        for stmt in tree.body
        if isinstance(stmt, cst.ClassDef)
    }
    found: list[str] = []
    frontier = {name}
    while frontier:
        new = sorted(c for c, b in bases.items() if b & frontier and c not in found and c != name)
        found.extend(new)
        frontier = set(new)
    return found


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_identifier(name: str, what: str) -> None:
    if not name.isidentifier():
        raise RefusalError(f"{name!r}: not a valid Python identifier for {what}")


class HarnessCommand(CodemodCommand):
    """Base of the helpers: a target missing from one of many files skips that file."""

    def transform_module(self, tree: cst.Module) -> cst.Module:
        try:
            return super().transform_module(tree)
        except TargetNotFound as exc:
            if self.context.filename:
                raise SkipFile(str(exc)) from exc
            raise
