"""``dedupe``: merge two functions that differ only in names and constants.

Copy-pasted legacy functions drift apart; before fixing a bug in one, make both call
one parameterised implementation. The two bodies are compared as syntax trees with
formatting ignored: local variables may be named differently (a consistent renaming),
and differing constants or global names become parameters of the new function. Any
other difference is structural and the helper refuses, saying where the bodies diverge.

The new function takes one positional parameter per difference first, then the first
function's parameters; both originals keep their signature, decorators and docstring
and become ``return NEW(...)``. A differing global is now read when the original is
called rather than at the point of use inside the body (same value unless the body
itself reassigns it).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import BuiltinScope, GlobalScope, PositionProvider, ScopeProvider

from legacy_harness.refactor._common import (
    HarnessCommand,
    RefusalError,
    check_identifier,
    docstring_count,
    find_definition,
    param_names,
    replace_nodes,
    snake_case,
    variable_names,
)

_EMPTY = cst.Module([])
_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)
_IGNORED = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.LeftParen,
    cst.RightParen,
    cst.Comma,
)


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    return [c for c in node.children if not isinstance(c, _IGNORED)]


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _param_shape(params: cst.Parameters) -> tuple[int, int, str, int, bool]:
    """How many parameters of each kind a signature has: two functions merge only if equal."""
    return (
        len(params.posonly_params),
        len(params.params),
        type(params.star_arg).__name__,
        len(params.kwonly_params),
        params.star_kwarg is None,
    )


class DedupeCommand(HarnessCommand):
    """Extract the common body of two near-duplicate functions."""

    DESCRIPTION = (
        "Make two functions whose bodies differ only in names and constants call one "
        "new parameterised function."
    )
    METADATA_DEPENDENCIES = (ScopeProvider, PositionProvider)

    def __init__(self, context: CodemodContext, functions: str | Sequence[str], name: str) -> None:
        super().__init__(context)
        names = functions.split(",") if isinstance(functions, str) else list(functions)
        names = [n.strip() for n in names if n.strip()]
        if len(names) != 2 or names[0] == names[1]:
            raise RefusalError(f"{functions!r}: --functions must name two different functions")
        check_identifier(name, "--name")
        self.functions = names
        self.name = name

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--functions", required=True, help="a,b: the two functions")
        arg_parser.add_argument("--name", required=True, help="name of the shared function")

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _is_local(self, name: cst.Name) -> bool:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None or name.value not in scope:
            return False
        return any(not isinstance(a.scope, GlobalScope | BuiltinScope) for a in scope[name.value])

    # -- the transform -----------------------------------------------------------------

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        funcs: list[cst.FunctionDef] = []
        for spec in self.functions:
            chain = find_definition(tree, spec, self.context.full_module_name)
            func = chain[-1]
            if len(chain) != 1 or not isinstance(func, cst.FunctionDef):
                raise RefusalError(f"{spec}: only module-level functions can be deduplicated")
            if func.asynchronous is not None:
                raise RefusalError(f"{spec}: is async; not supported")
            if m.findall(func.body, m.Yield()):
                raise RefusalError(f"{spec}: is a generator; not supported")
            if not isinstance(func.body, cst.IndentedBlock):
                raise RefusalError(f"{spec}: one-line functions are not supported")
            funcs.append(func)
        a, b = funcs
        if self._already_done(tree, a, b):
            return tree
        self._compare_params(a, b)
        assert isinstance(a.body, cst.IndentedBlock) and isinstance(b.body, cst.IndentedBlock)
        body_a: list[cst.BaseStatement] = list(a.body.body)[docstring_count(a.body.body) :]
        body_b: list[cst.BaseStatement] = list(b.body.body)[docstring_count(b.body.body) :]
        if not body_a or not body_b:
            raise RefusalError(f"{a.name.value}, {b.name.value}: a body is only a docstring")
        rename: dict[str, str] = {}
        back: dict[str, str] = {}
        for pa, pb in zip(param_names(a.params), param_names(b.params), strict=True):
            rename[pb] = pa
            back[pa] = pb
        diffs: dict[tuple[str, str], str] = {}
        at: dict[cst.CSTNode, str] = {}
        taken = set(param_names(a.params)) | {n.value for n in variable_names(body_a)}
        self._walk(a, b, body_a, body_b, rename, back, diffs, at, taken)
        return self._rewrite(tree, a, b, body_a, diffs, at)

    def _already_done(self, tree: cst.Module, a: cst.FunctionDef, b: cst.FunctionDef) -> bool:
        exists = any(
            isinstance(s, cst.FunctionDef | cst.ClassDef) and s.name.value == self.name
            for s in tree.body
        )
        if not exists:
            return False
        delegating = m.IndentedBlock(
            body=[
                m.ZeroOrMore(),
                m.SimpleStatementLine(body=[m.Return(value=m.Call(func=m.Name(self.name)))]),
            ]
        )
        if m.matches(a.body, delegating) and m.matches(b.body, delegating):
            return True
        raise RefusalError(f"{self.name}: already defined; choose another --name")

    def _compare_params(self, a: cst.FunctionDef, b: cst.FunctionDef) -> None:
        pa, pb = a.params, b.params
        if _param_shape(pa) != _param_shape(pb):
            raise RefusalError(
                f"{a.name.value}, {b.name.value}: parameter lists have different shapes"
            )
        for x, y in zip(
            [*pa.posonly_params, *pa.params, *pa.kwonly_params],
            [*pb.posonly_params, *pb.params, *pb.kwonly_params],
            strict=True,
        ):
            dx = _code(x.default) if x.default is not None else None
            dy = _code(y.default) if y.default is not None else None
            if dx != dy:
                raise RefusalError(
                    f"{a.name.value}, {b.name.value}: parameters {x.name.value} and "
                    f"{y.name.value} have different defaults"
                )
        kw_a = [p.name.value for p in pa.kwonly_params]
        kw_b = [p.name.value for p in pb.kwonly_params]
        if kw_a != kw_b:
            raise RefusalError(
                f"{a.name.value}, {b.name.value}: keyword-only parameters differ in name"
            )

    def _walk(
        self,
        fa: cst.FunctionDef,
        fb: cst.FunctionDef,
        xs: Sequence[cst.CSTNode],
        ys: Sequence[cst.CSTNode],
        rename: dict[str, str],
        back: dict[str, str],
        diffs: dict[tuple[str, str], str],
        at: dict[cst.CSTNode, str],
        taken: set[str],
    ) -> None:
        vars_a = {id(n) for n in variable_names(xs)}
        vars_b = {id(n) for n in variable_names(ys)}

        parents: dict[cst.CSTNode, cst.CSTNode] = {}

        def diverge(x: cst.CSTNode, y: cst.CSTNode) -> RefusalError:
            # an operator token says little on its own: show its expression
            while not isinstance(x, cst.BaseExpression | cst.BaseStatement) and x in parents:
                x, y = parents[x], parents[y]
            return RefusalError(
                f"{fa.name.value} line {self._line(x)} and {fb.name.value} line "
                f"{self._line(y)} diverge: {_code(x).strip()!r} vs {_code(y).strip()!r}"
            )

        def leaf(x: cst.CSTNode) -> bool:
            return isinstance(x, _LITERALS) or (isinstance(x, cst.Name) and id(x) in vars_a)

        def compare(x: cst.CSTNode, y: cst.CSTNode) -> None:
            x_var = isinstance(x, cst.Name) and id(x) in vars_a
            y_var = isinstance(y, cst.Name) and id(y) in vars_b
            if x_var and y_var:
                assert isinstance(x, cst.Name) and isinstance(y, cst.Name)
                lx, ly = self._is_local(x), self._is_local(y)
                if lx and ly:
                    if rename.setdefault(y.value, x.value) != x.value:
                        raise diverge(x, y)
                    if back.setdefault(x.value, y.value) != y.value:
                        raise diverge(x, y)
                    return
                if not lx and not ly and x.value == y.value:
                    return
                if lx or ly:
                    raise diverge(x, y)
                return parameter(x, y)
            if type(x) is type(y) and isinstance(x, _LITERALS):
                if x.value == y.value:  # type: ignore[attr-defined]
                    return
                return parameter(x, y)
            if leaf(x) and (isinstance(y, _LITERALS) or y_var):
                if y_var and self._is_local(y):  # type: ignore[arg-type]
                    raise diverge(x, y)
                if x_var and self._is_local(x):  # type: ignore[arg-type]
                    raise diverge(x, y)
                return parameter(x, y)
            if type(x) is not type(y):
                raise diverge(x, y)
            if isinstance(x, cst.Name | cst.FormattedStringText):
                if x.value != y.value:  # type: ignore[attr-defined]
                    raise diverge(x, y)
                return
            cx, cy = _children(x), _children(y)
            if len(cx) != len(cy):
                raise diverge(x, y)
            for cx_i, cy_i in zip(cx, cy, strict=True):
                parents[cx_i], parents[cy_i] = x, y
                compare(cx_i, cy_i)

        def parameter(x: cst.CSTNode, y: cst.CSTNode) -> None:
            key = (_code(x).strip(), _code(y).strip())
            if key not in diffs:
                base = "value"
                if isinstance(x, cst.Name):
                    base = x.value.lower() if x.value.isupper() else snake_case(x.value)
                candidate = base if isinstance(x, cst.Name) else f"{base}{len(diffs) + 1}"
                while candidate in taken or not candidate.isidentifier():
                    candidate += "_"
                taken.add(candidate)
                diffs[key] = candidate
            at[x] = diffs[key]

        if len(xs) != len(ys):
            raise RefusalError(
                f"{fa.name.value}, {fb.name.value}: bodies have {len(xs)} and {len(ys)} statements"
            )
        for x, y in zip(xs, ys, strict=True):
            compare(x, y)

    def _rewrite(
        self,
        tree: cst.Module,
        a: cst.FunctionDef,
        b: cst.FunctionDef,
        body_a: list[cst.BaseStatement],
        diffs: dict[tuple[str, str], str],
        at: dict[cst.CSTNode, str],
    ) -> cst.Module:
        extra = list(diffs.values())
        new_body: list[cst.BaseStatement] = []
        for stmt in body_a:
            swapped = stmt.visit(_Swap(at))
            assert isinstance(swapped, cst.BaseStatement)
            new_body.append(swapped)
        first = new_body[0]
        kept = [ln for ln in getattr(first, "leading_lines", ()) if ln.comment is not None]
        new_body[0] = first.with_changes(leading_lines=kept)
        extra_params = [cst.Param(cst.Name(p)) for p in extra]
        params = a.params
        if params.posonly_params:
            params = params.with_changes(posonly_params=[*extra_params, *params.posonly_params])
        else:
            params = params.with_changes(params=[*extra_params, *params.params])
        blank = cst.EmptyLine(indent=False)
        shared = cst.FunctionDef(
            name=cst.Name(self.name),
            params=params,
            body=cst.IndentedBlock(body=new_body),  # type: ignore[arg-type]
            leading_lines=[blank, blank],
        )

        def delegate(func: cst.FunctionDef, values: list[str]) -> cst.FunctionDef:
            own = func.params
            shared_names = param_names(a.params)
            args = list(values)
            args += [p.name.value for p in [*own.posonly_params, *own.params]]
            if isinstance(own.star_arg, cst.Param):
                args.append(f"*{own.star_arg.name.value}")
            kw_index = len(own.posonly_params) + len(own.params)
            kw_index += 1 if isinstance(own.star_arg, cst.Param) else 0
            for offset, p in enumerate(own.kwonly_params):
                args.append(f"{shared_names[kw_index + offset]}={p.name.value}")
            if own.star_kwarg is not None:
                args.append(f"**{own.star_kwarg.name.value}")
            call = cst.parse_statement(f"return {self.name}({', '.join(args)})\n")
            assert isinstance(func.body, cst.IndentedBlock)
            keep = list(func.body.body)[: docstring_count(func.body.body)]
            return func.with_changes(body=func.body.with_changes(body=[*keep, call]))

        new_a = delegate(a, [k[0] for k in diffs])
        new_b = delegate(b, [k[1] for k in diffs])
        last = max(list(tree.body).index(a), list(tree.body).index(b))

        def add_shared(updated: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(updated, cst.Module)
            body = list(updated.body)
            return updated.with_changes(body=[*body[: last + 1], shared, *body[last + 1 :]])

        return replace_nodes(tree, {a: new_a, b: new_b, tree: add_shared})


class _Swap(cst.CSTTransformer):
    """Replace the differing leaves of the first body by the new parameters."""

    def __init__(self, at: dict[cst.CSTNode, str]) -> None:
        super().__init__()
        self.at = at

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def, override]
        name = self.at.get(original_node)
        if name is None:
            return updated_node
        return cst.Name(name, lpar=updated_node.lpar, rpar=updated_node.rpar)
