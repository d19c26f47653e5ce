"""The golden store on disk: one JSON file per case, array blobs beside it.

Every file appears whole or not at all (:func:`.confine.atomic_write`), blobs before
the case that names them, so a recording killed at any point leaves only whole files,
and processes recording into one store at once never corrupt each other's cases. A
recording writes its cases in batches (:class:`CaseWrites`) that check and open each
target's folders once.

The files are untrusted input (they arrive in pull requests): every write and delete
stays below the store root and follows no symbolic link (:mod:`.confine`), case ids and
blob names are checked before they become part of a path, and a case is measured
against the :class:`~legacy_harness.store.codec.Limits` before it is decoded.
"""

from __future__ import annotations

import os
import re
import shutil
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
    OpenFolder,
    atomic_write,
    check_no_links,
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
from legacy_harness.store.shared import (
    SHARE_FROM,
    SHARED_NAME,
    check_name,
    expand,
    extract,
    shared_refs,
)

__all__ = [
    "BLOB_FOLDER",
    "CASE_PREFIX",
    "CASE_SUFFIX",
    "CREATED",
    "KEPT",
    "LEFTOVER_AGE",
    "UNCHANGED",
    "UPDATED",
    "CaseWrites",
    "GoldenStore",
    "StoredCase",
    "atomic_write",
    "case_blob_names",
    "document",
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
        with self.writes(overwrite=overwrite) as writes:
            return writes.write(case)

    def writes(self, *, overwrite: bool = False) -> CaseWrites:
        """A batch of :meth:`write` calls sharing each target folder's checks and listing
        (close it, or use it as a context manager)."""
        return CaseWrites(self, overwrite=overwrite)

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

    def _paths_in(self, targets: set[str]) -> Iterator[Path]:
        """The case files of ``targets``, in :meth:`iter_paths` order, listing only their
        folders (a recording looks up one target among thousands); like the walk, a
        folder reached through a link is left out."""
        folders = sorted({self.target_dir(t) for t in targets}, key=lambda f: f.parts)
        for folder in folders:
            if self._through_link(folder):
                continue
            try:
                names = sorted(os.listdir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                if name.startswith(CASE_PREFIX) and name.endswith(CASE_SUFFIX):
                    yield folder / name

    def _through_link(self, folder: Path) -> bool:
        current = self.root
        for part in folder.relative_to(self.root).parts:
            current = current / part
            if current.is_symlink():
                return True
        return False

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
        paths = self.iter_paths() if wanted is None else self._paths_in(wanted)
        for path in paths:
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


class _Folders:
    """A target's case folder and blob folder, opened for one batch of writes."""

    def __init__(self, store: GoldenStore, target: str) -> None:
        self.root = store.root
        self.path = store.target_dir(target)
        self.cases = OpenFolder(self.root, self.path)
        self._blobs: OpenFolder | None = None

    @property
    def blobs(self) -> OpenFolder:
        if self._blobs is None:
            self._blobs = OpenFolder(self.root, self.path / BLOB_FOLDER)
        return self._blobs

    def close(self) -> None:
        self.cases.close()
        if self._blobs is not None:
            self._blobs.close()


class CaseWrites:
    """Cases written one after another, as :meth:`GoldenStore.write` writes one.

    Recording hands the store thousands of small cases at a time: each target's
    folders are checked for links and opened once per batch, so a new case costs its
    JSON text, one look for an existing file and the calls that put one file in place.
    """

    def __init__(self, store: GoldenStore, *, overwrite: bool = False) -> None:
        self.store = store
        self.overwrite = overwrite
        self._folders: dict[str, _Folders] = {}

    def __enter__(self) -> CaseWrites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        folders, self._folders = self._folders, {}
        for folder in folders.values():
            folder.close()

    def _open(self, target: str) -> _Folders:
        folders = self._folders.get(target)
        if folders is None:
            folders = self._folders[target] = _Folders(self.store, target)
        return folders

    def write(self, case: GoldenCase) -> WriteStatus:
        """Store ``case``; returns created, updated, unchanged, or kept (exists, not replaced)."""
        if not isinstance(case.id, str) or not CASE_ID.fullmatch(case.id):
            self.store.case_path(case)  # raises, naming the folder
        data, values = document(case)
        try:
            return self._write(case, data, values)
        except FileNotFoundError:  # a folder deleted during the batch (a rename elsewhere)
            stale = self._folders.pop(case.target, None)
            if stale is None:
                raise
            stale.close()
            return self._write(case, data, values)

    def _write(self, case: GoldenCase, data: bytes, values: dict[str, codec.Tree]) -> WriteStatus:
        folders = self._open(case.target)
        cases = folders.cases
        name = f"{CASE_PREFIX}{case.id}{CASE_SUFFIX}"
        existing = cases.holds(name, data)
        if existing:
            return UNCHANGED
        if existing is not None and not self.overwrite:
            return KEPT
        for blob in sorted(case.blobs):
            if not isinstance(blob, str) or not codec.BLOB_NAME.fullmatch(blob):
                self.store.blob_path(case.target, blob)  # raises, naming the blob
            # named again: no longer a leftover for another recorder to clean
            if not folders.blobs.touch(blob):
                folders.blobs.write(blob, case.blobs[blob], exclusive=True)  # named by content
        for shared in sorted(values):  # like blobs: on disk before the case that names them
            if not SHARED_NAME.fullmatch(shared):
                self.store.shared_path(case.target, shared)  # raises, naming the value
            if not folders.blobs.exists(shared):
                text = codec.dumps(values[shared]).encode("utf-8")
                folders.blobs.write(shared, text, exclusive=True)
        if existing is None:
            if cases.write(name, data, exclusive=not self.overwrite):
                return CREATED
            return UNCHANGED if cases.holds(name, data) else KEPT
        cases.write(name, data)
        return UPDATED


def document(case: GoldenCase) -> tuple[bytes, dict[str, codec.Tree]]:
    """The bytes of ``case``'s file, and the shared values it names (:mod:`.shared`).

    The indented text is never shorter than the compact text sharing measures, so a
    case file under :data:`~.shared.SHARE_FROM` characters holds nothing to share and is
    written without the search; most recorded cases are that small.
    """
    tree = case_to_tree(case)
    text = codec.dumps(tree)
    if len(text) < SHARE_FROM:
        return text.encode("utf-8"), {}
    tree, values = extract(tree)
    if values:
        text = codec.dumps(tree)
    return text.encode("utf-8"), values


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
