"""The golden store on disk: one JSON file per case, array blobs beside it.

Every write goes to a temporary file that is then moved into place, blobs before the
case that names them, so a recording killed at any point leaves only whole files, and
processes recording into one store at once never corrupt each other's cases.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, case_from_tree, case_to_tree
from legacy_harness.store.layout import BLOB_FOLDER, CASE_PREFIX, CASE_SUFFIX, TargetSpec

CREATED, UPDATED, UNCHANGED, KEPT = "created", "updated", "unchanged", "kept"


@dataclass(frozen=True)
class StoredCase:
    """A loaded case and the file it came from."""

    path: Path
    case: GoldenCase


def _atomic_write(path: Path, data: bytes, *, exclusive: bool = False) -> bool:
    """Write ``data`` to ``path`` whole or not at all; with ``exclusive``, never replace.

    The rename is what makes it atomic against a killed process; there is no fsync, as a
    golden file lost to a power cut is re-recorded, and syncing every case would make
    recording a batch job disk-bound. Returns False when ``exclusive`` found a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
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
        temporary = ""
        return True
    finally:
        if temporary:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass


class GoldenStore:
    """Cases under ``root/<module>/<qualname>/case-<id>.json``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def target_dir(self, target: str | TargetSpec) -> Path:
        spec = TargetSpec.parse(target) if isinstance(target, str) else target
        return self.root / spec.module / spec.qualname

    def case_path(self, case: GoldenCase) -> Path:
        return self.target_dir(case.target) / f"{CASE_PREFIX}{case.id}{CASE_SUFFIX}"

    def blob_path(self, target: str, name: str) -> Path:
        return self.target_dir(target) / BLOB_FOLDER / name

    # -- writing ---------------------------------------------------------------------

    def write(self, case: GoldenCase, *, overwrite: bool = False) -> str:
        """Store ``case``; returns created, updated, unchanged, or kept (exists, not replaced)."""
        path = self.case_path(case)
        data = codec.dumps(case_to_tree(case)).encode("utf-8")
        existing = _read_bytes(path)
        if existing == data:
            return UNCHANGED
        if existing is not None and not overwrite:
            return KEPT
        for name, blob in case.blobs.items():
            blob_path = self.blob_path(case.target, name)
            if not blob_path.exists():
                _atomic_write(blob_path, blob)
        if existing is None:
            if _atomic_write(path, data, exclusive=not overwrite):
                return CREATED
            return KEPT if _read_bytes(path) != data else UNCHANGED
        _atomic_write(path, data)
        return UPDATED

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def remove_unused_blobs(self, target: str) -> int:
        """Delete blobs no case of ``target`` names any more; returns how many."""
        folder = self.target_dir(target) / BLOB_FOLDER
        if not folder.is_dir():
            return 0
        named: set[str] = set()
        for case_path in self.target_dir(target).glob(f"{CASE_PREFIX}*{CASE_SUFFIX}"):
            named.update(_blob_names(case_path.read_text(encoding="utf-8")))
        removed = 0
        for blob in folder.iterdir():
            if blob.name not in named:
                blob.unlink()
                removed += 1
        return removed

    def rename_target(self, old: str, new: str) -> int:
        """Move the cases of ``old`` to ``new`` (after a rename refactoring)."""
        moved = 0
        for stored in list(self.iter_cases(targets=[old])):
            if isinstance(stored, GoldenFileError):
                raise stored
            case = stored.case
            case.target = new
            case.blobs = {
                name: self.read_blob(old, name)
                for name in _blob_names(stored.path.read_text("utf-8"))
            }
            self.write(case, overwrite=True)
            stored.path.unlink()
            moved += 1
        old_dir = self.target_dir(old)
        if old_dir.is_dir() and not any(old_dir.glob(f"{CASE_PREFIX}*{CASE_SUFFIX}")):
            shutil.rmtree(old_dir)
        return moved

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

    def load(self, path: Path) -> StoredCase:
        """Read one case file; a bad file raises GoldenFileError naming it and the field."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise GoldenFileError(shown(path), f"cannot be read ({error})") from None
        try:
            tree = codec.loads(text)
        except Exception as error:  # noqa: BLE001 - any parse failure names the file
            raise GoldenFileError(
                shown(path), f"is not valid JSON ({error}); restore it from version control"
            ) from None
        try:
            case = case_from_tree(tree)
            TargetSpec.parse(case.target)
        except Exception as error:  # noqa: BLE001
            raise GoldenFileError(
                shown(path), f"{error}; restore it from version control or re-record it"
            ) from None
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
        if "/" in name or "\\" in name or name.startswith("."):
            raise GoldenFileError(
                str(self.target_dir(target)), f"blob name {name!r} is not a plain file name"
            )
        path = self.blob_path(target, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise GoldenFileError(
                shown(path),
                "blob is missing; restore it from version control or re-record the case",
            ) from None

    def targets(self) -> list[str]:
        """Targets that have at least one case, read from the folder names."""
        found = set()
        for path in self.iter_paths():
            relative = path.parent.relative_to(self.root).parts
            if len(relative) == 2:
                found.add(f"{relative[0]}:{relative[1]}")
        return sorted(found)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _blob_names(text: str) -> set[str]:
    names: set[str] = set()

    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        for key, value in pairs:
            if key == "blob" and isinstance(value, str):
                names.add(value)
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return names
