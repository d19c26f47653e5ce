"""``legacy-harness mutate``: how many small changes to a target would the masters notice?"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    jobs_count,
    open_session,
    percent,
    positive_float,
    shown,
    store_option,
    target_option,
)
from legacy_harness.config import Config
from legacy_harness.errors import ConfigError
from legacy_harness.outcomes import ExitCode

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.verify import VerifySession


def progress_line(what: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress callback for the terminal (silent elsewhere), and its closer."""
    from legacy_harness.terminal import Progress

    bar = Progress.for_terminal(what, None)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.advance(done - bar.done)

    return update, bar.close


class MutateCommand:
    """``mutate [--target MOD:QUALNAME]``: the strength report; exit 1 when a score is
    below ``--fail-under``."""

    name: ClassVar[str] = "mutate"
    help: ClassVar[str] = "mutation testing: which small changes would the masters miss"
    description: ClassVar[str] = (
        "Mutation testing on the masters: make each small change to the target (comparison"
        " flips, constants +/-1, and/or swaps, deleted statements), replay the cases that"
        " run the changed line, and print per target the mutants, killed, equivalent (same"
        " bytecode as the original or another mutant, or no characterize search could kill"
        " them) and surviving mutants with their lines. A full run is saved to"
        " <store>/.legacy-harness/mutation.json."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        target_option(
            parser,
            "the function or method to mutate (repeatable; default: every target in the store)",
            required=False,
        )
        store_option(parser)
        parser.add_argument(
            "--timeout", type=positive_float, default=2.0, metavar="SECONDS",
            help="time limit of one replay; a mutant that exceeds it counts as killed (default 2)",
        )  # fmt: skip
        parser.add_argument(
            "--fail-under", type=percent, metavar="PCT",
            help="exit 1 when a target's mutation score is below PCT",
        )  # fmt: skip
        parser.add_argument(
            "--jobs", "-j", type=jobs_count, default=1, metavar="N",
            help="run mutants in N processes (default 1; 0 = one per CPU)",
        )  # fmt: skip
        parser.add_argument(
            "--changed", metavar="REF",
            help="only mutants on lines changed since git REF (a branch, tag or commit);"
            " such a partial run is not saved",
        )  # fmt: skip
        parser.add_argument(
            "--format", choices=("text", "json"), default="text",
            help="text: the strength report; json: the same as data",
        )  # fmt: skip

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.record.targets import resolve, source_hash
        from legacy_harness.widen.probe import region_of
        from legacy_harness.widen.strength import (
            changed_lines,
            claims_for,
            read_scores,
            run_mutants,
            write_scores,
        )

        session = open_session(config, "mutate")
        specs = [str(resolve(t).spec) for t in args.target] or _project_targets(session)
        if not specs:
            raise ConfigError(
                f"legacy-harness mutate: the store {session.store.root} has no cases; record first"
            )
        saved, problem = read_scores(session.store.root)
        if problem:
            print(f"legacy-harness mutate: {problem}", file=sys.stderr)
        text = args.format == "text"
        reports = []
        filenames: dict[str, str] = {}
        for spec in specs:
            target = resolve(spec)
            filename = target.function.__code__.co_filename
            filenames[spec] = filename
            changed = None
            if args.changed:
                region = region_of(target)
                changed = changed_lines(filename, args.changed)
                if not any(region.contains(line) for line in changed):
                    if text:
                        print(f"{spec}: no line changed since {args.changed}")
                    continue
            update, close = progress_line(f"mutating {spec}")
            try:
                report = run_mutants(
                    session,
                    spec,
                    timeout=args.timeout,
                    jobs=args.jobs,
                    changed=changed,
                    claims=claims_for(saved.get(spec), source_hash(target.function)),
                    progress=update,
                )
            finally:
                close()
            if args.changed:
                report.scope = f"lines changed since {args.changed}"
            reports.append(report)
            if text:
                print(report.render(filename))
        written = None
        if any(report.scope is None for report in reports):
            written = write_scores(session.store.root, reports, filenames)
            if text:
                print(f"saved to {shown(written)}")
        if not text:
            data = {
                "targets": [r.to_data(filenames[r.target]) for r in reports],
                "saved": str(written) if written else None,
            }
            print(json.dumps(data, indent=2))
        failed = args.fail_under is not None and any(
            report.score < args.fail_under for report in reports
        )
        return ExitCode.CHANGED if failed else ExitCode.SAME


COMMAND: Command = MutateCommand()


def _project_targets(session: VerifySession) -> list[str]:
    """The store's targets that are the project's own code (folder names come from
    golden files, which arrive in pull requests: nothing else is imported)."""
    from legacy_harness.errors import GoldenFileError
    from legacy_harness.record.project import trusted_target

    found = []
    for target in session.store.targets():
        try:
            trusted_target(target, session.config)
        except GoldenFileError:
            continue
        found.append(target)
    return found
