"""The docs cannot drift: the CLI reference is --help, and every documented command and
configuration snippet is accepted by the code."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path

import pytest
from paths import REPO

from legacy_harness.cli import build_parser
from legacy_harness.compare import policy_from_config
from legacy_harness.config import config_from_table
from legacy_harness.errors import UsageError
from legacy_harness.record.redact import Redactor

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOCS = (
    sorted((REPO / "docs").glob("*.md"))
    + [REPO / "README.md"]
    + sorted((REPO / "examples").glob("*/README.md"))
)
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks(kind: str) -> list[tuple[Path, str]]:
    return [
        (doc, body) for doc in DOCS for lang, body in FENCE.findall(doc.read_text()) if lang == kind
    ]


def documented_commands() -> list[tuple[Path, str]]:
    found = []
    for doc, body in blocks("sh") + blocks("console") + blocks(""):
        text = body.replace("\\\n", " ")
        for line in text.splitlines():
            for part in re.split(r"&&|\(|\)|;", line):
                part = part.strip().removeprefix("$ ")
                if part.startswith("legacy-harness "):
                    found.append((doc, part.split("#")[0].strip()))
    return found


def test_cli_reference_is_generated_from_help() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_reference", REPO / "docs" / "gen_cli_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "docs" / "cli.md").read_text() == module.reference(), (
        "docs/cli.md is out of date: run python docs/gen_cli_reference.py > docs/cli.md"
    )


def test_docs_show_many_commands() -> None:
    commands = {shlex.split(c)[1] for _, c in documented_commands()}
    assert {
        "record",
        "verify",
        "coverage",
        "characterize",
        "refactor",
        "check",
        "approve",
        "review",
    } <= commands


@pytest.mark.parametrize(
    ("doc", "command"),
    documented_commands(),
    ids=lambda v: v.name if isinstance(v, Path) else v[:60],
)
def test_every_documented_command_parses(doc: Path, command: str) -> None:
    words = shlex.split(command)[1:]
    options = words[: words.index("--")] if "--" in words else words
    if options and options[-1] in ("--help", "-h", "--version"):
        return
    if any(re.fullmatch(r"\[?[A-Z][A-Z_:|.]*\]?(\.\.\.)?", word) for word in options):
        return  # a synopsis such as `refactor NAME [ARGS] PATH...`, not a command
    try:
        build_parser(options[0] if options else None).parse_args(options)
    except UsageError as error:
        pytest.fail(f"{doc.name}: {command!r} does not parse: {error}")


@pytest.mark.parametrize(
    ("doc", "snippet"), blocks("toml"), ids=lambda v: v.name if isinstance(v, Path) else v[:40]
)
def test_every_documented_configuration_is_accepted(
    doc: Path, snippet: str, tmp_path: Path
) -> None:
    document = tomllib.loads(snippet)
    table = document.get("tool", {}).get("legacy_harness")
    if table is None:
        return  # not a legacy-harness table (e.g. a pre-commit or CI snippet)
    config = config_from_table(table, root=tmp_path)
    policy_from_config(config.comparison_table())
    Redactor.from_config(config.table)
    if "check" in table:
        from legacy_harness.check import options_from_config

        options_from_config(config.table)
