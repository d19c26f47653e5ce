"""Re-run a golden case against today's code and capture what happens.

Replay rebuilds the recorded inputs (and ``self``), puts the random generators back in
their recorded state, calls the target as the code stands now, and observes the call
exactly as the recorder did. It never compares; that is :mod:`legacy_harness.compare.engine`.

Replay is hermetic: the boundaries recorded with the case answer its reads from the
case's tape and capture its writes (never performed), and the audit guard blocks any
other outside access (writes, deletes, connects, processes) while the call runs. Every
command that re-runs cases (verify, check, the pytest items, mutate, minimize, coverage,
refactor --verify, verify --stochastic) goes through :func:`replay`, so all of them are.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.config import load_config
from legacy_harness.errors import CodecError, ConfigError, GoldenFileError, HarnessError
from legacy_harness.record.boundaries import (
    BUILTIN,
    BoundarySet,
    Interaction,
    Mismatch,
    tape_from_tree,
    tape_to_tree,
    writes_view,
)
from legacy_harness.record.observe import Signature, encode_inputs, observe_call, restore_rng
from legacy_harness.record.replaying import replaying
from legacy_harness.record.targets import KIND_CLASSMETHOD, KIND_METHOD, ResolvedTarget
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation

BlobReader = Callable[[str], bytes]


@dataclass
class Replayed:
    """Today's observation of a case, with the blobs its trees refer to.

    ``tape`` is today's traffic with the case's boundaries (the recorded reads that
    answered, and today's writes), or None for a case recorded without boundaries.
    ``mismatches`` are boundary calls the tape did not hold (behaviour changed);
    ``blocked`` is outside access the guard refused (the case cannot replay).
    """

    observation: Observation
    blobs: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tape: list[Interaction] | None = None
    mismatches: list[Mismatch] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    @property
    def tape_tree(self) -> list[dict[str, Any]] | None:
        return tape_to_tree(self.tape) if self.tape is not None else None


@functools.lru_cache(maxsize=8)
def _root_of(folder: str) -> Path:
    return load_config(Path(folder)).root


def project_root() -> Path:
    """The project replay judges paths against: the folder of the nearest pyproject.toml."""
    return _root_of(os.getcwd())


def case_boundaries(case: GoldenCase, policy: codec.ClassPolicy) -> BoundarySet:
    """The boundaries recorded with ``case``; a name that would import a module outside
    the project (and ``allow``) is refused, as for classes: golden files are untrusted."""
    names: Sequence[str] = case.meta.get("boundaries", [])
    for name in names:
        if name in BUILTIN:
            continue
        module = (
            name.removeprefix("dbapi:").rpartition(".")[0]
            if name.startswith("dbapi:")
            else name.partition(":")[0]
        )
        if not policy.allows(module):
            raise GoldenFileError(
                case.target,
                f"case {case.id} declares boundary {name!r} outside the allowed modules;"
                f" add '{module.split('.')[0]}' to allow in [tool.legacy_harness] if you trust it",
            )
    try:
        return BoundarySet(names)
    except ConfigError as error:
        raise GoldenFileError(case.target, f"case {case.id}: {error}") from None


def case_tape(case: GoldenCase) -> list[Interaction] | None:
    if case.tape is None:
        return None
    try:
        return tape_from_tree(case.tape)
    except ValueError as error:
        raise GoldenFileError(case.target, f"case {case.id}: {error}") from None


def decode_inputs(case: GoldenCase, blobs: BlobReader, policy: codec.ClassPolicy) -> dict[str, Any]:
    try:
        inputs = codec.decode(case.inputs, blobs=blobs, policy=policy)
    except CodecError as error:
        raise CodecError(f"inputs: {error}") from None
    if not isinstance(inputs, dict) or not isinstance(inputs.get("args"), list):
        raise CodecError("inputs: expected an object with 'args' and 'kwargs'")
    inputs.setdefault("kwargs", {})
    kwargs = inputs["kwargs"]
    if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
        raise CodecError("field 'inputs.kwargs' must be an object of keyword arguments")
    return inputs


def replay(
    case: GoldenCase,
    blobs: BlobReader,
    policy: codec.ClassPolicy,
    *,
    target: ResolvedTarget,
    restore_random: bool = True,
    root: Path | None = None,
) -> Replayed:
    """Call today's code with the case's inputs; raises HarnessError if it cannot.

    ``target`` is the case's target as the caller resolved it, through
    :func:`legacy_harness.record.targets.resolve_stored` (or
    ``VerifySession.target_of``): replay never imports what a golden file names.
    ``restore_random=False`` leaves the generators as the caller set them (statistical
    replays run inside ``seeded(seed)`` with fresh seeds). ``root`` is the project
    (default: the folder of the nearest pyproject.toml), against which the tape's file
    paths are relative and outside access is judged.
    """
    if not case.replayable:
        raise HarnessError(
            f"case {case.id} of {case.target} holds values that could not be recorded"
            f" ({'; '.join(case.meta.get('unencodable', []))}); register a codec and re-record it"
        )
    boundaries = case_boundaries(case, policy)
    tape = case_tape(case)
    with boundaries.installed(), replaying():  # a recorder running in this process skips it
        return _replay(case, blobs, policy, target, restore_random, boundaries, tape, root)


def _replay(
    case: GoldenCase,
    blobs: BlobReader,
    policy: codec.ClassPolicy,
    target: ResolvedTarget,
    restore_random: bool,
    boundaries: BoundarySet,
    tape: list[Interaction] | None,
    root: Path | None,
) -> Replayed:
    inputs = decode_inputs(case, blobs, policy)
    instance = inputs.get("self")
    if target.kind == KIND_METHOD and "self" not in inputs:
        raise GoldenFileError(
            case.target, f"case {case.id} has no 'inputs.self' but the target is a method"
        )
    function = target.bound_callable(instance)
    signature = Signature.of(
        target.function, skip_first=target.kind in (KIND_METHOD, KIND_CLASSMETHOD)
    )
    new_blobs: dict[str, bytes] = {}
    problems: list[str] = []
    before = encode_inputs(inputs, new_blobs, problems)
    if case.rng and restore_random:
        restore_rng(case.rng, blobs)
    log_level = case.meta.get("log_level")
    channel = boundaries.replaying(tape or [], root or project_root(), policy, blobs, new_blobs)
    observation, _ = observe_call(
        function,
        inputs,
        before,
        signature,
        echo=False,
        blobs=new_blobs,
        problems=problems,
        log_level=log_level if isinstance(log_level, int) else None,
        around=channel.run,
    )
    today = channel.cassette.today if channel.cassette is not None else []
    return Replayed(
        observation,
        new_blobs,
        problems,
        tape=today if tape is not None else None,
        mismatches=list(channel.mismatches),
        blocked=list(channel.blocked),
    )


def observed_view(
    observation: Observation,
    blobs: BlobReader,
    policy: codec.ClassPolicy,
    *,
    tape: Sequence[Interaction] | None = None,
) -> dict[str, Any]:
    """Decode an observation into the live values the comparison engine walks.

    Root keys: ``outcome`` (the returned value) or ``raised``, ``effects``, ``stdout``,
    ``stderr``, ``logs``, and ``writes`` (the tape's writes, when the case has a tape):
    the vocabulary of tolerance paths.
    """
    view: dict[str, Any] = {}
    outcome = observation.outcome
    try:
        if "returned" in outcome:
            view["outcome"] = codec.decode(
                outcome["returned"], blobs=blobs, policy=policy, content_keys=True
            )
        else:
            raised = dict(outcome["raised"])
            raised["args"] = codec.decode(
                raised.get("args", []), blobs=blobs, policy=policy, content_keys=True
            )
            view["raised"] = raised
    except CodecError as error:
        raise CodecError(f"outcome: {error}") from None
    try:
        view["effects"] = codec.decode(
            observation.effects, blobs=blobs, policy=policy, content_keys=True
        )
    except CodecError as error:
        raise CodecError(f"effects: {error}") from None
    output = observation.output
    view["stdout"] = output.get("stdout", "")
    view["stderr"] = output.get("stderr", "")
    view["logs"] = list(output.get("logs", []))
    if tape is not None:
        try:
            view["writes"] = writes_view(tape, blobs, policy)
        except CodecError as error:
            raise CodecError(f"tape: {error}") from None
    return view
