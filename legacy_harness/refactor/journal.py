"""A journal that makes applying a refactoring crash-safe.

Applying a refactoring rewrites several source files and, for ``rename``, moves masters
from one target's folder to another's. A process killed half-way would leave some files
rewritten and some not, or a target's masters split across two folders. So before the
first change, :meth:`Journal.begin` writes ``.legacy-harness-journal`` in the project
root, atomically: the original bytes of every file that may change and of every file in
the master folders involved. The journal is removed when the work is done (or undone).

A journal left behind means a run died in the middle. :func:`recover`, called at the
start of every ``legacy-harness`` command, puts every journaled file and folder back to
the original state and removes the journal; running it twice is harmless. The process
that writes a journal holds an advisory lock on it while it works, so a command started
meanwhile (the verify runs the refactoring itself starts, for one) leaves it alone.

A journal is a local file, but it sits in a project folder that pull requests can write
to, so recovery trusts nothing in it: every path must be relative, stay inside the
project root and pass through no symbolic link, or nothing is restored at all.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO

from legacy_harness.errors import HarnessError, RefusalError

try:  # advisory locks; without them a journal is recovered by the next command regardless
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["JOURNAL_NAME", "Journal", "JournalError", "recover"]

JOURNAL_NAME = ".legacy-harness-journal"
#: Where the journal is written before it is renamed into place.
TEMPORARY_NAME = JOURNAL_NAME + ".tmp"
FORMAT = 1
_KIND = "legacy-harness refactoring journal"


class JournalError(HarnessError):
    """A journal that cannot be trusted or read; nothing was restored from it."""


# -- the snapshot: pure data -------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    """One file as it was: its bytes and permission bits, or ``data=None`` if absent."""

    path: str  # relative to the root, '/'-separated
    data: bytes | None
    mode: int | None = None


@dataclass(frozen=True)
class FolderState:
    """A folder whose files must come back exactly: no more, no fewer."""

    path: str
    existed: bool
    dirs: tuple[str, ...] = ()  # subfolders (relative to the root) that existed


@dataclass
class Snapshot:
    """What the journal holds: enough to put every file and folder back."""

    files: dict[str, FileState] = field(default_factory=dict)
    folders: dict[str, FolderState] = field(default_factory=dict)
    store: str = ""
    moves: list[dict[str, str]] = field(default_factory=list)
    command: str = ""
    pid: int = 0
    started: str = ""

    def to_document(self) -> dict[str, Any]:
        return {
            "journal": _KIND,
            "format": FORMAT,
            "command": self.command,
            "pid": self.pid,
            "started": self.started,
            "store": self.store,
            "moves": self.moves,
            "folders": [
                {"path": f.path, "existed": f.existed, "dirs": list(f.dirs)}
                for f in self.folders.values()
            ],
            "files": [
                {
                    "path": f.path,
                    "mode": f.mode,
                    "bytes": None if f.data is None else base64.b64encode(f.data).decode("ascii"),
                }
                for f in self.files.values()
            ],
        }

    @classmethod
    def from_document(cls, document: Any, where: str) -> Snapshot:
        """Parse and check a journal; any doubt is a JournalError naming the field."""

        def fail(field_name: str, problem: str) -> JournalError:
            return JournalError(
                f"{where}: field {field_name!r} {problem}; nothing was restored"
                " (delete the journal if no refactoring was interrupted here)"
            )

        if not isinstance(document, dict) or document.get("journal") != _KIND:
            raise fail("journal", "is missing: this is not a legacy-harness journal")
        if document.get("format") != FORMAT:
            raise fail("format", f"is {document.get('format')!r}, expected {FORMAT}")
        snapshot = cls(
            store=_relative(document.get("store", ""), "store", fail, allow_empty=True),
            command=str(document.get("command", "")),
            pid=document["pid"] if isinstance(document.get("pid"), int) else 0,
            started=str(document.get("started", "")),
        )
        moves = document.get("moves", [])
        if isinstance(moves, list) and all(isinstance(m, dict) for m in moves):
            snapshot.moves = [{str(k): str(v) for k, v in m.items()} for m in moves]
        folders = document.get("folders")
        if not isinstance(folders, list):
            raise fail("folders", "is not a list")
        for index, entry in enumerate(folders):
            name = f"folders[{index}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("existed"), bool):
                raise fail(name, "is not an object with 'path' and 'existed'")
            dirs = entry.get("dirs", [])
            if not isinstance(dirs, list):
                raise fail(f"{name}.dirs", "is not a list")
            path = _relative(entry.get("path"), f"{name}.path", fail)
            inner = tuple(_relative(d, f"{name}.dirs", fail) for d in dirs)
            if any(not d.startswith(path + "/") for d in inner):
                raise fail(f"{name}.dirs", f"names a folder outside {path}")
            snapshot.folders[path] = FolderState(path, entry["existed"], inner)
        files = document.get("files")
        if not isinstance(files, list):
            raise fail("files", "is not a list")
        for index, entry in enumerate(files):
            name = f"files[{index}]"
            if not isinstance(entry, dict):
                raise fail(name, "is not an object")
            path = _relative(entry.get("path"), f"{name}.path", fail)
            mode = entry.get("mode")
            if mode is not None and (not isinstance(mode, int) or not 0 <= mode <= 0o7777):
                raise fail(f"{name}.mode", "is not a permission mode")
            text = entry.get("bytes")
            if text is None:
                snapshot.files[path] = FileState(path, None)
                continue
            try:
                data = base64.b64decode(str(text), validate=True)
            except (binascii.Error, ValueError):
                raise fail(f"{name}.bytes", "is not base64") from None
            snapshot.files[path] = FileState(path, data, mode)
        return snapshot


def _relative(value: Any, field_name: str, fail: Any, *, allow_empty: bool = False) -> str:
    """A journal path: relative, '/'-separated, no '..', nothing odd."""
    if not isinstance(value, str) or (not value and not allow_empty):
        raise fail(field_name, "is not a path")
    if not value:
        return value
    pure = PurePosixPath(value)
    if (
        pure.is_absolute()
        or "\\" in value
        or "\x00" in value
        or any(part in ("..", ".", "") for part in value.split("/"))
        or (len(value) > 1 and value[1] == ":")
    ):
        raise fail(field_name, f"({value!r}) is not a plain path inside the project")
    return str(pure)


# -- the file system: confined to the root, never through a symlink -----------------------


def _inside(root: Path, relative: str, where: str) -> Path:
    """``root / relative``, refusing a path any existing part of which is a symlink."""
    path = root
    for part in relative.split("/"):
        path = path / part
        if path.is_symlink():
            raise JournalError(
                f"{where}: {relative} passes through the symbolic link {path};"
                " nothing was restored (delete the journal if no refactoring was interrupted here)"
            )
    return path


def _relative_to_root(root: Path, path: Path, what: str) -> str:
    """``path`` relative to ``root`` for the journal; a RefusalError if it is outside
    the root or reached through a symbolic link.

    The folder is resolved (a project reached through a symlinked path is still inside)
    and the last part kept as it is, so that a symlinked file is seen and refused.
    """
    absolute = Path(os.path.realpath(Path(path).parent)) / Path(path).name
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        raise RefusalError(
            f"{what} {path} is outside the project root {root}; --apply changes files of"
            " the project only (run legacy-harness from the project that holds them)"
        ) from None
    text = relative.as_posix()
    if text == ".":
        raise RefusalError(f"{what} {path} is the project root itself; name a file or folder in it")
    for parent in (absolute, *absolute.parents):
        if parent == root:
            break
        if parent.is_symlink():
            raise RefusalError(
                f"{what} {path}: {parent} is a symbolic link; --apply changes plain files"
                " only (edit the file the link points to)"
            )
    return text


def _temporary(path: Path) -> Path:
    """Where a restored file is written before it is moved into place: one fixed name per
    file, so a recovery killed in turn leaves nothing the next one does not clean up."""
    return path.with_name(f".{path.name}.legacy-harness-tmp")


def _atomic_write(path: Path, data: bytes, mode: int | None) -> None:
    """Replace ``path`` by ``data`` whole: a kill leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644 if mode is None else mode)
    os.replace(temporary, path)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on some systems
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(descriptor)


def _lock(stream: IO[Any], *, wait: bool) -> bool:
    """Take the journal's advisory lock; False if another live process holds it."""
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _same_file(stream: IO[Any], path: Path) -> bool:
    """True if the open ``stream`` is still the file at ``path`` (not renamed or replaced)."""
    try:
        return os.path.samestat(os.fstat(stream.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def _busy(path: Path) -> RefusalError:
    return RefusalError(
        f"{path} exists: another refactoring is running or was interrupted;"
        " wait for it, or run any legacy-harness command to roll it back"
    )


def _read_state(root: Path, relative: str, where: str) -> FileState:
    path = _inside(root, relative, where)
    if not path.is_file():
        return FileState(relative, None)
    return FileState(relative, path.read_bytes(), path.stat().st_mode & 0o7777)


def _snapshot_folder(root: Path, relative: str, snapshot: Snapshot, where: str) -> None:
    folder = _inside(root, relative, where)
    if not folder.is_dir():
        snapshot.folders[relative] = FolderState(relative, False)
        return
    dirs: list[str] = []
    for current, subfolders, names in os.walk(folder):
        here = Path(current)
        for name in [*subfolders, *names]:
            if (here / name).is_symlink():
                raise RefusalError(
                    f"{where}: {here / name} is a symbolic link; the masters a refactoring"
                    " moves must be plain files (replace the link by the files it points to)"
                )
        for name in subfolders:
            dirs.append((here / name).relative_to(root).as_posix())
        for name in names:
            path = (here / name).relative_to(root).as_posix()
            snapshot.files[path] = _read_state(root, path, where)
    snapshot.folders[relative] = FolderState(relative, True, tuple(sorted(dirs)))


def restore(root: Path, snapshot: Snapshot, where: str) -> tuple[int, int]:
    """Put every journaled file and folder back; returns (files written, folders fixed).

    Idempotent, so a recovery killed in turn is finished by the next one. Checks every
    path before touching anything.
    """
    for relative in [*snapshot.files, *snapshot.folders]:
        _inside(root, relative, where)
    written = 0
    folders_fixed = 0
    wanted_files = set(snapshot.files)
    for kept in snapshot.folders.values():
        folder = root / kept.path
        wanted_dirs = {kept.path, *kept.dirs} if kept.existed else set()
        changed = False
        if folder.is_dir():
            for current, subfolders, names in os.walk(folder, topdown=False):
                here = Path(current)
                for name in [*names, *(s for s in subfolders if (here / s).is_symlink())]:
                    if (here / name).relative_to(root).as_posix() not in wanted_files:
                        (here / name).unlink()
                        changed = True
                if here.relative_to(root).as_posix() not in wanted_dirs and not any(here.iterdir()):
                    here.rmdir()
                    changed = True
        for relative in sorted(wanted_dirs):
            if not (root / relative).is_dir():
                (root / relative).mkdir(parents=True, exist_ok=True)
                changed = True
        folders_fixed += changed
    for original in snapshot.files.values():
        path = root / original.path
        if original.data is None:
            if path.is_file():
                path.unlink()
                written += 1
            continue
        present = path.read_bytes() if path.is_file() else None
        mode = path.stat().st_mode & 0o7777 if present is not None else None
        if present != original.data or (original.mode is not None and mode != original.mode):
            _atomic_write(path, original.data, original.mode)
            written += 1
        _temporary(path).unlink(missing_ok=True)
    _prune_empty_parents(root, snapshot)
    return written, folders_fixed


def _prune_empty_parents(root: Path, snapshot: Snapshot) -> None:
    """Remove folders a migration created above new master folders (up to the store)."""
    if not snapshot.store:
        return
    store = root / snapshot.store
    for state in snapshot.folders.values():
        if state.existed:
            continue
        parent = (root / state.path).parent
        while parent != store and store in parent.parents and parent.is_dir():
            if any(parent.iterdir()):
                break
            parent.rmdir()
            parent = parent.parent


# -- the journal --------------------------------------------------------------------------


class Journal:
    """An open journal: the process that began it holds its lock until it is closed."""

    def __init__(self, root: Path, snapshot: Snapshot, stream: IO[bytes]) -> None:
        self.root = root
        self.path = root / JOURNAL_NAME
        self.snapshot = snapshot
        self._stream: IO[bytes] | None = stream

    @classmethod
    def begin(
        cls,
        root: Path,
        *,
        files: Iterable[Path] = (),
        folders: Iterable[Path] = (),
        store: Path | None = None,
        moves: Mapping[str, str] | None = None,
        command: str = "",
    ) -> Journal:
        """Snapshot ``files`` and ``folders`` and write the journal, before any change.

        Refuses (RefusalError) a path outside ``root`` or through a symbolic link, and a
        journal already there (an unfinished refactoring: run any command to recover).
        """
        root = Path(os.path.realpath(root))
        path = root / JOURNAL_NAME
        if path.exists() or path.is_symlink():
            raise _busy(path)
        where = str(path)
        snapshot = Snapshot(
            command=command,
            pid=os.getpid(),
            started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        if store is not None:
            snapshot.store = _relative_to_root(root, store, "the golden store")
        for folder in folders:
            relative = _relative_to_root(root, folder, "the master folder")
            _snapshot_folder(root, relative, snapshot, where)
        for file in files:
            relative = _relative_to_root(root, file, "the file")
            snapshot.files[relative] = _read_state(root, relative, where)
        if moves:
            store_root = root / snapshot.store if snapshot.store else root
            snapshot.moves = [
                {
                    "old": old,
                    "new": new,
                    "old_folder": (store_root / old.replace(":", "/")).relative_to(root).as_posix(),
                    "new_folder": (store_root / new.replace(":", "/")).relative_to(root).as_posix(),
                }
                for old, new in moves.items()
            ]
        data = json.dumps(snapshot.to_document(), indent=1).encode("utf-8")
        temporary = root / TEMPORARY_NAME
        if temporary.is_symlink():
            raise _busy(temporary)
        stream = os.fdopen(os.open(temporary, os.O_RDWR | os.O_CREAT, 0o644), "r+b")
        try:
            _lock(stream, wait=True)  # the lock moves with the file when it is renamed
            if path.exists() or not _same_file(stream, temporary):
                raise _busy(path)  # another refactoring got there first
            stream.truncate(0)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            os.replace(temporary, path)
            _sync_folder(root)
        except BaseException:
            stream.close()
            raise
        return cls(root, snapshot, stream)

    def restore(self) -> tuple[int, int]:
        """Undo everything since :meth:`begin` and remove the journal."""
        counts = restore(self.root, self.snapshot, str(self.path))
        self.close()
        return counts

    def close(self) -> None:
        """The work is done (or undone): remove the journal and release the lock."""
        if self._stream is None:
            return
        self.path.unlink(missing_ok=True)
        _sync_folder(self.root)
        self._stream.close()
        self._stream = None


def _remove_abandoned(temporary: Path) -> None:
    """A journal that a killed run never finished writing: no change was made after it."""
    if not temporary.is_file() or temporary.is_symlink():
        return
    with open(temporary, "rb") as handle:
        if _lock(handle, wait=False) and _same_file(handle, temporary):
            temporary.unlink(missing_ok=True)


def recover(root: Path | str, *, stream: TextIO | None = None) -> bool:
    """Finish an interrupted refactoring under ``root``: restore, say so in one line.

    Returns True if a journal was rolled back. A journal whose writer is still running
    (it holds the lock) is left alone; a journal that cannot be trusted raises
    JournalError and restores nothing.
    """
    root = Path(os.path.realpath(root))
    path = root / JOURNAL_NAME
    _remove_abandoned(root / TEMPORARY_NAME)
    if not path.exists() and not path.is_symlink():
        return False
    if path.is_symlink() or not path.is_file():
        raise JournalError(
            f"{path}: not a regular file; nothing was restored"
            " (delete it if no refactoring was interrupted here)"
        )
    with open(path, "rb") as handle:
        if not _lock(handle, wait=False):
            return False  # its writer is alive and working
        if not _same_file(handle, path):
            return False  # another recovery finished first
        try:
            document = json.loads(handle.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise JournalError(
                f"{path}: not valid JSON ({error}); nothing was restored"
                " (delete it if no refactoring was interrupted here)"
            ) from None
        snapshot = Snapshot.from_document(document, str(path))
        written, folders = restore(root, snapshot, str(path))
        path.unlink(missing_ok=True)
        _sync_folder(root)
    what = snapshot.command or "a refactoring"
    print(
        f"legacy-harness: rolled back an interrupted refactoring ({what}, pid {snapshot.pid},"
        f" started {snapshot.started}): {written} file(s) and {folders} master folder(s)"
        f" restored from {JOURNAL_NAME}",
        file=stream or sys.stderr,
    )
    return True
