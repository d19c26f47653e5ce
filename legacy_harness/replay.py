"""Re-run a golden case against today's code and capture what happens.

Replay rebuilds the recorded inputs (and ``self``), puts the random generators back in
their recorded state, calls the target as the code stands now, and observes the call
exactly as the recorder did. It never compares; that is :mod:`legacy_harness.compare.engine`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.errors import CodecError, GoldenFileError, HarnessError
from legacy_harness.record.observe import Signature, encode_inputs, observe_call, restore_rng
from legacy_harness.record.targets import KIND_CLASSMETHOD, KIND_METHOD, ResolvedTarget
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation

BlobReader = Callable[[str], bytes]


@dataclass
class Replayed:
    """Today's observation of a case, with the blobs its trees refer to."""

    observation: Observation
    blobs: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def decode_inputs(case: GoldenCase, blobs: BlobReader, policy: codec.ClassPolicy) -> dict[str, Any]:
    try:
        inputs = codec.decode(case.inputs, blobs=blobs, policy=policy)
    except CodecError as error:
        raise CodecError(f"inputs: {error}") from None
    if not isinstance(inputs, dict) or not isinstance(inputs.get("args"), list):
        raise CodecError("inputs: expected an object with 'args' and 'kwargs'")
    inputs.setdefault("kwargs", {})
    return inputs


def replay(
    case: GoldenCase,
    blobs: BlobReader,
    policy: codec.ClassPolicy,
    *,
    target: ResolvedTarget,
    restore_random: bool = True,
) -> Replayed:
    """Call today's code with the case's inputs; raises HarnessError if it cannot.

    ``target`` is the case's target as the caller resolved it, through
    :func:`legacy_harness.record.targets.resolve_stored` (or
    ``VerifySession.target_of``): replay never imports what a golden file names.
    ``restore_random=False`` leaves the generators as the caller set them (statistical
    replays run inside ``seeded(seed)`` with fresh seeds).
    """
    if not case.replayable:
        raise HarnessError(
            f"case {case.id} of {case.target} holds values that could not be recorded"
            f" ({'; '.join(case.meta.get('unencodable', []))}); register a codec and re-record it"
        )
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
    observation, _ = observe_call(
        function,
        inputs,
        before,
        signature,
        echo=False,
        blobs=new_blobs,
        problems=problems,
        log_level=log_level if isinstance(log_level, int) else None,
    )
    return Replayed(observation, new_blobs, problems)


def observed_view(
    observation: Observation, blobs: BlobReader, policy: codec.ClassPolicy
) -> dict[str, Any]:
    """Decode an observation into the live values the comparison engine walks.

    Root keys: ``outcome`` (the returned value) or ``raised``, ``effects``, ``stdout``,
    ``stderr``, ``logs``: the vocabulary of tolerance paths.
    """
    view: dict[str, Any] = {}
    outcome = observation.outcome
    try:
        if "returned" in outcome:
            view["outcome"] = codec.decode(outcome["returned"], blobs=blobs, policy=policy)
        else:
            raised = dict(outcome["raised"])
            raised["args"] = codec.decode(raised.get("args", []), blobs=blobs, policy=policy)
            view["raised"] = raised
    except CodecError as error:
        raise CodecError(f"outcome: {error}") from None
    try:
        view["effects"] = codec.decode(observation.effects, blobs=blobs, policy=policy)
    except CodecError as error:
        raise CodecError(f"effects: {error}") from None
    output = observation.output
    view["stdout"] = output.get("stdout", "")
    view["stderr"] = output.get("stderr", "")
    view["logs"] = list(output.get("logs", []))
    return view
