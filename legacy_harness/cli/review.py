"""``legacy-harness review``: walk changed and new cases, one decision each.

On a terminal each case is shown (the diff of a changed case; the inputs and outcome
of a new one) and answered with accept, reject, skip or quit. Anywhere else (and with
``--format json``) the cases are listed, so a script or CI log shows what waits for
review.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from legacy_harness.cli.command import Command
from legacy_harness.cli.support import open_session, output_options, shown, store_option
from legacy_harness.config import Config
from legacy_harness.outcomes import ExitCode
from legacy_harness.report.inputs import compact_call
from legacy_harness.report.render import render_text
from legacy_harness.review import CHANGED_CASE, Pending, accept, find_pending, reject, review_stamp
from legacy_harness.store import codec

#: Lines of a new case shown before it is cut.
SHOWN_LINES = 60
PROMPT = "[a]ccept, [r]eject, [s]kip, [q]uit? "


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def describe(pending: Pending, *, color: bool = False, limit: int = SHOWN_LINES) -> str:
    """What a reviewer reads before deciding."""
    case = pending.stored.case
    if pending.kind == CHANGED_CASE:  # "for which call?" comes first
        diff = render_text(pending.result.differences, limit=20, color=color)
        return f"inputs: {changed_inputs(pending)}\n{diff}"
    document: dict[str, object] = {"inputs": case.inputs, "outcome": case.observation.outcome}
    if case.observation.effects:
        document["effects"] = case.observation.effects
    output = case.observation.output
    for key in ("stdout", "stderr"):
        if output.get(key):
            document[key] = output[key]
    if output.get("logs"):
        document["logs"] = output["logs"]
    lines = codec.dumps(document).splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [
            f"... {len(lines) - limit} more lines in {shown(pending.stored.path)}"
        ]
    return "\n".join(lines)


def changed_inputs(pending: Pending) -> str:
    """The call a changed case recorded, compact (verify's text when it gave one)."""
    case = pending.stored.case
    return pending.result.inputs or compact_call(case.target, case.inputs)


def pending_data(pending: Pending) -> dict[str, Any]:
    """One case waiting for review, as JSON-ready data."""
    case = pending.stored.case
    return {
        "kind": pending.kind,
        "target": case.target,
        "id": case.id,
        "path": str(pending.stored.path),
        "note": pending.result.note,
        "inputs": changed_inputs(pending) if pending.kind == CHANGED_CASE else None,
    }


def _heading(index: int, total: int, pending: Pending) -> str:
    label = "CHANGED" if pending.kind == CHANGED_CASE else "NEW"
    return f"[{index}/{total}] {label} {pending.name} ({shown(pending.stored.path)})"


class ReviewCommand:
    """``review [TARGET ...]``: exit 1 while cases still wait for a decision."""

    name: ClassVar[str] = "review"
    help: ClassVar[str] = "walk changed and unreviewed cases: diff, then accept, reject, skip"
    description: ClassVar[str] = (
        "Review cases whose behaviour changed and cases recorded but never reviewed. On a"
        " terminal: show each one (diff, or inputs and outcome) and accept, reject or skip it;"
        " accepting records who, when and the commit in the case. Elsewhere: list them."
    )
    epilog: ClassVar[str] = (
        "Exit codes: 0 nothing left to review; 1 cases still wait for review;"
        " 2 configuration or golden-file errors."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = self.epilog
        parser.add_argument("targets", nargs="*", metavar="TARGET", help="only these targets")
        store_option(parser)
        parser.add_argument(
            "--list", action="store_true", help="only list the cases, even on a terminal"
        )
        output_options(parser)

    def run(self, args: argparse.Namespace, config: Config) -> ExitCode:
        from legacy_harness.schema import envelope

        output = args.output
        session = open_session(config, "review")
        pending, errors = find_pending(session, args.targets or None)
        waiting = ExitCode.CHANGED if pending else ExitCode.SAME
        code = ExitCode.ERROR if errors else waiting
        if output.format == "json":
            output.json(
                {
                    **envelope(self.name, code),
                    "pending": [pending_data(item) for item in pending],
                    "errors": [error.error for error in errors],
                }
            )
            return code
        for error in errors:
            print(f"ERROR {error.error}", file=sys.stderr)
        if not pending:
            output.echo("nothing to review: no changed or unreviewed cases", level=-1)
            return code
        if args.list or not _interactive():
            for item in pending:
                output.echo(f"{item.kind:8} {item.name}  {shown(item.stored.path)}")
                if item.kind == CHANGED_CASE:
                    output.echo(f"         inputs: {changed_inputs(item)}")
            output.echo(
                f"\n{len(pending)} case(s) to review: run 'legacy-harness review' in a terminal,"
                " or 'legacy-harness approve TARGET|CASE' / 'legacy-harness approve --all'",
                level=-1,
            )
            return code
        color = output.color(sys.stdout)
        stamp = review_stamp(config.root)
        left = 0
        for index, item in enumerate(pending, 1):
            print(f"\n{_heading(index, len(pending), item)}")
            print("\n".join("  " + line for line in describe(item, color=color).splitlines()))
            if item.result.note:
                print(f"  note: {item.result.note}")
            answer = _ask()
            if answer == "a":
                print(accept(session, item, stamp))
            elif answer == "r":
                print(reject(session, item))
                left += item.kind == CHANGED_CASE
            elif answer == "s":
                print(f"skipped: {item.name}")
                left += 1
            else:
                left += len(pending) - index + 1
                print(f"stopped: {len(pending) - index + 1} case(s) not reviewed")
                break
        print(f"\n{len(pending) - left} of {len(pending)} case(s) settled")
        if errors:
            return ExitCode.ERROR
        return ExitCode.CHANGED if left else ExitCode.SAME


COMMAND: Command = ReviewCommand()


def _ask() -> str:
    while True:
        try:
            answer = input(PROMPT).strip().lower()
        except EOFError:
            return "q"
        if answer[:1] in ("a", "r", "s", "q"):
            return answer[:1]
        print("please answer a, r, s or q")
