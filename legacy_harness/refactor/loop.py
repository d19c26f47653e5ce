"""The verify-around-change loop: replay masters before and after a refactoring.

Replay runs in a fresh interpreter each time, so "after" sees the rewritten files and
not modules this process imported before the change. When any behaviour changed, the
files (and migrated masters) are put back byte for byte.

Every change is journaled first (:mod:`legacy_harness.refactor.journal`): a run killed
half-way leaves a journal that the next ``legacy-harness`` command rolls back, so the
sources and masters are never left half rewritten or split between two targets.
"""

from __future__ import annotations

import json
import os
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
from legacy_harness.refactor.journal import Journal
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
    migrated: dict[str, str] = field(default_factory=dict)


def affected_targets(
    store: GoldenStore, changes: Iterable[Path], extra: Iterable[str] = ()
) -> list[str]:
    """Targets with masters whose module is one of the changed files."""
    modules = {module_name_for_path(path) for path in changes}
    found = {t for t in store.targets() if TargetSpec.parse(t).module in modules}
    return sorted(found | {t for t in extra if t in store.targets()})


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


def _migration(name: str, args: Mapping[str, Any], store: GoldenStore) -> dict[str, str]:
    """Old -> new target names for the masters a rename moves."""
    if name != "rename":
        return {}
    old = TargetSpec.parse(str(args["old"]))
    new = TargetSpec.parse(rename_target_spec(str(args["old"]), str(args["new"])))
    moves = {}
    for target in store.targets():
        spec = TargetSpec.parse(target)
        if spec.module != old.module:
            continue
        if spec.qualname == old.qualname or spec.qualname.startswith(old.qualname + "."):
            moves[target] = f"{new.module}:{new.qualname}{spec.qualname[len(old.qualname) :]}"
    return moves


def _describe(name: str, args: Mapping[str, Any]) -> str:
    """The command a journal names, so a recovery message says what it rolled back."""
    words = [f"refactor {name}"]
    for key, value in args.items():
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            words.append(f"--{key.replace('_', '-')} {value}")
    return " ".join(words)


def _begin(
    name: str, args: Mapping[str, Any], config: Config, changes: Changes, store: GoldenStore,
    moves: Mapping[str, str],
) -> Journal:  # fmt: skip
    """The journal of one application: the changed files, and the master folders moved."""
    folders = [store.target_dir(target) for move in moves.items() for target in move]
    return Journal.begin(
        config.root,
        files=list(changes),
        folders=folders,
        store=config.store if moves else None,
        moves=moves,
        command=_describe(name, args),
    )


def _change(changes: Changes, store: GoldenStore, moves: Mapping[str, str]) -> None:
    _write(changes, 1)
    for old, new in moves.items():
        store.rename_target(old, new)


def run_loop(
    name: str,
    paths: list[Path],
    args: Mapping[str, Any],
    config: Config,
    *,
    apply: bool,
    verify: bool,
    replay: Callable[[Config, list[str]], VerifyRun] = replay_masters,
) -> LoopResult:
    """Transform, and with ``verify`` prove the change keeps every affected master.

    Applying a ``rename`` moves the masters of the renamed target (and of its methods)
    to the new name, so they keep covering it.
    """
    changes = transform_files(name, paths, **dict(args))
    result = LoopResult(changes, unified_diff(changes))
    if not changes or not (apply or verify):
        return result
    store = GoldenStore(config.store)
    moves = _migration(name, args, store)
    if not verify:
        journal = _begin(name, args, config, changes, store, moves)
        try:
            _change(changes, store, moves)
        except BaseException:
            journal.restore()
            raise
        journal.close()
        result.applied = True
        result.migrated = moves
        return result
    result.targets = affected_targets(store, changes, moves)
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
    journal = _begin(name, args, config, changes, store, moves)
    try:
        _change(changes, store, moves)
        result.after = replay(config, sorted({moves.get(t, t) for t in result.targets}))
    except BaseException:
        journal.restore()
        raise
    result.migrated = moves
    if result.after.exit_code == 0 and apply:
        journal.close()
        result.applied = True
        return result
    journal.restore()
    result.restored = True
    return result
