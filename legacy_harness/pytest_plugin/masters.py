"""What a run does to masters, and where the fixture's masters live; no numpy.

The plugin loads in every pytest run of a project that installs legacy-harness, so the
settings of a run, the events items and checks report, and the mapping from a test to
its master folder live here, importable without the codec or the comparison engine.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from legacy_harness.outcomes import CaseStatus, MasterStatus, RecordMode
from legacy_harness.store.layout import CHECKS_FOLDER

__all__ = ["CheckEvent", "CheckSettings", "EventKind", "check_folder", "event_kind"]

#: What one check or one stored case did to its master: a MasterStatus, or
#: CaseStatus.ERROR (it could not be judged) or CaseStatus.SKIPPED (its target vanished).
EventKind = MasterStatus | CaseStatus


def event_kind(text: str) -> EventKind:
    """The kind of an event that travelled as plain text (across pytest-xdist)."""
    try:
        return MasterStatus(text)
    except ValueError:
        return CaseStatus(text)


@dataclass(frozen=True)
class CheckSettings:
    """How checks treat masters in this run (from the command line and the environment).

    ``mode``: none never writes, new creates missing masters, all rewrites every master
    checked. ``update`` rewrites masters whose value changed beyond tolerance (and
    creates missing ones). With ``ci`` a missing master always fails.
    """

    mode: RecordMode = RecordMode.NONE
    update: bool = False
    ci: bool = False
    reporter: str | None = None
    allow: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", RecordMode(self.mode))

    @property
    def may_create(self) -> bool:
        return not self.ci and (self.mode in (RecordMode.NEW, RecordMode.ALL) or self.update)

    @property
    def rewrites_all(self) -> bool:
        return self.mode is RecordMode.ALL


@dataclass(frozen=True)
class CheckEvent:
    """What one check or stored case did to one master (a path relative to the store).

    ``report`` holds the differences, rendered; ``unused`` says why the master is unused
    when its item found out at run time that the target vanished.
    """

    kind: EventKind
    master: str
    report: str = ""
    unused: str = ""

    def to_wire(self) -> list[str]:
        """Plain strings, as pytest-xdist carries report attributes between processes."""
        return [self.kind.value, self.master, self.report, self.unused]

    @classmethod
    def from_wire(cls, fields: list[str]) -> CheckEvent:
        kind, master, *rest = fields
        return cls(event_kind(kind), master, *rest)


def safe_segment(part: str) -> str:
    """A path segment that is a valid, non-hidden file name on every platform."""
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", part).strip()
    text = "_" + text.lstrip(".") if text.startswith(".") or not text else text
    if len(text) > 120:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        text = f"{text[:100]}-{digest}"
    return text


def check_folder(store_root: Path, nodeid: str) -> Path:
    """``<store>/__checks__/<test module path without .py>/<Class.test[params]>``."""
    file_part, *names = nodeid.split("::")
    if file_part.endswith(".py"):
        file_part = file_part[:-3]
    parts = [safe_segment(p) for p in file_part.replace("\\", "/").split("/") if p]
    return Path(store_root, CHECKS_FOLDER, *parts, safe_segment(".".join(names) or "test"))
