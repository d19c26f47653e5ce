"""What every command of the command line shares: options, argument types, the session.

One place, so that ``--store`` reads the same, a percentage is checked the same and a
missing store gives the same message whichever command the user ran.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

__all__ = [
    "exit_code_of",
    "known_targets",
    "open_session",
    "percent",
    "positive_float",
    "positive_int",
    "require_store",
    "shown",
    "store_option",
    "target_option",
    "targets_argument",
]

from legacy_harness.config import Config
from legacy_harness.display import shown
from legacy_harness.errors import HarnessError
from legacy_harness.outcomes import ExitCode

if TYPE_CHECKING:
    from legacy_harness.verify import VerifySession


def exit_code_of(returncode: int) -> ExitCode:
    """A child process's exit status as ours; one outside the vocabulary (a crash, a
    signal) is an error, never a pass."""
    try:
        return ExitCode(returncode)
    except ValueError:
        return ExitCode.ERROR


def store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="golden store folder (default: [tool.legacy_harness] store, or tests/golden)",
    )


def target_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--target/-t MOD:QUALNAME``, repeatable and required."""
    parser.add_argument(
        "--target", "-t", action="append", required=True, metavar="MOD:QUALNAME", help=help
    )


def targets_argument(parser: argparse.ArgumentParser) -> None:
    """Optional positional targets; none means every target of the store."""
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET", help="only these targets (default: all)"
    )


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return value


def require_store(config: Config, command: str) -> None:
    """A command that reads masters needs a store; say how to get one."""
    if not config.store.is_dir():
        raise HarnessError(
            f"legacy-harness {command}: no golden store at {config.store}; record first"
            " (legacy-harness record --target MOD:QUALNAME -- SCRIPT) or pass --store DIR"
        )


def open_session(config: Config, command: str) -> VerifySession:
    """The verify session a command works on; a missing store is a usage error."""
    from legacy_harness.verify import VerifySession

    require_store(config, command)
    return VerifySession.open(config)


def known_targets(session: VerifySession, targets: list[str] | None, command: str) -> list[str]:
    """The targets to work on: those named (which must have cases), or all in the store."""
    stored = session.store.targets()
    if not targets:
        if not stored:
            raise HarnessError(
                f"legacy-harness {command}: the store {session.store.root} has no cases; record first"
            )
        return stored
    missing = [t for t in targets if t not in stored]
    if missing:
        raise HarnessError(
            f"legacy-harness {command}: no cases for {', '.join(missing)} in {session.store.root};"
            " record them first or check the name (module:qualname)"
        )
    return list(targets)
