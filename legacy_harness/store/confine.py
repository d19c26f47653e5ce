"""Writing, reading and deleting files of the store without leaving it.

Golden stores arrive in pull requests, so a store may hold a committed symbolic link
(``blobs -> ~/.ssh``) or a case whose id is a path. Every write and delete below the
store root therefore checks each folder on the way with ``lstat``: a link is refused
with an error naming it, never followed. Reads are bounded: only regular files, at
most a given size (a link to ``/dev/zero`` must not fill memory).

Files are created with mode 0o666, so the process umask decides the final mode as it
would for any file the user creates, and appear whole or not at all: written unnamed
and then linked to their name where the system allows (Linux's ``O_TMPFILE``), else
under a temporary name then linked or renamed, so a killed process leaves whole files
only. Many writes into one folder go through an :class:`OpenFolder`, checked and
opened once.
"""

from __future__ import annotations

import errno
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
    "OpenFolder",
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


def _write_all(handle: int, data: bytes) -> None:
    done = os.write(handle, data)
    if done < len(data):  # a short write (a signal, a full disk): write the rest
        view = memoryview(data)[done:]
        while view:
            view = view[os.write(handle, view) :]


#: Whether files can be created unnamed and linked in whole (Linux's O_TMPFILE, linked
#: through /proc): decided at the first write, off again if the file system refuses.
_UNNAMED: list[bool] = []


def _put_unnamed(folder: int, name: str, data: bytes) -> bool | None:
    """Create ``name`` in the open ``folder`` holding ``data``, or return False if it
    exists: the file is written unnamed and only then linked in, so it appears whole
    and a killed process leaves nothing behind, in fewer calls than a temporary name
    (created, linked, unlinked). None where the system cannot."""
    if not _UNNAMED:
        _UNNAMED.append(hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"))
    if not _UNNAMED[0]:
        return None
    try:  # mode 0o666, less the umask, as for any file the user creates
        handle = os.open(".", os.O_WRONLY | os.O_TMPFILE | _BINARY, 0o666, dir_fd=folder)
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            _UNNAMED[0] = False  # a kernel or file system without it
        return None
    try:
        _write_all(handle, data)
        try:
            os.link(f"/proc/self/fd/{handle}", name, dst_dir_fd=folder)
        except FileExistsError:
            return False
    finally:
        os.close(handle)
    return True


def _put(folder: int | None, base: str, name: str, data: bytes, *, exclusive: bool) -> bool:
    """Write ``data`` to ``name`` in a folder (an open ``folder`` descriptor, or the
    path prefix ``base`` where descriptors of folders are not supported) whole or not
    at all: through a temporary file moved into place. With ``exclusive``, an existing
    ``name`` is never replaced (a hard link, which fails if the name exists, in place
    of the rename), and False is returned."""
    if exclusive and folder is not None:
        done = _put_unnamed(folder, name, data)
        if done is not None:
            return done
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    suffix = os.path.splitext(name)[1]
    while True:
        temporary = f"{base}{TEMPORARY_PREFIX}{secrets.token_hex(8)}{suffix}"
        try:  # mode 0o666, less the umask, as for any file the user creates
            handle = os.open(temporary, flags, 0o666, dir_fd=folder)
            break
        except FileExistsError:
            continue
    done = False
    try:
        try:
            _write_all(handle, data)
        finally:
            os.close(handle)
        if exclusive:
            try:
                os.link(temporary, base + name, src_dir_fd=folder, dst_dir_fd=folder)
            except FileExistsError:
                return False
            return True
        os.replace(temporary, base + name, src_dir_fd=folder, dst_dir_fd=folder)
        done = True
        return True
    finally:
        if not done:
            try:
                os.unlink(temporary, dir_fd=folder)
            except FileNotFoundError:
                pass


def atomic_write(
    path: Path, data: bytes, *, exclusive: bool = False, root: Path | None = None
) -> bool:
    """Write ``data`` to ``path`` whole or not at all; with ``exclusive``, never replace.

    With ``root``, ``path`` must lie below it and no folder on the way may be a link.
    ``path`` itself is never a link that gets written through. Linking or renaming a
    whole file into place is what makes it atomic against a killed process (SIGKILL
    never loses the page cache); there is no fsync, as a golden file lost to a power
    cut is re-recorded, and syncing every case would make recording a batch job
    disk-bound. Returns False when ``exclusive`` found a file.
    """
    path = Path(path)
    if root is not None:
        ensure_folder(Path(root), path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    refuse_link(path)
    base = os.path.join(path.parent, "")
    return _put(None, base, path.name, data, exclusive=exclusive)


#: What a folder is opened with: a link put there since it was checked is refused.
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
#: Whether files can be named relative to an open folder here (not on Windows; os.replace
#: takes folder descriptors wherever os.rename does).
_AT_FOLDER = {
    os.open,
    os.link,
    os.rename,
    os.unlink,
    os.utime,
    os.access,
} <= os.supports_dir_fd and (os.access in os.supports_follow_symlinks)


class OpenFolder:
    """A folder of the store, checked and opened once for many writes.

    Recording writes thousands of small files into one target's folder: checking every
    folder on the way and building paths once per batch rather than once per file
    leaves each file the few system calls that put it in place (four for a new file).
    Files are named relative to the open folder, so a folder swapped for a link after
    the check is never written through.
    """

    def __init__(self, root: Path, folder: Path) -> None:
        ensure_folder(Path(root), Path(folder))
        self.path = Path(folder)
        self._fd: int | None = None
        self._base = os.path.join(folder, "")
        if _AT_FOLDER:
            try:
                self._fd = os.open(folder, _FOLDER_FLAGS)
            except OSError as error:  # ELOOP: a link put there since ensure_folder
                refuse_link(self.path)
                raise GoldenFileError(shown(self.path), f"cannot be opened ({error})") from None
            self._base = ""

    def write(self, name: str, data: bytes, *, exclusive: bool = False) -> bool:
        """:func:`atomic_write` of the file ``name`` (a plain name, checked by the caller)."""
        return _put(self._fd, self._base, name, data, exclusive=exclusive)

    def holds(self, name: str, data: bytes) -> bool | None:
        """Whether the regular file ``name`` holds exactly ``data`` (None: there is no
        such file); a file of another size is not read. A link or a special file there
        is an error naming it, never followed or read."""
        flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY
        if not self.exists(name):  # a new case: no exception raised and caught
            return None
        try:
            handle = os.open(self._base + name, flags, dir_fd=self._fd)
        except FileNotFoundError:
            return None
        except OSError:  # ELOOP: the name is a link
            refuse_link(self.path / name)
            raise
        with os.fdopen(handle, "rb") as stream:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                raise GoldenFileError(
                    shown(self.path / name), "is not a regular file; move it out of the store"
                )
            return info.st_size == len(data) and stream.read(len(data) + 1) == data

    def exists(self, name: str) -> bool:
        """Whether anything is named ``name`` in the folder (a link counts, unfollowed)."""
        if self._fd is None:
            return os.path.lexists(self._base + name)
        return os.access(name, os.F_OK, dir_fd=self._fd, follow_symlinks=False)

    def touch(self, name: str) -> bool:
        """Mark ``name`` as just written (never through a link); False if it is gone."""
        try:
            os.utime(self._base + name, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        except OSError:
            pass
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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
