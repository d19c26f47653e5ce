"""Write docs/cli.md from the parser itself, so the reference cannot drift from --help.

    python docs/gen_cli_reference.py > docs/cli.md

tests/project/test_docs.py fails when docs/cli.md differs from what this prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

INTRO = """# Command-line reference

`legacy-harness COMMAND [OPTIONS]`. Every command reads `[tool.legacy_harness]` from the
nearest `pyproject.toml` (see [configuration.md](configuration.md)) and exits 2 with a
one-line message on bad usage, configuration or golden files. This page is generated
from the commands' own `--help` (`python docs/gen_cli_reference.py > docs/cli.md`).
"""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def reference() -> str:
    os.environ["COLUMNS"] = "100"
    from legacy_harness.cli import build_parser

    parser = build_parser()
    parts = [INTRO, "```\n" + parser.format_help().rstrip() + "\n```\n"]
    for name, command in _subcommands(parser).items():
        parts.append(f"## {name}\n\n```\n{command.format_help().rstrip()}\n```\n")
        for helper, sub in _subcommands(command).items():
            parts.append(f"### {name} {helper}\n\n```\n{sub.format_help().rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(reference())
