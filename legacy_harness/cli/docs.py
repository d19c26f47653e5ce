"""``legacy-harness docs``: behaviour pages of every target, written from the masters.

It only maps flags to :mod:`legacy_harness.check.docs`: collect the facts (the cases,
replayed for coverage and the branches each takes; the input profiles; the mutation
score), then write Markdown or a static HTML site.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    known_targets,
    open_session,
    output_options,
    shown,
    store_option,
    targets_argument,
)
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode

__all__ = ["COMMAND", "DocsCommand"]


class DocsCommand:
    """``docs [TARGET ...] --out DIR [--pages markdown|html] [--format json]``; ``--format
    markdown|html`` (the older spelling of ``--pages``) still chooses the pages."""

    name: ClassVar[str] = "docs"
    help: ClassVar[str] = (
        "write behaviour pages of every target from the golden masters (Markdown or HTML)"
    )
    description: ClassVar[str] = (
        "Write one page per target from the golden masters, and an index: the signature with"
        " the types observed, examples chosen to take every branch the masters take, the"
        " exceptions and the inputs that raise them, the boundaries read and written, the"
        " calls between targets (a Mermaid graph), coverage and the mutation score, and"
        " statistics of stochastic results. The same store gives the same bytes, so the pages"
        " can be committed; 'check --docs DIR' fails when they are stale."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        targets_argument(parser)
        store_option(parser)
        parser.add_argument(
            "--out", metavar="DIR", default="docs/behaviour",
            help="folder to write the pages to (default: docs/behaviour)",
        )  # fmt: skip
        parser.add_argument(
            "--pages", choices=("markdown", "html"),
            help="the pages' format: markdown, pages a code host shows (the default); html, a"
            " static site, one page per target and an index",
        )  # fmt: skip
        output_options(
            parser, ("markdown", "html", "text", "json"),
            {
                "markdown": "Markdown pages (text report)", "html": "HTML pages (text report)",
                "text": "a one-line report", "json": "the pages written, as data",
            },
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.check.docs import collect_site, write_pages

        session = open_session(config, "docs")
        targets = known_targets(session, args.targets or None, "docs")
        site = collect_site(config, targets if args.targets else None)
        folder = Path(args.out)
        output = args.output
        pages = args.pages or (
            output.format if output.format in ("markdown", "html") else "markdown"
        )
        written = write_pages(site, folder, pages)
        if output.format == "json":
            from legacy_harness.schema import envelope

            output.json(
                {
                    **envelope(self.name, ExitCode.SAME),
                    "out": str(folder),
                    "pages_format": pages,
                    "targets": sorted(page.target for page in site.pages),
                    "written": [str(path) for path in written],
                }
            )
        else:
            output.echo(
                f"wrote {len(written)} pages ({len(site.pages)} targets and an index) to {shown(folder)}"
            )
        return ExitCode.SAME


COMMAND: Command = DocsCommand()
