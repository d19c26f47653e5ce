"""``rename``: rename a function, class, method or attribute everywhere it is referenced.

References are found by qualified-name resolution (libcst ``QualifiedNameProvider``),
never by text search, so strings, comments and unrelated things that happen to share
the name are untouched. Import aliases are kept (``from m import old as o`` becomes
``from m import new as o``; ``o`` stays).

Methods are the hard part of a dynamic language: ``self.m``, ``cls.m`` inside the class
and ``ClassName.m`` are certain, but ``obj.m`` on any other receiver is only renamed
when the method name is defined once in the whole project (``transform_files`` works
that out; a single-file run assumes it is not). Otherwise the helper refuses and lists
the ambiguous sites.

An instance attribute (``pkg.mod:Cart.status``, assigned as ``self.status = ...`` in a
method, or at class level) is renamed the same way. Python can also name an attribute
by a string, so the helper refuses where that is likely: a string equal to the name in
the defining file (``getattr``, ``__slots__``), a class that customises attribute
access or pickling, a decorated class (a dataclass's fields are its ``__init__``
parameters), and a class-level name in a class with bases (an enum member, a schema
field). The masters' recorded state of the class is migrated with the code.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import (
    GlobalScope,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from legacy_harness.refactor._common import (
    HarnessCommand,
    RefusalError,
    TargetNotFound,
    _lookup,
    check_identifier,
    replace_nodes,
    split_spec,
)


def rename_target_spec(old_spec: str, new_name: str) -> str:
    """The golden-master target spec after a rename (``pkg.mod:Cls.old`` -> ``pkg.mod:Cls.new``)."""
    module, qual = split_spec(old_spec)
    parts = qual.split(".")
    parts[-1] = new_name
    new_qual = ".".join(parts)
    return f"{module}:{new_qual}" if module else new_qual


#: Methods through which a class may name its attributes by string.
_STRING_ACCESS = (
    "__slots__", "__getattr__", "__getattribute__", "__setattr__", "__delattr__",
    "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__", "__dir__",
)  # fmt: skip


def _first_param(func: cst.FunctionDef) -> str | None:
    params = [*func.params.posonly_params, *func.params.params]
    return params[0].name.value if params else None


def _class_level(cls: cst.ClassDef) -> set[str]:
    """Names bound directly in a class body (``x = 1``, ``x: int = 1``, ``x: int``)."""
    names: set[str] = set()
    for stmt in cls.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                    targets = [small.target]
                names |= {t.value for t in targets if isinstance(t, cst.Name)}
    return names


def instance_attributes(cls: cst.ClassDef) -> set[str]:
    """Attributes a class defines as data: ``self.x = ...`` in its methods, and
    names bound in its body. Methods and nested classes are not included."""
    names = _class_level(cls)
    for stmt in cls.body.body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        me = _first_param(stmt)
        if me is None:
            continue
        pattern = m.Attribute(value=m.Name(me), attr=m.Name())
        for target in m.findall(
            stmt.body,
            m.AssignTarget(target=pattern)
            | m.AnnAssign(target=pattern)
            | m.AugAssign(target=pattern),
        ):
            attribute = getattr(target, "target", None)
            if isinstance(attribute, cst.Attribute):
                names.add(attribute.attr.value)
    return names


def renamed_attribute(source: str, old_spec: str) -> tuple[str, str] | None:
    """``(class qualname, attribute)`` when ``old_spec`` names a data attribute of a
    class defined in ``source`` (not a method or nested class), else None."""
    _, qual = split_spec(old_spec)
    parts = qual.split(".")
    if len(parts) < 2:
        return None
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None
    chain = _lookup(tree.body, parts[:-1])
    if not chain or not isinstance(chain[-1], cst.ClassDef) or _lookup(tree.body, parts):
        return None
    if parts[-1] not in instance_attributes(chain[-1]):
        return None
    return ".".join(parts[:-1]), parts[-1]


def _definitions(tree: cst.Module, name: str) -> int:
    """How many things the module defines under ``name`` as an attribute: functions and
    methods of that name, and classes holding data of that name."""
    count = len(m.findall(tree, m.FunctionDef(name=m.Name(name))))
    for cls in m.findall(tree, m.ClassDef()):
        assert isinstance(cls, cst.ClassDef)
        count += name in instance_attributes(cls)
    return count


def _absolute(qualname: str, current: str | None, is_package: bool) -> str:
    """Resolve a relative qualified name (``..mod.Name``) against the current module."""
    if not qualname.startswith("."):
        return qualname
    dots = len(qualname) - len(qualname.lstrip("."))
    if not current:
        return qualname
    parts = current.split(".")
    if not is_package:
        parts = parts[:-1]
    if dots > 1:
        parts = parts[: len(parts) - (dots - 1)]
    rest = qualname[dots:]
    return ".".join([*parts, rest]) if rest else ".".join(parts)


class RenameCommand(HarnessCommand):
    """Rename a function, class, method or instance attribute and every reference to it."""

    DESCRIPTION = (
        "Rename a function, class, method or attribute (pkg.mod:Name[.member]) across files, "
        "resolving references by qualified name; strings and comments are untouched."
    )
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, PositionProvider)

    def __init__(
        self,
        context: CodemodContext,
        old: str,
        new: str,
        unique_attribute: bool = False,
    ) -> None:
        super().__init__(context)
        check_identifier(new, "--new")
        self.target_module, self.qual = split_spec(old)
        self.parts = self.qual.split(".")
        if not all(p.isidentifier() for p in self.parts):
            raise RefusalError(f"{old}: --old must look like pkg.mod:Name or pkg.mod:Class.method")
        self.old_spec = old
        self.new = new
        self.old_name = self.parts[-1]
        self.unique_attribute = unique_attribute

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--old",
            required=True,
            help="pkg.mod:Name, pkg.mod:Class.method or pkg.mod:Class.attribute",
        )
        arg_parser.add_argument("--new", required=True, help="the new (unqualified) name")
        arg_parser.add_argument(
            "--unique-attribute",
            action="store_true",
            help="the method or attribute name is defined once in the project: also rename "
            "obj.name on receivers other than self/cls/the class",
        )

    @classmethod
    def prepare_project(cls, sources: Mapping[Path, str], **args: Any) -> dict[str, Any]:
        """Decide, across all files, whether a method name is unique (see module doc)."""
        _, qual = split_spec(str(args.get("old", "")))
        parts = qual.split(".")
        if len(parts) > 1 and "unique_attribute" not in args:
            name = parts[-1]
            count = 0
            for source in sources.values():
                try:
                    tree = cst.parse_module(source)
                except cst.ParserSyntaxError:
                    continue
                count += _definitions(tree, name)
            args["unique_attribute"] = count == 1
        return args

    # -- where are we ------------------------------------------------------------------

    def _current(self) -> tuple[str | None, bool]:
        filename = self.context.filename or ""
        return self.context.full_module_name, filename.endswith("__init__.py")

    def _is_defining(self, tree: cst.Module) -> bool:
        current, _ = self._current()
        if self.target_module is None or current is None:
            return (
                bool(_lookup(tree.body, self.parts))
                or bool(_lookup(tree.body, [*self.parts[:-1], self.new]))
                or self._attribute_class(tree, self.old_name) is not None
                or self._attribute_class(tree, self.new) is not None
            )
        return current == self.target_module

    def _attribute_class(self, tree: cst.Module, name: str) -> cst.ClassDef | None:
        """The class of ``Class.name`` when ``name`` is a data attribute of it."""
        if len(self.parts) < 2:
            return None
        chain = _lookup(tree.body, self.parts[:-1])
        if not chain or not isinstance(chain[-1], cst.ClassDef):
            return None
        if _lookup(chain[-1].body.body, [name]) or name not in instance_attributes(chain[-1]):
            return None
        return chain[-1]

    def _targets(self, defining: bool) -> set[str]:
        targets = {f"{self.target_module}.{self.qual}"} if self.target_module else set()
        if defining:
            targets.add(self.qual)
        return targets

    # -- the transform -----------------------------------------------------------------

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        defining = self._is_defining(tree)
        if defining:
            chain = _lookup(tree.body, self.parts)
            owner_class = None if chain else self._attribute_class(tree, self.old_name)
            if owner_class is not None:
                self._refuse_unsafe_attribute(tree, owner_class)
            elif not chain:
                if _lookup(tree.body, [*self.parts[:-1], self.new]) or self._attribute_class(
                    tree, self.new
                ):
                    return tree  # already renamed: idempotent
                raise TargetNotFound(f"{self.old_spec}: not defined in this file")
            else:
                self._refuse_clash(tree, chain)
        current, is_package = self._current()
        targets = self._targets(defining)
        renamed: list[cst.Name] = []
        ambiguous: list[cst.Attribute] = []
        owner = self
        method = len(self.parts) > 1
        class_chain = _lookup(tree.body, self.parts[:-1]) if method and defining else []
        if class_chain and not isinstance(class_chain[-1], cst.ClassDef):
            class_chain = []
        receivers = self._receivers(class_chain[-1]) if class_chain else set()

        def resolves(node: cst.CSTNode) -> bool:
            names = owner.get_metadata(QualifiedNameProvider, node, set())
            return any(_absolute(q.name, current, is_package) in targets for q in names)

        class Finder(cst.CSTVisitor):
            def visit_Attribute(self, node: cst.Attribute) -> None:
                if node.attr.value != owner.old_name:
                    return
                if resolves(node) or (isinstance(node.value, cst.Name) and node.value in receivers):
                    renamed.append(node.attr)
                elif method:
                    ambiguous.append(node)

            def visit_Name(self, node: cst.Name) -> None:
                if node.value == owner.old_name and resolves(node):
                    renamed.append(node)

            def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
                if method or isinstance(node.names, cst.ImportStar):
                    return False
                dots = "." * len(node.relative)
                mod = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
                absolute = _absolute(f"{dots}{mod}", current, is_package)
                if absolute != owner.target_module:
                    return False
                for alias in node.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == owner.old_name:
                        renamed.append(alias.name)
                        if alias.asname is None:
                            owner._refuse_bound(tree, f"from {absolute} import")
                return False

        tree.visit(Finder())
        if ambiguous:
            if not self.unique_attribute:
                sites = ", ".join(
                    f"line {self.get_metadata(PositionProvider, a).start.line}" for a in ambiguous
                )
                raise RefusalError(
                    f"{self.old_spec}: the name {self.old_name} is used on receivers "
                    f"whose type is unknown ({sites}); it is not unique in the project"
                )
            renamed.extend(a.attr for a in ambiguous)
        if not renamed and not defining and current is None:
            raise TargetNotFound(f"{self.old_spec}: not defined or referenced in this source")
        self._refuse_shadowing(renamed)
        mapping: dict[cst.CSTNode, object] = {
            n: n.with_changes(value=self.new) for n in dict.fromkeys(renamed)
        }
        return replace_nodes(tree, mapping)  # type: ignore[arg-type]

    def _receivers(self, cls: cst.CSTNode) -> set[cst.Name]:
        """``self``/``cls`` Name nodes (first parameters) used inside the class's methods."""
        found: set[cst.Name] = set()
        assert isinstance(cls, cst.ClassDef)
        for stmt in cls.body.body:
            if not isinstance(stmt, cst.FunctionDef) or not stmt.params.params:
                continue
            first = stmt.params.params[0].name.value
            for name in m.findall(stmt.body, m.Name(first)):
                scope = self.get_metadata(ScopeProvider, name, None)
                if scope is not None and first in scope:
                    if any(getattr(a, "node", None) is stmt.params.params[0] for a in scope[first]):
                        assert isinstance(name, cst.Name)
                        found.add(name)
        return found

    def _refuse_unsafe_attribute(self, tree: cst.Module, cls: cst.ClassDef) -> None:
        """Refuse an attribute rename that strings or class machinery could break."""
        where = f"{self.old_spec}: class {cls.name.value}"
        if self.new in instance_attributes(cls) or _lookup(cls.body.body, [self.new]):
            raise RefusalError(f"{where} already has {self.new}")
        if cls.decorators:
            raise RefusalError(
                f"{where} is decorated (a dataclass?): its attribute names may be parameters"
                " or fields; rename it by hand"
            )
        special = sorted(
            name
            for name in _STRING_ACCESS
            if _lookup(cls.body.body, [name]) or name in _class_level(cls)
        )
        if special:
            raise RefusalError(
                f"{where} defines {', '.join(special)}, which may name attributes by string;"
                " rename it by hand"
            )
        if cls.bases and self.old_name in _class_level(cls):
            raise RefusalError(
                f"{where} has bases and binds {self.old_name} in its body (an enum member,"
                " a schema field?); rename it by hand"
            )
        for string in m.findall(tree, m.SimpleString()):
            assert isinstance(string, cst.SimpleString)
            if string.evaluated_value == self.old_name:
                line = self.get_metadata(PositionProvider, string).start.line
                raise RefusalError(
                    f"{self.old_spec}: the string {string.value} on line {line} may name the"
                    " attribute (getattr, __slots__, a key); change it first or rename by hand"
                )

    def _refuse_clash(self, tree: cst.Module, chain: list[Any]) -> None:
        body = tree.body if len(chain) == 1 else chain[-2].body.body
        where = "the module" if len(chain) == 1 else f"class {chain[-2].name.value}"
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef | cst.ClassDef) and stmt.name.value == self.new:
                raise RefusalError(f"{self.old_spec}: {self.new} already exists in {where}")
            if isinstance(stmt, cst.SimpleStatementLine) and m.findall(
                stmt, m.AssignTarget(target=m.Name(self.new))
            ):
                raise RefusalError(f"{self.old_spec}: {self.new} already exists in {where}")
        if len(chain) == 1:
            self._refuse_bound(tree, "the module")

    def _refuse_bound(self, tree: cst.Module, where: str) -> None:
        scope = self.get_metadata(ScopeProvider, tree, None)
        if isinstance(scope, GlobalScope) and self.new in scope:
            if any(isinstance(a.scope, GlobalScope) for a in scope[self.new]):
                raise RefusalError(
                    f"{self.old_spec}: {self.new} is already bound at module level ({where})"
                )

    def _refuse_shadowing(self, renamed: list[cst.Name]) -> None:
        for name in renamed:
            scope = self.get_metadata(ScopeProvider, name, None)
            if scope is None or isinstance(scope, GlobalScope) or self.new not in scope:
                continue
            if any(not isinstance(a.scope, GlobalScope) for a in scope[self.new]):
                line = self.get_metadata(PositionProvider, name).start.line
                raise RefusalError(
                    f"{self.old_spec}: a local {self.new} would shadow the renamed reference "
                    f"on line {line}"
                )
