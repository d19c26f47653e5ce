"""``annotate``: write type annotations observed in golden masters into signatures.

Recorded cases show what types really flow through a legacy function; this helper
turns them into annotations (a union of what was seen, ``X | None`` when ``None`` was
seen: the project targets Python >= 3.10, so PEP 604 syntax works at runtime too).
Existing annotations are never touched, and the imports an annotation needs are added
(``from decimal import Decimal``, ``import numpy as np``, ``from pkg.mod import Cart``).
A class of the same module that is defined later (or is the enclosing class) is quoted,
so the ``def`` still runs.

Observed types are strings: builtins by name (``"int"``, ``"None"``) and anything else
as ``"module:Name"`` (``"decimal:Decimal"``, ``"pkg.mod:Cart"``, ``"numpy:ndarray"``);
short known names such as ``"Decimal"`` or ``"np.ndarray"`` are accepted too.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from legacy_harness.refactor._common import (
    HarnessCommand,
    RefusalError,
    TargetNotFound,
    find_definition,
    import_bindings,
    replace_nodes,
    split_spec,
)
from legacy_harness.report.pages.values import scalar_type
from legacy_harness.store.codec import MARKER_KEYS

Observed = Mapping[str, Mapping[str, Sequence[str]]]

_BUILTINS = {
    "int",
    "float",
    "str",
    "bool",
    "complex",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "None",
    "object",
    "type",
}
#: Short names users write in a types file, and where they come from.
_KNOWN = {
    "Decimal": "decimal",
    "Fraction": "fractions",
    "datetime": "datetime",
    "date": "datetime",
    "time": "datetime",
    "timedelta": "datetime",
    "UUID": "uuid",
    "Path": "pathlib",
}
_TAGS = {
    "$int": "int",
    "$float": "float",
    "$complex": "complex",
    "$bytes": "bytes",
    "$bytearray": "bytearray",
    "$tuple": "tuple",
    "$dict": "dict",
    "$set": "set",
    "$frozenset": "frozenset",
    "$datetime": "datetime:datetime",
    "$date": "datetime:date",
    "$time": "datetime:time",
    "$timedelta": "datetime:timedelta",
    "$decimal": "decimal:Decimal",
    "$fraction": "fractions:Fraction",
    "$uuid": "uuid:UUID",
    "$path": "pathlib:Path",
    "$ndarray": "numpy:ndarray",
    "$series": "pandas:Series",
    "$dataframe": "pandas:DataFrame",
}
_SPEC_TAGS = {"$object", "$enum", "$namedtuple"}


def type_of_encoded(tree: Any) -> str | None:
    """Type name of one encoded (tagged JSON) value; None when it says nothing (``$ref``)."""
    scalar = scalar_type(tree)
    if scalar is not None:
        return scalar
    if isinstance(tree, list):
        return "list"
    if isinstance(tree, dict):
        tags = [
            k for k in tree if isinstance(k, str) and k.startswith("$") and k not in MARKER_KEYS
        ]
        if not tags:
            return "dict"
        tag = tags[0]
        if tag in _TAGS:
            return _TAGS[tag]
        if tag in _SPEC_TAGS and isinstance(tree[tag], str):
            return str(tree[tag])
        if tag == "$npscalar" and isinstance(tree[tag], str):
            return f"numpy:{tree[tag]}"
        return None  # $ref, $custom, $unencodable: no honest type to write
    return None


def observed_types_from_cases(
    cases: Iterable[Mapping[str, Any]],
    param_names: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """Collect observed types per target from golden case dicts (docs/golden-format.md).

    Positional ``inputs.args`` need ``param_names[target]`` (the function's positional
    parameter names, with or without ``self``); without it only kwargs and the return
    value are used. A raised outcome gives no return type.
    """
    result: dict[str, dict[str, list[str]]] = {}
    names_for = dict(param_names or {})

    def note(target: str, param: str, value: Any) -> None:
        name = type_of_encoded(value)
        if name is None:
            return
        seen = result.setdefault(target, {}).setdefault(param, [])
        if name not in seen:
            seen.append(name)

    for case in cases:
        target = str(case.get("target", ""))
        inputs = case.get("inputs") or {}
        positional = list(names_for.get(target) or names_for.get(split_spec(target)[1]) or [])
        if positional and "self" in inputs and positional[0] in ("self", "cls"):
            positional = positional[1:]
        for index, value in enumerate(inputs.get("args") or []):
            if index < len(positional):
                note(target, positional[index], value)
        for key, value in (inputs.get("kwargs") or {}).items():
            note(target, key, value)
        outcome = case.get("outcome") or {}
        if "returned" in outcome:
            note(target, "return", outcome["returned"])
    return result


class AnnotateCommand(HarnessCommand):
    """Add annotations from observed types; leaves existing annotations alone."""

    DESCRIPTION = (
        "Annotate functions with the types observed in golden masters "
        "(--types FILE: JSON {qualname: {param: [types], return: [types]}})."
    )

    def __init__(
        self,
        context: CodemodContext,
        types: str | None = None,
        observed: Observed | None = None,
    ) -> None:
        super().__init__(context)
        if observed is None:
            if types is None:
                raise RefusalError("annotate: pass --types FILE or observed=...")
            try:
                observed = json.loads(Path(types).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise RefusalError(f"{types}: cannot read observed types ({exc})") from exc
        if not isinstance(observed, Mapping):
            raise RefusalError("annotate: observed types must map qualname to {param: [types]}")
        self.observed = observed

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--types", required=True, help="JSON file: {qualname: {param|return: [types]}}"
        )

    # -- rendering types ----------------------------------------------------------------

    def _render(self, type_name: str, bound: dict[str, str], local_classes: set[str]) -> str:
        if type_name in _BUILTINS:
            return type_name
        if ":" in type_name:
            module, name = type_name.split(":", 1)
        elif "." in type_name:
            module, _, name = type_name.rpartition(".")
            module = {"np": "numpy", "pd": "pandas"}.get(module, module)
        elif type_name in _KNOWN:
            module, name = _KNOWN[type_name], type_name
        elif type_name in local_classes:
            return type_name
        else:
            raise RefusalError(f"{type_name}: unknown type; write it as module:Name")
        if module == self.context.full_module_name or (
            self.context.full_module_name is None and name in local_classes
        ):
            return name
        if module in ("numpy", "pandas"):
            for local, target in sorted(bound.items()):
                if target == module:
                    return f"{local}.{name}"
            alias = "np" if module == "numpy" else "pd"
            AddImportsVisitor.add_needed_import(self.context, module, asname=alias)
            return f"{alias}.{name}"
        if bound.get(name) == f"{module}.{name}":
            return name
        if name in bound:
            raise RefusalError(f"{type_name}: the name {name} is already bound to something else")
        AddImportsVisitor.add_needed_import(self.context, module, name)
        return name

    def _annotation(
        self,
        types: Sequence[str],
        bound: dict[str, str],
        late_classes: set[str],
        local_classes: set[str],
        future: bool,
    ) -> cst.Annotation:
        ordered = [t for t in dict.fromkeys(types) if t != "None"]
        if "None" in types:
            ordered.append("None")
        rendered = [self._render(t, bound, local_classes) for t in ordered]
        text = " | ".join(dict.fromkeys(rendered))
        if not future and any(r in late_classes for r in rendered):
            text = f'"{text}"'
        return cst.Annotation(annotation=cst.parse_expression(text))

    # -- the transform -----------------------------------------------------------------

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        bound = import_bindings(tree, definitions=True)
        local_classes = {s.name.value for s in tree.body if isinstance(s, cst.ClassDef)}
        future = any(
            isinstance(small, cst.ImportFrom)
            and cst.helpers.get_full_name_for_node(small.module or cst.Name("x")) == "__future__"
            and not isinstance(small.names, cst.ImportStar)
            and any(getattr(a.name, "value", "") == "annotations" for a in small.names)
            for stmt in tree.body
            if isinstance(stmt, cst.SimpleStatementLine)
            for small in stmt.body
        )
        mapping: dict[cst.CSTNode, object] = {}
        found = 0
        for spec, per_param in self.observed.items():
            try:
                chain = find_definition(tree, spec, self.context.full_module_name)
            except TargetNotFound:
                continue
            func = chain[-1]
            if not isinstance(func, cst.FunctionDef):
                raise RefusalError(f"{spec}: is a class; observed types are per function")
            found += 1
            top = chain[0]
            top_index = list(tree.body).index(top)
            defined_before = {
                s.name.value for s in tree.body[:top_index] if isinstance(s, cst.ClassDef)
            }
            late = local_classes - defined_before

            def annotate(types: Sequence[str], late: set[str] = late) -> cst.Annotation:
                return self._annotation(types, bound, late, local_classes, future)

            mapping[func] = self._annotate_func(func, per_param, annotate)
        if not found:
            raise TargetNotFound("annotate: none of the observed functions is in this file")
        return replace_nodes(tree, mapping)  # type: ignore[arg-type]

    @staticmethod
    def _annotate_func(
        func: cst.FunctionDef, per_param: Mapping[str, Sequence[str]], annotate: Any
    ) -> cst.FunctionDef:
        params = func.params

        def fix(param: cst.Param) -> cst.Param:
            types = per_param.get(param.name.value)
            if not types or param.annotation is not None:
                return param
            changes: dict[str, Any] = {"annotation": annotate(types)}
            if param.default is not None:
                changes["equal"] = cst.MaybeSentinel.DEFAULT  # PEP 8: ``x: int = 1``
            return param.with_changes(**changes)

        new_params = params.with_changes(
            posonly_params=[fix(p) for p in params.posonly_params],
            params=[fix(p) for p in params.params],
            kwonly_params=[fix(p) for p in params.kwonly_params],
        )
        returns = func.returns
        if returns is None and per_param.get("return"):
            returns = annotate(per_param["return"])
        return func.with_changes(params=new_params, returns=returns)
