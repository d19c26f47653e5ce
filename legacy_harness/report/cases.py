"""The text report of a run: what did not behave the same, grouped, then the tally.

150 cases of one target whose differences lie at the same paths are one finding, not
150: they form a group, shown once in full ("outcome.tax differs in 150 cases, like:")
and then a line or two per other case, until ``max_cases`` cases have been shown; the
rest are counted, never dropped silently (``-v`` shows every case in full, ``--format
json`` lists them all). ``-q`` keeps one line per group or case. The per-target tally
is repeated after the cases so the figures need no scrolling. ``verify`` and
``check`` both print their runs through :func:`render_run`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from legacy_harness.compare.difference import Difference
from legacy_harness.display import indent, shown
from legacy_harness.outcomes import CaseStatus, ExitCode
from legacy_harness.report.render import paint, render_text
from legacy_harness.report.summary import RunSummary
from legacy_harness.terminal import DEFAULT_MAX_CASES

__all__ = [
    "DEFAULT_MAX_CASES",
    "CaseEntry",
    "CaseGroup",
    "Replayed",
    "group_entries",
    "render_entries",
    "render_run",
    "replayed_entry",
]

#: Paths named in a group's headline before "and N more paths".
HEADLINE_PATHS = 3


@dataclass(frozen=True)
class CaseEntry:
    """One case that did not behave the same, as the text report shows it."""

    #: ``CHANGED``, ``UNSTABLE``, ``ERROR``, ``MISSING TARGET``, ``SKIPPED``...
    label: str
    target: str
    #: ``calc:add case-3f2a9c01d2e4b5a6``
    name: str
    #: The golden file as the user would type it ("" when unknown).
    where: str = ""
    #: The rendered differences or explanation, shown indented under the case.
    body: str = ""
    #: The recorded call in one line.
    inputs: str | None = None
    #: (path, kind) of each difference: cases of a target with equal, non-empty
    #: signatures are grouped.
    signature: tuple[tuple[str, str], ...] = ()
    #: For an error or a skipped case, what went wrong (shown after the label).
    message: str = ""
    note: str | None = None
    #: A failure (red) or a case to look at (yellow).
    failed: bool = True

    @property
    def heading(self) -> str:
        """The first line: label, case and file; or label and message for an error."""
        if self.message and not self.body:
            return f"{self.label} {self.message}"
        return f"{self.label} {self.name}" + (f" ({self.where})" if self.where else "")


@dataclass
class CaseGroup:
    """Cases of one target with the same label whose differences are at the same paths."""

    entries: list[CaseEntry] = field(default_factory=list)

    @property
    def first(self) -> CaseEntry:
        return self.entries[0]

    def headline(self) -> str:
        """``calc:add: outcome.tax differs in 150 cases``."""
        paths = list(dict.fromkeys(path or "<root>" for path, _ in self.first.signature))
        named = ", ".join(paths[:HEADLINE_PATHS])
        if len(paths) > HEADLINE_PATHS:
            named += f" and {len(paths) - HEADLINE_PATHS} more paths"
        verb = "differs" if len(paths) == 1 else "differ"
        if self.first.label == "UNSTABLE":
            verb += " between runs"
        return f"{self.first.target}: {named} {verb} in {len(self.entries)} cases"


class Replayed(Protocol):
    """A case judged by replaying it in this process (``verify``'s ``CaseResult``)."""

    @property
    def target(self) -> str: ...
    @property
    def case_id(self) -> str: ...
    @property
    def path(self) -> Path | str: ...
    @property
    def status(self) -> str: ...
    @property
    def differences(self) -> Sequence[Difference]: ...
    @property
    def error(self) -> str | None: ...
    @property
    def explanation(self) -> str | None: ...
    @property
    def inputs(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...
    @property
    def suggestion(self) -> str | None: ...


def _signature(differences: Sequence[Difference]) -> tuple[tuple[str, str], ...]:
    return tuple((d.path, str(d.kind)) for d in differences)


def replayed_entry(
    result: Replayed, *, color: bool = False, max_diffs: int = 20
) -> CaseEntry | None:
    """How the report shows a replayed case that did not pass (None for one that did):
    its differences rendered (at most ``max_diffs``), or the explanation a statistical
    master gives, and for an unstable case the configuration that tames it."""
    status = CaseStatus(result.status)
    name = f"{result.target} case-{result.case_id}"
    if status == CaseStatus.CHANGED:
        signature: tuple[tuple[str, str], ...] = ()
        if result.explanation:
            body = result.explanation
        else:
            body = render_text(result.differences, limit=max_diffs, color=color)
            signature = _signature(result.differences)
        return CaseEntry(
            "CHANGED", result.target, name, shown(result.path), body=body,
            inputs=result.inputs, signature=signature, note=result.note,
        )  # fmt: skip
    if status == CaseStatus.UNSTABLE:
        body = render_text(result.differences, limit=5, color=color)
        if result.suggestion:
            body += "\nadd to pyproject.toml:\n" + indent(result.suggestion.rstrip("\n"))
        return CaseEntry(
            "UNSTABLE", result.target, name, shown(result.path), body=body,
            inputs=result.inputs, signature=_signature(result.differences), note=result.note,
            failed=False,
        )  # fmt: skip
    if status == CaseStatus.ERROR:
        return CaseEntry("ERROR", result.target, name, message=result.error or "", note=result.note)
    if status == CaseStatus.SKIPPED:
        message = f"{name}: {result.error}"
        return CaseEntry("SKIPPED", result.target, name, message=message, failed=False)
    return None


def group_entries(entries: Sequence[CaseEntry]) -> list[CaseGroup]:
    """Entries grouped by (label, target, signature), in order of first appearance; an
    entry without a signature (an error, an explanation) is a group of its own."""
    groups: list[CaseGroup] = []
    index: dict[tuple[str, str, tuple[tuple[str, str], ...]], CaseGroup] = {}
    for entry in entries:
        if not entry.signature:
            groups.append(CaseGroup([entry]))
            continue
        key = (entry.label, entry.target, entry.signature)
        group = index.get(key)
        if group is None:
            group = index[key] = CaseGroup()
            groups.append(group)
        group.entries.append(entry)
    return groups


def _labelled(entry: CaseEntry, text: str, color: bool) -> str:
    """``text`` (which starts with the entry's label) with the label coloured."""
    role = "failed" if entry.failed else "warning"
    return paint(role, entry.label, color) + text[len(entry.label) :]


def _full(entry: CaseEntry, color: bool) -> list[str]:
    lines = [_labelled(entry, entry.heading, color)]
    if entry.inputs:
        lines.append(f"  inputs: {entry.inputs}")
    if entry.body:
        lines += indent(entry.body).splitlines()
    if entry.note:
        lines.append(f"NOTE {entry.name}: {entry.note}")
    return lines


def _brief(entry: CaseEntry, color: bool) -> list[str]:
    lines = [_labelled(entry, entry.heading + ": likewise", color)]
    if entry.inputs:
        lines.append(f"  inputs: {entry.inputs}")
    return lines


def render_entries(
    entries: Sequence[CaseEntry],
    *,
    max_cases: int | None = DEFAULT_MAX_CASES,
    verbosity: int = 0,
    color: bool = False,
) -> list[str]:
    """The lines of the cases that did not behave the same, grouped (see the module).

    ``verbosity`` below 0 gives one line per group or case; above 0 every case in full,
    however many (``max_cases`` is then ignored).
    """
    budget = None if verbosity > 0 else max_cases
    shown = 0
    hidden = 0  # cases no line of the report names or counts
    lines: list[str] = []
    for group in group_entries(entries):
        many = len(group.entries) > 1
        if verbosity < 0:
            if budget is not None and shown >= budget:
                hidden += len(group.entries)
                continue
            shown += 1
            text = f"{group.first.label} {group.headline()}" if many else group.first.heading
            lines.append(_labelled(group.first, text, color))
            continue
        if budget is not None and shown >= budget:
            if many:
                lines += ["", f"{group.headline()} (not shown; -v shows them)"]
            else:
                hidden += 1
            continue
        lines.append("")
        if many:
            lines.append(paint("title", group.headline() + ", like:", color))
        for position, entry in enumerate(group.entries):
            if budget is not None and shown >= budget:
                rest = len(group.entries) - position
                lines.append(f"... and {rest} more cases likewise (-v shows them)")
                break
            shown += 1
            full = verbosity > 0 or position == 0
            lines += _full(entry, color) if full else _brief(entry, color)
    if hidden:
        lines += [
            "",
            f"{hidden} more case(s) not shown: -v or --max-cases N shows them,"
            " --format json lists every case",
        ]
    return lines


def render_run(
    summary: RunSummary,
    entries: Sequence[CaseEntry],
    *,
    sections: Sequence[str] = (),
    detail: str = "",
    max_cases: int | None = DEFAULT_MAX_CASES,
    verbosity: int = 0,
    color: bool = False,
) -> str:
    """A whole run for people: a line per target, the cases that did not behave the
    same, ``sections`` (lines a command adds: policies, coverage), the tally again when
    anything was reported, and the closing line (with ``detail`` before its verdict)."""
    tally = summary.target_lines() if verbosity >= 0 else []
    body = render_entries(entries, max_cases=max_cases, verbosity=verbosity, color=color)
    body += list(sections)
    lines = tally + body
    if body and tally:
        lines += ["", *tally]
    if summary.exit_code == ExitCode.SAME:
        role = "passed"
    elif summary.exit_code in (ExitCode.POLICY, ExitCode.NO_CASES):
        role = "warning"
    else:
        role = "failed"
    closing = summary.closing_line(detail)
    head = closing[: len(closing) - len(summary.verdict)]
    lines += ["", head + paint(role, summary.verdict, color)]
    if lines[0] == "":
        lines = lines[1:]
    return "\n".join(lines)
