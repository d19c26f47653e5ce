"""Coverage of the golden masters: which lines and branches of each target they reach.

A recording only characterizes the paths real work happened to take. Replaying the
masters under coverage.py (branch measurement on) shows what the net misses, in the
target's own code only: the body of the target function, not the rest of its file.
Only coverage.py's public API is used, and its own reporters write the HTML, Cobertura
XML and LCOV files a CI service displays.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.record.targets import resolve_stored
from legacy_harness.replay import replay
from legacy_harness.verify import VerifySession
from legacy_harness.widen.probe import CodeRegion, region_of


@dataclass
class TargetCoverage:
    """Line and branch coverage of one target's body by its masters."""

    target: str
    lines_total: int
    lines_covered: int
    branches_total: int
    branches_covered: int
    #: coverage.py's combined figure: (lines + branches covered) / (lines + branches).
    percent: float
    missing_lines: list[int]
    #: (from line, to line); a negative "to" is an exit from the function.
    missing_branches: list[tuple[int, int]]
    filename: str = ""
    first_line: int = 0
    last_line: int = 0
    cases: int = 0
    errors: list[str] = field(default_factory=list)
    #: lines of this target that only other targets' replays reached: not credited to
    #: this target's masters, shown apart (other target -> those lines)
    reached_via: dict[str, list[int]] = field(default_factory=dict)


#: A target's line arcs (line, next line; a negative next line exits the function).
Arcs = frozenset[tuple[int, int]]


@dataclass
class CoverageResult:
    targets: list[TargetCoverage]
    #: (target, case id) -> the arcs replaying that case took in its target's body;
    #: filled when :func:`measure_coverage` is asked ``per_case`` (the behaviour pages).
    case_arcs: dict[tuple[str, str], Arcs] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        """Combined line+branch percent over every target, as coverage.py totals it."""
        return combined_percent(
            sum(t.lines_covered for t in self.targets),
            sum(t.lines_total for t in self.targets),
            sum(t.branches_covered for t in self.targets),
            sum(t.branches_total for t in self.targets),
        )


def combined_percent(lines: int, lines_total: int, branches: int, branches_total: int) -> float:
    total = lines_total + branches_total
    return 100.0 if total == 0 else 100.0 * (lines + branches) / total


def measure_coverage(
    session: VerifySession,
    targets: list[str] | None = None,
    *,
    html: Path | None = None,
    xml: Path | None = None,
    lcov: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    per_case: bool = False,
) -> CoverageResult:
    """Replay the masters of ``targets`` (default: every target in the store) under
    coverage.py and report each target's coverage.

    ``html``, ``xml`` (Cobertura) and ``lcov`` also write coverage.py's own reports of
    the targets' files there, counting what any replay reached; ``progress`` is called
    with (cases replayed, cases in all); ``per_case`` also gives the arcs each
    replayable case takes (one coverage context per case). Runs in-process: coverage.py stacks collectors,
    so this nests under a suite that is itself measured (pytest-cov) and hands tracing
    back when done.
    """
    import coverage

    names = sorted(targets) if targets else session.store.targets()
    regions: dict[str, CodeRegion] = {
        name: region_of(resolve_stored(name, session.config)) for name in names
    }
    files = sorted({os.path.abspath(region.filename) for region in regions.values()})
    results = {name: _empty(name, regions[name]) for name in names}
    if not names:
        return CoverageResult([])
    folders = {session.store.target_dir(name) for name in names}
    total = sum(path.parent in folders for path in session.store.iter_paths())
    done = 0
    if progress:
        progress(done, total)
    cov = coverage.Coverage(branch=True, data_file=None, include=files, config_file=False)
    replayed: list[tuple[str, str]] = []
    cov.start()
    try:
        for item in session.store.iter_cases(names):
            done += 1
            if isinstance(item, GoldenFileError):
                _note_bad_file(results, item)
                continue
            entry = results[item.case.target]
            entry.cases += 1
            # "target case-id": lines count for the target replayed, and for the case
            cov.switch_context(_context(item.case.target, item.case.id))
            if item.case.replayable:
                replayed.append((item.case.target, item.case.id))
            try:
                replay(
                    item.case,
                    session.blob_reader(item.case.target),
                    session.class_policy_for(item.case.target),
                    target=session.target_of(item),
                )
            except HarnessError as error:
                entry.errors.append(f"case-{item.case.id}: {error}")
            finally:
                if progress:
                    progress(done, total)
    finally:
        cov.stop()
    with tempfile.TemporaryDirectory(prefix="legacy-harness-coverage-") as scratch:
        for name in names:
            _fill(results[name], cov, regions[name], Path(scratch) / "target.json")
    arcs = _case_arcs(cov, regions, replayed) if per_case else {}
    cov.get_data().set_query_contexts(None)  # the reports below count every replay
    if html is not None:
        cov.html_report(directory=str(html), include=files)
    if xml is not None:
        cov.xml_report(outfile=str(xml), include=files)
    if lcov is not None:
        cov.lcov_report(outfile=str(lcov), include=files)
    return CoverageResult([results[name] for name in names], arcs)


def _context(target: str, case_id: str) -> str:
    """The coverage context of one case: its target (no spaces in it), a space, its id."""
    return f"{target} {case_id}"


def _case_arcs(
    cov: Any, regions: dict[str, CodeRegion], cases: list[tuple[str, str]]
) -> dict[tuple[str, str], Arcs]:
    """The arcs each case took inside its target's body, from its own context."""
    data = cov.get_data()
    found: dict[tuple[str, str], Arcs] = {}
    for target, case_id in cases:
        region = regions[target]
        data.set_query_contexts([f"^{re.escape(_context(target, case_id))}$"])
        arcs = data.arcs(os.path.abspath(region.filename)) or []
        found[(target, case_id)] = frozenset(
            (a, b)
            for a, b in arcs
            if a > 0 and region.contains(a) and (b < 0 or region.contains(b))
        )
    return found


def _empty(name: str, region: CodeRegion) -> TargetCoverage:
    return TargetCoverage(
        name, 0, 0, 0, 0, 100.0, [], [], region.filename, region.body_first, region.last
    )


def _note_bad_file(results: dict[str, TargetCoverage], error: GoldenFileError) -> None:
    for entry in results.values():
        folder = entry.target.replace(":", os.sep).replace(".", os.sep)
        if folder in str(error.path).replace(".", os.sep):
            entry.errors.append(str(error))
            return
    next(iter(results.values())).errors.append(str(error))


def _analysis(cov: Any, filename: str, target: str, scratch: Path) -> dict[str, Any]:
    """coverage.py's own analysis of ``filename``, counting only what ran in the
    contexts of ``target``'s cases, read from its JSON report (public API: lines and branch arcs, taken
    and missed)."""
    cov.json_report(outfile=str(scratch), include=[filename], contexts=[f"^{re.escape(target)} "])
    files = json.loads(scratch.read_text(encoding="utf-8")).get("files", {})
    for reported, data in files.items():
        if os.path.abspath(reported) == filename:
            analysis: dict[str, Any] = data
            return analysis
    return {}


def _fill(entry: TargetCoverage, cov: Any, region: CodeRegion, scratch: Path) -> None:
    """Cut coverage.py's analysis of the whole file down to the target's body, counting
    only what the target's own masters reached."""
    filename = os.path.abspath(region.filename)
    data = cov.get_data()
    data.set_query_contexts(None)
    inside = region.contains
    others: dict[str, list[int]] = {}
    for line, contexts in sorted(data.contexts_by_lineno(filename).items()):
        targets = sorted({context.partition(" ")[0] for context in contexts})
        if inside(line) and entry.target not in targets:
            for target in targets:
                others.setdefault(target, []).append(line)
    entry.reached_via = others
    analysis = _analysis(cov, filename, entry.target, scratch)
    executed = analysis.get("executed_lines", [])
    missing = sorted(line for line in analysis.get("missing_lines", []) if inside(line))
    statements = {line for line in [*executed, *missing] if inside(line)}
    arcs: dict[int, int] = {}
    missing_branches = []
    for key, taken in (("executed_branches", True), ("missing_branches", False)):
        for start, end in analysis.get(key, []):
            if inside(start):
                arcs[start] = arcs.get(start, 0) + 1
                if not taken:
                    missing_branches.append((start, end))
    entry.lines_total = len(statements)
    entry.lines_covered = len(statements) - len(missing)
    entry.branches_total = sum(arcs.values())
    entry.branches_covered = entry.branches_total - len(missing_branches)
    entry.missing_lines = missing
    entry.missing_branches = sorted(missing_branches)
    entry.percent = combined_percent(
        entry.lines_covered, entry.lines_total, entry.branches_covered, entry.branches_total
    )


def excerpt(filename: str, line: int) -> str:
    """The source line, stripped, for reports (empty when the file cannot be read)."""
    import linecache

    return linecache.getline(filename, line).strip()


def describe_branch(filename: str, line: int, to: int) -> str:
    """A missing branch in words: where it starts and where it would have gone."""
    start = excerpt(filename, line)
    if to < 0:
        return f"line {line} -> exit: `{start}` never left the function from here"
    return f"line {line} -> {to}: `{start}` never went on to `{excerpt(filename, to)}`"


def render(result: CoverageResult, *, show_missing: bool = True, limit: int = 50) -> str:
    """The text report the ``coverage`` command prints."""
    lines: list[str] = []
    for entry in result.targets:
        lines.append(
            f"{entry.target}  {entry.percent:.1f}%  lines {entry.lines_covered}/{entry.lines_total}"
            f"  branches {entry.branches_covered}/{entry.branches_total}"
            f"  ({entry.cases} cases, {shown(entry.filename)}:{entry.first_line}-{entry.last_line})"
        )
        for error in entry.errors:
            lines.append(f"  could not replay: {error}")
        for other, reached in sorted(entry.reached_via.items()):
            lines.append(
                f"  reached via {other} (not counted): lines {', '.join(map(str, reached))}"
            )
        if not show_missing:
            continue
        for line in entry.missing_lines[:limit]:
            lines.append(f"  uncovered line {line}: {excerpt(entry.filename, line)}")
        for line, to in entry.missing_branches[:limit]:
            lines.append(f"  uncovered branch {describe_branch(entry.filename, line, to)}")
        hidden = max(0, len(entry.missing_lines) - limit) + max(
            0, len(entry.missing_branches) - limit
        )
        if hidden:
            lines.append(f"  ... and {hidden} more")
    lines.append(f"total {result.percent:.1f}% over {len(result.targets)} targets")
    return "\n".join(lines)
