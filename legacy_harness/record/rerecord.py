"""Recording into a store that holds cases already: one input keeps one case.

A case's id is a hash of its inputs, but files written before the hash left out dict
insertion order (or duplicated by runs under other hash seeds) may hold an input under
another name. So the first time a recording writes a case of a target, it indexes that
target's cases by the id their inputs have today, and then:

- ``--mode new`` never stores an input twice: one already stored, under any name, is kept;
- ``--mode all`` writes the new case and removes every other file of the same input; the
  new case keeps what the old one said about where its input came from (a generated
  case stays ``generated``, with its ``why``), and the old review stamp if the behaviour
  is the same. When the run ends, the cases of the recording's origin whose input the
  run no longer produced are stale, and removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from legacy_harness.errors import GoldenFileError
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, case_id
from legacy_harness.store.disk import GoldenStore, StoredCase

__all__ = ["CARRIED_META", "StoredInputs"]

#: What a case's meta says about its input, kept when the input is recorded again.
CARRIED_META = ("origin", "why", "kills")


def _behaviour(case: GoldenCase) -> str:
    observation = case.observation
    return codec.canonical(
        [observation.outcome, observation.effects, observation.output, case.tape, case.rng]
    )


@dataclass
class StoredInputs:
    """The cases already in the store, per target, by the id of their inputs."""

    store: GoldenStore
    overwrite: bool
    origin: str
    _index: dict[str, dict[str, list[StoredCase]]] = field(default_factory=dict)

    def cases_of(self, target: str) -> dict[str, list[StoredCase]]:
        """Id -> the stored cases of that input (read once, before this run writes any)."""
        index = self._index.get(target)
        if index is None:
            index = {}
            for item in self.store.iter_cases([target]):
                if isinstance(item, GoldenFileError):
                    continue  # an unreadable file is verify's to report, never ours to delete
                ident = case_id(item.case.target, item.case.inputs)
                index.setdefault(ident, []).append(item)
            self._index[target] = index
        return index

    def admit(self, case: GoldenCase) -> bool:
        """Prepare ``case`` for writing; False: its input is stored under another name."""
        if not self.overwrite:  # a new input needs no look at the disk
            return case.id not in self.cases_of(case.target) or self.store.case_path(case).exists()
        path = self.store.case_path(case)
        found = self.cases_of(case.target).get(case.id, [])
        if found:
            old = next((item for item in found if item.path == path), found[0]).case
            for key in CARRIED_META:
                if key in old.meta:
                    case.meta[key] = old.meta[key]
            if "reviewed" in old.meta and _behaviour(old) == _behaviour(case):
                case.meta["reviewed"] = old.meta["reviewed"]
        return True

    def settle(self, case: GoldenCase) -> None:
        """After ``case`` was written: other files of its input go (``--mode all``)."""
        if not self.overwrite:
            return
        path = self.store.case_path(case)
        index = self.cases_of(case.target)
        for item in index.get(case.id, []):
            if item.path != path:
                self.store.remove(item.path)
        index[case.id] = []

    def prune(self, target: str, produced: set[str]) -> list[Path]:
        """Remove the cases of this recording's origin whose input was not produced."""
        if not self.overwrite:
            return []
        removed = []
        index = self.cases_of(target)
        for ident, items in index.items():
            if ident in produced:
                continue
            stale = [item for item in items if item.case.meta.get("origin") == self.origin]
            for item in stale:
                self.store.remove(item.path)
                removed.append(item.path)
            index[ident] = [item for item in items if all(item is not s for s in stale)]
        if removed:
            self.store.remove_unused_blobs(target)
        return removed
