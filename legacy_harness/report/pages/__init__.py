"""Behaviour pages: what the golden masters show about each target, for people to read.

:func:`build_site` turns the cases (their encoded trees) and what was measured beside
them into a :class:`Site`; :func:`render` writes it as Markdown (a code host shows it)
or as a static HTML site. Both are pure: the same store gives the same bytes. Collecting
the facts (replaying for coverage, reading profiles and the mutation score) is
:mod:`legacy_harness.check.docs`'s job.
"""

from __future__ import annotations

from collections.abc import Callable

from legacy_harness.errors import UsageError
from legacy_harness.report.pages import html, markdown, model
from legacy_harness.report.pages.markdown import MARKER
from legacy_harness.report.pages.model import *  # noqa: F403 - the model is this package's surface
from legacy_harness.report.pages.model import Site

__all__ = ["FORMATS", "MARKER", "render", *model.__all__]

#: Format name -> the renderer giving file name -> text for a whole site.
FORMATS: dict[str, Callable[[Site], dict[str, str]]] = {
    "markdown": markdown.render_site,
    "html": html.render_site,
}


def render(site: Site, format: str = "markdown") -> dict[str, str]:
    """File name -> text of every page of ``site`` in ``format`` (markdown or html)."""
    renderer = FORMATS.get(format)
    if renderer is None:
        raise UsageError(f"pages format {format!r} is not one of {', '.join(FORMATS)}")
    return renderer(site)
