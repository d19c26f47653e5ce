"""``parameterize``: turn a hard-wired dependency into a keyword-only parameter (a seam).

Legacy functions read globals, clocks, the environment, files and databases directly,
which makes them hard to pin in a golden master. This helper adds a keyword-only
parameter whose default is today's value and replaces the uses with it, so callers see
no difference while tests can pass a fixed clock, mapping or connection factory.

Bit-identity rules:

* a callable (``datetime.now``, ``time.time``, ``open``, ``sqlite3.connect``) or a
  mutable singleton such as ``os.environ`` is bound as the default itself
  (``now=datetime.now``) and still called/read at the same moments;
* a module-level constant assigned exactly once, to a literal, before the function,
  becomes a direct default (``tax_rate=TAX_RATE``);
* anything else (a global that is reassigned, declared ``global`` somewhere, imported,
  or a module attribute like ``config.RATE``) gets ``param=None`` plus
  ``if param is None: param = EXPR`` at the top of the function, because defaults are
  evaluated once, when the ``def`` runs.
"""

from __future__ import annotations

import argparse

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import (
    Assignment,
    BuiltinScope,
    GlobalScope,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from legacy_harness.refactor._common import (
    HarnessCommand,
    NameCollector,
    RefusalError,
    add_kwonly_param,
    check_identifier,
    find_definition,
    insert_statements,
    kwonly_param,
    param_names,
    qualname_of,
    replace_nodes,
    snake_case,
    variable_names,
)

_EMPTY = cst.Module([])
_CONVENTIONAL = {
    "now": "now",
    "utcnow": "now",
    "today": "today",
    "time": "clock",
    "monotonic": "clock",
    "perf_counter": "clock",
    "open": "open_file",
    "print": "print_fn",
    "input": "input_fn",
}
#: Objects that stay the same object for the life of the process.
_STABLE_OBJECTS = {"os.environ", "sys.stdout", "sys.stderr", "sys.stdin"}


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Integer | cst.Float | cst.Imaginary | cst.SimpleString):
        return True
    if isinstance(node, cst.Name):
        return node.value in {"True", "False", "None"}
    if isinstance(node, cst.UnaryOperation):
        return _is_literal(node.expression)
    if isinstance(node, cst.ConcatenatedString):
        return _is_literal(node.left) and _is_literal(node.right)  # type: ignore[arg-type]
    if isinstance(node, cst.Tuple):
        return all(_is_literal(e.value) for e in node.elements)
    return False


def _sentinel_matcher(param: str) -> m.If:
    return m.If(
        test=m.Comparison(
            left=m.Name(param),
            comparisons=[m.ComparisonTarget(operator=m.Is(), comparator=m.Name("None"))],
        )
    )


class ParameterizeCommand(HarnessCommand):
    """Make a global, clock, environment or resource factory a keyword-only parameter."""

    DESCRIPTION = (
        "Replace a hard-wired dependency in a function (global, datetime.now, time.time, "
        "os.environ, open, sqlite3.connect) by a keyword-only parameter defaulting to it."
    )
    METADATA_DEPENDENCIES = (
        QualifiedNameProvider,
        ScopeProvider,
        ParentNodeProvider,
        PositionProvider,
    )

    def __init__(
        self,
        context: CodemodContext,
        function: str,
        name: str,
        param: str | None = None,
    ) -> None:
        super().__init__(context)
        try:
            expr = cst.parse_expression(name.strip())
        except cst.ParserSyntaxError:
            raise RefusalError(f"{name!r}: --name is not a Python expression") from None
        # ``datetime.now()`` / ``open("x")`` mean the callable; ``os.environ["X"]`` the mapping
        while isinstance(expr, cst.Call | cst.Subscript):
            expr = expr.func if isinstance(expr, cst.Call) else expr.value
        if not isinstance(expr, cst.Name | cst.Attribute):
            raise RefusalError(f"{name!r}: --name must be a name or a dotted attribute")
        self.function = function
        self.expr = expr
        self.text = _code(expr)
        self.dotted = cst.helpers.get_full_name_for_node(expr) or self.text
        if param is not None:
            check_identifier(param, "--param")
        self.param = param or self._default_param()

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--function", required=True, help="qualname of the function")
        arg_parser.add_argument(
            "--name",
            required=True,
            help="the dependency as written: TAX_RATE, datetime.now, time.time, os.environ, "
            "open, sqlite3.connect",
        )
        arg_parser.add_argument("--param", default=None, help="parameter name (derived if absent)")

    def _default_param(self) -> str:
        last = self.dotted.rsplit(".", 1)[-1]
        if last in _CONVENTIONAL:
            return _CONVENTIONAL[last]
        candidate = snake_case(last) if not last.isupper() else last.lower()
        if candidate == self.dotted:
            candidate += "_"
        return candidate

    # -- finding the uses ---------------------------------------------------------------

    def _is_global_name(self, name: cst.Name) -> bool:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return False
        assignments = scope[name.value] if name.value in scope else set()
        return all(isinstance(a.scope, GlobalScope | BuiltinScope) for a in assignments)

    def _matches(self, node: cst.Name | cst.Attribute) -> bool:
        if _code(node) == self.text or (
            "." in self.dotted
            and any(
                q.name == self.dotted for q in self.get_metadata(QualifiedNameProvider, node, set())
            )
        ):
            root: cst.BaseExpression = node
            while isinstance(root, cst.Attribute):
                root = root.value
            return isinstance(root, cst.Name) and self._is_global_name(root)
        return False

    def _occurrences(self, func: cst.FunctionDef) -> list[cst.Name | cst.Attribute]:
        found: list[cst.Name | cst.Attribute] = []
        owner = self
        skip = _sentinel_matcher(self.param)

        class Finder(NameCollector):  # variables only, as NameCollector walks them
            def visit_If(self, node: cst.If) -> bool:
                return not m.matches(node, skip)

            def visit_Attribute(self, node: cst.Attribute) -> bool:
                if owner._matches(node):
                    found.append(node)
                    return False
                return super().visit_Attribute(node)

            def visit_Name(self, node: cst.Name) -> None:
                if owner._matches(node):
                    found.append(node)

        func.body.visit(Finder())
        return found

    # -- deciding the default -----------------------------------------------------------

    def _needs_sentinel(
        self, tree: cst.Module, func: cst.FunctionDef, uses: list[cst.Name | cst.Attribute]
    ) -> bool:
        if isinstance(self.expr, cst.Attribute):
            if self.dotted in _STABLE_OBJECTS:
                return False
            return not all(self._is_called(use) for use in uses)
        name = self.expr.value
        if m.findall(
            tree, m.Global(names=[m.ZeroOrMore(), m.NameItem(m.Name(name)), m.ZeroOrMore()])
        ):
            return True
        scope = self.get_metadata(ScopeProvider, uses[0], None)
        assignments = list(scope[name]) if scope and name in scope else []
        if all(isinstance(a.scope, BuiltinScope) for a in assignments):
            return False  # a builtin such as ``open``
        only = assignments[0]
        if len(assignments) != 1 or not isinstance(only, Assignment):
            return True
        if not isinstance(only.scope, GlobalScope):
            return True
        node = only.node
        parent = self.get_metadata(ParentNodeProvider, node, None)
        grand = self.get_metadata(ParentNodeProvider, parent, None) if parent else None
        if not isinstance(grand, cst.Assign) or not _is_literal(grand.value):
            return True
        where = self.get_metadata(PositionProvider, grand).start.line
        return where >= self.get_metadata(PositionProvider, func).start.line

    def _is_called(self, node: cst.CSTNode) -> bool:
        parent = self.get_metadata(ParentNodeProvider, node, None)
        return isinstance(parent, cst.Call) and parent.func is node

    # -- the transform ------------------------------------------------------------------

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        chain = find_definition(tree, self.function, self.context.full_module_name)
        func = chain[-1]
        qual = qualname_of(chain)
        if not isinstance(func, cst.FunctionDef):
            raise RefusalError(f"{qual}: is a class; name one of its methods")
        for glob in m.findall(func.body, m.Global()):
            assert isinstance(glob, cst.Global)
            if any(item.name.value == self.text for item in glob.names):
                raise RefusalError(
                    f"{qual}: declares global {self.text} (it writes it); a parameter cannot "
                    "replace a global the function assigns"
                )
        uses = self._occurrences(func)
        if self.param in param_names(func.params):
            if not uses:
                return tree  # already parameterized: idempotent
            raise RefusalError(f"{qual}: already has a parameter {self.param}; pass --param")
        if not uses:
            raise RefusalError(f"{qual}: {self.text} does not occur in the function body")
        inside = {id(n) for use in uses for n in variable_names([use])}
        taken = {n.value for n in variable_names([func.body]) if id(n) not in inside}
        if self.param in taken:
            raise RefusalError(
                f"{qual}: the name {self.param} is already used in the function; pass --param"
            )
        sentinel = self._needs_sentinel(tree, func, uses)
        # the default is written as the function wrote it (``datetime.now``), which is
        # what resolves in this module, even if --name was ``datetime.datetime.now``
        as_written = uses[0].with_changes(lpar=[], rpar=[])
        default: cst.BaseExpression = cst.Name("None") if sentinel else as_written
        param = kwonly_param(self.param, default)
        prologue = cst.parse_statement(
            f"if {self.param} is None:\n    {self.param} = {_code(as_written)}\n",
            config=tree.config_for_parsing,
        )

        def rewrite_func(updated: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(updated, cst.FunctionDef)
            updated = updated.with_changes(params=add_kwonly_param(updated.params, param))
            return insert_statements(updated, [prologue]) if sentinel else updated

        mapping: dict[cst.CSTNode, object] = {use: cst.Name(self.param) for use in uses}
        mapping[func] = rewrite_func
        return replace_nodes(tree, mapping)  # type: ignore[arg-type]
