"""Review and approval of masters: a person vouches for what a case records.

A recorded case is only a claim that today's behaviour is the behaviour to keep; the
check fails on cases nobody has looked at. Reviewing a case means reading it (the diff
for a case whose behaviour changed, the inputs and outcome for a new one) and then
accepting it, rejecting it, or leaving it for later. Every approval records who (the
git user), when (UTC) and at which commit, in ``meta["reviewed"]`` of the case.

- Accepting a *new* case marks it reviewed.
- Accepting a *changed* case replaces its observation with today's behaviour
  (:func:`legacy_harness.verify.update_case`), then marks it reviewed.
- Rejecting a *new* case deletes it (and blobs no other case uses): the recording was
  not wanted. Rejecting a *changed* case leaves the master as it is; the check keeps
  failing until the code behaves as recorded again.
"""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legacy_harness.display import shown
from legacy_harness.errors import GoldenFileError, HarnessError
from legacy_harness.record.project import trusted_target
from legacy_harness.store.disk import CASE_PREFIX, CASE_SUFFIX, StoredCase
from legacy_harness.store.layout import TargetSpec
from legacy_harness.verify import (
    CHANGED,
    ERROR,
    UNSTABLE,
    CaseResult,
    VerifySession,
    update_case,
    verify_case,
)

__all__ = [
    "ACCEPTED",
    "CHANGED_CASE",
    "NEW_CASE",
    "REJECTED",
    "Pending",
    "accept",
    "approve",
    "check_in_place",
    "find_pending",
    "mark_reviewed",
    "reject",
    "review_stamp",
    "select",
]

NEW_CASE, CHANGED_CASE = "new", "changed"
ACCEPTED, REJECTED, KEPT_AS_IS = "accepted", "rejected", "kept"


@dataclass
class Pending:
    """A case waiting for a person: changed behaviour, or recorded and never reviewed."""

    stored: StoredCase
    result: CaseResult
    kind: str

    @property
    def name(self) -> str:
        return f"{self.stored.case.target} case-{self.stored.case.id}"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else None


def review_stamp(root: Path, *, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Who approves (git user name and e-mail), when (ISO, UTC), at which commit (or None)."""
    name = _git(root, "config", "user.name")
    email = _git(root, "config", "user.email")
    if name and email:
        who = f"{name} <{email}>"
    else:
        who = name or email or "unknown (set git config user.name)"
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return {
        "by": who,
        "at": moment.replace(microsecond=0).isoformat(),
        "commit": _git(root, "rev-parse", "HEAD"),
    }


def mark_reviewed(session: VerifySession, path: Path, stamp: dict[str, Any]) -> None:
    """Record the approval in the case's meta; the file is rewritten atomically.

    The store writes a case where its ``target`` and ``id`` fields say it belongs, so a
    file whose fields name another place is refused: approving rewrites the file that
    was reviewed, never another one.
    """
    stored = session.store.load(path)
    check_in_place(session, stored)
    stored.case.meta["reviewed"] = dict(stamp)
    session.store.write(stored.case, overwrite=True)


def check_in_place(session: VerifySession, stored: StoredCase) -> None:
    """Refuse a case whose ``target`` or ``id`` field names another file than its own.

    The store writes a case where those fields say it belongs, so approving or updating
    such a file would write somewhere the reviewer never looked.
    """
    path = stored.path
    trusted_target(
        stored.case.target, session.config, case_path=path, store_root=session.store.root
    )
    if os.path.abspath(session.store.case_path(stored.case)) != os.path.abspath(path):
        raise GoldenFileError(
            shown(path),
            f"field 'id' is {stored.case.id!r} but the file is named {path.name};"
            " restore the file from version control",
        )


def find_pending(
    session: VerifySession, targets: Sequence[str] | None = None
) -> tuple[list[Pending], list[CaseResult]]:
    """Cases to review (changed first, in store order) and the cases that could not be verified."""
    changed: list[Pending] = []
    new: list[Pending] = []
    errors: list[CaseResult] = []
    for item in session.store.iter_cases(list(targets) if targets else None):
        if isinstance(item, GoldenFileError):
            path = Path(item.path)
            errors.append(
                CaseResult("?", path.stem.removeprefix(CASE_PREFIX), path, ERROR, error=str(item))
            )
            continue
        result = verify_case(session, item)
        if result.status in (CHANGED, UNSTABLE):
            changed.append(Pending(item, result, CHANGED_CASE))
        elif result.status == ERROR:
            errors.append(result)
        elif "reviewed" not in item.case.meta:
            new.append(Pending(item, result, NEW_CASE))
    return changed + new, errors


def accept(session: VerifySession, pending: Pending, stamp: dict[str, Any]) -> str:
    """Take the case as the behaviour to keep; returns what was done, for the user."""
    path = pending.stored.path
    if pending.kind == CHANGED_CASE:
        check_in_place(session, pending.stored)
        update_case(session, pending.stored)
        mark_reviewed(session, path, stamp)
        return f"{ACCEPTED}: {pending.name} now records today's behaviour"
    mark_reviewed(session, path, stamp)
    return f"{ACCEPTED}: {pending.name} marked reviewed"


def reject(session: VerifySession, pending: Pending) -> str:
    """Refuse the case: a new recording is deleted, a changed master is left as it was."""
    if pending.kind == CHANGED_CASE:
        return (
            f"{KEPT_AS_IS}: {pending.name} keeps its recorded behaviour;"
            " the check fails until the code behaves as recorded"
        )
    session.store.remove(pending.stored.path)
    session.store.remove_unused_blobs(pending.stored.case.target)
    return f"{REJECTED}: {pending.name} deleted"


# -- approve --------------------------------------------------------------------------


def select(
    session: VerifySession, selectors: Sequence[str], *, everything: bool = False
) -> list[StoredCase]:
    """Cases named by ``selectors``: targets (``mod:qualname``), case ids
    (``3f2a...``, ``case-3f2a...``, a prefix of at least 6 characters) or case files.
    """
    if not selectors and not everything:
        raise HarnessError(
            "legacy-harness approve: name targets or cases to approve, or pass --all"
        )
    loaded = list(_load_all(session))
    if everything:
        return loaded
    chosen: dict[Path, StoredCase] = {}
    for selector in selectors:
        found = _match(session, loaded, selector)
        if not found:
            raise HarnessError(
                f"legacy-harness approve: {selector!r} names no case in {session.store.root};"
                " give a target (mod:qualname), a case id or a case file"
            )
        for stored in found:
            chosen[stored.path] = stored
    return [chosen[path] for path in sorted(chosen)]


def _load_all(session: VerifySession) -> Iterator[StoredCase]:
    for item in session.store.iter_cases():
        if isinstance(item, GoldenFileError):
            raise item
        yield item


def _match(session: VerifySession, loaded: Iterable[StoredCase], selector: str) -> list[StoredCase]:
    candidate = Path(selector)
    if selector.endswith(CASE_SUFFIX) and candidate.is_file():
        wanted = candidate.resolve()
        return [s for s in loaded if s.path.resolve() == wanted]
    if ":" in selector:
        target = str(TargetSpec.parse(selector))
        return [s for s in loaded if s.case.target == target]
    ident = selector.removeprefix(CASE_PREFIX).removesuffix(CASE_SUFFIX)
    if len(ident) < 6:
        raise HarnessError(
            f"legacy-harness approve: case id {selector!r} is too short; give at least 6 characters"
        )
    return [s for s in loaded if s.case.id.startswith(ident)]


@dataclass
class Approval:
    name: str
    path: Path
    action: str
    error: str | None = None


def approve(
    session: VerifySession, cases: Sequence[StoredCase], stamp: dict[str, Any]
) -> list[Approval]:
    """Mark ``cases`` reviewed, first replacing changed masters with today's behaviour."""
    done: list[Approval] = []
    for stored in cases:
        name = f"{stored.case.target} case-{stored.case.id}"
        result = verify_case(session, stored)
        if result.status == ERROR:
            done.append(Approval(name, stored.path, "error", result.error))
            continue
        try:
            check_in_place(session, stored)
        except GoldenFileError as error:
            done.append(Approval(name, stored.path, "error", str(error)))
            continue
        if result.status in (CHANGED, UNSTABLE):
            update_case(session, stored)
            action = "updated to today's behaviour and approved"
        elif "reviewed" in stored.case.meta:
            action = "approved again"
        else:
            action = "approved"
        mark_reviewed(session, stored.path, stamp)
        done.append(Approval(name, stored.path, action))
    return done
