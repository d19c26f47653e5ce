"""The golden case: one observed call of a target, in encoded (JSON-ready) form.

A case holds trees produced by :mod:`legacy_harness.store.codec`, never live objects, so it
is an immutable snapshot: inputs are frozen before the call runs, even when the legacy
code later mutates its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from legacy_harness.store.codec.jsonlayer import tree_hash

FORMAT_VERSION = 1

#: JSON-compatible tree produced by the codec.
Tree = Any


@dataclass
class Observation:
    """What one call did: the part of a case that replay reproduces and compare checks.

    ``outcome`` is ``{"returned": tree}`` or ``{"raised": {"type", "message", "args"}}``.
    ``effects`` maps an argument name (or ``"self"``) to its encoded state after the
    call, for the arguments whose state the call changed.
    ``output`` is ``{"stdout": str, "stderr": str, "logs": [{"level", "logger",
    "message"}]}``.
    """

    outcome: dict[str, Tree]
    effects: dict[str, Tree] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class GoldenCase:
    """One recorded call of ``target`` ("module:qualname")."""

    target: str
    id: str
    inputs: dict[str, Tree]
    observation: Observation
    rng: dict[str, Tree] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: Binary sidecars (name -> bytes) referenced from the trees; ``.npy`` payloads.
    blobs: dict[str, bytes] = field(default_factory=dict)
    #: Samples over fresh seeds, for statistical verification (``record --runs N``).
    distribution: dict[str, Any] | None = None
    #: The call's interactions with its declared boundaries, in call order (None: the
    #: case was recorded without boundaries). Reads are answered from it on replay;
    #: writes are compared with today's. Names of the boundaries are in ``meta``.
    tape: list[dict[str, Any]] | None = None

    @property
    def replayable(self) -> bool:
        return not self.meta.get("unencodable")


def case_id(target: str, inputs: Tree) -> str:
    """The id of a case of ``target`` with these encoded (redacted) inputs.

    One function for every writer (record, characterize, the refactorings that move
    masters), so one input always lands in one file: the hash leaves out dict insertion
    order and unencodable reprs (see :func:`~legacy_harness.store.codec.tree_hash`).
    """
    return tree_hash({"target": target, "inputs": inputs})


def case_to_tree(case: GoldenCase) -> dict[str, Any]:
    """The case as the JSON document stored on disk (see docs/golden-format.md)."""
    tree: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "target": case.target,
        "id": case.id,
        "inputs": case.inputs,
        "outcome": case.observation.outcome,
        "effects": case.observation.effects,
        "output": case.observation.output,
        "meta": case.meta,
    }
    if case.rng is not None:
        tree["rng"] = case.rng
    if case.distribution is not None:
        tree["distribution"] = case.distribution
    if case.tape is not None:
        tree["tape"] = case.tape
    return tree


def _require(tree: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in tree:
        raise ValueError(f"field {key!r} is missing{where}")
    value = tree[key]
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ValueError(f"field {key!r} must be {names}, not {type(value).__name__}{where}")
    return value


def case_from_tree(tree: Any) -> GoldenCase:
    """Validate the document's shape; value trees are checked when decoded.

    Raises ``ValueError`` naming the field; the store adds the file name.
    """
    if not isinstance(tree, dict):
        raise ValueError("a golden file must hold a JSON object")
    version = _require(tree, "format", int, "")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"field 'format' is {version}; this version of legacy-harness reads format {FORMAT_VERSION}"
        )
    target = _require(tree, "target", str, "")
    case_id = _require(tree, "id", str, "")
    inputs = _require(tree, "inputs", dict, "")
    for key in inputs:
        if key not in ("args", "kwargs", "self"):
            raise ValueError(f"field 'inputs.{key}' is not one of args, kwargs, self")
    outcome = _require(tree, "outcome", dict, "")
    if len(outcome) != 1 or next(iter(outcome)) not in ("returned", "raised"):
        raise ValueError("field 'outcome' must hold exactly one of 'returned' or 'raised'")
    if "raised" in outcome:
        raised = _require(outcome, "raised", dict, " in 'outcome'")
        _require(raised, "type", str, " in 'outcome.raised'")
        _require(raised, "message", str, " in 'outcome.raised'")
    effects = _require(tree, "effects", dict, "")
    output = _require(tree, "output", dict, "")
    for key in ("stdout", "stderr"):
        if key in output and not isinstance(output[key], str):
            raise ValueError(f"field 'output.{key}' must be a string")
    logs = output.get("logs", [])
    if not isinstance(logs, list) or not all(
        isinstance(item, dict) and {"level", "logger", "message"} <= set(item) for item in logs
    ):
        raise ValueError("field 'output.logs' must be a list of {level, logger, message} objects")
    rng = tree.get("rng")
    if rng is not None and not isinstance(rng, dict):
        raise ValueError("field 'rng' must be an object")
    meta = tree.get("meta", {})
    if not isinstance(meta, dict):
        raise ValueError("field 'meta' must be an object")
    distribution = tree.get("distribution")
    if distribution is not None:
        if not isinstance(distribution, dict) or not isinstance(distribution.get("seeds"), list):
            raise ValueError("field 'distribution' must be an object with a 'seeds' list")
        for key in ("numeric", "categorical"):
            if not isinstance(distribution.get(key), dict):
                raise ValueError(f"field 'distribution.{key}' must be an object")
    tape = tree.get("tape")
    if tape is not None:
        _check_tape(tape)
    boundaries = meta.get("boundaries", [])
    if not isinstance(boundaries, list) or not all(isinstance(b, str) for b in boundaries):
        raise ValueError("field 'meta.boundaries' must be a list of boundary names")
    observation = Observation(outcome, effects, output)
    return GoldenCase(target, case_id, inputs, observation, rng, meta, {}, distribution, tape)


def _check_tape(tape: Any) -> None:
    """The tape's shape: a list of {boundary, kind: read|write, call: {}, result: {}}."""
    if not isinstance(tape, list):
        raise ValueError("field 'tape' must be a list of interactions")
    for index, item in enumerate(tape):
        where = f"field 'tape[{index}]'"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object")
        if not isinstance(item.get("boundary"), str) or not item["boundary"]:
            raise ValueError(f"{where} needs a 'boundary' name")
        if item.get("kind") not in ("read", "write"):
            raise ValueError(f"{where}.kind must be 'read' or 'write', not {item.get('kind')!r}")
        if not isinstance(item.get("call"), dict) or not isinstance(item.get("result", {}), dict):
            raise ValueError(f"{where}.call and {where}.result must be objects")
