"""``extract-class``: move some methods and the state only they use to a collaborator.

The old class keeps its interface: it creates ``self._collaborator = NewClass(...)`` in
``__init__`` (where the moved attributes used to be initialised) and each moved method
becomes a one-line delegation with the same signature. The helper refuses whenever the
split is not clean: a moved attribute used by a method that stays, a moved method that
calls a method that stays, or one that passes ``self`` around.

Instance layout changes (the moved attributes now live on the collaborator), so the
recorded state of the class in the golden masters is migrated with the code
(:mod:`legacy_harness.refactor.migrate`, using :func:`collaborator_fields`): ``--verify``
compares behaviour, not layout.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider

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


def _self_name(func: cst.FunctionDef) -> str | None:
    params = [*func.params.posonly_params, *func.params.params]
    return params[0].name.value if params else None


def _self_uses(func: cst.FunctionDef) -> tuple[list[cst.Attribute], list[cst.Name]]:
    """``self.x`` attribute nodes, and bare uses of ``self`` that are not ``self.x``."""
    me = _self_name(func)
    attrs: list[cst.Attribute] = []
    bare: list[cst.Name] = []
    if me is None:
        return attrs, bare

    class Walk(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            if isinstance(node.value, cst.Name) and node.value.value == me:
                attrs.append(node)
                return False
            return True

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == me:
                bare.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is func

    func.visit(Walk())
    return attrs, [n for n in bare if n is not func.params.params[0].name]


def collaborator_fields(source: str, name: str) -> frozenset[str]:
    """The instance attributes of class ``name`` in ``source``: after ``extract-class``,
    the fields that moved from the original class into the collaborator."""
    tree = cst.parse_module(source)
    cls = next((s for s in tree.body if isinstance(s, cst.ClassDef) and s.name.value == name), None)
    if cls is None:
        raise RefusalError(f"{name}: no such class in the refactored source")
    funcs = [s for s in cls.body.body if isinstance(s, cst.FunctionDef)]
    used = {a.attr.value for func in funcs for a in _self_uses(func)[0]}
    return frozenset(used - {func.name.value for func in funcs})


def _delegation_args(params: cst.Parameters) -> str:
    parts = [p.name.value for p in [*params.posonly_params, *params.params][1:]]
    if isinstance(params.star_arg, cst.Param):
        parts.append(f"*{params.star_arg.name.value}")
    parts.extend(f"{p.name.value}={p.name.value}" for p in params.kwonly_params)
    if params.star_kwarg is not None:
        parts.append(f"**{params.star_kwarg.name.value}")
    return ", ".join(parts)


def _with_blank_line(node: cst.FunctionDef, first: bool) -> cst.FunctionDef:
    lines = list(node.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    if not first:
        lines.insert(0, cst.EmptyLine(indent=False))
    return node.with_changes(leading_lines=lines)


class ExtractClassCommand(HarnessCommand):
    """Move methods (and the attributes only they use) into a collaborator class."""

    DESCRIPTION = (
        "Move named methods of a class, and the attributes only they use, into a new "
        "collaborator class; the old class delegates to it."
    )
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        context: CodemodContext,
        cls: str | None = None,
        methods: str | Sequence[str] = (),
        name: str = "",
        attribute: str | None = None,
        **kwargs: str,
    ) -> None:
        super().__init__(context)
        # ``class`` is a keyword; accept it through **kwargs (argparse dest "class")
        spec = cls or kwargs.pop("class", None)
        if kwargs:
            raise RefusalError(f"{', '.join(kwargs)}: unknown argument(s) for extract-class")
        if not spec:
            raise RefusalError("extract-class: --class is required")
        check_identifier(name, "--name")
        names = methods.split(",") if isinstance(methods, str) else list(methods)
        self.methods = [n.strip() for n in names if n.strip()]
        if not self.methods:
            raise RefusalError(f"{spec}: --methods lists no method")
        self.spec = spec
        self.name = name
        self.attribute = attribute or "_" + snake_case(name)
        check_identifier(self.attribute, "--attribute")

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--class", required=True, help="pkg.mod:ClassName")
        arg_parser.add_argument("--methods", required=True, help="m1,m2: the methods to move")
        arg_parser.add_argument("--name", required=True, help="name of the new class")
        arg_parser.add_argument(
            "--attribute", default=None, help="attribute holding it (default _snake_name)"
        )

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        chain = find_definition(tree, self.spec, self.context.full_module_name)
        cls = chain[-1]
        if not isinstance(cls, cst.ClassDef) or len(chain) != 1:
            raise RefusalError(f"{self.spec}: not a top-level class")
        cname = cls.name.value
        if not isinstance(cls.body, cst.IndentedBlock):
            raise RefusalError(f"{cname}: a one-line class has no methods to move")
        if self._already_done(tree, cls):
            return tree
        body = list(cls.body.body)
        funcs = {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}
        moved: list[cst.FunctionDef] = []
        for method in self.methods:
            func = funcs.get(method)
            if func is None:
                raise RefusalError(f"{cname}.{method}: no such method")
            if method.startswith("__") or func.decorators or _self_name(func) is None:
                raise RefusalError(
                    f"{cname}.{method}: only plain instance methods can move "
                    "(no dunders, decorators, or missing self)"
                )
            moved.append(func)
        moved_names = set(self.methods)
        attrs_of: dict[str, set[str]] = {}
        for fname, func in funcs.items():
            attr_nodes, bare = _self_uses(func)
            used = {a.attr.value for a in attr_nodes}
            if fname in moved_names:
                if bare:
                    raise RefusalError(
                        f"{cname}.{fname}: uses self other than self.attribute "
                        f"(line {self._line(bare[0])}); it would get the collaborator"
                    )
                calls = sorted((used & set(funcs)) - moved_names)
                if calls:
                    raise RefusalError(
                        f"{cname}.{fname}: calls methods that stay: {', '.join(calls)}"
                    )
            attrs_of[fname] = used - set(funcs)
        moved_attrs = set().union(*(attrs_of[n] for n in moved_names))
        staying = set().union(
            *(a for n, a in attrs_of.items() if n not in moved_names and n != "__init__")
        )
        shared = sorted(moved_attrs & staying)
        if shared:
            raise RefusalError(
                f"{cname}: attributes used by moved and staying methods: {', '.join(shared)}"
            )
        class_level = {
            t.target.value
            for stmt in body
            if isinstance(stmt, cst.SimpleStatementLine)
            for t in m.findall(stmt, m.AssignTarget(target=m.Name()) | m.AnnAssign(target=m.Name()))
            if isinstance(t, cst.AssignTarget | cst.AnnAssign) and isinstance(t.target, cst.Name)
        }
        if moved_attrs & class_level:
            names = ", ".join(sorted(moved_attrs & class_level))
            raise RefusalError(f"{cname}: moved methods read class attributes {names}")
        self._refuse_outside_access(tree, cls, moved_attrs)
        init = funcs.get("__init__")
        init_stmts, init_params = self._moved_init(cname, init, moved_attrs)
        me = (_self_name(init) if init is not None else None) or "self"
        collab = self._collaborator_class(cname, me, init_params, init_stmts, moved)
        create = cst.parse_statement(
            f"{me}.{self.attribute} = {self.name}({', '.join(init_params)})\n"
        )

        def rewrite_class(updated: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(updated, cst.ClassDef)
            assert isinstance(updated.body, cst.IndentedBlock)
            new_body: list[cst.BaseStatement] = []
            for stmt in updated.body.body:
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value in moved_names:
                    new_body.append(self._delegate(stmt))
                elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                    new_body.append(self._rewrite_init(stmt, init_stmts, create))
                else:
                    new_body.append(stmt)
            if init is None:
                if cls.bases:
                    raise RefusalError(
                        f"{cname}: has base classes and no __init__; add one before extracting"
                    )
                new_init = cst.parse_statement("def __init__(self):\n    pass\n")
                assert isinstance(new_init, cst.FunctionDef)
                new_init = new_init.with_changes(body=new_init.body.with_changes(body=[create]))
                at = docstring_count(new_body)
                nxt = new_body[at]
                if isinstance(nxt, cst.FunctionDef):
                    new_body[at] = _with_blank_line(nxt, first=False)
                new_body.insert(at, new_init)
            return updated.with_changes(body=updated.body.with_changes(body=new_body))

        def add_collaborator(updated: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(updated, cst.Module)
            mbody = list(updated.body)
            at = list(tree.body).index(cls) + 1
            return updated.with_changes(body=[*mbody[:at], collab, *mbody[at:]])

        return replace_nodes(tree, {cls: rewrite_class, tree: add_collaborator})  # type: ignore[dict-item]

    def _already_done(self, tree: cst.Module, cls: cst.ClassDef) -> bool:
        exists = any(
            isinstance(s, cst.ClassDef | cst.FunctionDef) and s.name.value == self.name
            for s in tree.body
        )
        if not exists:
            return False
        creates = m.findall(
            cls,
            m.Assign(
                targets=[m.AssignTarget(m.Attribute(attr=m.Name(self.attribute)))],
                value=m.Call(func=m.Name(self.name)),
            ),
        )
        if creates:
            return True
        raise RefusalError(f"{self.name}: already defined in the module; choose another --name")

    def _refuse_outside_access(
        self, tree: cst.Module, cls: cst.ClassDef, moved_attrs: set[str]
    ) -> None:
        allowed = {
            id(a) for s in cls.body.body if isinstance(s, cst.FunctionDef) for a in _self_uses(s)[0]
        }
        for node in m.findall(tree, m.Attribute()):
            assert isinstance(node, cst.Attribute)
            if node.attr.value in moved_attrs and id(node) not in allowed:
                raise RefusalError(
                    f"{cls.name.value}.{node.attr.value}: read outside the class's own "
                    f"methods (line {self._line(node)}); it would no longer exist there"
                )

    def _moved_init(
        self, cname: str, init: cst.FunctionDef | None, moved_attrs: set[str]
    ) -> tuple[list[cst.SimpleStatementLine], list[str]]:
        """The ``self.x = expr`` lines that move, and the names they need from __init__."""
        if init is None:
            return [], []
        me = _self_name(init)
        assert isinstance(init.body, cst.IndentedBlock)
        moving: list[cst.SimpleStatementLine] = []
        for stmt in init.body.body:
            attrs = [
                a
                for a in m.findall(stmt, m.Attribute(value=m.Name(me or "self")))
                if isinstance(a, cst.Attribute) and a.attr.value in moved_attrs
            ]
            if not attrs:
                continue
            ok = (
                isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Assign)
                and len(stmt.body[0].targets) == 1
                and stmt.body[0].targets[0].target is attrs[0]
                and len(attrs) == 1
            )
            if not ok:
                raise RefusalError(
                    f"{cname}.__init__: line {self._line(stmt)} uses moved attribute "
                    f"{attrs[0].attr.value} other than as 'self.{attrs[0].attr.value} = ...'"
                )
            assert isinstance(stmt, cst.SimpleStatementLine)
            moving.append(stmt)
        if not moving:
            return [], []
        local = set(param_names(init.params)) | {
            t.value
            for t in m.findall(init.body, m.AssignTarget(target=m.Name()))
            for t in [t.target]  # type: ignore[attr-defined]
        }
        needed: list[str] = []
        for stmt in moving:
            value = stmt.body[0].value  # type: ignore[attr-defined]
            for name in variable_names([value]):
                if name.value == me:
                    raise RefusalError(
                        f"{cname}.__init__: line {self._line(stmt)} initialises a moved "
                        "attribute from self"
                    )
                if name.value in local and name.value not in needed:
                    needed.append(name.value)
        first = self._line(moving[0])
        for target in m.findall(init.body, m.AssignTarget(target=m.Name()) | m.AugAssign()):
            tname = getattr(getattr(target, "target", None), "value", None)
            if tname in needed and self._line(target) > first:
                raise RefusalError(
                    f"{cname}.__init__: {tname} changes after line {first}; the moved "
                    "initialisers would see a different value"
                )
        return moving, needed

    def _collaborator_class(
        self,
        cname: str,
        me: str,
        params: list[str],
        init_stmts: list[cst.SimpleStatementLine],
        moved: list[cst.FunctionDef],
    ) -> cst.ClassDef:
        members: list[cst.BaseStatement] = []
        if init_stmts:
            signature = ", ".join([me, *params])
            init = cst.parse_statement(f"def __init__({signature}):\n    pass\n")
            assert isinstance(init, cst.FunctionDef)
            body = [
                s.with_changes(leading_lines=[ln for ln in s.leading_lines if ln.comment])
                for s in init_stmts
            ]
            members.append(init.with_changes(body=init.body.with_changes(body=body)))
        for func in moved:
            members.append(_with_blank_line(func, first=not members))
        doc = cst.parse_statement(f'"""Collaborator extracted from {cname}."""\n')
        if members and isinstance(members[0], cst.FunctionDef):
            members[0] = _with_blank_line(members[0], first=False)
        skeleton = cst.parse_statement(f"class {self.name}:\n    pass\n")
        assert isinstance(skeleton, cst.ClassDef)
        blank = cst.EmptyLine(indent=False)
        return skeleton.with_changes(
            body=skeleton.body.with_changes(body=[doc, *members]),
            leading_lines=[blank, blank],
        )

    def _delegate(self, func: cst.FunctionDef) -> cst.FunctionDef:
        me = _self_name(func)
        call = f"return {me}.{self.attribute}.{func.name.value}({_delegation_args(func.params)})\n"
        stmts: list[cst.BaseStatement] = []
        assert isinstance(func.body, cst.IndentedBlock)
        if docstring_count(func.body.body):
            stmts.append(func.body.body[0])
        stmts.append(cst.parse_statement(call))
        return func.with_changes(body=func.body.with_changes(body=stmts))

    def _rewrite_init(
        self,
        init: cst.FunctionDef,
        moving: list[cst.SimpleStatementLine],
        create: cst.BaseStatement,
    ) -> cst.FunctionDef:
        if not moving:
            assert isinstance(init.body, cst.IndentedBlock)
            return init.with_changes(body=init.body.with_changes(body=[*init.body.body, create]))
        codes = {cst.Module([]).code_for_node(s) for s in moving}
        assert isinstance(init.body, cst.IndentedBlock)
        new_body: list[cst.BaseStatement] = []
        last = max(
            i for i, s in enumerate(init.body.body) if cst.Module([]).code_for_node(s) in codes
        )
        for index, stmt in enumerate(init.body.body):
            if index == last:
                new_body.append(create)
            elif cst.Module([]).code_for_node(stmt) not in codes:
                new_body.append(stmt)
        return init.with_changes(body=init.body.with_changes(body=new_body))
