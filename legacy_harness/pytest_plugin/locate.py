"""Where a stored target lives, decided from files alone: nothing is imported.

Collection turns folder names of the store into targets. The store arrives in pull
requests, so a folder name must never make pytest import a module: a folder named after
any installed module would otherwise run that module's import-time code. This module
finds a target's module with the path finder (which reads directories and never
executes anything), tells whether it belongs to the project, and reads its source with
:mod:`ast` to tell whether the qualname is still defined.

The answer is conservative: a target is *gone* only when that is certain (module file
missing, or a plain module or class that binds no such name). Whenever code could bind
the name at run time (``setattr``, ``globals()``, star imports, decorated classes...)
the target counts as present, and replay reports a missing one as an error.
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path

from legacy_harness.config import Config
from legacy_harness.errors import HarnessError
from legacy_harness.store.layout import TargetSpec

__all__ = ["Locator", "Presence", "Project", "Whereabouts"]

#: Names whose use lets a module or class bind attributes the source does not show.
_DYNAMIC_NAMES = frozenset(
    {"globals", "locals", "vars", "setattr", "exec", "eval", "__import__", "__builtins__"}
)
#: Attributes whose use does the same (``obj.__dict__[...] = ``, ``sys.modules[...] =``).
_DYNAMIC_ATTRIBUTES = frozenset({"__dict__", "modules"})


class Presence(Enum):
    """What the files say about a stored target."""

    PRESENT = "present"  #: defined, or possibly defined at run time: its cases run
    GONE = "gone"  #: certainly no longer exists: its cases are unused masters
    OUTSIDE = "outside"  #: not the project's code: its cases are refused
    INVALID = "invalid"  #: the folder names are not a module:qualname target


@dataclass(frozen=True)
class Whereabouts:
    presence: Presence
    reason: str = ""


@dataclass(frozen=True)
class Project:
    """The folders holding the project's own modules, and the packages ``allow`` adds."""

    root: Path
    folders: tuple[Path, ...]
    allow: frozenset[str] = frozenset()
    #: Folders under the project's ones that hold installed code (a ``.venv`` inside it).
    installed: tuple[Path, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> Project:
        return cls.of(config.root, config.pythonpath, config.allow)

    @classmethod
    def of(cls, root: Path, folders: Sequence[Path] = (), allow: Sequence[str] = ()) -> Project:
        resolved = tuple(dict.fromkeys(Path(f).resolve() for f in (*folders, root)))
        return cls(Path(root).resolve(), resolved, frozenset(allow), _installed_folders(resolved))

    def owns(self, origin: Path) -> bool:
        """Whether a module file at ``origin`` is the project's code, not an installed one."""
        path = origin.resolve()
        if any(part in ("site-packages", "dist-packages") for part in path.parts):
            return False
        if any(path.is_relative_to(folder) for folder in self.installed):
            return False
        return any(path.is_relative_to(folder) for folder in self.folders)


def _installed_folders(folders: Sequence[Path]) -> tuple[Path, ...]:
    """The interpreter's library folders, and its prefix when that lies inside the
    project (a ``.venv`` in the root holds installed code, not the project's)."""
    paths = sysconfig.get_paths()
    found = {Path(paths[key]).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    for prefix in {Path(p).resolve() for p in (sys.prefix, sys.exec_prefix, sys.base_prefix)}:
        if any(prefix != f and prefix.is_relative_to(f) for f in folders):
            found.add(prefix)
    return tuple(sorted(found))


@dataclass
class _Module:
    """What the files say about one module: gone or refused (with why), or its source."""

    gone: str = ""
    outside: str = ""
    tree: ast.Module | None = None
    dynamic: bool = True


@dataclass
class Locator:
    """Answers :meth:`locate` for many targets, reading each module's source once.

    ``search`` is the import path (default: ``sys.path`` when asked), so a module is
    found where ``import`` would find it, without running any finder but the path one.
    """

    project: Project
    search: Sequence[str] | None = None
    _modules: dict[str, _Module] = field(default_factory=dict)

    def locate(self, target: str) -> Whereabouts:
        try:
            spec = TargetSpec.parse(target)
        except HarnessError as error:
            return Whereabouts(Presence.INVALID, str(error))
        if spec.module not in self._modules:
            self._modules[spec.module] = self._find(spec.module)
        module = self._modules[spec.module]
        if module.outside:
            return Whereabouts(Presence.OUTSIDE, module.outside)
        if module.gone:
            return Whereabouts(Presence.GONE, module.gone)
        if module.tree is None or module.dynamic:
            return Whereabouts(Presence.PRESENT)
        missing = _missing_part(module.tree, spec.qualname)
        if missing:
            return Whereabouts(Presence.GONE, f"{spec.module} has no {missing}")
        return Whereabouts(Presence.PRESENT)

    def _find(self, name: str) -> _Module:
        top = name.split(".")[0]
        if top not in self.project.allow and top in sys.stdlib_module_names:
            return _Module(outside=_outside(name, top))
        spec = self._spec(name)
        if spec is None:
            if name in sys.modules:
                return _Module()  # imported already by a finder of its own
            return _Module(gone=f"module {name} no longer exists")
        place = _place(spec)
        if top not in self.project.allow and (place is None or not self.project.owns(place)):
            return _Module(outside=_outside(name, top))
        found = _Module()
        if spec.origin and spec.origin.endswith(".py") and os.path.isfile(spec.origin):
            try:
                found.tree = ast.parse(Path(spec.origin).read_bytes(), filename=spec.origin)
            except (OSError, SyntaxError, ValueError):
                return found  # replay reports what is wrong with the module
            found.dynamic = _binds_dynamically(found.tree)
        return found

    def _spec(self, name: str) -> ModuleSpec | None:
        """The module's spec from the path finder, package by package: parents are
        searched through their folders, never imported."""
        locations: Sequence[str] = list(self.search if self.search is not None else sys.path)
        parts = name.split(".")
        spec: ModuleSpec | None = None
        for index in range(len(parts)):
            if spec is not None:
                if spec.submodule_search_locations is None:
                    return None  # a plain module has no submodules
                locations = list(spec.submodule_search_locations)
            spec = PathFinder.find_spec(".".join(parts[: index + 1]), locations)
            if spec is None:
                return None
        return spec


def _outside(name: str, top: str) -> str:
    return (
        f"module {name} is not part of the project, so its cases are not replayed;"
        f' if they should be, add it to [tool.legacy_harness] allow = ["{top}"]'
    )


def _place(spec: ModuleSpec) -> Path | None:
    if spec.has_location and spec.origin:
        return Path(spec.origin)
    locations = list(spec.submodule_search_locations or ())
    return Path(locations[0]) if locations else None


def _binds_dynamically(tree: ast.Module) -> bool:
    """Whether the module may bind names its statements do not show."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _DYNAMIC_NAMES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _DYNAMIC_ATTRIBUTES:
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return True
        if isinstance(node, ast.Global):
            return True  # a function may bind any module name when it runs
    return _walrus_at_module_level(tree)


def _walrus_at_module_level(tree: ast.Module) -> bool:
    """Whether an ``:=`` outside any function or class binds a module name."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.NamedExpr):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _missing_part(tree: ast.Module, qualname: str) -> str | None:
    """The first part of ``qualname`` the source certainly does not define, else None."""
    scope: list[ast.stmt] = tree.body
    parts = qualname.split(".")
    for index, part in enumerate(parts):
        bound = _bindings(scope)
        if index == 0 and "__getattr__" in bound:
            return None  # a module __getattr__ answers any name
        if part not in bound:
            return ".".join(parts[: index + 1])
        if index == len(parts) - 1:
            return None
        nodes = bound[part]
        if len(nodes) != 1 or not isinstance(nodes[0], ast.ClassDef):
            return None  # bound by an assignment or twice: cannot tell what it holds
        cls = nodes[0]
        plain_bases = all(isinstance(b, ast.Name) and b.id == "object" for b in cls.bases)
        if cls.decorator_list or cls.keywords or not plain_bases:
            return None  # decorators, metaclasses and base classes may add members
        scope = cls.body
    return None


def _bindings(body: list[ast.stmt]) -> dict[str, list[ast.stmt]]:
    """Names bound by a block's own statements, through if/try/with/for/while/match."""
    found: dict[str, list[ast.stmt]] = {}

    def bind(name: str, node: ast.stmt) -> None:
        found.setdefault(name, []).append(node)

    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name, node)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bind((alias.asname or alias.name).split(".")[0], node)
            continue
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars]
        for target in targets:
            for name in _names(target):
                bind(name, node)
        for attribute in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, attribute, None)
            if isinstance(children, list):
                stack.extend(c for c in children if isinstance(c, ast.stmt))
                for child in children:
                    if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                        stack.extend(child.body)
    return found


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _names(element)]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []
