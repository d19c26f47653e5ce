"""``legacy-harness mutate``: how many small changes to a target would the masters notice?"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    open_session,
    output_options,
    percent,
    positive_float,
    shown,
    store_option,
)
from legacy_harness.config import Config
from legacy_harness.errors import ConfigError
from legacy_harness.outcomes import ExitCode
from legacy_harness.parallel import add_executor_arguments

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.terminal import Output
    from legacy_harness.verify import VerifySession


def progress_line(
    output: Output, what: str
) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress callback for the terminal (silent elsewhere and under -q), and its closer."""
    bar = output.progress(what)

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
        " them) and surviving mutants with their lines (and, for those characterize hunted,"
        " how close it came). Mutants run on --jobs processes or a Dask cluster. A full run"
        " is saved to <store>/.legacy-harness/mutation.json."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--target", "-t", action="append", default=[], metavar="MOD:QUALNAME",
            help="the function or method to mutate (repeatable; default: every target in the store)",
        )  # fmt: skip
        store_option(parser)
        parser.add_argument(
            "--timeout", type=positive_float, default=2.0, metavar="SECONDS",
            help="time limit of one replay; a mutant that exceeds it counts as killed (default 2)",
        )  # fmt: skip
        parser.add_argument(
            "--fail-under", type=percent, metavar="PCT",
            help="exit 1 when a target's mutation score is below PCT",
        )  # fmt: skip
        add_executor_arguments(parser, "the mutants")
        parser.add_argument(
            "--changed", metavar="REF",
            help="only mutants on lines changed since git REF (a branch, tag or commit);"
            " such a partial run is not saved",
        )  # fmt: skip
        output_options(
            parser,
            ("text", "json"),
            {"text": "the strength report", "json": "the same as data, as in mutation.json"},
        )

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.parallel import executor_from
        from legacy_harness.record.targets import resolve, source_hash
        from legacy_harness.schema import envelope
        from legacy_harness.widen.probe import region_of
        from legacy_harness.widen.strength import (
            changed_lines,
            claims_for,
            notes_for,
            read_scores,
            run_mutants,
            write_scores,
        )

        output = args.output
        session = open_session(config, "mutate")
        specs = [str(resolve(t).spec) for t in args.target] or _project_targets(session)
        if not specs:
            raise ConfigError(
                f"legacy-harness mutate: the store {session.store.root} has no cases; record first"
            )
        saved, problem = read_scores(session.store.root)
        if problem:
            output.echo(f"legacy-harness mutate: {problem}", level=-1, err=True)
        text = output.format == "text"
        reports = []
        filenames: dict[str, str] = {}
        with executor_from(session.config, args) as executor:
            for spec in specs:
                target = resolve(spec)
                filename = target.function.__code__.co_filename
                filenames[spec] = filename
                changed = None
                if args.changed:
                    changed = changed_lines(filename, args.changed)
                    if not any(region_of(target).contains(line) for line in changed):
                        if text:
                            output.echo(f"{spec}: no line changed since {args.changed}")
                        continue
                update, close = progress_line(output, f"mutating {spec}")
                try:
                    report = run_mutants(
                        session,
                        spec,
                        timeout=args.timeout,
                        executor=executor,
                        changed=changed,
                        claims=claims_for(saved.get(spec), source_hash(target.function)),
                        notes=notes_for(saved.get(spec), source_hash(target.function)),
                        progress=update,
                    )
                finally:
                    close()
                if args.changed:
                    report.scope = f"lines changed since {args.changed}"
                reports.append(report)
                if text:
                    rendered = report.render(filename)
                    output.echo(rendered if not output.quiet else rendered.splitlines()[0])
        written = None
        if any(report.scope is None for report in reports):
            written = write_scores(session.store.root, reports, filenames)
            if text:
                output.echo(f"saved to {shown(written)}")
        below = [r for r in reports if args.fail_under is not None and r.score < args.fail_under]
        code = ExitCode.CHANGED if below else ExitCode.SAME
        if not text:
            output.json(
                {
                    **envelope(self.name, code),
                    "targets": [r.to_data(filenames[r.target]) for r in reports],
                    "fail_under": args.fail_under,
                    "saved": str(written) if written else None,
                }
            )
        for report in below:
            output.echo(
                f"FAIL: {report.target} mutation score {report.score:.1f}% is below"
                f" {args.fail_under:g}%",
                level=-1,
                err=not text,
            )
        return code


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
