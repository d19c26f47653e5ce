"""Behaviour pages of a store: collect the facts, write the pages, tell stale ones.

``legacy-harness docs`` writes the pages; ``check --docs DIR`` builds them again and
fails when the committed ones differ, so a page in the repository always says what the
masters say. Building is deterministic: the cases, replayed under coverage.py with one
context per case (the code paths each reaches, to choose examples that take every
branch), :func:`~legacy_harness.widen.measure.measure_coverage` for the figures, the
input profiles ``record`` kept (the calls between targets), the mutation score when
``mutate`` left one, and the samples of statistical masters.

The mutation score file, ``<store>/.legacy-harness/mutation.json``::

    {"format": 1,
     "targets": {"billing:compute_invoice":
                 {"killed": 41, "total": 45, "source_hash": "3f2a9c01d2e4b5a6"}}}

``source_hash`` is :func:`legacy_harness.record.targets.source_hash` of the target when
the score was measured; a page says so when the code has changed since.
:func:`write_mutation_score` writes one target's entry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from legacy_harness.config import Config
from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError, HarnessError, TargetError, UsageError
from legacy_harness.record.observe import Signature
from legacy_harness.record.profile import OUTSIDE, PROFILE_FOLDER, load_profiles
from legacy_harness.record.targets import (
    KIND_CLASSMETHOD,
    KIND_METHOD,
    ResolvedTarget,
    resolve_stored,
    source_hash,
)
from legacy_harness.report.pages import (
    MARKER,
    PROGRAM,
    CaseFacts,
    CoverageFacts,
    LeafStats,
    MutationFacts,
    Site,
    TargetFacts,
    build_site,
    render,
)
from legacy_harness.store.disk import StoredCase
from legacy_harness.verify import VerifySession

__all__ = [
    "MUTATION_FILE",
    "collect_site",
    "page_format",
    "read_mutation_scores",
    "stale_pages",
    "write_mutation_score",
    "write_pages",
]

MUTATION_FILE = (PROFILE_FOLDER[0], "mutation.json")
#: Uncovered branches named per page.
MISSING_SHOWN = 10
HISTOGRAM_BINS = 10


# -- the mutation score file --------------------------------------------------------------


def read_mutation_scores(root: Path) -> dict[str, dict[str, Any]]:
    """Target -> {killed, total, source_hash} from ``mutation.json``; {} when absent."""
    path = root.joinpath(*MUTATION_FILE)
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GoldenFileError(
            shown(path), f"cannot be read ({error}); run legacy-harness mutate again"
        ) from None
    if (
        not isinstance(tree, dict)
        or tree.get("format") != 1
        or not isinstance(tree.get("targets"), dict)
    ):
        raise GoldenFileError(
            shown(path), 'must be {"format": 1, "targets": {...}}; run legacy-harness mutate again'
        )
    scores: dict[str, dict[str, Any]] = {}
    for target, entry in tree["targets"].items():
        if isinstance(entry, dict) and "total" not in entry and "survived" in entry:
            # written by ``mutate`` (widen.strength): equivalent mutants are not counted
            entry = {**entry, "total": _whole(entry.get("killed")) + _whole(entry.get("survived"))}
        ok = (
            isinstance(entry, dict)
            and all(
                isinstance(entry.get(k), int) and not isinstance(entry.get(k), bool)
                for k in ("killed", "total")
            )
            and 0 <= entry["killed"] <= entry["total"]
        )
        if not ok:
            raise GoldenFileError(
                shown(path),
                f"entry {target!r} needs whole numbers killed <= total; run legacy-harness mutate again",
            )
        scores[str(target)] = dict(entry)
    return scores


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def write_mutation_score(root: Path, target: str, killed: int, total: int, source: str) -> Path:
    """Record one target's mutation score in ``mutation.json`` (others are kept)."""
    from legacy_harness.widen.strength import save_entries

    return save_entries(root, {target: {"killed": killed, "total": total, "source_hash": source}})


# -- collecting ---------------------------------------------------------------------------


def _tree(case: Any, name: str) -> Any:
    return getattr(case, name, None)


def _case_facts(stored: StoredCase, arcs: frozenset[tuple[int, int]]) -> CaseFacts:
    case = stored.case
    tape = _tree(case, "tape")  # the hermetic-replay tapes, when the store has them
    return CaseFacts(
        id=case.id,
        inputs=case.inputs,
        outcome=case.observation.outcome,
        effects=case.observation.effects,
        output=case.observation.output,
        meta=case.meta,
        tape=tuple(tape) if isinstance(tape, list) else (),
        arcs=arcs,
    )


def _regions(resolved: Mapping[str, ResolvedTarget]) -> dict[str, Any]:
    from legacy_harness.widen.probe import region_of

    regions = {}
    for name, target in resolved.items():
        try:
            regions[name] = region_of(target)
        except HarnessError:
            continue
    return regions


def _coverage_facts(
    session: VerifySession, names: list[str]
) -> tuple[dict[str, CoverageFacts], dict[tuple[str, str], frozenset[tuple[int, int]]]]:
    """Each target's coverage, and the arcs each case takes, from one replay of the masters."""
    from legacy_harness.widen.measure import describe_branch, measure_coverage

    if not names:
        return {}, {}
    result = measure_coverage(session, names, per_case=True)
    facts = {}
    for entry in result.targets:
        missing = tuple(
            describe_branch(entry.filename, line, to)
            for line, to in entry.missing_branches[:MISSING_SHOWN]
        )
        facts[entry.target] = CoverageFacts(
            round(entry.percent, 1), entry.lines_covered, entry.lines_total,
            entry.branches_covered, entry.branches_total, missing,
        )  # fmt: skip
    return facts, result.case_arcs


def _stochastic(session: VerifySession, item: StoredCase) -> list[LeafStats]:
    from legacy_harness.stochastic.masters import Distribution

    case = item.case
    if case.distribution is None:
        return []
    master = Distribution.from_tree(case.distribution, session.blob_reader(case.target))
    varying = set(master.varying) - set(master.unstable)
    stats = []
    for index, leaf in enumerate(master.numeric_names):
        if leaf not in varying:
            continue
        column = master.numeric[:, index]
        column = column[np.isfinite(column)]
        if column.size == 0:
            continue
        low, high = float(column.min()), float(column.max())
        counts, _ = np.histogram(
            column, bins=HISTOGRAM_BINS, range=(low, high if high > low else low + 1)
        )
        stats.append(
            LeafStats(
                case.id,
                leaf,
                master.runs,
                _round(column.mean()),
                _round(column.std()),
                _round(low),
                _round(high),
                tuple(int(n) for n in counts),
            )  # fmt: skip
        )
    for index, leaf in enumerate(master.categorical_names):
        if leaf not in varying:
            continue
        values, counts = np.unique(master.categorical[:, index], return_counts=True)
        ordered = sorted(
            zip(values.tolist(), counts.tolist(), strict=True), key=lambda p: (-p[1], p[0])
        )
        stats.append(
            LeafStats(
                case.id, leaf, master.runs, categories=tuple((str(v), int(n)) for v, n in ordered)
            )
        )
    return stats


def _round(value: float) -> float:
    """Six significant digits: a page must not change with the last bit of a sum."""
    return float(f"{float(value):.6g}") if math.isfinite(value) else float(value)


def _kind(target: ResolvedTarget | None) -> str:
    if target is None:
        return "target"
    return {"method": "method", "classmethod": "class method", "staticmethod": "static method"}.get(
        target.kind, "function"
    )


def collect_site(config: Config, targets: Sequence[str] | None = None) -> Site:
    """Everything the pages show about ``targets`` (default: every target in the store)."""
    session = VerifySession.open(config)
    store = session.store
    names = sorted(targets) if targets else store.targets()
    unknown = sorted(set(names) - set(store.targets()))
    if unknown:
        raise UsageError(
            f"legacy-harness docs: no cases for {', '.join(unknown)} in {store.root}; record them first"
        )
    facts = {name: TargetFacts(name) for name in names}
    stored: dict[str, list[StoredCase]] = {name: [] for name in names}
    for item in store.iter_cases(names):
        if isinstance(item, GoldenFileError):
            folder = Path(item.path).parent
            owner = facts.get(f"{folder.parent.name}:{folder.name}")
            if owner is not None:
                owner.notes.append(f"a golden file could not be read: {item}")
            continue
        stored[item.case.target].append(item)
    resolved: dict[str, ResolvedTarget] = {}
    for name in names:
        try:
            resolved[name] = resolve_stored(name, session.config)
        except (TargetError, GoldenFileError) as error:
            facts[name].notes.append(
                f"the target no longer resolves, so nothing was replayed: {error}"
            )
    regions = _regions(resolved)
    for name, target in resolved.items():
        facts[name].kind = _kind(target)
        signature = Signature.of(
            target.function, skip_first=target.kind in (KIND_METHOD, KIND_CLASSMETHOD)
        )
        facts[name].parameters, facts[name].varargs = signature.positional, signature.varargs
        if name in regions:
            region = regions[name]
            facts[
                name
            ].source = f"{shown(region.filename, config.root)}:{region.def_line}-{region.last}"
    coverage, arcs = _coverage_facts(session, sorted(regions))
    for name, measured in coverage.items():
        facts[name].coverage = measured
    try:
        profiles = load_profiles(store.root, names)
    except GoldenFileError as error:
        profiles = {}
        for target_facts in facts.values():
            target_facts.notes.append(f"input profiles could not be read: {error}")
    for name, profile in profiles.items():
        facts[name].calls = profile.calls
        facts[name].callers = {
            (PROGRAM if caller == OUTSIDE else caller): count
            for caller, count in profile.callers.items()
        }
    for name, score in read_mutation_scores(store.root).items():
        if name not in facts:
            continue
        now = source_hash(resolved[name].function) if name in resolved else None
        note = (
            "measured on an earlier version of the code"
            if score.get("source_hash") not in (None, now)
            else ""
        )
        facts[name].mutation = MutationFacts(score["killed"], score["total"], note)
    cases: dict[str, list[CaseFacts]] = {}
    for name, items in stored.items():
        cases[name] = [
            _case_facts(item, arcs.get((name, item.case.id), frozenset())) for item in items
        ]
        for item in items:
            try:
                facts[name].stochastic += _stochastic(session, item)
            except (HarnessError, KeyError, ValueError) as error:
                facts[name].notes.append(
                    f"case-{item.case.id}: its statistical master could not be read ({error})"
                )
    return build_site(cases, facts)


# -- pages on disk ------------------------------------------------------------------------


def page_format(folder: Path, requested: str | None = None) -> str:
    """The format of the pages in ``folder``: as requested, else HTML when its index is."""
    if requested:
        return requested
    if (folder / "index.html").is_file() and not (folder / "index.md").is_file():
        return "html"
    return "markdown"


def write_pages(site: Site, folder: Path, format: str = "markdown") -> list[Path]:
    """Write every page into ``folder``; pages of targets gone from the store are removed
    (only files this format would write: ``*.md`` or ``*.html``)."""
    files = render(site, format)
    folder.mkdir(parents=True, exist_ok=True)
    for old in _leftovers(folder, files, format):
        old.unlink()
    written = []
    for name, text in sorted(files.items()):
        path = folder / name
        if path.is_symlink():
            raise UsageError(f"{shown(path)} is a link; docs writes only plain files")
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    return written


def stale_pages(site: Site, folder: Path, format: str = "markdown") -> list[str]:
    """The pages of ``folder`` that differ from what the store gives now (missing, changed,
    or left from a target the store no longer has), as file names."""
    files = render(site, format)
    stale = []
    for name, text in sorted(files.items()):
        path = folder / name
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(name)
    stale += [path.name for path in _leftovers(folder, files, format)]
    return stale


def _leftovers(folder: Path, files: Mapping[str, str], format: str) -> list[Path]:
    """Pages ``docs`` wrote earlier for targets the store no longer has: files of the
    format that start with the marker line (any other file of the folder is left alone)."""
    if not folder.is_dir():
        return []
    suffix = ".html" if format == "html" else ".md"
    found = []
    for path in sorted(folder.glob(f"*{suffix}")):
        if path.name in files or path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as stream:
            head = stream.read(len(MARKER) + 32).decode("utf-8", "replace")
        if MARKER in head:
            found.append(path)
    return found
