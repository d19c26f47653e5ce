"""The plugin's writes and deletes, on top of the store's confinement.

Every path the plugin writes, deletes or reads a master from passes through
:func:`legacy_harness.store.confine.confined`: it must lie under the store root and no
part of it below the root may be a link. What is the plugin's own is pruning a folder
once its last master is gone.
"""

from __future__ import annotations

from pathlib import Path

from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError
from legacy_harness.store.confine import atomic_write, confined, remove_inside
from legacy_harness.store.layout import BLOB_FOLDER

__all__ = ["confined", "remove_file", "remove_folder_if_unused", "write_file"]

#: Folders holding nothing but these are removed with the last master in them.
_LEFTOVERS = frozenset({BLOB_FOLDER})


def write_file(root: Path, path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under ``root`` whole or not at all, through no link."""
    atomic_write(path, data, root=root)


def remove_file(root: Path, path: Path) -> None:
    """Delete the master at ``path`` under ``root`` (a missing one is already gone)."""
    remove_inside(root, path)


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
                raise GoldenFileError(shown(blob), "is a folder among blobs; remove it by hand")
            files.append(blob)
    for path in files:
        path.unlink(missing_ok=True)
    for path in [*folders, folder]:
        path.rmdir()
    return True
