"""Migrate golden masters with a refactoring that changes names or the shape of state.

A master pins behaviour, but it also holds objects as the codec encoded them:
``{"$object": "parrot:Parrot", "state": {...}}``. A refactoring that renames a class,
or moves attributes into a collaborator (``extract-class``), leaves those trees in the
old layout, and replaying them on the new code fails for the wrong reason
(``'Parrot' object has no attribute '_speed_model'``). So the masters move with the
code, the way ``rename`` moves a target's masters to its new name:

- a renamed class or function: every ``$object``, ``$class``, ``$enum``,
  ``$namedtuple`` and ``$function`` that names it (or a class nested in it) names the
  new one; a renamed target's cases move to the new target's folder;
- a renamed attribute: every recorded instance of the class holds it under the new name;
- an extracted class: every recorded instance of the original class gains the new
  attribute, holding an object of the extracted class with the moved fields, encoded
  as the codec encodes objects.

Instances of subclasses defined beside the class carry the same state and are migrated
the same way.

Planning (:func:`plan_rewrites`) is pure: it reads the store and says which case
files become which. :func:`apply_rewrites` writes them; the caller journals the target
folders first (:mod:`legacy_harness.refactor.journal`), so a run killed half-way is
rolled back. A rewritten case gets the id a new recording of the same call would get
(the hash of its target and inputs), so re-recording after the refactoring finds it
unchanged instead of adding a twin.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from legacy_harness.errors import GoldenFileError, RefusalError
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, case_id
from legacy_harness.store.disk import GoldenStore, case_blob_names
from legacy_harness.store.layout import BLOB_FOLDER

__all__ = [
    "Extraction",
    "Migration",
    "Rewrite",
    "apply_rewrites",
    "migrate_case",
    "migrate_tree",
    "plan_rewrites",
    "touched_folders",
]

#: Tags whose value names a class or function by ``module:qualname``.
NAMING_TAGS = ("$object", "$class", "$enum", "$namedtuple", "$function")
#: The parts of a case whose trees hold recorded values.
VALUE_PARTS = ("inputs", "outcome", "effects")


@dataclass(frozen=True)
class Extraction:
    """``extract-class``: ``fields`` of ``owner`` instances now live in ``attribute``,
    an instance of ``collaborator`` (both ``module:qualname``)."""

    owner: str
    collaborator: str
    attribute: str
    fields: frozenset[str]


@dataclass(frozen=True)
class Migration:
    """How the masters change with one refactoring."""

    #: old ``module:qualname`` -> new, for renamed classes and functions (and what
    #: is nested in them)
    names: Mapping[str, str] = field(default_factory=dict)
    #: old target -> new target, for masters that move to another folder
    targets: Mapping[str, str] = field(default_factory=dict)
    extractions: tuple[Extraction, ...] = ()
    #: ``module:qualname`` of a class -> {old attribute: new}, for renamed attributes
    attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.names or self.targets or self.extractions or self.attributes)

    def rename(self, ref: str) -> str:
        """``ref`` after the renames (a nested name follows its enclosing one)."""
        for old, new in self.names.items():
            if ref == old or ref.startswith(old + "."):
                return new + ref[len(old) :]
        return ref


@dataclass(frozen=True)
class Rewrite:
    """One case file of the store and what it becomes."""

    path: Path
    old: GoldenCase
    new: GoldenCase
    #: how many recorded objects were renamed or reshaped
    nodes: int

    @property
    def moved(self) -> bool:
        return self.old.target != self.new.target


def migrate_tree(tree: Any, migration: Migration, where: str = "") -> tuple[Any, int]:
    """A copy of an encoded tree in the new layout, and how many nodes changed.

    Raises RefusalError for an instance whose fields must change but whose state the
    codec did not record as plain fields (a custom ``__getstate__``).
    """
    tree = copy.deepcopy(tree)
    changed = 0
    owners = {e.owner: e for e in migration.extractions}
    for visit in codec.walk(tree):
        if visit.tag not in NAMING_TAGS:
            continue
        node = visit.node
        ref = node[visit.tag]
        if type(ref) is not str:
            continue
        renamed = migration.rename(ref)
        if renamed != ref:
            node[visit.tag] = renamed
            changed += 1
        if visit.tag != "$object":
            continue
        renames = migration.attributes.get(renamed)
        if renames:
            changed += _rename_fields(node, renamed, renames, codec.format_path(where, visit.path))
        extraction = owners.get(renamed)
        if extraction is not None:
            changed += _extract(node, extraction, codec.format_path(where, visit.path))
    return tree, changed


def _plain_state(node: dict[str, Any], owner: str, what: str, where: str) -> dict[str, Any]:
    state = node.get("state")
    if type(state) is not dict:
        raise RefusalError(
            f"{where}: this {owner} was recorded through its __getstate__, not as fields,"
            f" so {what}; re-record the masters after the refactoring instead"
        )
    return state


def _rename_fields(node: dict[str, Any], owner: str, renames: Mapping[str, str], where: str) -> int:
    names = ", ".join(sorted(renames))
    state = _plain_state(node, owner, f"its {names} cannot be renamed", where)
    moving = [old for old, new in sorted(renames.items()) if old in state and new not in state]
    for old in moving:
        state[renames[old]] = state.pop(old)
    return 1 if moving else 0


def _extract(node: dict[str, Any], extraction: Extraction, where: str) -> int:
    fields = ", ".join(sorted(extraction.fields))
    what = f"its {fields} cannot move to {extraction.collaborator}"
    state = _plain_state(node, extraction.owner, what, where)
    if extraction.attribute in state:
        return 0  # recorded after the refactoring already
    moved = {name: state.pop(name) for name in sorted(extraction.fields) if name in state}
    state[extraction.attribute] = {"$object": extraction.collaborator, "state": moved}
    return 1


def migrate_case(case: GoldenCase, migration: Migration) -> tuple[GoldenCase, int]:
    """``case`` in the new layout, under its new target and id, and the nodes changed."""
    where = f"{case.target} case-{case.id}"
    inputs, changed = migrate_tree(case.inputs, migration, f"{where}: inputs")
    observation = case.observation
    outcome, count = migrate_tree(observation.outcome, migration, f"{where}: outcome")
    changed += count
    effects, count = migrate_tree(observation.effects, migration, f"{where}: effects")
    changed += count
    target = migration.targets.get(case.target, case.target)
    if not changed and target == case.target:
        return case, 0
    new = replace(
        case,
        target=target,
        id=case_id(target, inputs),
        inputs=inputs,
        observation=replace(observation, outcome=outcome, effects=effects),
        meta=dict(case.meta),
        blobs={},
    )
    return new, changed


def plan_rewrites(store: GoldenStore, migration: Migration) -> list[Rewrite]:
    """Every case of the store that the migration changes; reads, never writes.

    A file that cannot be read, or that does not live where its target and id say,
    is left alone: ``verify`` reports it.
    """
    if not migration:
        return []
    rewrites = []
    for item in store.iter_cases():
        if isinstance(item, GoldenFileError):
            continue
        try:
            in_place = os.path.abspath(store.case_path(item.case)) == os.path.abspath(item.path)
        except GoldenFileError:
            continue
        if not in_place:
            continue
        new, nodes = migrate_case(item.case, migration)
        if new is not item.case:
            rewrites.append(Rewrite(item.path, item.case, new, nodes))
    return rewrites


def touched_folders(store: GoldenStore, rewrites: Iterable[Rewrite]) -> list[Path]:
    """The target folders a set of rewrites writes to or deletes from (for the journal)."""
    folders = {store.target_dir(r.old.target) for r in rewrites}
    folders |= {store.target_dir(r.new.target) for r in rewrites}
    return sorted(folders)


def apply_rewrites(store: GoldenStore, rewrites: Iterable[Rewrite]) -> int:
    """Write the new cases, then delete the old files they replace; returns the count.

    A case moving to another target carries its blobs; a folder left without cases
    loses the blobs no case names and, once empty, the folder itself.
    """
    rewrites = list(rewrites)
    for rewrite in rewrites:
        case = rewrite.new
        if rewrite.moved:
            old_target = rewrite.old.target
            case.blobs = {name: store.read_blob(old_target, name) for name in case_blob_names(case)}
        same_file = os.path.abspath(store.case_path(case)) == os.path.abspath(rewrite.path)
        store.write(case, overwrite=same_file)  # never over another case of the same call
    written = {os.path.abspath(store.case_path(r.new)) for r in rewrites}
    for rewrite in rewrites:
        if os.path.abspath(rewrite.path) not in written:
            store.remove(rewrite.path)
    for target in sorted({r.old.target for r in rewrites if r.moved}):
        _remove_if_empty(store, target)
    return len(rewrites)


def _remove_if_empty(store: GoldenStore, target: str) -> None:
    """Drop a target folder that holds no case any more (only empty folders go)."""
    store.remove_unused_blobs(target)
    folder = store.target_dir(target)
    for empty in (folder / BLOB_FOLDER, folder, folder.parent):
        if empty.is_dir() and not empty.is_symlink() and not any(empty.iterdir()):
            empty.rmdir()
