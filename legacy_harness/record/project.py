"""What "the project's own modules" are, decided without importing anything.

Golden files arrive in pull requests and ``check`` replays them in CI, so the module a
case names is attacker-controlled. A case may only make the harness run the project's
own code: a module importable from the project root or its ``pythonpath`` folders that
is neither part of the standard library nor installed (site-packages, dist-packages,
the virtual environment), or a module the user trusts by listing its package in
``allow``. The same answer serves the codec's class allow-list
(:func:`project_modules`) and the replay of stored cases (:func:`trusted_target`).

Nothing here imports the module in question: a top-level name is located with
``importlib.util.find_spec`` (which consults the finders, never runs the module), and
the answer is read from where its files are on disk, symlinks resolved.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
import site
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legacy_harness.config import Config
from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError, TargetError
from legacy_harness.store.layout import CASE_PREFIX, CASE_SUFFIX, TargetSpec

__all__ = [
    "ForeignClasses",
    "ProjectModules",
    "installed_version",
    "project_modules",
    "trusted_target",
]

#: Folder names that only ever hold installed code.
_INSTALLED_PARTS = frozenset({"site-packages", "dist-packages"})
_MODULE_SUFFIXES = tuple(
    importlib.machinery.SOURCE_SUFFIXES + importlib.machinery.EXTENSION_SUFFIXES
)


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def _under(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


@functools.lru_cache(maxsize=1)
def _interpreter_folders() -> tuple[Path, ...]:
    """Where the interpreter keeps the standard library and installed packages."""
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    found.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if isinstance(user_site, str):
        found.add(user_site)
    if sys.prefix != sys.base_prefix:  # a virtual environment holds installed code only
        found.add(sys.prefix)
    return tuple(sorted({_real(path) for path in found if path}))


@dataclass(frozen=True)
class ProjectModules:
    """The project's folders and what its configuration trusts besides them.

    ``allow`` lists packages trusted with everything below them; ``configured`` the
    modules of targets named in ``[tool.legacy_harness.targets]`` (configuring a
    target's tolerances says it is meant to be replayed), trusted exactly.
    """

    folders: tuple[Path, ...]
    allow: tuple[str, ...] = ()
    configured: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Config) -> ProjectModules:
        folders = dict.fromkeys(_real(folder) for folder in (config.root, *config.pythonpath))
        return cls(tuple(folders), tuple(config.allow), frozenset(_configured(config)))

    def allowed(self, module: str) -> bool:
        """True if the configuration trusts ``module`` (see the class docstring)."""
        if module in self.configured:
            return True
        return any(module == entry or module.startswith(entry + ".") for entry in self.allow)

    def installed(self, path: Path) -> bool:
        """True if ``path`` lies in the standard library, site-packages or the venv."""
        return bool(_INSTALLED_PARTS.intersection(path.parts)) or _under(
            path, _interpreter_folders()
        )

    def refusal(self, module: str) -> str | None:
        """Why ``module`` is not the project's own code, or None if it is (or is allowed).

        A module that cannot be found at all is not refused: there is nothing to run,
        and importing it later fails with the usual "no module named" error.
        """
        if self.allowed(module):
            return None
        top = module.split(".")[0]
        if top in sys.stdlib_module_names:
            return f"{top!r} is part of the standard library"
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError) as error:  # a broken finder or a module without spec
            return f"{top!r} cannot be located without importing it ({error})"
        if spec is None:
            return None
        if spec.origin in ("built-in", "frozen"):
            return f"{top!r} is {spec.origin} into the interpreter"
        locations = list(spec.submodule_search_locations or ())
        if spec.origin and spec.has_location:
            locations.append(spec.origin)
        if not locations:
            return f"{top!r} has no file in the project"
        for location in map(_real, locations):
            if self.installed(location):
                return f"{top!r} is installed at {location}"
            if not _under(location, self.folders):
                return f"{top!r} is at {location}, outside the project folders"
        return None

    def names(self) -> frozenset[str]:
        """Top-level modules and packages found in the project folders, plus ``allow``.

        What the codec may rebuild classes from: a flat-layout project's ``model_objects.py``
        beside ``billing.py`` qualifies without being listed in ``allow``.
        """
        return frozenset(set(self.allow) | self.configured | self.own_names())

    def own_names(self) -> frozenset[str]:
        """Top-level modules and packages found in the project folders: the project's
        own code, what a pattern such as ``*`` or ``**`` walks."""
        found = set()
        for folder in self.folders:
            if self.installed(folder) or not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                name = _module_name(entry)
                if name and name not in sys.stdlib_module_names:
                    found.add(name)
        return frozenset(found)


def _configured(config: Config) -> list[str]:
    """Modules of the targets given overrides in ``[tool.legacy_harness.targets]`` (or
    ``overrides``, beside a ``targets`` list); globs skipped."""
    table = config.comparison_table().get("targets")
    if not isinstance(table, Mapping):
        return []
    modules = []
    for key in table:
        try:
            modules.append(TargetSpec.parse(str(key)).module)
        except TargetError:
            continue
    return modules


def _module_name(entry: os.DirEntry[str]) -> str | None:
    """The importable name of one folder entry, if it is a module or a package."""
    if entry.is_dir(follow_symlinks=False):
        path = Path(entry.path)
        if not entry.name.isidentifier() or (path / "pyvenv.cfg").exists():
            return None
        if any(child.suffix in _MODULE_SUFFIXES for child in path.iterdir()):
            return entry.name
        return None
    if entry.is_file(follow_symlinks=False):
        for suffix in _MODULE_SUFFIXES:
            if entry.name.endswith(suffix):
                stem = entry.name[: -len(suffix)]
                return stem if stem.isidentifier() else None
    return None


def project_modules(config: Config) -> frozenset[str]:
    """The module names whose classes a golden file may rebuild (see ProjectModules.names)."""
    return ProjectModules.from_config(config).names()


def trusted_target(
    spec: TargetSpec | str,
    config: Config,
    *,
    case_path: Path | None = None,
    store_root: Path | None = None,
) -> TargetSpec:
    """``spec`` if a stored case may replay it; otherwise a GoldenFileError saying why.

    Two rules: the target's module is the project's own (or ``allow`` lists it), and,
    when the case's file is known, the file lives in the target's own folder
    ``<store>/<module>/<qualname>/case-<id>.json``, so a reviewer who sees the folder
    in a diff sees what the case will run.
    """
    where = shown(case_path) if case_path is not None else "golden case"
    if isinstance(spec, str):
        try:
            spec = TargetSpec.parse(spec)
        except Exception as error:  # noqa: BLE001 - a malformed field names the file
            raise GoldenFileError(where, f"field 'target': {error}") from None
    if case_path is not None and store_root is not None:
        _check_folder(spec, case_path, store_root, where)
    reason = ProjectModules.from_config(config).refusal(spec.module)
    if reason is not None:
        raise GoldenFileError(
            where,
            f"field 'target' names {spec}, which is outside the project ({reason});"
            f" golden files may only replay the project's own code: add"
            f' allow = ["{spec.package}"] to [tool.legacy_harness] if you trust it',
        )
    return spec


def _check_folder(spec: TargetSpec, case_path: Path, store_root: Path, where: str) -> None:
    expected = Path(os.path.abspath(store_root)) / spec.module / spec.qualname
    actual = Path(os.path.abspath(case_path))
    name = actual.name
    if actual.parent == expected and name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX):
        return
    try:
        relative = actual.parent.relative_to(Path(os.path.abspath(store_root))).parts
    except ValueError:
        relative = ()
    folder = f"{relative[0]}:{relative[1]}" if len(relative) == 2 else "no target"
    raise GoldenFileError(
        where,
        f"field 'target' names {spec} but the file is in the folder of {folder};"
        f" a case replays only the target its folder names: move it to"
        f" {shown(expected / name)} or restore it from version control",
    )


#: Codec tags whose value names a class or function as "module:qualname": what replay
#: imports, and so what the class policy must allow.
_REFERENCE_TAGS = ("$object", "$class", "$function", "$enum", "$namedtuple")
_TAG_SET = frozenset(_REFERENCE_TAGS)
#: Names the codec rebuilds without consulting ``allow`` (see store.codec.policy).
_ALWAYS_REBUILT = ("builtins", "collections")


class ForeignClasses:
    """Packages outside the project whose classes recorded cases hold.

    Replay rebuilds classes only from the project's own modules and ``allow`` (numpy
    and pandas values have codec families of their own and need nothing), so a case
    holding a ``somepkg.Thing`` needs ``allow = ["somepkg"]``. The recorder asks
    :meth:`note` about each case it writes and warns the first time a package shows
    up, while recording, rather than letting the first ``verify`` fail.
    """

    def __init__(self, config: Config) -> None:
        self.trusted = ProjectModules.from_config(config).names() | set(_ALWAYS_REBUILT)
        #: package -> the first "module:qualname" seen of it
        self.seen: dict[str, str] = {}

    def _trusted(self, module: str) -> bool:
        return any(module == name or module.startswith(name + ".") for name in self.trusted)

    def note(self, target: str, trees: Iterable[Any]) -> dict[str, str]:
        """Packages ``trees`` (one case's) name that were not seen before, each with
        the class that needs it; the target's own package counts as the project's."""
        own = target.split(":")[0].split(".")[0]
        new: dict[str, str] = {}
        stack = list(trees)
        containers = (list, dict)
        while stack:  # only containers are pushed: a taped case holds many scalars
            node = stack.pop()
            if isinstance(node, list):
                stack.extend([item for item in node if isinstance(item, containers)])
            elif isinstance(node, dict):
                for tag in _REFERENCE_TAGS if not _TAG_SET.isdisjoint(node) else ():
                    ref = node.get(tag)
                    if isinstance(ref, str) and ":" in ref:
                        module = ref.split(":")[0]
                        package = module.split(".")[0]
                        if (
                            package != own
                            and package not in self.seen
                            and not self._trusted(module)
                        ):
                            self.seen[package] = new[package] = ref
                stack.extend([item for item in node.values() if isinstance(item, containers)])
        return new


def allow_hint(packages: Iterable[str]) -> str:
    """The line to add to ``[tool.legacy_harness]`` so replay may rebuild ``packages``."""
    listed = ", ".join(f'"{name}"' for name in sorted(set(packages)))
    return f"allow = [{listed}] in [tool.legacy_harness]"


def installed_version(distribution: str) -> str | None:
    """The version of ``distribution`` (a top-level package of the same name), or None
    when it is not installed: the ``Version:`` of the ``*.dist-info`` beside the package,
    as ``importlib.metadata.version`` reads it, without importing importlib.metadata
    (which costs a short recorded run more than its recording). Falls back to it when
    the package's folder holds no such metadata (a zip, an egg, a source checkout)."""
    try:
        spec = importlib.util.find_spec(distribution)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or ())
    folder = Path(locations[0]).parent if locations else Path(spec.origin or ".").parent
    prefix = f"{distribution.replace('-', '_').lower()}-"
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        entries = []
    for name in entries:
        if name.lower().startswith(prefix) and name.endswith(".dist-info"):
            try:
                with open(folder / name / "METADATA", encoding="utf-8") as handle:
                    for line in handle:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():
                            break  # the headers end at the first blank line
            except OSError:
                break
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
