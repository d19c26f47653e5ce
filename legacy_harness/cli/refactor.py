"""``legacy-harness refactor NAME [ARGS] PATH...``: diff by default, --apply, --verify."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import output_options, store_option
from legacy_harness.config import Config, add_pythonpath
from legacy_harness.errors import HarnessError
from legacy_harness.outcomes import ExitCode

if TYPE_CHECKING:
    from legacy_harness.refactor.loop import LoopResult

#: What the command line adds to the namespace; the rest is the helper's own arguments.
_LOOP_OPTIONS = (
    "apply", "verify", "paths", "store", "command", "helper", "argv", "program",
    "output", "output_formats", "format", "quiet", "verbose", "color",
)  # fmt: skip


class RefactorCommand:
    """``refactor NAME [ARGS] PATH...``: each helper is a LibCST codemod, proved by replay."""

    name: ClassVar[str] = "refactor"
    help: ClassVar[str] = "apply a refactoring helper; --verify proves it keeps behaviour"
    description: ClassVar[str] = (
        "Apply a refactoring helper (a libcst codemod) to PATH files. Prints a unified diff and"
        " changes nothing unless --apply; --verify replays, before and after, the golden masters of"
        " the changed files' targets and every master whose replay reaches a changed file, and"
        " restores the files (and the masters migrated with them) byte for byte if any behaviour"
        " changed."
        " Exit codes: 0 done (or safe); 1 behaviour changed, files restored; 2 refused or bad usage."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from legacy_harness.refactor import HELPERS

        helpers = parser.add_subparsers(dest="helper", metavar="NAME", required=True)
        for name, command in HELPERS.items():
            sub = helpers.add_parser(
                name, help=command.DESCRIPTION.split(". ")[0], description=command.DESCRIPTION
            )
            if name == "annotate":
                sub.add_argument(
                    "--types",
                    metavar="JSON_FILE",
                    help="observed types {qualname: {param: [types]}}; default: read the golden masters",
                )
            else:
                command.add_args(sub)
            sub.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files to change")
            sub.add_argument("--apply", action="store_true", help="write the change")
            sub.add_argument(
                "--verify",
                action="store_true",
                help="replay the masters that reach the changed files before and after;"
                " restore the files if behaviour changed",
            )
            store_option(sub)
            output_options(sub)

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        """Show, apply or prove the change; exit 1 when the proof failed and it was undone."""
        from legacy_harness.refactor.loop import run_loop

        helper_args = _helper_args(args)
        if args.helper == "annotate" and "types" not in helper_args:
            helper_args["observed"] = observed_types(config)
            if not helper_args["observed"]:
                raise HarnessError(
                    f"annotate: no golden masters in {config.store}; record first or pass --types FILE"
                )
        for path in args.paths:
            if not path.is_file():
                raise HarnessError(f"refactor {args.helper}: {path} is not a file")
        output = args.output
        result = run_loop(
            args.helper, list(args.paths), helper_args, config, apply=args.apply, verify=args.verify
        )
        code = _exit_code(result)
        if output.format == "json":
            output.json(result_data(args.helper, result, code))
            return code
        if not result.changes:
            files = ", ".join(str(path) for path in args.paths)
            output.echo(
                f"{args.helper}: nothing to change in {files} (already done, or nothing to do)",
                level=-1,
            )
            return code
        if not output.quiet:
            sys.stdout.write(result.diff)
        for note in result.notes:
            output.echo(note, level=-1)
        if result.after is None:
            for old, new in result.migrated.items():
                output.echo(f"masters of {old} moved to {new}", level=-1)
            verdict = "applied" if result.applied else "not applied (pass --apply to write)"
            output.echo(f"\n{verdict}: {len(result.changes)} file(s)", level=-1)
            return code
        cases = len(result.after.cases)
        for old, new in result.migrated.items():
            output.echo(f"masters of {old} {'moved' if result.applied else 'would move'} to {new}")
        if code == ExitCode.SAME:
            verdict = "applied" if result.applied else "not applied (pass --apply to write)"
            output.echo(
                f"\nverified: {cases} masters of {', '.join(result.targets)} behave the same;"
                f" {verdict}",
                level=-1,
            )
            return code
        output.echo(
            "\nbehaviour changed: the change was undone and the files restored byte for byte",
            level=-1,
        )
        for case in result.after.failing:
            output.echo(f"  {case['status'].upper()} {case['target']} case-{case['id']}")
            if case.get("error"):
                output.echo(f"    {case['error']}")
            else:
                output.echo(_differences_text(case["differences"]))
        if result.after.stderr.strip() and not result.after.cases:
            output.echo(result.after.stderr.strip(), level=-1)
        return code


COMMAND: Command = RefactorCommand()


def _exit_code(result: LoopResult) -> ExitCode:
    """SAME when nothing changed, when unverified, or when the proof held; else CHANGED."""
    if result.after is None or result.after.exit_code == 0:
        return ExitCode.SAME
    return ExitCode.CHANGED


def result_data(helper: str, result: LoopResult, code: ExitCode) -> dict[str, Any]:
    """A refactoring's outcome as JSON-ready data: the files, the diff, the proof."""
    from legacy_harness.schema import envelope

    after = result.after
    return {
        **envelope("refactor", code),
        "helper": helper,
        "files": [str(path) for path in result.changes],
        "diff": result.diff,
        "applied": result.applied,
        "restored": result.restored,
        "verified": None if after is None else after.exit_code == 0,
        "targets": list(result.targets),
        "cases": None if after is None else len(after.cases),
        "migrated": dict(result.migrated),
        "failing": [] if after is None else list(after.failing),
    }


def _helper_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(args).items()
        if key not in _LOOP_OPTIONS and value is not None
    }


def observed_types(config: Config) -> dict[str, dict[str, list[str]]]:
    """Types seen in the masters, per target, for ``annotate``."""
    import inspect

    from legacy_harness.record.targets import resolve_stored
    from legacy_harness.refactor import observed_types_from_cases
    from legacy_harness.store.disk import GoldenStore

    add_pythonpath(config)
    store = GoldenStore(config.store)
    cases: list[dict[str, Any]] = []
    names: dict[str, list[str]] = {}
    for path in store.iter_paths():
        cases.append(json.loads(path.read_text(encoding="utf-8")))
    for target in {case["target"] for case in cases}:
        try:
            function = resolve_stored(target, config).function
            names[target] = list(inspect.signature(function).parameters)
        except (HarnessError, TypeError, ValueError):
            continue
    return observed_types_from_cases(cases, names)


def _differences_text(data: list[dict[str, Any]]) -> str:
    """The differences a ``--verify`` subprocess reported as JSON, rendered as verify does."""
    from legacy_harness.compare import Difference
    from legacy_harness.report.render import render_text

    differences = [
        Difference(d["path"], d["kind"], d.get("expected"), d.get("actual"), d.get("abs_err"), d.get("rel_err"), d.get("detail") or {})
        for d in data
    ]  # fmt: skip
    return "\n".join("    " + line for line in render_text(differences, limit=10).splitlines())
