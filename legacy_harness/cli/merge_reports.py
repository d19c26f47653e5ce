"""``legacy-harness merge-reports``: one report from the shards of a CI matrix.

Each job of the matrix runs ``check --shard K/N --format json > shard-K.json
--junit-xml shard-K.xml``; a last job downloads them and runs this command, which joins
the JSON reports into one check document and the JUnit files into one JUnit file
(:mod:`legacy_harness.check.merge`) and exits with the worst shard's exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.config import Config
from legacy_harness.errors import UsageError
from legacy_harness.outcomes import ExitCode

__all__ = ["COMMAND", "MergeReportsCommand"]


class MergeReportsCommand:
    """``merge-reports FILE [FILE ...]``: JSON files joined to stdout (or ``--output``),
    JUnit files (``.xml``) to ``--junit-xml``."""

    name: ClassVar[str] = "merge-reports"
    help: ClassVar[str] = "join the JSON and JUnit reports of check --shard runs into one"
    description: ClassVar[str] = (
        "Join the reports of 'check --shard K/N' runs (a CI matrix) as if one run had"
        " checked the whole store: JSON reports (check --format json) into one check"
        " document, JUnit files (check --junit-xml, named *.xml) into one JUnit file."
        " Exits with the worst of the shards' exit codes (2, then 1, then 5, then 3)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "reports", nargs="+", metavar="FILE",
            help="shard reports: *.json from check --format json, *.xml from check --junit-xml",
        )  # fmt: skip
        parser.add_argument(
            "--output", "-o", metavar="PATH", dest="into",
            help="write the joined JSON report to PATH (default: standard output)",
        )  # fmt: skip
        parser.add_argument(
            "--junit-xml", metavar="PATH",
            help="write the joined JUnit report to PATH (needed when FILEs include *.xml)",
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        import json

        from legacy_harness.check.merge import merge_json, merge_junit, worst

        files = [Path(name) for name in args.reports]
        xml = [path for path in files if path.suffix.lower() == ".xml"]
        documents = [path for path in files if path.suffix.lower() != ".xml"]
        if xml and not args.junit_xml:
            raise UsageError(
                "legacy-harness merge-reports: JUnit files given; name the joined file with"
                " --junit-xml PATH"
            )
        if args.into and not documents:
            raise UsageError("legacy-harness merge-reports: --output needs JSON reports to join")
        codes = []
        if documents:
            merged = merge_json(documents)
            text = json.dumps(merged.document, indent=2, default=str) + "\n"
            if args.into:
                _write(Path(args.into), text)
            else:
                sys.stdout.write(text)
            codes.append(merged.exit_code)
        if xml:
            joined = merge_junit(xml)
            _write(Path(args.junit_xml), joined.text)
            codes.append(joined.exit_code)
        code = worst(codes)
        print(
            f"merged {len(documents)} JSON and {len(xml)} JUnit report(s): exit {int(code)}",
            file=sys.stderr,
        )
        return code


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


COMMAND: Command = MergeReportsCommand()
