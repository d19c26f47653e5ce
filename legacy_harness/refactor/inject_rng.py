"""``inject-rng``: route global random draws through an injected generator parameter.

Code that calls ``np.random.normal`` or ``random.choice`` cannot be seeded per call, so
golden masters must capture and restore global state. This helper adds a keyword-only
parameter whose default *is* the global generator's module (``rng=np.random``,
``rng=random``) and rewrites the calls to ``rng.normal(...)``: with the default the
very same functions run, so behaviour is bit-identical, while tests can pass
``np.random.RandomState(0)`` (or ``random.Random(0)``).

Without ``--function`` every function and method of the file that draws from a global
generator gets its seam; ``--function`` (repeatable) limits the change to the ones named.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import QualifiedNameProvider

from legacy_harness.refactor._common import (
    HarnessCommand,
    RefusalError,
    TargetNotFound,
    add_kwonly_param,
    check_identifier,
    find_definition,
    import_bindings,
    kwonly_param,
    module_name_for_path,
    param_names,
    qualname_of,
    replace_nodes,
    variable_names,
)

#: Names under ``numpy.random`` / ``random`` that build generators instead of drawing
#: from the global one; rewriting them would change nothing but readability.
_NOT_GLOBAL_DRAWS = {
    "numpy.random": {
        "RandomState",
        "Generator",
        "default_rng",
        "SeedSequence",
        "BitGenerator",
        "MT19937",
        "PCG64",
        "PCG64DXSM",
        "Philox",
        "SFC64",
        "mtrand",
        "bit_generator",
    },
    "random": {"Random", "SystemRandom"},
}


def _classify(qualnames: set[str]) -> tuple[str, str] | None:
    """``("numpy.random" | "random", function)`` for a global random API, else None."""
    for qn in sorted(qualnames):
        for family in ("numpy.random", "random"):
            prefix = family + "."
            if qn.startswith(prefix):
                rest = qn[len(prefix) :]
                if rest and "." not in rest and rest not in _NOT_GLOBAL_DRAWS[family]:
                    return family, rest
    return None


def _default_for(family: str, bindings: dict[str, str]) -> tuple[str, bool]:
    """Source of the default expression and whether an import must be added."""
    for local, target in sorted(bindings.items()):
        if target == family:
            return local, False
    if family == "numpy.random":
        for local, target in sorted(bindings.items()):
            if target == "numpy":
                return f"{local}.random", False
        return "numpy.random", True
    return "random", True


def _functions_of(
    body: Sequence[cst.CSTNode], prefix: str = ""
) -> list[tuple[cst.FunctionDef, str]]:
    """Every function and method defined directly in a module or class body (nested
    classes included), with its qualname; functions nested in functions belong to theirs."""
    found: list[tuple[cst.FunctionDef, str]] = []
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef):
            found.append((stmt, prefix + stmt.name.value))
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            found.extend(_functions_of(stmt.body.body, f"{prefix}{stmt.name.value}."))
    return found


class InjectRngCommand(HarnessCommand):
    """Give functions that draw random numbers an injectable random generator."""

    DESCRIPTION = (
        "Route np.random.* / random.* calls through a keyword-only parameter defaulting to"
        " the global generator (bit-identical by default): in every function of the file"
        " that draws random numbers, or only in those named with --function."
    )
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(
        self,
        context: CodemodContext,
        function: str | Sequence[str] | None = None,
        param: str = "rng",
        py_param: str = "py_rng",
    ) -> None:
        super().__init__(context)
        check_identifier(param, "--param")
        check_identifier(py_param, "--py-param")
        if param == py_param:
            raise RefusalError(f"{param}: --param and --py-param must differ")
        names = [function] if isinstance(function, str) else list(function or ())
        self.functions = list(dict.fromkeys(name.strip() for name in names if name.strip()))
        self.param = param
        self.py_param = py_param

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--function",
            action="append",
            help="qualname of a function, method or class (all its methods): train, Model.fit,"
            " Model, or pkg.mod:Model.fit; repeat for several (default: every function of"
            " the file that draws random numbers)",
        )
        arg_parser.add_argument("--param", default="rng", help="parameter name (default rng)")
        arg_parser.add_argument(
            "--py-param",
            default="py_rng",
            help="parameter for stdlib random when numpy is also used (default py_rng)",
        )

    @classmethod
    def prepare_project(cls, sources: Mapping[Path, str], **args: Any) -> dict[str, Any]:
        """Refuse a ``--function`` that none of the files defines (a typo would otherwise
        skip every file without a word)."""
        function = args.get("function")
        names = [function] if isinstance(function, str) else list(function or ())
        trees: dict[Path, cst.Module] = {}
        for path, source in sources.items():
            try:
                trees[path] = cst.parse_module(source)
            except cst.ParserSyntaxError:
                continue
        for name in names:
            if not any(_defines(tree, name, path) for path, tree in trees.items()):
                raise TargetNotFound(
                    f"{name}: no function or class of that name in {len(sources)} file(s);"
                    " check --function (module:qualname or qualname)"
                )
        return args

    def _selected(self, tree: cst.Module) -> list[tuple[cst.FunctionDef, str]]:
        """The functions to seam: those named (a class means all its methods), or all."""
        if not self.functions:
            return _functions_of(tree.body)
        selected: list[tuple[cst.FunctionDef, str]] = []
        missing: list[TargetNotFound] = []
        for spec in self.functions:
            try:
                chain = find_definition(tree, spec, self.context.full_module_name)
            except TargetNotFound as error:
                missing.append(error)
                continue
            target = chain[-1]
            if isinstance(target, cst.ClassDef):
                funcs = [s for s in target.body.body if isinstance(s, cst.FunctionDef)]
                prefix = qualname_of(chain)
                selected.extend((f, f"{prefix}.{f.name.value}") for f in funcs)
            elif isinstance(target, cst.FunctionDef):
                selected.append((target, qualname_of(chain)))
        if missing and (not selected or not self.context.filename):
            raise missing[0]  # one source must hold every name; files may share them out
        return list({id(func): (func, qual) for func, qual in selected}.values())

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        bindings = import_bindings(tree, relative=False)
        mapping: dict[cst.CSTNode, object] = {}
        for func, qual in self._selected(tree):
            self._plan(func, qual, bindings, mapping)
        return replace_nodes(tree, mapping)  # type: ignore[arg-type]

    def _calls(self, func: cst.FunctionDef) -> list[tuple[cst.Call, str, str]]:
        found: list[tuple[cst.Call, str, str]] = []

        class Finder(cst.CSTVisitor):
            def visit_Call(inner, node: cst.Call) -> None:  # noqa: N805
                names = {q.name for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
                hit = _classify(names)
                if hit is not None:
                    found.append((node, *hit))

        func.body.visit(Finder())
        return found

    def _plan(
        self,
        func: cst.FunctionDef,
        qual: str,
        bindings: dict[str, str],
        mapping: dict[cst.CSTNode, object],
    ) -> None:
        calls = self._calls(func)
        seen = {family for _, family, _ in calls}
        families = [family for family in ("numpy.random", "random") if family in seen]
        if not families:
            return
        existing = set(param_names(func.params))
        names: dict[str, str] = {}
        for family in families:
            use_py = family == "random" and (
                "numpy.random" in families or self._has_param(func, self.py_param)
            )
            names[family] = self.py_param if use_py else self.param
        used = {n.value for n in variable_names([func.body])}
        new_params: list[cst.Param] = []
        for fam, name in names.items():
            default, needs_import = _default_for(fam, bindings)
            if name in existing:
                current = self._param(func, name)
                if (
                    current is None
                    or current.default is None
                    or (cst.Module([]).code_for_node(current.default) != default)
                ):
                    raise RefusalError(
                        f"{qual}: already has a parameter {name} that is not the injected "
                        f"generator; choose another with --param/--py-param"
                    )
                continue
            if name in used:
                raise RefusalError(
                    f"{qual}: the name {name} is already used in the function; "
                    "choose another with --param/--py-param"
                )
            if needs_import:
                AddImportsVisitor.add_needed_import(self.context, fam)
            new_params.append(kwonly_param(name, cst.parse_expression(default)))
        for call, fam_of_call, attr in calls:
            mapping[call] = _rewrite_call(names[fam_of_call], attr)
        for call in self._recursive_calls(func, qual):
            passed = {a.keyword.value for a in call.args if a.keyword is not None}
            missing = [n for n in names.values() if n not in passed]
            if missing and not any(a.star == "**" for a in call.args):
                mapping[call] = _pass_through(missing)
        if new_params:
            mapping[func] = _add_params(new_params)

    @staticmethod
    def _recursive_calls(func: cst.FunctionDef, qual: str) -> list[cst.Call]:
        """Calls of the function itself, which should hand the injected generator on."""
        fname = func.name.value
        if "." in qual:
            params = [*func.params.posonly_params, *func.params.params]
            if not params:
                return []
            me = params[0].name.value
            pattern = m.Call(func=m.Attribute(value=m.Name(me), attr=m.Name(fname)))
        else:
            pattern = m.Call(func=m.Name(fname))
        return [c for c in m.findall(func.body, pattern) if isinstance(c, cst.Call)]

    @staticmethod
    def _param(func: cst.FunctionDef, name: str) -> cst.Param | None:
        p = func.params
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            if param.name.value == name:
                return param
        return None

    def _has_param(self, func: cst.FunctionDef, name: str) -> bool:
        return self._param(func, name) is not None


def _defines(tree: cst.Module, spec: str, path: Path) -> bool:
    try:
        find_definition(tree, spec, module_name_for_path(path) or None)
    except (TargetNotFound, RefusalError):
        return False
    return True


def _rewrite_call(param: str, attr: str):  # type: ignore[no-untyped-def]
    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.Call)
        return updated.with_changes(func=cst.Attribute(value=cst.Name(param), attr=cst.Name(attr)))

    return rewrite


def _pass_through(names: Sequence[str]):  # type: ignore[no-untyped-def]
    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.Call)
        extra = [
            cst.Arg(
                keyword=cst.Name(n),
                value=cst.Name(n),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            for n in names
        ]
        return updated.with_changes(args=[*updated.args, *extra])

    return rewrite


def _add_params(new_params: Sequence[cst.Param]):  # type: ignore[no-untyped-def]
    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.FunctionDef)
        params = updated.params
        for param in new_params:
            params = add_kwonly_param(params, param)
        return updated.with_changes(params=params)

    return rewrite
