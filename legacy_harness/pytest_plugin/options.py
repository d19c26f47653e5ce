"""The plugin's command-line options, read once into a plain :class:`RunOptions`."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from legacy_harness.outcomes import RecordMode

__all__ = ["RunOptions", "add_options", "in_ci"]


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("legacy-harness", "golden masters (legacy-harness)")
    group.addoption(
        "--golden-record",
        choices=[mode.value for mode in RecordMode],
        default=RecordMode.NONE.value,
        help="none: never write masters (default); new: create missing masters;"
        " all: rewrite every master checked. Under CI=true a missing master always fails.",
    )
    group.addoption(
        "--golden-update",
        action="store_true",
        help="rewrite the masters of the selected items that changed, from today's behaviour,"
        " and print what changed",
    )
    group.addoption("--golden-store", metavar="DIR", help="golden store (default: from pyproject)")
    group.addoption(
        "--golden-no-items", action="store_true", help="do not collect stored cases as test items"
    )
    group.addoption(
        "--golden-prune",
        action="store_true",
        help="remove unused masters (see docs/pytest-plugin.md for when they are judged)",
    )
    group.addoption(
        "--golden-warn-unused",
        action="store_true",
        help="list unused masters without failing the run (by default they fail it)",
    )
    group.addoption(
        "--golden-reporter",
        metavar="NAME",
        help="approvaltests reporter opened on a text mismatch (e.g. native, diff,"
        " PythonNative, a diff program); default: the one configured for approvaltests",
    )


def in_ci() -> bool:
    """Whether this run is a CI build, where masters are never created."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@dataclass(frozen=True)
class RunOptions:
    """What the command line and the environment ask of this run."""

    mode: RecordMode = RecordMode.NONE
    update: bool = False
    ci: bool = False
    reporter: str | None = None
    items: bool = True
    prune: bool = False
    warn_unused: bool = False
    store: str | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunOptions:
        return cls(
            mode=RecordMode(config.getoption("golden_record")),
            update=bool(config.getoption("golden_update")),
            ci=in_ci(),
            reporter=config.getoption("golden_reporter") or None,
            items=not config.getoption("golden_no_items"),
            prune=bool(config.getoption("golden_prune")),
            warn_unused=bool(config.getoption("golden_warn_unused")),
            store=config.getoption("golden_store"),
        )
