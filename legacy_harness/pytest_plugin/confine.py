"""Writes and deletes that stay inside the store and never follow a symbolic link.

Golden stores arrive in pull requests, so a folder in one may be a link to anywhere
(``tests/golden/billing -> /home``) and a file name may be crafted. Every path the plugin
writes, deletes or reads a master from passes through :func:`confined` first: it must
lie under the store root once ``..`` is resolved, and no part of it below the root may
be a link. A refusal names the offending path and says what to do.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from legacy_harness.errors import GoldenFileError
from legacy_harness.store.layout import BLOB_FOLDER

__all__ = ["confined", "named", "remove_file", "remove_folder_if_unused", "write_file"]

#: Folders holding nothing but these are removed with the last master in them.
_LEFTOVERS = frozenset({BLOB_FOLDER})


def named(path: Path, base: Path | None = None) -> str:
    """``path`` as the user reads it, relative to ``base`` (the working folder) when
    inside it; never resolved, so a link is named as the link, not as where it points."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(base or Path.cwd())).as_posix()
    except ValueError:
        return str(absolute)


def confined(root: Path, path: Path) -> Path:
    """``path`` made absolute, after checking it stays under ``root`` through no link.

    The check is lexical (``..`` folded without touching the disk) followed by an
    ``lstat`` of every part below the root, so the path that is then opened is the path
    that was checked. ``root`` itself may be a link: the user configured it.
    """
    base = Path(os.path.abspath(root))
    target = Path(os.path.abspath(path))
    try:
        relative = target.relative_to(base)
    except ValueError:
        raise GoldenFileError(
            str(path),
            f"is outside the golden store {named(base)}; masters are only written and"
            " removed inside the store (check the case's id and target)",
        ) from None
    current = base
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise GoldenFileError(
                named(current),
                "is a symbolic link; the golden store never follows links: replace it"
                " with a real file or folder",
            )
    return target


def _make_folders(root: Path, folder: Path) -> None:
    """Create ``folder`` and its missing parents below ``root``, refusing links."""
    root.mkdir(parents=True, exist_ok=True)  # the configured store itself
    missing: list[Path] = []
    current = folder
    while not current.exists() and not current.is_symlink() and current != root:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            pass  # created meanwhile by another process; checked below
    confined(root, folder)
    if not folder.is_dir():
        raise GoldenFileError(named(folder), "is not a folder; move it out of the golden store")


def write_file(root: Path, path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under ``root`` whole or not at all.

    A temporary file in the same folder is created with the process umask (0o666 &
    ~umask, as any file the user writes) and renamed over ``path``, so a run killed
    halfway leaves the old master or the new one, never half of one. The rename replaces
    a link at ``path`` rather than writing through it, and :func:`confined` refuses one
    before that anyway.
    """
    target = confined(root, path)
    _make_folders(Path(os.path.abspath(root)), target.parent)
    temporary = target.parent / f".tmp-{secrets.token_hex(8)}{target.suffix}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    handle = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_file(root: Path, path: Path) -> None:
    """Delete the master at ``path`` under ``root`` (a missing one is already gone)."""
    confined(root, path).unlink(missing_ok=True)


def remove_folder_if_unused(root: Path, folder: Path) -> bool:
    """Remove ``folder`` once no master is left in it (only its blobs): True if removed.

    Nothing is removed recursively: every blob is checked like a master before the
    first one is unlinked, so a link planted among them stops the removal, unfollowed.
    """
    folder = confined(root, folder)
    if not folder.is_dir():
        return False
    entries = list(folder.iterdir())
    if any(entry.name not in _LEFTOVERS for entry in entries):
        return False
    files: list[Path] = []
    folders: list[Path] = []
    for entry in entries:
        confined(root, entry)
        if not entry.is_dir():
            files.append(entry)
            continue
        folders.append(entry)
        for blob in entry.iterdir():
            confined(root, blob)
            if blob.is_dir():
                raise GoldenFileError(named(blob), "is a folder among blobs; remove it by hand")
            files.append(blob)
    for path in files:
        path.unlink(missing_ok=True)
    for path in [*folders, folder]:
        path.rmdir()
    return True
