"""``legacy-harness check``: the command a CI job runs.

It only maps flags to :mod:`legacy_harness.check` calls: options over the configured
defaults, :func:`~legacy_harness.check.run_check` (with a progress line on a terminal),
then the reporter named by ``--format`` (``github`` by default under GitHub Actions;
and JUnit XML to ``--junit-xml``). What a run finds and how each format shows it live in
that package.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from legacy_harness.check.formats import FORMATS, get_reporter, write_report
from legacy_harness.cli.command import Command
from legacy_harness.cli.support import (
    jobs_count,
    max_cases_option,
    output_options,
    percent,
    require_store,
    store_option,
)
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode
from legacy_harness.parallel import (
    Executor,
    add_executor_arguments,
    configured_jobs,
    executor_from,
    wants_dask,
)

__all__ = ["COMMAND", "DESCRIPTION", "CheckCommand"]

DESCRIPTION = (
    "Verify every golden master (in parallel) and enforce the project's policies: the"
    " gate a CI job runs. Fails on changed behaviour, masters that cannot be loaded,"
    " replayed or whose target disappeared, cases recorded but not reviewed, golden files"
    " that contain secrets, coverage below --min-coverage, a mutation score below"
    " --min-mutation-score, and an empty store."
)

EPILOG = (
    "Exit codes: 0 pass; 1 behaviour changed; 2 configuration or master errors (a golden"
    " file cannot be loaded, its target disappeared, or it cannot be replayed);"
    " 3 policy failures (coverage below the threshold, unreviewed cases, secrets in golden"
    " files, stale behaviour pages with --docs, a mutation score below --min-mutation-score);"
    " 5 no cases to check (unless --allow-empty). When several apply, the first of"
    " 2, 1, 5, 3 that applies is the exit code. Defaults come from"
    " [tool.legacy_harness.check] in pyproject.toml."
)


def _shard(text: str) -> tuple[int, int]:
    from legacy_harness.check.gate import parse_shard
    from legacy_harness.errors import UsageError

    try:
        return parse_shard(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix(f"--shard {text!r}: ")) from None


class CheckCommand:
    """The CI gate as a :class:`~legacy_harness.cli.command.Command`."""

    name: ClassVar[str] = "check"
    help: ClassVar[str] = "the CI gate: verify every master in parallel and enforce policies"
    description: ClassVar[str] = DESCRIPTION

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = EPILOG
        store_option(parser)
        parser.add_argument(
            "--min-coverage", type=percent, metavar="PCT",
            help="fail (exit 3) when replaying the masters covers less than PCT%% of the targets' code",
        )  # fmt: skip
        parser.add_argument(
            "--min-mutation-score", type=percent, metavar="PCT",
            help="fail (exit 3) when a target's masters kill less than PCT%% of its mutants"
            " (equivalent ones not counted); prints the strength report (default:"
            " [tool.legacy_harness.check] min_mutation_score)",
        )  # fmt: skip
        add_executor_arguments(
            parser,
            "the case replays",
            jobs_help="verify in N processes (default: [tool.legacy_harness.check] jobs, else"
            " [tool.legacy_harness] jobs, else one per CPU; 0 = one per CPU); with --executor"
            " dask, at most N cases at once",
            jobs_flags=("--jobs", "-j"),
            jobs_type=jobs_count,
        )
        parser.add_argument(
            "--shard", type=_shard, metavar="K/N",
            help="check only part K of N of the store (by case id: the same split on every"
            " machine), for a CI matrix; join the parts' reports with legacy-harness merge-reports",
        )  # fmt: skip
        parser.add_argument(
            "--junit-xml", metavar="PATH", help="also write a JUnit XML report to PATH"
        )
        parser.add_argument(
            "--allow-unreviewed", action="store_true", default=None,
            help="do not fail on cases recorded but not yet reviewed",
        )  # fmt: skip
        parser.add_argument(
            "--docs", metavar="DIR",
            help="fail (exit 3) when the behaviour pages committed in DIR (legacy-harness docs) are stale",
        )  # fmt: skip
        parser.add_argument(
            "--allow-empty", action="store_true", default=None,
            help="pass when the store holds no case (default: exit 5, nothing was checked)",
        )  # fmt: skip
        max_cases_option(parser)
        output_options(
            parser, tuple(FORMATS), {name: what for name, (_, _, what) in FORMATS.items()}
        )

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.check import options_from_config, run_check

        output = args.output
        options = options_from_config(config.table)
        options.jobs = args.jobs or configured_jobs(config, "check") or os.cpu_count() or 1
        options.shard = args.shard
        if args.min_coverage is not None:
            options.min_coverage = args.min_coverage
        if args.min_mutation_score is not None:
            options.min_mutation_score = args.min_mutation_score
        if args.allow_unreviewed:
            options.allow_unreviewed = True
        if args.allow_empty:
            options.allow_empty = True
        if args.docs:
            options.docs = Path(args.docs)
        require_store(config, "check")
        shown: dict[str, Any] = {}
        if output.format in ("text", "github"):
            shown = {
                "max_cases": args.max_cases,
                "verbosity": output.verbosity,
                "color": output.color(sys.stdout),
            }
        reporter = get_reporter(output.format, **shown)
        # a Dask cluster when named; otherwise the gate sizes its local pool to the store
        executor: Executor | None = None
        if wants_dask(config, args):
            args.jobs = options.jobs
            executor = executor_from(config, args)
        try:
            with (
                output.progress("verifying golden masters") as progress,
                output.progress("replaying statistical masters") as reruns,
            ):
                report = run_check(config, options, progress.update, reruns.update, executor)
        finally:
            if executor is not None:
                executor.close()
        if options.min_mutation_score is not None:
            from legacy_harness.check.policies import measure_mutation, mutation_policy

            # the strength report goes with the text report; other formats stay parseable
            printed = sys.stdout if output.format == "text" else sys.stderr
            report.mutation = measure_mutation(config, jobs=options.jobs, printed=printed)
            report.policy += mutation_policy(report.mutation, options.min_mutation_score)
        if args.junit_xml:
            write_report(report, "junit", Path(args.junit_xml))
        reporter.report(report, sys.stdout)
        return report.exit_code


COMMAND: Command = CheckCommand()
