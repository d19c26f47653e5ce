"""The golden store on disk: one JSON file per case, array blobs beside it.

Every write goes to a temporary file that is then moved into place, blobs before the
case that names them, so a recording killed at any point leaves only whole files, and
processes recording into one store at once never corrupt each other's cases.

The files are untrusted input (they arrive in pull requests): every write and delete
stays below the store root and follows no symbolic link (:mod:`.confine`), case ids and
blob names are checked before they become part of a path, and a case is measured
against the :class:`~legacy_harness.store.codec.Limits` before it is decoded.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from legacy_harness.config import Config
from legacy_harness.display import shown
from legacy_harness.errors import CodecError, GoldenFileError
from legacy_harness.outcomes import WriteStatus
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, case_from_tree, case_to_tree
from legacy_harness.store.confine import (
    TEMPORARY_PREFIX,
    atomic_write,
    check_no_links,
    ensure_folder,
    inside,
    read_regular,
    refuse_link,
    remove_inside,
)
from legacy_harness.store.layout import (
    BLOB_FOLDER,
    CASE_ID,
    CASE_PREFIX,
    CASE_SUFFIX,
    TargetSpec,
)
from legacy_harness.store.shared import SHARED_NAME, check_name, expand, extract, shared_refs

__all__ = [
    "BLOB_FOLDER",
    "CASE_PREFIX",
    "CASE_SUFFIX",
    "CREATED",
    "KEPT",
    "LEFTOVER_AGE",
    "UNCHANGED",
    "UPDATED",
    "GoldenStore",
    "StoredCase",
    "atomic_write",
    "case_blob_names",
]

CREATED, UPDATED = WriteStatus.CREATED, WriteStatus.UPDATED
UNCHANGED, KEPT = WriteStatus.UNCHANGED, WriteStatus.KEPT

#: How old (seconds since last written) a temporary file or an unnamed blob must be for
#: record to delete it: a write in flight renames its file within milliseconds of its
#: last byte, so an older one belongs to a killed process.
LEFTOVER_AGE = 60.0

#: A blob name in quotes, as a case file mentions it.
_QUOTED_BLOB = re.compile(rb'"([0-9a-f]{16,64}\.npy)"')

#: Room for a .npy header beside the array bytes a blob may hold.
_HEADER_ROOM = 1 << 20


@dataclass(frozen=True)
class StoredCase:
    """A loaded case and the file it came from."""

    path: Path
    case: GoldenCase


def case_blob_names(case: GoldenCase) -> set[str]:
    """Every blob the case's trees name, so a rewritten case carries all of them."""
    observation = case.observation
    return codec.blob_names(
        case.inputs, case.rng, observation.outcome, observation.effects, case.distribution,
        case.tape,
    )  # fmt: skip


class GoldenStore:
    """Cases under ``root/<module>/<qualname>/case-<id>.json``."""

    def __init__(self, root: Path | str, *, limits: codec.Limits | None = None) -> None:
        self.root = Path(root)
        self.limits = limits or codec.DEFAULT_LIMITS

    @classmethod
    def from_config(cls, config: Config) -> GoldenStore:
        """The project's store, with the limits of its ``[tool.legacy_harness.limits]``."""
        return cls(config.store, limits=codec.Limits.from_table(config.table))

    def target_dir(self, target: str | TargetSpec) -> Path:
        spec = TargetSpec.parse(target) if isinstance(target, str) else target
        return self.root / spec.module / spec.qualname

    def case_path(self, case: GoldenCase) -> Path:
        """Where ``case`` lives; its id must be the hex digest record writes."""
        if not isinstance(case.id, str) or not CASE_ID.fullmatch(case.id):
            raise GoldenFileError(
                shown(self.target_dir(case.target)),
                f"case id {case.id!r} is not a hex digest as record writes it; the store"
                " names files only by such ids (re-record the case)",
            )
        return self.target_dir(case.target) / f"{CASE_PREFIX}{case.id}{CASE_SUFFIX}"

    def blob_path(self, target: str, name: str) -> Path:
        """Where blob ``name`` of ``target`` lives; the name must be a plain blob name."""
        if not isinstance(name, str) or not codec.BLOB_NAME.fullmatch(name):
            raise GoldenFileError(
                shown(self.target_dir(target)),
                f"blob name {name!r} is not a plain file name <hex digest>.npy",
            )
        return self.target_dir(target) / BLOB_FOLDER / name

    def shared_path(self, target: str, name: str) -> Path:
        """Where the shared value ``name`` of ``target`` lives (:mod:`.shared`)."""
        try:
            check_name(name)
        except CodecError as error:
            raise GoldenFileError(shown(self.target_dir(target)), str(error)) from None
        return self.target_dir(target) / BLOB_FOLDER / name

    # -- writing ---------------------------------------------------------------------

    def write(self, case: GoldenCase, *, overwrite: bool = False) -> WriteStatus:
        """Store ``case``; returns created, updated, unchanged, or kept (exists, not replaced)."""
        path = self.case_path(case)
        tree, values = extract(case_to_tree(case))
        data = codec.dumps(tree).encode("utf-8")
        ensure_folder(self.root, path.parent)
        refuse_link(path)
        existing = _read_bytes(path)
        if existing == data:
            return UNCHANGED
        if existing is not None and not overwrite:
            return KEPT
        for name in sorted(case.blobs):
            blob_path = self.blob_path(case.target, name)
            if not os.path.lexists(blob_path):
                atomic_write(blob_path, case.blobs[name], root=self.root)
            else:  # named again: no longer a leftover for another recorder to clean
                _touch(blob_path)
        for name in sorted(values):  # like blobs: on disk before the case that names them
            shared_path = self.shared_path(case.target, name)
            if not os.path.lexists(shared_path):
                text = codec.dumps(values[name]).encode("utf-8")
                atomic_write(shared_path, text, root=self.root)
        if existing is None:
            if atomic_write(path, data, exclusive=not overwrite, root=self.root):
                return CREATED
            return KEPT if _read_bytes(path) != data else UNCHANGED
        atomic_write(path, data, root=self.root)
        return UPDATED

    def remove(self, path: Path) -> None:
        """Delete one case file of the store (never a file elsewhere, never through a link)."""
        parts = inside(self.root, path)
        name = parts[-1] if parts else ""
        case_id = name[len(CASE_PREFIX) : -len(CASE_SUFFIX)]
        if not (name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX)) or not (
            CASE_ID.fullmatch(case_id)
        ):
            raise GoldenFileError(shown(path), "is not a case file; the store deletes only those")
        check_no_links(self.root, path)
        Path(path).unlink(missing_ok=True)

    def remove_unused_blobs(self, target: str) -> int:
        """Delete blobs no case of ``target`` names any more; returns how many.

        Only regular files named like blobs are deleted (never a link, never another
        writer's temporary file), and a blob folder that is a link is refused. A case
        file that cannot be read stops the clean-up: its blobs are unknown.
        """
        folder = self.target_dir(target) / BLOB_FOLDER
        check_no_links(self.root, folder)
        refuse_link(folder)
        if not folder.is_dir():
            return 0
        named: set[str] = set()
        for case_path in sorted(self.target_dir(target).glob(f"{CASE_PREFIX}*{CASE_SUFFIX}")):
            named.update(self._names_in(case_path))
        removed = 0
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if (
                    entry.name not in named
                    and (codec.BLOB_NAME.fullmatch(entry.name) or SHARED_NAME.fullmatch(entry.name))
                    and entry.is_file(follow_symlinks=False)
                ):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    def rename_target(self, old: str, new: str) -> int:
        """Move the cases of ``old`` to ``new`` (after a rename refactoring)."""
        moved = 0
        for stored in list(self.iter_cases(targets=[old])):
            if isinstance(stored, GoldenFileError):
                raise stored
            case = stored.case
            case.blobs = {name: self.read_blob(old, name) for name in case_blob_names(case)}
            case.target = new
            self.write(case, overwrite=True)
            self.remove(stored.path)
            moved += 1
        old_dir = self.target_dir(old)
        if old_dir.is_dir() and not any(old_dir.glob(f"{CASE_PREFIX}*{CASE_SUFFIX}")):
            check_no_links(self.root, old_dir)
            refuse_link(old_dir)
            shutil.rmtree(old_dir)
        return moved

    # -- leftovers of killed writers ------------------------------------------------

    def case_ids(self, target: str) -> set[str]:
        """The ids of ``target``'s case files, from their names (no file opened)."""
        folder = self.target_dir(target)
        try:
            names = os.listdir(folder) if not folder.is_symlink() else []
        except OSError:  # no folder yet (or none readable): nothing stored to count
            return set()
        ids = (n[len(CASE_PREFIX) : -len(CASE_SUFFIX)] for n in names if n.endswith(CASE_SUFFIX))
        return {
            i for i in ids if CASE_ID.fullmatch(i) and f"{CASE_PREFIX}{i}{CASE_SUFFIX}" in names
        }

    def leftovers(self, target: str | None = None, *, older_than: float = 0.0) -> list[Path]:
        """Files a killed writer left: temporary ``.tmp-*`` files, and blobs no case file
        names (a recording killed between a blob and its case). Of ``target``'s folder,
        or of the whole store; only files last written ``older_than`` seconds ago or more,
        so another process's write in flight is not taken for a leftover.

        Nothing is followed through a link, and a case file that cannot be read keeps
        every blob of its folder (what it names is unknown).
        """
        if target is not None:
            folders = [self.target_dir(target), self.target_dir(target) / BLOB_FOLDER]
        elif self.root.is_dir() and not self.root.is_symlink():
            folders = [Path(folder) for folder, _, _ in os.walk(self.root)]  # links not entered
        else:
            folders = []
        cutoff = time.time() - older_than
        found: list[Path] = []
        for folder in folders:
            if folder.is_symlink() or not folder.is_dir():
                continue
            found += _stale(folder, cutoff, lambda name: name.startswith(TEMPORARY_PREFIX))
            if folder.name != BLOB_FOLDER:
                continue
            candidates = _stale(folder, cutoff, lambda name: bool(codec.BLOB_NAME.fullmatch(name)))
            named = self._named_blobs(folder.parent) if candidates else None
            if named is not None:
                found += [path for path in candidates if path.name not in named]
        return sorted(found)

    def remove_leftovers(self, target: str, *, older_than: float = LEFTOVER_AGE) -> list[Path]:
        """Delete ``target``'s :meth:`leftovers` (record does, before it writes there)."""
        folder = self.target_dir(target)
        try:
            check_no_links(self.root, folder / BLOB_FOLDER)
        except GoldenFileError:
            return []  # a linked folder is refused when written, never cleaned through
        try:
            found = self.leftovers(target, older_than=older_than)
        except OSError:  # an unreadable folder: cleaning is a courtesy, never a failure
            return []
        removed = []
        for path in found:
            try:
                remove_inside(self.root, path)
            except (GoldenFileError, OSError):
                continue
            removed.append(path)
        return removed

    def _named_blobs(self, folder: Path) -> set[str] | None:
        """Every blob name the files of ``folder`` mention (case files, the fixture's
        masters: a text search, so a name in any string keeps its blob), or None when
        one of them cannot be read."""
        texts: list[bytes] = []
        try:
            with os.scandir(folder) as entries:
                files = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
        except OSError:
            return None
        for name in files:
            try:
                texts.append(
                    read_regular(
                        folder / name, self.limits.max_case_bytes, "case file", "max_case_bytes"
                    )
                )
            except (OSError, GoldenFileError):
                return None
        return {m.group(1).decode() for text in texts for m in _QUOTED_BLOB.finditer(text)}

    # -- reading ---------------------------------------------------------------------

    def iter_paths(self) -> Iterator[Path]:
        """Every case file, in a stable order; one directory walk, no file opened."""
        if not self.root.is_dir():
            return
        for folder, subfolders, files in os.walk(self.root):
            subfolders[:] = sorted(name for name in subfolders if name != BLOB_FOLDER)
            for name in sorted(files):
                if name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX):
                    yield Path(folder) / name

    def _text(self, path: Path) -> str:
        try:
            data = read_regular(path, self.limits.max_case_bytes, "case file", "max_case_bytes")
            return data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise GoldenFileError(shown(path), f"cannot be read ({error})") from None

    def _tree(self, path: Path) -> tuple[codec.Tree, str]:
        """The parsed JSON of a case file and its text, its nesting bounded first."""
        text = self._text(path)
        limits = self.limits
        try:
            codec.check_nesting(text, limits.max_depth)
        except CodecError as error:
            raise GoldenFileError(shown(path), str(error)) from None
        try:
            return codec.loads(text, max_depth=None), text
        except Exception as error:  # noqa: BLE001 - any parse failure names the file
            raise GoldenFileError(
                shown(path), f"is not valid JSON ({error}); restore it from version control"
            ) from None

    def _parse_shared(self, path: Path) -> Callable[[str], codec.Tree]:
        def parse(text: str) -> codec.Tree:
            codec.check_nesting(text, self.limits.max_depth)
            try:
                return codec.loads(text, max_depth=None)
            except Exception as error:  # noqa: BLE001 - any parse failure names the file
                raise CodecError(f"a shared value is not valid JSON ({error})") from None

        return parse

    def _read_shared(self, path: Path) -> Callable[[str], str]:
        """Reads the shared values the case at ``path`` names, from its target's folder."""
        folder = Path(path).parent / BLOB_FOLDER

        def read(name: str) -> str:
            where = folder / name
            try:
                limit = self.limits.max_case_bytes
                return read_regular(where, limit, "shared value", "max_case_bytes").decode()
            except FileNotFoundError:
                raise CodecError(
                    f"shared value {shown(where)} is missing; restore it from version control"
                    " or re-record the case"
                ) from None
            except (OSError, UnicodeDecodeError) as error:
                raise CodecError(f"shared value {shown(where)} cannot be read ({error})") from None

        return read

    def _expanded(self, path: Path, tree: codec.Tree, text: str) -> codec.Tree:
        """The case tree with its shared values put back (a case that names none as is)."""
        if '"$shared"' not in text:
            return tree
        check_no_links(self.root, Path(path).parent / BLOB_FOLDER / "x")
        budget = self.limits.max_case_bytes - len(text)
        try:
            return expand(tree, self._read_shared(path), self._parse_shared(path), budget)
        except CodecError as error:
            raise GoldenFileError(shown(path), str(error)) from None

    def _names_in(self, path: Path) -> set[str]:
        """Blobs and shared values the case at ``path`` names, directly or through its
        shared values."""
        tree, text = self._tree(path)
        names: set[str] = set()
        if '"$shared"' in text:
            names.update(self._shared_names(path, tree))
            tree = self._expanded(path, tree, text)
        for where, name in codec.blob_refs(tree):
            if type(name) is not str or not codec.BLOB_NAME.fullmatch(name):
                raise GoldenFileError(
                    shown(path),
                    f"field {codec.format_path('', where)} names blob {name!r}, which is not"
                    " a plain file name <hex digest>.npy; restore the file from version control",
                )
            names.add(name)
        return names

    def _shared_names(self, path: Path, tree: codec.Tree) -> set[str]:
        """Names of the shared files a case needs, through shared values that name others."""
        read, parse = self._read_shared(path), self._parse_shared(path)
        found: set[str] = set()
        pending = list(shared_refs(tree))
        try:
            while pending:
                name = check_name(pending.pop())
                if name not in found:
                    found.add(name)
                    pending.extend(shared_refs(parse(read(name))))
        except CodecError as error:
            raise GoldenFileError(shown(path), str(error)) from None
        return found

    def load(self, path: Path) -> StoredCase:
        """Read one case file; a bad file raises GoldenFileError naming it and the field."""
        tree, text = self._tree(path)
        tree = self._expanded(path, tree, text)
        try:
            case = case_from_tree(tree)
            TargetSpec.parse(case.target)
        except Exception as error:  # noqa: BLE001
            raise GoldenFileError(
                shown(path), f"{error}; restore it from version control or re-record it"
            ) from None
        expected = f"{CASE_PREFIX}{case.id}{CASE_SUFFIX}"
        if Path(path).name != expected:
            raise GoldenFileError(
                shown(path),
                f"field 'id' is {case.id[:80]!r} but the file is named {Path(path).name};"
                " a case lives in case-<id>.json: restore it from version control",
            )
        try:
            if '"$ndarray"' in text or '"$npscalar"' in text or '"$shared"' in text:
                codec.check_sizes(tree, self.limits, spent=len(text))
        except CodecError as error:
            raise GoldenFileError(shown(path), str(error)) from None
        return StoredCase(path, case)

    def iter_cases(
        self, targets: list[str] | None = None
    ) -> Iterator[StoredCase | GoldenFileError]:
        """Load every case, yielding errors in place of bad files so the rest still run."""
        wanted = {str(TargetSpec.parse(t)) for t in targets} if targets else None
        wanted_dirs = {self.target_dir(t) for t in wanted} if wanted else None
        for path in self.iter_paths():
            if wanted_dirs is not None and path.parent not in wanted_dirs:
                continue
            try:
                stored = self.load(path)
            except GoldenFileError as error:
                yield error
                continue
            if wanted is None or stored.case.target in wanted:
                yield stored

    def read_blob(self, target: str, name: str) -> bytes:
        """The bytes of one blob, read only from a regular file of bounded size."""
        path = self.blob_path(target, name)
        try:
            limit = self.limits.max_array_bytes + _HEADER_ROOM
            return read_regular(path, limit, "blob", "max_array_bytes")
        except FileNotFoundError:
            raise GoldenFileError(
                shown(path),
                "blob is missing; restore it from version control or re-record the case",
            ) from None
        except OSError as error:
            raise GoldenFileError(shown(path), f"blob cannot be read ({error})") from None

    def targets(self) -> list[str]:
        """Targets that have at least one case, read from the folder names."""
        found = set()
        for path in self.iter_paths():
            relative = path.parent.relative_to(self.root).parts
            if len(relative) == 2:
                found.add(f"{relative[0]}:{relative[1]}")
        return sorted(found)


def _touch(path: Path) -> None:
    try:
        os.utime(path, follow_symlinks=False)
    except OSError:
        pass


def _stale(folder: Path, cutoff: float, wanted: Callable[[str], bool]) -> list[Path]:
    """Regular files (never links) of ``folder`` whose name is ``wanted``, last written
    at ``cutoff`` or before."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if wanted(entry.name) and entry.is_file(follow_symlinks=False):
                    if entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                        found.append(Path(entry.path))
    except OSError:  # gone, or not readable: nothing to report there
        return []
    return found


def _read_bytes(path: Path) -> bytes | None:
    """The current bytes of a case file the store is about to replace (not a link)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise GoldenFileError(shown(path), "is not a regular file; move it out of the store")
    return Path(path).read_bytes()
