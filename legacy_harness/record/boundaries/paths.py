"""Where a path lies: in the project, in the interpreter's libraries, or in a temporary
folder. The files boundary and the audit guard both judge paths by these rules."""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["PathRules", "rules_for"]

#: Files that are the project's code rather than its data.
SOURCE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi", ".pyd", ".so", ".pth", ".typed")
#: System folders a program reads without it being the target's data (time zones,
#: certificates, locale and device files).
SYSTEM_FOLDERS = ("/usr/", "/etc/", "/dev/", "/proc/", "/sys/", "/lib/", "/lib64/", "/bin/")


def _folder(path: Any) -> str:
    return os.path.join(os.path.abspath(os.fspath(path)), "")


def _library_folders(root: str) -> tuple[str, ...]:
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    folders.update(value for value in sysconfig.get_paths().values() if value)
    try:
        folders.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - virtualenvs without site.getsitepackages
        pass
    folders.add(site.getusersitepackages())
    folders.update(entry for entry in sys.path if entry)
    found = {_folder(folder) for folder in folders}
    # the project itself (often on sys.path) is not a library
    return tuple(sorted(f for f in found if not f.startswith(root) and not root.startswith(f)))


class PathRules:
    """Judges absolute path strings quickly (no file system access)."""

    def __init__(self, root: Path) -> None:
        self.root = _folder(root)
        self.libraries = _library_folders(self.root)
        self.temporary = _folder(tempfile.gettempdir())

    def absolute(self, path: Any) -> str | None:
        if isinstance(path, int):
            return None
        try:
            text = os.fspath(path)
        except TypeError:
            return None
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        return os.path.abspath(text)

    def in_project(self, path: str) -> bool:
        return path.startswith(self.root) or path + os.sep == self.root

    def is_temporary(self, path: str) -> bool:
        """In the temporary folder and not in the project: the call's scratch files."""
        return (path + os.sep).startswith(self.temporary) and not self.in_project(path)

    def is_library(self, path: str) -> bool:
        return path.startswith(self.libraries) or path.startswith(SYSTEM_FOLDERS)

    def is_source(self, path: str) -> bool:
        return path.endswith(SOURCE_SUFFIXES) or f"{os.sep}__pycache__{os.sep}" in path

    def taped(self, path: str) -> bool:
        """Whether the files boundary tapes access to ``path``: the project's data and
        files outside the project, never code, libraries or scratch files."""
        return not (self.is_temporary(path) or self.is_library(path) or self.is_source(path))


@functools.lru_cache(maxsize=16)
def rules_for(root: Path) -> PathRules:
    return PathRules(root)
