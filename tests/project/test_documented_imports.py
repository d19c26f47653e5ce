"""Every module path the docs name exists: ``legacy_harness.x.y`` references, ``from
legacy_harness.x import a, b`` lines and ``legacy_harness/x/y.py`` file paths in
docs/*.md and README.md. A module moved without its docs fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from paths import REPO

DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
#: ``legacy_harness.a.b``, not a configuration table such as ``tool.legacy_harness.check``.
DOTTED = re.compile(r"(?<![\w.\-/])legacy_harness(?:\.[A-Za-z_]\w*)+")
FROM_IMPORT = re.compile(
    r"^\s*(?:>>> )?from (legacy_harness(?:\.\w+)*) import \(?([\w, ]+)\)?", re.MULTILINE
)
FILE_PATH = re.compile(r"(?<![\w.])legacy_harness/[\w/]+(?:\.\w+)+")


def references() -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        name = doc.relative_to(REPO).as_posix()
        found |= {(name, dotted) for dotted in DOTTED.findall(text)}
        for module, names in FROM_IMPORT.findall(text):
            found |= {(name, f"{module}.{n.strip()}") for n in names.split(",") if n.strip()}
    return sorted(found)


def resolve(dotted: str) -> Any:
    """Import the longest importable prefix of ``dotted``, then read the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as error:
            if error.name is None or not ".".join(parts[:cut]).startswith(error.name):
                raise
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise AssertionError(f"{dotted}: no part of it imports")


def test_the_docs_name_modules_at_all() -> None:
    # the patterns below must keep finding the references, or the test checks nothing
    names = {dotted for _, dotted in references()}
    assert len(names) >= 20
    assert {"legacy_harness.check.run_check", "legacy_harness.widen.measure"} <= names


@pytest.mark.parametrize(("doc", "dotted"), references())
def test_every_documented_import_path_resolves(doc: str, dotted: str) -> None:
    try:
        resolve(dotted)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"{doc} names {dotted}, which does not resolve ({error}); update the doc")


@pytest.mark.parametrize(
    ("doc", "path"),
    sorted(
        {
            (doc.relative_to(REPO).as_posix(), path)
            for doc in DOCS
            for path in FILE_PATH.findall(doc.read_text(encoding="utf-8"))
        }
    ),
)
def test_every_documented_source_file_exists(doc: str, path: str) -> None:
    assert (REPO / path).is_file(), f"{doc} names {path}, which does not exist; update the doc"


def test_a_moved_module_is_caught() -> None:
    with pytest.raises(AttributeError):
        resolve("legacy_harness.no_such_stage.thing")
    with pytest.raises(AttributeError):
        resolve("legacy_harness.check.no_such_name")
    assert resolve("legacy_harness.record") is not None
    assert Path(resolve("legacy_harness.store.codec").__file__).parent.name == "codec"
