"""The helper table and the pure transforms the CLI and the verify loop build on.

``transform_source``/``transform_files`` are pure (they never write), so the CLI can
print a diff by default, write with ``--apply`` and replay golden masters around the
change with ``--verify``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import Codemod, CodemodCommand, CodemodContext, SkipFile

from legacy_harness.refactor._common import (
    RefusalError,
    TargetNotFound,
    module_name_for_path,
)
from legacy_harness.refactor.annotate import AnnotateCommand
from legacy_harness.refactor.dedupe import DedupeCommand
from legacy_harness.refactor.extract_class import ExtractClassCommand
from legacy_harness.refactor.extract_function import ExtractFunctionCommand
from legacy_harness.refactor.inject_rng import InjectRngCommand
from legacy_harness.refactor.parameterize import ParameterizeCommand
from legacy_harness.refactor.rename import RenameCommand

__all__ = [
    "HELPERS",
    "transform_files",
    "transform_source",
    "unified_diff",
]

#: CLI name -> codemod class; keyword arguments are the classes' ``add_args`` dests.
HELPERS: dict[str, type[CodemodCommand]] = {
    "inject-rng": InjectRngCommand,
    "parameterize": ParameterizeCommand,
    "rename": RenameCommand,
    "extract-function": ExtractFunctionCommand,
    "extract-class": ExtractClassCommand,
    "annotate": AnnotateCommand,
    "dedupe": DedupeCommand,
}


def _command(name: str, context: CodemodContext, args: Mapping[str, Any]) -> Codemod:
    try:
        cls = HELPERS[name]
    except KeyError:
        known = ", ".join(sorted(HELPERS))
        raise RefusalError(f"{name}: no such refactoring helper (known: {known})") from None
    return cls(context, **args)  # type: ignore[call-arg]


def transform_source(name: str, source: str, /, **args: Any) -> str:
    """Run helper ``name`` on one module's source; returns the new source.

    ``name``/``source`` are positional-only so helpers may take a ``name`` argument.
    Raises :class:`RefusalError` when the change cannot be proven safe.
    """
    command = _command(name, CodemodContext(), args)
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise RefusalError(f"source does not parse: {exc.message}") from exc
    return command.transform_module(tree).code


def _prepare(name: str, paths: list[Path], args: dict[str, Any]) -> dict[str, Any]:
    """Let a helper see the whole project before per-file runs (e.g. rename)."""
    prepare = getattr(HELPERS.get(name), "prepare_project", None)
    if prepare is None:
        return args
    sources = {path: path.read_text(encoding="utf-8") for path in paths}
    return dict(prepare(sources, **args))


def transform_files(name: str, paths: list[Path], /, **args: Any) -> dict[Path, tuple[str, str]]:
    """Run helper ``name`` over files; returns ``{path: (old, new)}`` for changed files.

    ``name`` and ``paths`` are positional-only so helpers may take ``name=...``.
    Pure: reads the files and writes nothing. A file that does not contain the target
    is left alone; if no file contains it the helper refuses.
    """
    paths = [Path(p) for p in paths]
    args = _prepare(name, paths, dict(args))
    changes: dict[Path, tuple[str, str]] = {}
    missing: list[str] = []
    for path in paths:
        old = path.read_text(encoding="utf-8")
        context = CodemodContext(
            filename=str(path), full_module_name=module_name_for_path(path) or None
        )
        command = _command(name, context, args)
        try:
            tree = cst.parse_module(old)
        except cst.ParserSyntaxError as exc:
            raise RefusalError(f"{path}: does not parse: {exc.message}") from exc
        try:
            new = command.transform_module(tree).code
        except SkipFile as exc:
            missing.append(str(exc))
            continue
        except RefusalError as exc:
            raise RefusalError(f"{path}: {exc}") from exc
        if new != old:
            changes[path] = (old, new)
    if paths and len(missing) == len(paths):
        raise TargetNotFound(f"target not found in any of {len(paths)} file(s): {missing[0]}")
    return changes


def unified_diff(changes: Mapping[Path, tuple[str, str]]) -> str:
    """One unified diff (``a/``, ``b/`` prefixes) for the output of :func:`transform_files`."""
    chunks: list[str] = []
    for path in sorted(changes):
        old, new = changes[path]
        shown = path.as_posix().lstrip("/")
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{shown}",
                tofile=f"b/{shown}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)
