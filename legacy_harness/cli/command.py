"""The contract every ``legacy-harness`` command keeps.

A command is a class, in the manner of LibCST's codemod commands: it declares its name
and help, adds its own options, and does its work in ``run``, returning an ``ExitCode``.
Each lives in its own module under ``legacy_harness.cli`` as a module-level ``COMMAND``
instance; the command table in ``legacy_harness.cli`` names the module, so ``--help``
and ``--version`` load none of them and running one loads only that one.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.config import Config
    from legacy_harness.outcomes import ExitCode


@runtime_checkable
class Command(Protocol):
    """One subcommand of ``legacy-harness``."""

    #: the word typed after ``legacy-harness``
    name: ClassVar[str]
    #: one line for the command table of ``legacy-harness --help``
    help: ClassVar[str]
    #: the paragraph ``legacy-harness NAME --help`` starts with
    description: ClassVar[str]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this command's options and positional arguments to ``parser``."""

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        """Do the work. ``args.program`` holds the words after ``--`` (empty if none);
        ``args.argv`` the words after the command's name, to run it again in a subprocess."""
