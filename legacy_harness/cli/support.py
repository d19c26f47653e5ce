"""What every command of the command line shares: options, argument types, the session.

One place, so that ``--store`` reads the same, a percentage is checked the same, a
missing store gives the same message, and ``-q``, ``-v``, ``--color``, ``--format`` and
``--max-cases`` mean the same whichever command the user ran. ``build_parser`` gives
every command :func:`common_options`; a command that writes JSON adds
:func:`output_options` with its formats and reads its choices from ``args.output`` (a
:class:`~legacy_harness.terminal.Output`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

__all__ = [
    "PATTERN_FORMS",
    "case_count",
    "common_options",
    "exclude_option",
    "exit_code_of",
    "jobs_count",
    "known_targets",
    "max_cases_option",
    "open_session",
    "output_options",
    "percent",
    "positive_float",
    "positive_int",
    "require_store",
    "shown",
    "store_option",
    "target_option",
    "targets_argument",
    "targets_to_record",
]

from legacy_harness.config import Config
from legacy_harness.display import shown
from legacy_harness.errors import ConfigError, HarnessError, UsageError
from legacy_harness.outcomes import ExitCode
from legacy_harness.store.layout import TargetPattern
from legacy_harness.terminal import COLOR_MODES, DEFAULT_MAX_CASES

if TYPE_CHECKING:
    from legacy_harness.verify import VerifySession

_N = TypeVar("_N", int, float)


def exit_code_of(returncode: int) -> ExitCode:
    """A child process's exit status as ours; one outside the vocabulary (a crash, a
    signal) is an error, never a pass."""
    try:
        return ExitCode(returncode)
    except ValueError:
        return ExitCode.ERROR


def _add(parser: argparse.ArgumentParser, *flags: str, **kwargs: object) -> None:
    """Add an option unless the command already defines one of its flags (its own wins)."""
    try:
        parser.add_argument(*flags, **kwargs)  # type: ignore[arg-type]
    except argparse.ArgumentError:
        pass


def common_options(parser: argparse.ArgumentParser) -> None:
    """``-q``, ``-v`` and ``--color``: every command has them (``build_parser`` adds
    them after the command's own options). They leave nothing in ``args`` when not
    given, so a nested parser (``refactor NAME``) never resets what its parent read."""
    _add(
        parser, "-q", "--quiet", action="count", default=argparse.SUPPRESS,
        help="less output: the verdict and one line per finding, no progress line",
    )  # fmt: skip
    _add(
        parser, "-v", "--verbose", action="count", default=argparse.SUPPRESS,
        help="more output: every case and detail in full",
    )  # fmt: skip
    _add(
        parser, "--color", choices=COLOR_MODES, default=argparse.SUPPRESS,
        help="colour the output: auto (on a terminal, unless NO_COLOR is set or FORCE_COLOR"
        " forces it; the default), always or never",
    )  # fmt: skip


def output_options(
    parser: argparse.ArgumentParser,
    formats: tuple[str, ...] = ("text", "json"),
    what: Mapping[str, str] | None = None,
) -> None:
    """``--format`` with the formats the command writes (``what`` says what each is
    for), then :func:`common_options`.

    Not given, the format is ``github`` under GitHub Actions when the command offers it,
    else ``text`` (see :func:`~legacy_harness.terminal.default_format`); the command
    reads the choice as ``args.output.format``.
    """
    default = "text" + (", or github under GitHub Actions" if "github" in formats else "")
    listed = "; ".join(f"{name}: {what[name]}" for name in formats) if what else ", ".join(formats)
    _add(
        parser, "--format", choices=formats, default=None,
        help=f"output format ({listed}; default: {default}); json documents follow the"
        " schema shipped in legacy_harness/schema",
    )  # fmt: skip
    parser.set_defaults(output_formats=tuple(formats))
    common_options(parser)


def max_cases_option(parser: argparse.ArgumentParser) -> None:
    """``--max-cases N``: how many cases a report shows before it only counts them."""
    _add(
        parser, "--max-cases", type=positive_int, default=DEFAULT_MAX_CASES, metavar="N",
        help=f"cases shown in the report, in full or by name (default {DEFAULT_MAX_CASES});"
        " identical differences are grouped, -v shows every case",
    )  # fmt: skip


def store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="golden store folder (default: [tool.legacy_harness] store, or tests/golden)",
    )


#: What a target pattern may be, for help texts.
PATTERN_FORMS = "a module (shop), a class (shop:Cart), one function or method, or a glob (billing:compute_*, pkg.**)"


def target_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--target/-t PATTERN``, repeatable; none means ``targets = [...]`` of the config."""
    parser.add_argument(
        "--target", "-t", action="append", default=[], metavar="PATTERN",
        help=f"{help}: {PATTERN_FORMS} (repeatable; default: targets = [...] in [tool.legacy_harness])",
    )  # fmt: skip
    exclude_option(parser)


def exclude_option(parser: argparse.ArgumentParser) -> None:
    """``--exclude PATTERN``, repeatable: targets the named patterns leave out."""
    _add(
        parser, "--exclude", action="append", default=[], metavar="PATTERN",
        help="leave out the targets PATTERN names, e.g. shop:Cart.debug or legacy.** (repeatable)",
    )  # fmt: skip


def targets_argument(parser: argparse.ArgumentParser) -> None:
    """Optional positional target patterns and ``--exclude``; none means every target
    of the store."""
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET",
        help=f"only these targets: {PATTERN_FORMS} (default: every target in the store)",
    )  # fmt: skip
    exclude_option(parser)


def targets_to_record(args: argparse.Namespace, config: Config, command: str) -> list[str]:
    """The patterns a command that runs code works on: ``--target``, else ``targets =
    [...]`` of the config; a usage error naming both when neither is given."""
    named = list(args.target) or list(config.targets)
    if not args.target:  # a bad pattern in pyproject.toml is reported against the file
        where = f"{shown(config.source)}: [tool.legacy_harness]" if config.source else "config"
        for key, patterns in (("targets", config.targets), ("exclude", config.exclude)):
            for pattern in patterns:
                try:
                    TargetPattern.parse(pattern)
                except HarnessError as error:
                    raise ConfigError(f"{where} {key}: {error}") from None
    if not named:
        raise UsageError(
            f"legacy-harness {command}: no targets; pass --target PATTERN (e.g. --target shop"
            ' or --target billing:compute_invoice) or set targets = ["shop"] in'
            " [tool.legacy_harness] of pyproject.toml"
        )
    return named


def _parsed(text: str, convert: Callable[[str], _N], what: str) -> _N:
    """``convert(text)``; an argparse error saying the flag's value is not ``what``."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def positive_int(text: str) -> int:
    value = _parsed(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def jobs_count(text: str) -> int:
    """``--jobs N``: N worker processes; 0 means one per CPU."""
    value = _parsed(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 (one per CPU) or more")
    return value or (os.cpu_count() or 1)


def positive_float(text: str) -> float:
    value = _parsed(text, float, "a number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def percent(text: str) -> float:
    value = _parsed(text, lambda t: float(t.rstrip("%")), "a percentage")
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return value


def require_store(config: Config, command: str) -> None:
    """A command that reads masters needs a store; say how to get one."""
    if not config.store.is_dir():
        raise HarnessError(
            f"legacy-harness {command}: no golden store at {config.store}; record first"
            " (legacy-harness record --target PATTERN -- SCRIPT) or pass --store DIR"
        )


def open_session(config: Config, command: str) -> VerifySession:
    """The verify session a command works on; a missing store is a usage error."""
    from legacy_harness.verify import VerifySession

    require_store(config, command)
    return VerifySession.open(config)


def case_count(session: VerifySession, targets: list[str] | None = None) -> int:
    """How many case files a run over ``targets`` (default: all) will judge, counted
    from the folders without opening a file: the total a progress line needs."""
    store = session.store
    folders = {store.target_dir(t) for t in targets} if targets else None
    return sum(folders is None or path.parent in folders for path in store.iter_paths())


def known_targets(
    session: VerifySession,
    targets: list[str] | None,
    command: str,
    exclude: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """The targets to work on: the store's targets the patterns name (each pattern must
    name one), or all in the store; less those ``exclude`` names. Matched by name, so
    nothing is imported to decide."""
    stored = session.store.targets()
    if not stored:
        raise HarnessError(
            f"legacy-harness {command}: the store {session.store.root} has no cases; record first"
        )
    chosen = stored
    if targets:
        chosen, missing = [], []
        for text in targets:
            pattern = TargetPattern.parse(text)
            hits = [target for target in stored if pattern.matches(target)]
            chosen += hits
            if not hits:
                missing.append(text)
        if missing:
            raise HarnessError(
                f"legacy-harness {command}: no cases for {', '.join(missing)} in {session.store.root};"
                " record them first or check the name (module, module:Class or module:qualname)"
            )
    excluded = [TargetPattern.parse(text) for text in exclude]
    left = [t for t in dict.fromkeys(chosen) if not any(p.matches(t) for p in excluded)]
    if not left:
        raise HarnessError(
            f"legacy-harness {command}: --exclude {' '.join(exclude)} leaves no target; exclude less"
        )
    return left
