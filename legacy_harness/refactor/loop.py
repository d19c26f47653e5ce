"""The verify-around-change loop: replay masters before and after a refactoring.

The masters replayed are those of the targets defined in the changed files and every
master whose replay reaches one of them (measured with coverage.py, see
:mod:`legacy_harness.refactor.reach`). Replay runs in a fresh interpreter each time, so
"after" sees the rewritten files and not modules this process imported before the
change. When any behaviour changed, the files (and migrated masters) are put back byte
for byte.

Every change is journaled first (:mod:`legacy_harness.refactor.journal`): a run killed
half-way leaves a journal that the next ``legacy-harness`` command rolls back, so the
sources and masters are never left half rewritten or split between two targets.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.config import Config
from legacy_harness.refactor import (
    RefusalError,
    module_name_for_path,
    rename_target_spec,
    transform_files,
    unified_diff,
)
from legacy_harness.refactor._common import snake_case, split_spec, subclass_names
from legacy_harness.refactor.extract_class import collaborator_fields
from legacy_harness.refactor.journal import Journal
from legacy_harness.refactor.migrate import (
    Extraction,
    Migration,
    Rewrite,
    apply_rewrites,
    plan_rewrites,
    touched_folders,
)
from legacy_harness.refactor.reach import reached_targets
from legacy_harness.refactor.rename import renamed_attribute
from legacy_harness.store.disk import GoldenStore
from legacy_harness.store.layout import TargetSpec

Changes = dict[Path, tuple[str, str]]


@dataclass
class VerifyRun:
    """One replay of the affected masters in a fresh interpreter."""

    exit_code: int
    cases: list[dict[str, Any]] = field(default_factory=list)
    stderr: str = ""

    @property
    def failing(self) -> list[dict[str, Any]]:
        return [case for case in self.cases if case["status"] != "passed"]


@dataclass
class LoopResult:
    """What the loop did; the CLI turns it into output and an exit code."""

    changes: Changes
    diff: str
    applied: bool = False
    restored: bool = False
    targets: list[str] = field(default_factory=list)
    before: VerifyRun | None = None
    after: VerifyRun | None = None
    #: old target -> new, for the masters a rename moves
    migrated: dict[str, str] = field(default_factory=dict)
    #: what happened (or would happen) to the masters, one line each
    notes: list[str] = field(default_factory=list)


def affected_targets(
    store: GoldenStore,
    changes: Iterable[Path],
    extra: Iterable[str] = (),
    reached: Iterable[str] = (),
) -> list[str]:
    """Targets whose masters can see the change: those defined in a changed file, those
    whose replays reach one (``reached``, see :mod:`legacy_harness.refactor.reach`), and
    ``extra`` (the targets whose masters the refactoring migrates)."""
    modules = {module_name_for_path(path) for path in changes}
    known = set(store.targets())
    found = {t for t in known if TargetSpec.parse(t).module in modules}
    return sorted(found | (set(extra) & known) | (set(reached) & known))


def replay_masters(config: Config, targets: list[str]) -> VerifyRun:
    """``legacy-harness verify --format json`` on ``targets`` in a new interpreter."""
    command = [sys.executable, "-m", "legacy_harness", "verify", "--format", "json"]
    command += ["--store", str(config.store), *targets]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(command, cwd=config.root, capture_output=True, text=True, env=env)
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        return VerifyRun(done.returncode, [], done.stderr.strip() or done.stdout.strip())
    return VerifyRun(done.returncode, document.get("cases", []), done.stderr)


def _write(changes: Mapping[Path, tuple[str, str]], side: int) -> None:
    for path, sources in changes.items():
        path.write_bytes(sources[side].encode("utf-8"))


def migration_for(
    name: str, args: Mapping[str, Any], changes: Changes, store: GoldenStore
) -> Migration:
    """How the masters change with this refactoring: the targets a ``rename`` moves, the
    names or attributes it changes, the fields an ``extract-class`` moves into its
    collaborator. Instances of subclasses defined beside the class change with it."""
    if name == "rename":
        return _rename_migration(str(args["old"]), str(args["new"]), changes, store)
    if name == "extract-class":
        collaborator = str(args["name"])
        owner = split_spec(str(args.get("cls") or args.get("class")))[1].split(".")[-1]
        attribute = str(args.get("attribute") or "_" + snake_case(collaborator))
        defines = re.compile(rf"^class {re.escape(collaborator)}\b", re.M)
        for path, (before, source) in changes.items():
            if not defines.search(source) or defines.search(before):
                continue
            module = module_name_for_path(path)
            fields = collaborator_fields(source, collaborator)
            extractions = tuple(
                Extraction(f"{module}:{cls}", f"{module}:{collaborator}", attribute, fields)
                for cls in [owner, *subclass_names(source, owner)]
            )
            return Migration(extractions=extractions)
    return Migration()


def _rename_migration(
    old_spec: str, new_name: str, changes: Changes, store: GoldenStore
) -> Migration:
    old_module, old_qualname = split_spec(old_spec)
    if old_module is None:
        return Migration()  # no module named: the masters cannot be matched to it
    old = TargetSpec(old_module, old_qualname)
    for path, (before, after) in changes.items():
        if module_name_for_path(path) != old.module:
            continue
        attribute = renamed_attribute(before, str(old))
        if attribute is not None:
            cls, field_name = attribute
            classes = [cls, *subclass_names(after, cls)] if "." not in cls else [cls]
            renames = {field_name: new_name}
            return Migration(attributes={f"{old.module}:{c}": renames for c in classes})
    new = TargetSpec.parse(rename_target_spec(str(old), new_name))
    moves = {}
    for target in store.targets():
        spec = TargetSpec.parse(target)
        if spec.module != old.module:
            continue
        if spec.qualname == old.qualname or spec.qualname.startswith(old.qualname + "."):
            moves[target] = f"{new.module}:{new.qualname}{spec.qualname[len(old.qualname) :]}"
    return Migration(names={str(old): str(new)}, targets=moves)


def _describe(name: str, args: Mapping[str, Any]) -> str:
    """The command a journal names, so a recovery message says what it rolled back."""
    words = [f"refactor {name}"]
    for key, value in args.items():
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            words.append(f"--{key.replace('_', '-')} {value}")
    return " ".join(words)


def _begin(
    name: str, args: Mapping[str, Any], config: Config, changes: Changes, store: GoldenStore,
    migration: Migration, rewrites: list[Rewrite],
) -> Journal:  # fmt: skip
    """The journal of one application: the changed files and every master folder the
    migration writes to or deletes from."""
    return Journal.begin(
        config.root,
        files=list(changes),
        folders=touched_folders(store, rewrites),
        store=config.store if rewrites else None,
        moves={old: new for old, new in migration.targets.items()},
        command=_describe(name, args),
    )


def _change(changes: Changes, store: GoldenStore, rewrites: list[Rewrite]) -> None:
    _write(changes, 1)
    apply_rewrites(store, rewrites)


def migration_notes(migration: Migration, rewrites: list[Rewrite], done: bool) -> list[str]:
    """What the migration does to the masters, one line each, for the CLI."""
    notes = []
    verb = "moved" if done else "would move"
    for old, new in migration.targets.items():
        notes.append(f"masters of {old} {verb} to {new}")
    reshaped = sum(1 for rewrite in rewrites if rewrite.nodes)
    if not reshaped:
        return notes
    for old, new in migration.names.items():
        what = "renamed" if done else "would be renamed"
        notes.append(f"{old} {what} to {new} where {reshaped} master(s) recorded it")
    what = "migrated" if done else "would be migrated"
    if migration.extractions:
        first = migration.extractions[0]
        owners = ", ".join(extraction.owner for extraction in migration.extractions)
        fields = ", ".join(sorted(first.fields)) or "no field"
        notes.append(
            f"recorded {owners} objects in {reshaped} master(s) {what}:"
            f" {fields} now in {first.attribute} ({first.collaborator})"
        )
    if migration.attributes:
        owners = ", ".join(migration.attributes)
        renames = next(iter(migration.attributes.values()))
        fields = ", ".join(f"{old} now {new}" for old, new in sorted(renames.items()))
        notes.append(f"recorded {owners} objects in {reshaped} master(s) {what}: {fields}")
    return notes


def run_loop(
    name: str,
    paths: list[Path],
    args: Mapping[str, Any],
    config: Config,
    *,
    apply: bool,
    verify: bool,
    replay: Callable[[Config, list[str]], VerifyRun] = replay_masters,
    reach: Callable[[Config, list[Path]], set[str]] = reached_targets,
) -> LoopResult:
    """Transform, and with ``verify`` prove the change keeps every affected master.

    Applying migrates the masters with the code (:mod:`legacy_harness.refactor.migrate`):
    a ``rename`` moves the masters of the renamed target (and of its methods) to the new
    name and renames recorded instances of a renamed class or the recorded field of a
    renamed attribute; an ``extract-class`` moves the recorded fields into the
    collaborator. The affected masters are those of the changed files' targets, every
    master whose replay reaches a changed file, and every master the migration rewrites.
    """
    changes = transform_files(name, paths, **dict(args))
    result = LoopResult(changes, unified_diff(changes))
    if not changes or not (apply or verify):
        return result
    store = GoldenStore.from_config(config)
    migration = migration_for(name, args, changes, store)
    rewrites = plan_rewrites(store, migration)
    result.migrated = dict(migration.targets)
    if not verify:
        journal = _begin(name, args, config, changes, store, migration, rewrites)
        try:
            _change(changes, store, rewrites)
        except BaseException:
            journal.restore()
            raise
        journal.close()
        result.applied = True
        result.notes = migration_notes(migration, rewrites, done=True)
        return result
    reached = reach(config, list(changes)) if store.targets() else set()
    rewritten = {rewrite.old.target for rewrite in rewrites}  # every migrated master is proved
    result.targets = affected_targets(store, changes, rewritten, reached)
    if not result.targets:
        raise RefusalError(
            f"{name}: no golden masters cover {', '.join(sorted(str(p) for p in changes))};"
            " record the code first (legacy-harness record ...) so --verify can prove the change safe"
        )
    result.before = replay(config, result.targets)
    if result.before.exit_code != 0:
        raise RefusalError(
            f"{name}: the masters of {', '.join(result.targets)} do not pass before the change"
            f" ({len(result.before.failing)} failing); run legacy-harness verify and fix that first"
        )
    journal = _begin(name, args, config, changes, store, migration, rewrites)
    try:
        _change(changes, store, rewrites)
        moved = migration.targets
        result.after = replay(config, sorted({moved.get(t, t) for t in result.targets}))
    except BaseException:
        journal.restore()
        raise
    if result.after.exit_code == 0 and apply:
        journal.close()
        result.applied = True
    else:
        journal.restore()
        result.restored = True
    result.notes = migration_notes(migration, rewrites, done=result.applied)
    return result
