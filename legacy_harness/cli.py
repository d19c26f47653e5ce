"""The ``legacy-harness`` command line: parses, delegates, sets exit codes.

Exit codes: 0 success (every case behaves the same); 1 behaviour changed (or, for
``record``, the recorded program failed); 2 usage, configuration or golden-file errors.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .config import Config, add_pythonpath, load_config
from .errors import HarnessError

if TYPE_CHECKING:
    from .verify import CaseResult

EXIT_OK, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2

#: Commands implemented next to the feature they drive. Each module defines
#: ``add_arguments(parser)`` and ``run(args, config) -> int`` (the exit code), and
#: ``DESCRIPTION``; it is imported only when its command runs or help is shown.
COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module under legacy_harness, one-line help)
    "refactor": ("cli_refactor", "apply a refactoring helper; --verify proves it keeps behaviour"),
}


class UsageError(HarnessError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="legacy-harness",
        description="Characterization testing for legacy code: record golden masters of real calls,"
        " replay them against today's code, and compare with tolerances.",
        epilog="Exit codes: 0 every case behaves the same; 1 behaviour changed; "
        "2 usage, configuration or golden-file errors.",
    )
    parser.add_argument("--version", action="version", version=f"legacy-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    record = commands.add_parser(
        "record",
        help="run a script or module and record calls of the named targets",
        description="Run a program with the named targets captured and write golden masters."
        " Usage: legacy-harness record --target MOD:QUALNAME [...] -- SCRIPT [ARGS...]"
        " or -- -m MODULE [ARGS...]",
    )
    record.add_argument(
        "--target", "-t", action="append", required=True, metavar="MOD:QUALNAME",
        help="a function or method to record, e.g. billing:compute_invoice or shop:Cart.checkout (repeatable)",
    )  # fmt: skip
    _store_option(record)
    record.add_argument(
        "--max-cases", type=_positive, metavar="N", help="cap on cases kept per target"
    )
    record.add_argument(
        "--mode", choices=("new", "all"), default="new",
        help="new: keep existing masters, add new ones (default); all: replace masters with today's behaviour",
    )  # fmt: skip
    record.add_argument(
        "--runs", type=_positive, default=1, metavar="N",
        help="after recording, replay each case N times and list fields that differ between runs",
    )  # fmt: skip

    verify = commands.add_parser(
        "verify",
        help="replay every recorded call against today's code and compare",
        description="Replay golden masters against the current code and report, per target,"
        " how many cases still behave the same, with a diff for each that does not.",
        epilog="Exit codes: 0 every case behaves the same; 1 some behaviour changed or is unstable;"
        " 2 usage, configuration or golden-file errors.",
    )
    verify.add_argument(
        "targets", nargs="*", metavar="TARGET", help="only these targets (default: all)"
    )
    _store_option(verify)
    verify.add_argument(
        "--runs", type=_positive, default=1, metavar="N",
        help="replay each case N times; fields that differ between runs are reported as unstable",
    )  # fmt: skip
    verify.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    verify.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    verify.add_argument(
        "--max-diffs", type=_positive, default=20, metavar="N", help="differences shown per case"
    )

    import importlib

    for name, (module_name, summary) in COMMANDS.items():
        module = importlib.import_module(f"legacy_harness.{module_name}")
        command = commands.add_parser(
            name, help=summary, description=getattr(module, "DESCRIPTION", summary)
        )
        module.add_arguments(command)
    return parser


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="golden store folder (default: [tool.legacy_harness] store, or tests/golden)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


# -- record ---------------------------------------------------------------------------


def _split_program(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    if "--" not in argv:
        return list(argv), []
    index = list(argv).index("--")
    return list(argv[:index]), list(argv[index + 1 :])


def _run_program(program: list[str]) -> int:
    """Run ``SCRIPT ARGS`` or ``-m MODULE ARGS`` in this process, as python would."""
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    try:
        if program[0] == "-m":
            if len(program) < 2:
                raise UsageError(
                    "legacy-harness record: '-m' needs a module name, e.g. -- -m pytest tests/"
                )
            sys.argv = [program[1], *program[2:]]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(program[1], run_name="__main__", alter_sys=True)
        else:
            script = Path(program[0])
            if not script.is_file():
                raise UsageError(f"legacy-harness record: script {program[0]!r} not found")
            sys.argv = [str(script), *program[1:]]
            sys.path.insert(0, str(script.resolve().parent))
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exit:
        code = exit.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except UsageError:
        raise
    except BaseException:  # noqa: BLE001 - report the program's failure as python would
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None and sys.path and sys.path[0] != saved_path0:
            sys.path.pop(0)
    return 0


def cmd_record(args: argparse.Namespace, program: list[str], config: Config) -> int:
    from .recorder import Recorder

    if not program:
        raise UsageError(
            "legacy-harness record: nothing to run; add '-- SCRIPT [ARGS...]' or '-- -m MODULE [ARGS...]'"
        )
    add_pythonpath(config)
    if program[0] != "-m":
        script_dir = str(Path(program[0]).resolve().parent)
        if script_dir not in sys.path:
            sys.path.insert(0, script_dir)
    recorder = Recorder(
        args.target, config.store, max_cases=args.max_cases or config.max_cases, mode=args.mode
    )
    recorder.start()
    try:
        status = _run_program(program)
    finally:
        summary = recorder.stop()
    print(summary.render(), file=sys.stderr)
    if args.runs > 1:
        _report_stability(config, [str(t.target) for t in summary.targets], args.runs)
    return EXIT_CHANGED if status else EXIT_OK


def _report_stability(config: Config, targets: list[str], runs: int) -> None:
    from .verify import UNSTABLE, VerifySession, iter_results

    session = VerifySession.open(config)
    unstable = [r for r in iter_results(session, targets, runs=runs) if r.status == UNSTABLE]
    if not unstable:
        print(f"stable: every case gave the same result in {runs} runs", file=sys.stderr)
        return
    for result in unstable:
        print(_unstable_text(result), file=sys.stderr)


# -- verify ---------------------------------------------------------------------------


def _unstable_text(result: CaseResult) -> str:
    from .report import render_text

    lines = [
        f"UNSTABLE {result.target} case-{result.case_id}: these fields differ between runs of the same code"
    ]
    lines.append(_indent(render_text(result.differences, limit=5)))
    if result.suggestion:
        lines.append("  add to pyproject.toml:")
        lines.append(_indent(result.suggestion, 4))
    return "\n".join(lines)


def _indent(text: str, width: int = 2) -> str:
    return "\n".join((" " * width + line) if line else line for line in text.splitlines())


def cmd_verify(args: argparse.Namespace, config: Config) -> int:
    from .report import render_text, supports_color, to_data
    from .verify import (
        CHANGED,
        ERROR,
        PASSED,
        SKIPPED,
        UNSTABLE,
        VerifySession,
        exit_code,
        iter_results,
        tally,
    )

    session = VerifySession.open(config)
    if not session.store.root.is_dir():
        raise UsageError(
            f"legacy-harness verify: no golden store at {session.store.root}; record first"
            " (legacy-harness record --target MOD:QUALNAME -- SCRIPT) or pass --store DIR"
        )
    results = list(iter_results(session, args.targets or None, runs=args.runs))
    if args.targets and not results:
        raise UsageError(
            f"legacy-harness verify: no cases for {', '.join(args.targets)} in {session.store.root}"
        )
    code = exit_code(results)
    if args.format == "json":
        document = {
            "exit_code": code,
            "store": str(session.store.root),
            "cases": [
                {
                    "target": r.target, "id": r.case_id, "path": str(r.path), "status": r.status,
                    "error": r.error, "differences": to_data(r.differences), "suggestion": r.suggestion,
                }
                for r in results
            ],
        }  # fmt: skip
        print(json.dumps(document, indent=2, default=str))
        return code
    color = args.color == "always" or (args.color == "auto" and supports_color(sys.stdout))
    labels = {
        PASSED: "same",
        CHANGED: "changed",
        UNSTABLE: "unstable",
        ERROR: "errors",
        SKIPPED: "not replayable",
    }
    tallies = tally(results)
    width = max((len(t.target) for t in tallies), default=0)
    for entry in tallies:
        parts = [
            f"{entry.counts[s]} {labels[s]}"
            for s in (PASSED, CHANGED, UNSTABLE, ERROR, SKIPPED)
            if entry.counts.get(s)
        ]
        print(f"{entry.target.ljust(width)}  {entry.total} cases: {', '.join(parts)}")
    for result in results:
        if result.status == CHANGED:
            print(f"\nCHANGED {result.target} case-{result.case_id} ({_shown(result.path)})")
            print(_indent(render_text(result.differences, limit=args.max_diffs, color=color)))
        elif result.status == UNSTABLE:
            print()
            print(_unstable_text(result))
        elif result.status == ERROR:
            print(f"\nERROR {result.error}")
        elif result.status == SKIPPED:
            print(f"\nSKIPPED {result.target} case-{result.case_id}: {result.error}")
    total = len(results)
    same = sum(r.status == PASSED for r in results)
    verdict = {
        0: "every case behaves the same",
        1: "behaviour changed",
        2: "some golden files could not be used",
    }
    if code == 1 and not any(r.status == CHANGED for r in results):
        verdict[1] = "some fields differ between runs of the same code; add the suggested lines"
    print(f"\n{same} of {total} cases behave the same: {verdict[code]}")
    return code


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options, program = _split_program(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(options)
        if args.command is None:
            parser.print_help()
            return EXIT_ERROR
        config = load_config().with_store(getattr(args, "store", None))
        if args.command == "record":
            return cmd_record(args, program, config)
        if program:
            raise UsageError(f"legacy-harness {args.command}: unexpected '-- {' '.join(program)}'")
        if args.command == "verify":
            return cmd_verify(args, config)
        if args.command in COMMANDS:
            import importlib

            module = importlib.import_module(f"legacy_harness.{COMMANDS[args.command][0]}")
            return int(module.run(args, config))
        raise UsageError(f"legacy-harness: unknown command {args.command!r}")
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
