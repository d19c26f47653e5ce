"""Writing, reading and deleting files of the store without leaving it.

Golden stores arrive in pull requests, so a store may hold a committed symbolic link
(``blobs -> ~/.ssh``) or a case whose id is a path. Every write and delete below the
store root therefore checks each folder on the way with ``lstat``: a link is refused
with an error naming it, never followed. Reads are bounded: only regular files, at
most a given size (a link to ``/dev/zero`` must not fill memory).

Writes go to a temporary file created with mode 0o666, so the process umask decides
the final mode as it would for any file the user creates, and are moved into place
with one rename, so a killed process leaves whole files only.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError

__all__ = [
    "TEMPORARY_PREFIX",
    "atomic_write",
    "check_no_links",
    "confined",
    "ensure_folder",
    "inside",
    "read_regular",
    "refuse_link",
    "remove_inside",
]

#: How the temporary files of :func:`atomic_write` start (a killed writer leaves them).
TEMPORARY_PREFIX = ".tmp-"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def _link_error(path: Path) -> GoldenFileError:
    return GoldenFileError(
        shown(path),
        "is a symbolic link; the store never writes or deletes through links:"
        " replace it by a real folder or file",
    )


def refuse_link(path: Path) -> None:
    """Raise GoldenFileError if ``path`` itself is a symbolic link."""
    if path.is_symlink():
        raise _link_error(path)


def inside(root: Path, path: Path) -> tuple[str, ...]:
    """The parts of ``path`` below ``root`` (none for the root), after normalising both.

    Raises GoldenFileError if ``path`` is not ``root`` or below it (``..`` included):
    the store writes and deletes nothing outside its root.
    """
    base = os.path.normpath(os.path.abspath(root))
    target = os.path.normpath(os.path.abspath(path))
    if target == base:
        return ()
    if os.path.commonpath([base, target]) != base:
        raise GoldenFileError(
            shown(path), f"is outside the golden store {shown(root)}; the store writes only there"
        )
    return Path(os.path.relpath(target, base)).parts


def ensure_folder(root: Path, folder: Path) -> None:
    """Create ``folder`` below ``root`` (and its parents), following no link on the way."""
    parts = inside(root, folder)
    root.mkdir(parents=True, exist_ok=True)
    current = root
    for part in parts:
        current = current / part
        for _ in range(2):  # a concurrent writer may create the folder between the calls
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                try:
                    os.mkdir(current)
                except FileExistsError:
                    continue
                break
            if stat.S_ISLNK(mode):
                raise _link_error(current)
            if not stat.S_ISDIR(mode):
                raise GoldenFileError(shown(current), "is not a folder; move it out of the store")
            break


def check_no_links(root: Path, path: Path) -> None:
    """Refuse ``path`` below ``root`` if any folder on the way to it is a link."""
    current = root
    for part in inside(root, path)[:-1]:
        current = current / part
        if current.is_symlink():
            raise _link_error(current)


def confined(root: Path, path: Path) -> Path:
    """``path`` made absolute after checking it lies below ``root`` and that neither
    it nor any folder on the way is a link (``root`` itself may be: it is configured)."""
    inside(root, path)
    check_no_links(Path(root), Path(path))
    refuse_link(Path(path))
    return Path(os.path.abspath(path))


def remove_inside(root: Path, path: Path) -> None:
    """Delete the file ``path`` below ``root`` (a missing one is already gone)."""
    confined(root, path).unlink(missing_ok=True)


def _temporary(folder: Path, suffix: str) -> tuple[int, Path]:
    """A new file in ``folder``, mode 0o666 less the umask, never a followed link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    while True:
        candidate = folder / f"{TEMPORARY_PREFIX}{secrets.token_hex(8)}{suffix}"
        try:
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue


def atomic_write(
    path: Path, data: bytes, *, exclusive: bool = False, root: Path | None = None
) -> bool:
    """Write ``data`` to ``path`` whole or not at all; with ``exclusive``, never replace.

    With ``root``, ``path`` must lie below it and no folder on the way may be a link.
    ``path`` itself is never a link that gets written through. The rename is what
    makes it atomic against a killed process; there is no fsync, as a golden file lost
    to a power cut is re-recorded, and syncing every case would make recording a batch
    job disk-bound. Returns False when ``exclusive`` found a file.
    """
    path = Path(path)
    if root is not None:
        ensure_folder(Path(root), path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    refuse_link(path)
    handle, temporary = _temporary(path.parent, path.suffix)
    done = False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if exclusive:
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
            return True
        os.replace(temporary, path)
        done = True
        return True
    finally:
        if not done:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass


def read_regular(path: Path, limit: int, what: str, limit_name: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; GoldenFileError otherwise.

    ``limit_name`` is the setting that raises the limit. FileNotFoundError passes
    through, so callers can say what a missing file means.
    """
    handle = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise GoldenFileError(shown(path), f"is not a regular file; a {what} must be one")
        if info.st_size > limit:
            raise GoldenFileError(
                shown(path),
                f"holds {info.st_size} bytes, beyond the {limit} a {what} may have"
                f" ({limit_name}); raise {limit_name} in [tool.legacy_harness.limits]"
                " if this file is trusted",
            )
        # read() sizes its buffer by the request: ask for what the file holds, not the limit
        data = stream.read(info.st_size + 1)
    if len(data) > info.st_size:
        raise GoldenFileError(shown(path), f"changed while it was read; read the {what} again")
    return data
