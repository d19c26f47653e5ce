"""Widen the net of golden masters: see what they miss, fill the holes, keep it lean.

- :mod:`.measure`: line and branch coverage of each target by its masters (coverage.py);
- :mod:`.characterize`: Hypothesis-generated cases for the code the masters miss, plus
  boundary cases around the target's comparisons;
- :mod:`.minimize`: the smallest set of cases that keeps coverage and outcome kinds;
- :mod:`.mutate`: mutation testing, how many small changes the masters would notice.
"""

from __future__ import annotations

import argparse

from ..config import Config
from ..errors import HarnessError
from ..verify import VerifySession


def open_session(config: Config, command: str) -> VerifySession:
    """The session a widen command works on; a missing store is a usage error."""
    session = VerifySession.open(config)
    if not session.store.root.is_dir():
        raise HarnessError(
            f"legacy-harness {command}: no golden store at {session.store.root}; record first"
            " (legacy-harness record --target MOD:QUALNAME -- SCRIPT) or pass --store DIR"
        )
    return session


def store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="golden store folder (default: [tool.legacy_harness] store, or tests/golden)",
    )


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
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return value
