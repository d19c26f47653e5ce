"""The output formats of a check run, each behind one :class:`Reporter` protocol.

In the manner of coverage.py's reporters: one module per format, each a class with a
``report(report, stream)`` method, chosen by name from :data:`FORMATS`. A format's module
is imported only when it is used, so a text run never loads the XML machinery, and the
command line only maps ``--format`` and ``--junit-xml`` to :func:`get_reporter` and
:func:`write_report`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from legacy_harness.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.check.model import CheckReport

__all__ = ["FORMATS", "Reporter", "get_reporter", "write_report"]


@runtime_checkable
class Reporter(Protocol):
    """Writes a whole :class:`~legacy_harness.check.model.CheckReport` to a text stream."""

    #: the word given to ``--format``
    name: ClassVar[str]

    def report(self, report: CheckReport, stream: IO[str]) -> None:
        """Write ``report`` to ``stream`` (which the caller opened and will close)."""


#: name -> (module, class, what it is for). The order is the order of ``--format`` choices.
FORMATS: dict[str, tuple[str, str, str]] = {
    "text": ("legacy_harness.check.formats.text", "TextReporter", "for people"),
    "json": ("legacy_harness.check.formats.json", "JsonReporter", "for tools"),
    "github": (
        "legacy_harness.check.formats.github",
        "GitHubReporter",
        "workflow annotations and a job summary for GitHub Actions",
    ),
    "junit": ("legacy_harness.check.formats.junit", "JUnitReporter", "JUnit XML for any CI"),
}


def get_reporter(name: str, **options: Any) -> Reporter:
    """The reporter of format ``name``, made with ``options`` (its defaults for the rest;
    the text and GitHub reporters take ``max_cases``, ``verbosity`` and ``color``)."""
    try:
        module_name, class_name, _ = FORMATS[name]
    except KeyError:
        raise UsageError(
            f"unknown report format {name!r}; choose one of {', '.join(FORMATS)}"
        ) from None
    reporter: Reporter = getattr(importlib.import_module(module_name), class_name)(**options)
    return reporter


def write_report(report: CheckReport, name: str, path: Path) -> None:
    """Write ``report`` in format ``name`` to the file ``path`` (folders created)."""
    reporter = get_reporter(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        reporter.report(report, stream)
