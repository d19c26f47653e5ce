"""What a recording did, per target, and the summary a user reads at its end.

Kept apart from the recorder so that ``record --`` can report a run that reached none
of its targets (their modules never imported) without loading the capture machinery.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from legacy_harness.outcomes import WriteStatus

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.store.case import GoldenCase

__all__ = ["RecordingSummary", "TargetStats"]

CREATED, UPDATED = WriteStatus.CREATED, WriteStatus.UPDATED
UNCHANGED, KEPT = WriteStatus.UNCHANGED, WriteStatus.KEPT


class TargetStats:
    """What recording did for one target; feeds the summary the user reads."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.calls = 0
        self.cases = 0
        self.dropped = 0
        self.outcomes: dict[str, int] = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, KEPT: 0}
        self.problems: list[str] = []
        #: outside access no declared boundary covered -> the boundary that would
        self.undeclared: dict[str, str] = {}
        #: stale cases ``--mode all`` removed: their inputs were not produced this time
        self.removed = 0
        #: files killed recordings had left in the target's folder, deleted before writing
        self.cleaned = 0

    def written(self, case: GoldenCase, status: WriteStatus) -> None:
        """Count what the writer did with one case (called on the writer's thread)."""
        self.outcomes[status] += 1

    def __repr__(self) -> str:
        return f"TargetStats({self.target!r}, calls={self.calls}, cases={self.cases})"


class RecordingSummary:
    """What a recording wrote, grouped by module and class, and what to do next: the
    outside access to declare, the packages to ``allow``, targets a pattern left out."""

    def __init__(
        self,
        store: Path,
        targets: list[TargetStats],
        boundaries: tuple[str, ...] = (),
        skipped: dict[str, str] | None = None,
        foreign: dict[str, str] | None = None,
    ) -> None:
        self.store = store
        self.targets = targets
        self.boundaries = boundaries
        #: target -> why a pattern that matched it does not record it (generators)
        self.skipped: dict[str, str] = {} if skipped is None else skipped
        #: third-party package -> a class of it that cases hold (replay needs ``allow``)
        self.foreign: dict[str, str] = {} if foreign is None else foreign

    def render(self) -> str:
        lines: list[str] = []
        by_module: dict[str, list[TargetStats]] = {}
        # per module: its functions, then each class's methods, a nested class after its own
        for stats in sorted(self.targets, key=_summary_order):
            by_module.setdefault(stats.target.partition(":")[0], []).append(stats)
        for module, group in by_module.items():
            calls = sum(s.calls + s.dropped for s in group)
            plural = "s" if len(group) > 1 else ""
            lines.append(
                f"{module}: {len(group)} target{plural}, {calls} calls,"
                f" {sum(s.cases for s in group)} cases"
            )
            owner = ""
            unreached = []
            for stats in group:
                qualname = stats.target.partition(":")[2]
                if stats.calls + stats.dropped == 0 and not stats.removed:
                    unreached.append(qualname)
                    continue
                cls, _, name = qualname.rpartition(".")
                if cls and cls != owner:
                    lines.append(f"  {cls}")
                owner = cls
                lines += self._target_lines(stats, name, "    " if cls else "  ")
            if unreached:
                lines.append(f"  no calls (the run never reached them): {', '.join(unreached)}")
        for target, why in self.skipped.items():
            lines.append(f"not recorded: {target}, {why}")
        if self.foreign:
            from legacy_harness.record.project import allow_hint

            listed = ", ".join(f"{pkg} ({cls})" for pkg, cls in self.foreign.items())
            lines.append(
                f"cases hold objects of packages outside the project: {listed};"
                f" replay rebuilds them only with {allow_hint(self.foreign)}"
            )
        lines.append(f"store: {self.store}")
        return "\n".join(lines)

    def _target_lines(self, stats: TargetStats, name: str, indent: str) -> list[str]:
        o = stats.outcomes
        written = f"{o[CREATED]} new, {o[UPDATED]} updated, {o[UNCHANGED]} unchanged"
        if o[KEPT]:
            written += f", {o[KEPT]} kept (already recorded; use --mode all to replace)"
        more = indent + "  "
        lines = [
            f"{indent}{name}: {stats.calls + stats.dropped} calls, {stats.cases} cases ({written})"
        ]
        if stats.cleaned:
            lines.append(
                f"{more}cleaned {stats.cleaned} leftover files of killed recordings (.tmp-*, unnamed blobs)"
            )
        if stats.dropped:
            lines.append(
                f"{more}cap reached: {stats.dropped} later calls not recorded (raise --max-cases to keep more)"
            )
        if stats.removed:
            lines.append(
                f"{more}{stats.removed} stale cases removed: this run no longer produced their inputs"
            )
        lines += [f"{more}not replayable: {problem}" for problem in stats.problems]
        if stats.undeclared:
            from legacy_harness.record.boundaries import suggestion

            lines.append(f"{more}{stats.target} {suggestion(stats.undeclared, self.boundaries)}")
        return lines


def _summary_order(stats: TargetStats) -> tuple[str, str, str]:
    module, _, qualname = stats.target.partition(":")
    owner, _, name = qualname.rpartition(".")
    return module, owner, name
