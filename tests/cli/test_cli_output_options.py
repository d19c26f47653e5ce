"""Every command takes -q, -v and --color from the one place that defines them; the
commands that write JSON say so in --help."""

from __future__ import annotations

import argparse

import pytest

from legacy_harness.cli import COMMANDS, build_parser
from legacy_harness.cli.support import common_options, output_options

#: Commands that write a JSON document (the rest adopt output_options when they do).
JSON_COMMANDS = ["verify", "coverage", "minimize", "check", "review", "approve"]


def help_of(name: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser(name).parse_args([name, "--help"])
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_quiet_verbose_and_color(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(name, capsys)
    assert (
        "-q, --quiet" in text and "-v, --verbose" in text and "--color {auto,always,never}" in text
    )


@pytest.mark.parametrize("name", JSON_COMMANDS)
def test_json_is_a_format_of(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "json" in help_of(name, capsys).split("--format {", 1)[1].split("}", 1)[0]


def test_refactor_helpers_take_the_options_after_their_arguments() -> None:
    parser = build_parser("refactor")
    args = parser.parse_args(
        ["refactor", "rename", "--old", "a:b", "--new", "c", "a.py", "-q", "--format", "json"]
    )
    assert args.quiet == 1 and args.format == "json"
    args = parser.parse_args(["refactor", "-v", "rename", "--old", "a:b", "--new", "c", "a.py"])
    assert args.verbose == 1 and not hasattr(args, "quiet")  # the helper did not reset it


def test_a_command_keeps_its_own_definition_of_a_common_option() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--color", choices=("yes", "no"), default="yes")
    common_options(parser)
    assert parser.parse_args([]).color == "yes"
    assert parser.parse_args(["-qq"]).quiet == 2


def test_output_options_name_the_formats_and_leave_the_default_to_the_run() -> None:
    parser = argparse.ArgumentParser()
    output_options(
        parser, ("text", "json", "github"), {"text": "people", "json": "tools", "github": "CI"}
    )
    args = parser.parse_args([])
    assert args.format is None and args.output_formats == ("text", "json", "github")
    assert "github under GitHub Actions" in " ".join(parser.format_help().split())
    with pytest.raises(SystemExit):
        parser.parse_args(["--format", "yaml"])
