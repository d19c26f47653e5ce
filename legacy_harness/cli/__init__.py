"""The ``legacy-harness`` command line: the command table, the parser and ``main``.

Each command is a class keeping :class:`~legacy_harness.cli.command.Command`, in its own
module. The table below names that module and carries the command's one-line help, so
``--help`` and ``--version`` import no command module (nor numpy) and running a
command imports only its own. Exit codes are :class:`~legacy_harness.outcomes.ExitCode`.

Output is one layer for every command: :func:`build_parser` gives each ``-q``, ``-v``
and ``--color`` (:func:`~legacy_harness.cli.support.common_options`), :func:`main`
hands the command its choices as ``args.output`` (a
:class:`~legacy_harness.terminal.Output`), ends quietly on a closed pipe, writes ASCII
to a console that cannot take more, and answers ``--format json`` with a JSON document
even when the command fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from legacy_harness import __version__
from legacy_harness.cli.command import Command
from legacy_harness.errors import HarnessError, UsageError
from legacy_harness.outcomes import ExitCode
from legacy_harness.terminal import Output, quiet_broken_pipe, safe_output, terminal_columns

__all__ = ["COMMANDS", "Entry", "build_parser", "load_command", "main"]


class Entry(NamedTuple):
    """One line of the command table: where the command lives and what it does."""

    #: the module whose ``COMMAND`` implements it
    module: str
    #: the line ``legacy-harness --help`` shows (the command's ``help``; a test keeps them equal)
    help: str
    #: whether it runs a program given after ``--``
    program: bool = False


#: Every command, in the order ``--help`` lists them.
COMMANDS: dict[str, Entry] = {
    "record": Entry(
        "legacy_harness.cli.record",
        "run a script or module and record calls of the named targets",
        program=True,
    ),
    "verify": Entry(
        "legacy_harness.cli.verify", "replay every recorded call against today's code and compare"
    ),
    "coverage": Entry(
        "legacy_harness.cli.coverage",
        "line and branch coverage of each target by its golden masters",
    ),
    "characterize": Entry(
        "legacy_harness.cli.characterize", "generate cases for the code the golden masters miss"
    ),
    "minimize": Entry(
        "legacy_harness.cli.minimize",
        "keep the fewest cases that preserve coverage and outcome kinds",
    ),
    "mutate": Entry(
        "legacy_harness.cli.mutate", "mutation testing: which small changes would the masters miss"
    ),
    "check": Entry(
        "legacy_harness.cli.check",
        "the CI gate: verify every master in parallel and enforce policies",
    ),
    "merge-reports": Entry(
        "legacy_harness.cli.merge_reports",
        "join the JSON and JUnit reports of check --shard runs into one",
    ),
    "review": Entry(
        "legacy_harness.cli.review",
        "walk changed and unreviewed cases: diff, then accept, reject, skip",
    ),
    "approve": Entry(
        "legacy_harness.cli.approve", "mark cases reviewed; changed masters take today's behaviour"
    ),
    "refactor": Entry(
        "legacy_harness.cli.refactor",
        "apply a refactoring helper; --verify proves it keeps behaviour",
    ),
    "docs": Entry(
        "legacy_harness.cli.docs",
        "write behaviour pages of every target from the golden masters (Markdown or HTML)",
    ),
    "drift": Entry(
        "legacy_harness.cli.drift",
        "run production work observed and compare its inputs with the recorded",
        program=True,
    ),
}


#: The files an interrupted refactoring leaves in the project root (the journal and its
#: temporary copy; see legacy_harness.refactor.journal, whose names a test keeps equal):
#: looked for here so that a run with nothing to roll back never imports the journal.
JOURNAL_FILES = (".legacy-harness-journal", ".legacy-harness-journal.tmp")


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, as wide as it would make itself (the terminal, less
    two), measured without importing shutil: a formatter is made for every option."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def load_command(name: str) -> Command:
    """The ``COMMAND`` of ``name``'s module, imported now: the only place one is imported.

    ``__import__`` rather than ``importlib.import_module``: only the import statement's
    path is seen by ``python -X importtime``, which the start-up test reads.
    """
    module = __import__(COMMANDS[name].module, fromlist=["COMMAND"])
    return cast(Command, module.COMMAND)


def build_parser(
    selected: str | None = None, *, table_only: bool = False, alone: bool = False
) -> argparse.ArgumentParser:
    """The parser of the whole command line.

    Every command gets its options, which imports every command module, unless
    ``selected`` names the one command that gets them or ``table_only`` gives none: a
    command without options is just its line of the table, which is all ``--help``,
    ``--version`` and a mistyped command name need. ``alone`` leaves out the other
    commands altogether: running a command needs no parser of the twelve others.
    """
    parser = _Parser(
        prog="legacy-harness",
        description="Characterization testing for legacy code: record golden masters of real calls,"
        " replay them against today's code, and compare with tolerances.",
        epilog="Exit codes: 0 every case behaves the same; 1 behaviour changed; "
        "2 usage, configuration or golden-file errors; 3 policy failures (check).",
    )
    parser.add_argument("--version", action="version", version=f"legacy-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, entry in COMMANDS.items():
        if alone and name != selected:
            continue
        if table_only or (selected is not None and name != selected):
            commands.add_parser(name, help=entry.help)
            continue
        from legacy_harness.cli.support import common_options

        command = load_command(name)
        sub = commands.add_parser(name, help=entry.help, description=command.description)
        command.add_arguments(sub)
        common_options(sub)
    return parser


def _split_program(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """The harness's own words, and the program's after ``--``."""
    if "--" not in argv:
        return list(argv), []
    index = list(argv).index("--")
    return list(argv[:index]), list(argv[index + 1 :])


def main(argv: Sequence[str] | None = None) -> ExitCode:
    """Run one command line; a user's mistake is one ``error:`` line and exit code 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    options, program = _split_program(argv)
    selected = next((word for word in options if not word.startswith("-")), None)
    known = selected in COMMANDS
    parser = build_parser(selected, table_only=not known, alone=known)
    safe_output()
    with quiet_broken_pipe():
        return _run(parser, options, program)


def _run(parser: argparse.ArgumentParser, options: list[str], program: list[str]) -> ExitCode:
    output: Output | None = None
    command = ""
    try:
        args = parser.parse_args(options)
        if args.command is None:
            parser.print_help()
            return ExitCode.ERROR
        command = args.command
        args.argv = options[1:]
        args.program = program
        output = args.output = Output.from_args(args)
        if hasattr(args, "output_formats"):
            args.format = output.format  # the default, resolved (github under GitHub Actions)
        from legacy_harness.config import load_config

        config = load_config(keep=True).with_store(getattr(args, "store", None))
        if any(os.path.lexists(config.root / name) for name in JOURNAL_FILES):
            from legacy_harness.refactor.journal import recover

            recover(config.root)  # roll back a refactoring killed half-way, before anything reads
        if program and not COMMANDS[args.command].program:
            raise UsageError(f"legacy-harness {args.command}: unexpected '-- {' '.join(program)}'")
        return load_command(args.command).run(args, config)
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        if output is not None and output.format == "json":
            from legacy_harness.schema import envelope

            output.json({**envelope(command, ExitCode.ERROR), "error": str(error)})
        return ExitCode.ERROR
