"""Generated calls of a target with boundaries: answered by its recorded tapes, never by
the world.

Characterize draws inputs nobody recorded. For a target that reads a database, a web
service, files or the clock, running such an input for real would query production
data and could write to it; running it with all I/O refused would learn nothing. So
each generated call runs as a replay does, against the pooled tapes of the target's
recorded cases: a read that some case made (the same statement and parameters, URL,
file name) is answered, writes are captured and never performed, and a boundary call
no tape holds stops the call and is reported, so the input is not kept. A kept call
is stored with the tape it was answered from, so it replays exactly as it was judged.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from legacy_harness.errors import GoldenFileError
from legacy_harness.record.boundaries import (
    BoundarySet,
    Channel,
    Interaction,
    Mismatch,
    tape_to_tree,
)
from legacy_harness.record.observe import (
    RngWatch,
    Signature,
    encode_inputs,
    live_inputs,
    rng_tree,
)
from legacy_harness.record.recorder import environment
from legacy_harness.record.targets import KIND_CLASSMETHOD, KIND_METHOD, source_hash
from legacy_harness.replay import case_boundaries, case_tape, replay
from legacy_harness.store import codec
from legacy_harness.store.case import FORMAT_VERSION, GoldenCase, Observation
from legacy_harness.store.disk import case_blob_names
from legacy_harness.verify import VerifySession
from legacy_harness.widen.calls import Call, Subject, copy_call

__all__ = ["Tapes", "tape_problem"]


def tape_problem(blocked: Sequence[str], mismatches: Sequence[Mismatch]) -> str | None:
    """What stopped a call at its boundaries: access no boundary covers, or the first
    boundary call no tape holds (named beside the nearest recorded one)."""
    if blocked:
        return blocked[0]
    return mismatches[0].render() if mismatches else None


class Tapes:
    """The tapes of a target's recorded cases, pooled: what its generated calls may read.

    Reads are answered by any recorded read with the same call; sequential readings
    (clock, uuid) in recorded order. The boundaries are those of the configuration and
    of the cases (each case's checked as verify checks it: golden files are untrusted).
    """

    def __init__(self, session: VerifySession, subject: Subject) -> None:
        self.session = session
        self.subject = subject
        self.policy = session.class_policy_for(subject.spec)
        names = list(BoundarySet.from_config(session.config.table).names)
        self.pool: list[Interaction] = []
        for item in session.store.iter_cases([subject.spec]):
            if isinstance(item, GoldenFileError) or not item.case.replayable:
                continue
            try:
                names += case_boundaries(item.case, self.policy).names
                self.pool += case_tape(item.case) or []
            except GoldenFileError:
                continue  # a bad case is verify's to report; its tape answers nothing
        self.boundaries = BoundarySet(names)
        self.tree = tape_to_tree(self.pool)

    @classmethod
    def of(cls, session: VerifySession, subject: Subject) -> Tapes | None:
        """The pooled tapes, or None when the target has no boundary at all."""
        tapes = cls(session, subject)
        return tapes if tapes.boundaries else None

    def channel(self) -> Channel:
        """A replay channel over the pool, for one call."""
        return self.boundaries.replaying(
            self.pool,
            self.session.config.root,
            self.policy,
            self.session.blob_reader(self.subject.spec),
            {},
        )

    def record(self, calls: Sequence[Call]) -> tuple[dict[str, int], list[tuple[Call, str]]]:
        """Store each call as a generated case with the tape that answered it.

        Returns the store's write outcomes (outcome -> count) and the calls that could
        not be stored, each with the boundary call that stopped it.
        """
        written: dict[str, int] = {}
        missed: list[tuple[Call, str]] = []
        ids: set[str] = set()
        for call in calls:
            case, problem = self.case_of(call)
            if problem is not None:
                missed.append((call, problem))
            if case is None or case.id in ids:
                continue
            ids.add(case.id)
            outcome = str(self.session.store.write(case))
            written[outcome] = written.get(outcome, 0) + 1
        return written, missed

    def case_of(self, call: Call) -> tuple[GoldenCase | None, str | None]:
        """``call`` as a case, replayed against the pool as verify would replay it (the
        same inputs, redaction and meta as the recorder gives), or the problem."""
        subject, session = self.subject, self.session
        resolved = subject.resolved
        args, kwargs = subject.split(copy_call(call))
        blobs: dict[str, bytes] = {}
        problems: list[str] = []
        live = live_inputs(args, kwargs, call.instance, subject.has_self)
        tree = encode_inputs(live, blobs, problems)
        signature = Signature.of(
            resolved.function, skip_first=resolved.kind in (KIND_METHOD, KIND_CLASSMETHOD)
        )
        inputs, redacted = session.redactor.redact_inputs(tree, signature.positional, blobs)
        meta: dict[str, Any] = {
            "origin": "generated",
            "source_hash": source_hash(resolved.function),
            "format": FORMAT_VERSION,
            **environment(),
            "log_level": logging.getLogger().getEffectiveLevel(),
            "boundaries": list(self.boundaries.names),
        }
        case_id = codec.tree_hash({"target": subject.spec, "inputs": inputs})
        draft = GoldenCase(
            subject.spec, case_id, inputs, Observation({}), None, meta, blobs, tape=self.tree
        )
        watch = RngWatch()  # whether the replay drew, as the recorder tells it
        mark = watch.mark()
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            replayed = replay(
                draft,
                session.blob_reader(subject.spec, blobs),
                self.policy,
                target=resolved,
                root=session.config.root,
            )
        problem = tape_problem(replayed.blocked, replayed.mismatches)
        if problem is not None:
            return None, problem
        new = {**blobs, **replayed.blobs}
        drawn = watch.drawn(mark)
        rng = rng_tree(drawn, new) if drawn is not None else None
        observation, more = session.redactor.redact_observation(replayed.observation, new)
        tape, taped = session.redactor.redact(replayed.tape_tree, "tape")
        problems += replayed.problems
        if problems:
            meta["unencodable"] = sorted(set(problems))
        if redacted or more or taped:
            meta["redacted"] = sorted(set(redacted + more + taped))
        case = GoldenCase(subject.spec, case_id, inputs, observation, rng, meta, tape=tape)
        read = session.blob_reader(subject.spec, new)
        case.blobs = {name: read(name) for name in case_blob_names(case)}
        return case, None
