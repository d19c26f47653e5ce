"""The package reads as the flow record -> store -> replay -> compare -> report.

These facts are checked on the source (AST), like ``../shared/tools/structure.py``:
layers import only downward, no module borrows another module's private names, no
module grows past 1,000 lines, and the modules every pytest run or ``--help`` loads stay
free of numpy.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import REPO

PACKAGE = REPO / "legacy_harness"

#: Stage of each top-level name under ``legacy_harness``.
STAGES: dict[str, str] = {
    "errors": "base",
    "outcomes": "base",
    "config": "base",
    "display": "base",
    "objects": "base",
    "terminal": "base",
    "parallel": "base",
    "lazy": "base",
    "values": "base",
    "schema": "base",
    "store": "store",
    "compare": "compare",
    "report": "report",
    "record": "record",
    "replay": "replay",
    "verify": "verify",
    "check": "tools",
    "review": "tools",
    "stochastic": "tools",
    "widen": "tools",
    "refactor": "tools",
    "strategies": "tools",
    "approvals": "tools",
    "drift": "tools",
    "cli": "front",
    "pytest_plugin": "front",
    "__main__": "front",
}

#: What each stage may import (its own stage included).
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "store": {"base", "store"},
    "compare": {"base", "compare"},
    "report": {"base", "compare", "report"},
    "record": {"base", "store", "record"},
    "replay": {"base", "store", "record", "replay"},
    "verify": {"base", "store", "record", "replay", "compare", "report", "verify"},
    "tools": {"base", "store", "record", "replay", "compare", "report", "verify", "tools"},
    "front": set(STAGES.values()),
}

#: Modules loaded by every pytest run of a project and by ``legacy-harness --help``.
LIGHT = [
    "errors",
    "outcomes",
    "config",
    "display",
    "objects",
    "terminal",
    "values",
    "store/layout",
    "cli/__init__",
    "cli/command",
    "pytest_plugin/__init__",
]


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(("legacy_harness", *parts)), path


def imports(module: str, path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names, line) for every import, lazy ones included."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno


def stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "legacy_harness" or len(parts) < 2:
        return None
    return STAGES.get(parts[1], "unknown")


def test_every_top_level_module_has_a_stage() -> None:
    for module, _ in modules():
        assert stage(module) != "unknown", f"{module}: add it to STAGES in this test"


def test_layers_import_only_downward() -> None:
    wrong = []
    for module, path in modules():
        mine = stage(module)
        if mine is None:  # the package's lazy public API
            continue
        for target, names, line in imports(module, path):
            for name in names or [""]:
                full = f"{target}.{name}" if name else target
                theirs = stage(full) if stage(full) not in (None, "unknown") else stage(target)
                if theirs is not None and theirs not in MAY_IMPORT[mine]:
                    wrong.append(
                        f"{path.relative_to(PACKAGE)}:{line} ({mine}) imports {full} ({theirs})"
                    )
    assert not wrong, "\n".join(wrong)


def test_no_private_name_is_borrowed_across_modules() -> None:
    known = {module for module, _ in modules()}
    borrowed = []
    for module, path in modules():
        for target, names, line in imports(module, path):
            if not target.startswith("legacy_harness"):
                continue
            for name in names:
                if not name.startswith("_") or name.startswith("__") or f"{target}.{name}" in known:
                    continue
                own_helper = target.rsplit(".", 1)[-1].startswith("_") and (
                    target.rsplit(".", 1)[0] == module.rsplit(".", 1)[0]
                )
                if not own_helper:  # a package's private helper module serves its package
                    borrowed.append(
                        f"{path.relative_to(PACKAGE)}:{line} imports {name} from {target}"
                    )
    assert not borrowed, "\n".join(borrowed)


def test_no_module_is_over_a_thousand_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE)}: {n} lines"
        for _, path in modules()
        if (n := path.read_text(encoding="utf-8").count("\n")) > 1000
    ]
    assert not long, "\n".join(long)


@pytest.mark.parametrize("name", LIGHT)
def test_light_modules_import_no_numpy_at_load(name: str) -> None:
    path = PACKAGE / f"{name}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    heavy = {"numpy", "pandas", "scipy", "libcst", "hypothesis", "coverage"}
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    found = []
    for node in top_level:
        names = (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        found += [n for n in names if n.split(".")[0] in heavy]
    assert not found, f"{name} imports {found} at load time"


def test_every_vocabulary_is_defined_in_outcomes() -> None:
    """A word written to files and JSON is one ``Vocabulary`` (a ``(str, Enum)``) in
    ``outcomes.py``, so commands, reports and tests name it the same way."""
    elsewhere = []
    for _, path in modules():
        if path == PACKAGE / "outcomes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
            if "Vocabulary" in bases or {"str", "Enum"} <= bases or "StrEnum" in bases:
                elsewhere.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not elsewhere, "move these to legacy_harness/outcomes.py:\n" + "\n".join(elsewhere)
