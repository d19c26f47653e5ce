"""``legacy-harness approve``: mark cases reviewed without walking them one by one.

Approving a case whose behaviour changed first replaces its master with today's
behaviour. Each approval records who (git user), when and the commit in the case.
"""

from __future__ import annotations

import argparse
from typing import ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import open_session, output_options, shown, store_option
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode


class ApproveCommand:
    """``approve TARGET|CASE ...`` or ``approve --all``."""

    name: ClassVar[str] = "approve"
    help: ClassVar[str] = "mark cases reviewed; changed masters take today's behaviour"
    description: ClassVar[str] = (
        "Mark cases reviewed, replacing masters whose behaviour changed with today's behaviour."
        " Name targets (mod:qualname), case ids or case files, or pass --all."
    )
    epilog: ClassVar[str] = (
        "Exit codes: 0 every named case approved; 2 usage errors or cases that cannot be replayed."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = self.epilog
        parser.add_argument(
            "cases",
            nargs="*",
            metavar="TARGET|CASE",
            help="targets, case ids or case files to approve",
        )
        parser.add_argument("--all", action="store_true", help="approve every case of the store")
        store_option(parser)
        output_options(parser)

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.review import approve, review_stamp, select
        from legacy_harness.schema import envelope

        output = args.output
        session = open_session(config, "approve")
        cases = select(session, args.cases, everything=args.all)
        stamp = review_stamp(config.root)
        approvals = approve(session, cases, stamp)
        failed = sum(1 for approval in approvals if approval.error)
        code = ExitCode.ERROR if failed else ExitCode.SAME
        if output.format == "json":
            output.json(
                {
                    **envelope(self.name, code),
                    "reviewed": stamp,
                    "approved": len(cases) - failed,
                    "cases": [
                        {
                            "name": approval.name,
                            "path": str(approval.path),
                            "action": approval.action,
                            "error": approval.error,
                        }
                        for approval in approvals
                    ],
                }
            )
            return code
        for approval in approvals:
            if approval.error:
                output.echo(f"ERROR {approval.name}: {approval.error}", level=-1)
            else:
                output.echo(f"{approval.action}: {approval.name} ({shown(approval.path)})")
        output.echo(
            f"\n{len(cases) - failed} of {len(cases)} case(s) approved by {stamp['by']}", level=-1
        )
        return code


COMMAND: Command = ApproveCommand()
