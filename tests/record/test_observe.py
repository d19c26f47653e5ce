"""Observing one call: output, log records, exceptions and RNG state, the same for
recording (echoed to the user) and replay (silent)."""

from __future__ import annotations

import logging
import random
import sys

import numpy as np

from legacy_harness.record.observe import (
    Signature,
    restore_rng,
    rng_state,
    rng_tree,
    rng_used,
    run_captured,
)


def noisy() -> int:
    print("out")
    print("err", file=sys.stderr)
    logging.getLogger("legacy.job").info("working")
    logging.getLogger("legacy.job").warning("careful")
    return 3


def test_recording_echoes_output_and_captures_it(capsys) -> None:
    result = run_captured(noisy, echo=True)
    assert (result.returned, result.stdout, result.stderr) == (3, "out\n", "err\n")
    shown = capsys.readouterr()
    assert shown.out == "out\n" and shown.err.startswith("err\n")


def test_replay_is_silent_and_uses_the_recorded_log_level(capsys) -> None:
    result = run_captured(noisy, echo=False, log_level=logging.INFO)
    assert [r["message"] for r in result.logs or []] == ["working", "careful"]
    assert capsys.readouterr().out == ""
    quiet = run_captured(noisy, echo=False, log_level=logging.WARNING)
    assert [r["level"] for r in quiet.logs or []] == ["WARNING"]


def test_warnings_without_a_handler_are_logs_not_stderr() -> None:
    root = logging.getLogger()
    handlers, root.handlers = root.handlers, []
    try:
        result = run_captured(lambda: logging.getLogger("x").warning("w"), echo=False)
    finally:
        root.handlers = handlers
    assert result.stderr == "" and (result.logs or [])[0]["message"] == "w"


def test_exception_is_the_outcome_and_streams_are_restored() -> None:
    before = sys.stdout, sys.stderr, logging.getLogRecordFactory()

    def boom() -> None:
        print("partial")
        raise KeyError("k")

    result = run_captured(boom, echo=False)
    assert isinstance(result.raised, KeyError) and result.stdout == "partial\n"
    assert (sys.stdout, sys.stderr, logging.getLogRecordFactory()) == before


def test_rng_state_round_trip_restores_both_generators() -> None:
    random.seed(4)
    np.random.seed(4)
    state = rng_state()
    blobs: dict[str, bytes] = {}
    tree = rng_tree(state, blobs)
    first = (random.random(), float(np.random.normal()))
    assert rng_used(state, rng_state())
    restore_rng(tree, blobs.__getitem__)
    assert (random.random(), float(np.random.normal())) == first
    assert not rng_used(rng_state(), rng_state())


def test_signature_names_positional_and_extra_arguments() -> None:
    def f(a, b, *rest, key=None):  # noqa: ANN001, ANN202
        return a

    signature = Signature.of(f, skip_first=False)
    assert [signature.name(i) for i in range(4)] == ["a", "b", "rest[0]", "rest[1]"]
    method = Signature.of(f, skip_first=True)
    assert method.name(0) == "b"
