"""docs/docs-and-drift.md shows a page and a drift report as the commands produce them today."""

from __future__ import annotations

import importlib.util

from paths import REPO


def test_the_document_holds_what_docs_and_drift_print() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_docs_and_drift", REPO / "docs" / "gen_docs_and_drift.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.document()
    assert (
        "#### Examples" in expected
        and "MOVED scoring:score_applicant applicant['income']" in expected
    )
    assert (REPO / "docs" / "docs-and-drift.md").read_text(encoding="utf-8") == expected, (
        "docs/docs-and-drift.md is out of date: run"
        " python docs/gen_docs_and_drift.py > docs/docs-and-drift.md"
    )
