"""Run one call and observe everything it did: outcome, effects, output, logs, RNG use.

Recording and replay both go through :func:`observe_call`, so a case recorded from real
work and the same case replayed against today's code are captured by the same code and
encoded the same way: any difference between them is a difference in behaviour.
"""

from __future__ import annotations

import functools
import io
import logging
import random
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from legacy_harness.errors import CodecError, ForbiddenIO
from legacy_harness.store import codec
from legacy_harness.store.case import Observation, Tree

#: Runs the call (a thunk) inside whatever a boundary channel sets up around it.
Around = Callable[[Callable[[], Any]], Any]


class _Tee(io.TextIOBase):
    """Collects what the calling thread writes; passes everything else on unchanged.

    Only the thread running the target is captured: another thread printing meanwhile
    belongs to another call. When recording (``echo``), the captured text also reaches
    the real stream, so the user's program shows what it always showed.
    """

    def __init__(self, stream: TextIO, *, echo: bool) -> None:
        self.stream = stream
        self.echo = echo
        self.owner = threading.get_ident()
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        if threading.get_ident() != self.owner:
            return self.stream.write(text)
        self.parts.append(text)
        if self.echo:
            self.stream.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    def getvalue(self) -> str:
        return "".join(self.parts)


@dataclass
class CallResult:
    returned: Any = None
    raised: BaseException | None = None
    stdout: str = ""
    stderr: str = ""
    logs: list[dict[str, Any]] | None = None


def run_captured(
    call: Callable[[], Any], *, echo: bool, log_level: int | None = None
) -> CallResult:
    """Call ``call()`` capturing stdout, stderr and log records; exceptions are caught.

    ``echo`` passes printed text on to the real streams (recording must not change what
    the user's program shows). ``log_level``, on replay, sets the root logger's level to
    the one in force when the case was recorded, so the same records are emitted.
    """
    out, err = _Tee(sys.stdout, echo=echo), _Tee(sys.stderr, echo=echo)
    saved_out, saved_err = sys.stdout, sys.stderr
    records: list[dict[str, Any]] = []
    owner = threading.get_ident()
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        if record.thread != owner:
            return record
        records.append(
            {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        )
        return record

    root = logging.getLogger()
    saved_level = root.level
    result = CallResult(logs=records)
    # Warnings that reach no handler go to the real stream (or nowhere on replay), not
    # into the captured stderr: they are captured as log records already.
    saved_last_resort = logging.lastResort
    last_resort: logging.Handler = (
        logging.StreamHandler(saved_err) if echo else logging.NullHandler()
    )
    last_resort.setLevel(logging.WARNING)
    logging.lastResort = last_resort
    logging.setLogRecordFactory(factory)
    if log_level is not None:
        root.setLevel(log_level)
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    try:
        result.returned = call()
    except (Exception, ForbiddenIO, SystemExit) as error:  # noqa: BLE001 - the outcome
        # ForbiddenIO: a replayed call stopped at a boundary call the tape does not hold
        # (or blocked I/O); legacy ``except Exception`` blocks cannot swallow it.
        # SystemExit: legacy code calls sys.exit() inside functions; that is behaviour.
        result.raised = error
    except KeyboardInterrupt as error:
        if not echo:  # replaying: the user pressed Ctrl-C, stop the run
            raise
        result.raised = error  # recording: kept as the call's outcome, then re-raised
    finally:
        if sys.stdout is out:
            sys.stdout = saved_out
        if sys.stderr is err:
            sys.stderr = saved_err
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous_factory)
        if log_level is not None:
            root.setLevel(saved_level)
        if logging.lastResort is last_resort:
            logging.lastResort = saved_last_resort
    result.stdout, result.stderr = out.getvalue(), err.getvalue()
    return result


# -- random number generators ---------------------------------------------------------


def rng_state() -> tuple[Any, Any]:
    """The state of Python's and numpy's global generators (numpy only if imported)."""
    numpy = sys.modules.get("numpy")
    # numpy 2 loads numpy.random on first use; load it now so the state at entry is known
    numpy_state = numpy.random.get_state() if numpy is not None else None
    return random.getstate(), numpy_state


def rng_used(before: tuple[Any, Any], after: tuple[Any, Any]) -> bool:
    if before[0] != after[0]:
        return True
    if before[1] is None or after[1] is None:
        return before[1] is not after[1]
    (_, key_a, pos_a, gauss_a, cached_a), (_, key_b, pos_b, gauss_b, cached_b) = before[1], after[1]
    return bool(
        pos_a != pos_b or gauss_a != gauss_b or cached_a != cached_b or (key_a != key_b).any()
    )


def rng_tree(state: tuple[Any, Any], blobs: dict[str, bytes]) -> dict[str, Tree]:
    import numpy as np

    version, key, gauss_next = state[0]
    tree: dict[str, Tree] = {
        "random": codec.encode(
            {"version": version, "key": np.asarray(key, dtype=np.uint32), "gauss_next": gauss_next},
            blobs=blobs,
        )
    }
    if state[1] is not None:
        _, key, pos, has_gauss, cached = state[1]
        tree["numpy"] = codec.encode(
            {
                "key": key,
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached_gaussian": float(cached),
            },
            blobs=blobs,
        )
    return tree


def restore_rng(tree: Mapping[str, Tree], blobs: Any) -> None:
    """Put the generators back in the state they had when the case was recorded.

    The tree comes from a golden file: a state of the wrong shape is a CodecError
    naming the field, never a traceback."""
    for name in ("random", "numpy"):
        if name not in tree:
            continue
        state = codec.decode(tree[name], blobs=blobs)
        try:
            if name == "random":
                key = tuple(int(k) for k in state["key"].tolist())
                random.setstate((state["version"], key, state["gauss_next"]))
            else:
                import numpy as np

                np.random.set_state(
                    ("MT19937", state["key"], state["pos"], state["has_gauss"],
                     state["cached_gaussian"])
                )  # fmt: skip
        except (TypeError, KeyError, ValueError, AttributeError, IndexError) as error:
            raise CodecError(
                f"field 'rng.{name}' is not a generator state as record writes it"
                f" ({type(error).__name__}: {error}); re-record the case"
            ) from None


# -- one call, observed ---------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """How positional arguments map to parameter names, for naming effects."""

    positional: tuple[str, ...]
    varargs: str | None

    def name(self, index: int) -> str:
        if index < len(self.positional):
            return self.positional[index]
        return f"{self.varargs or 'args'}[{index - len(self.positional)}]"

    @classmethod
    @functools.lru_cache(maxsize=4096)
    def of(cls, function: Callable[..., Any], *, skip_first: bool) -> Signature:
        """Cached per function: replay asks once per case, the answer never changes."""
        import inspect

        try:
            parameters = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):
            return cls((), None)
        if skip_first and parameters:
            parameters = parameters[1:]
        positional = tuple(
            p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        varargs = next((p.name for p in parameters if p.kind == p.VAR_POSITIONAL), None)
        return cls(positional, varargs)


def live_inputs(
    args: Sequence[Any], kwargs: Mapping[str, Any], instance: Any, has_self: bool
) -> dict[str, Any]:
    inputs: dict[str, Any] = {"args": list(args), "kwargs": dict(kwargs)}
    if has_self:
        inputs["self"] = instance
    return inputs


def encode_inputs(
    inputs: Mapping[str, Any], blobs: dict[str, bytes], problems: list[str]
) -> dict[str, Tree]:
    return codec.encode(dict(inputs), blobs=blobs, problems=problems)  # type: ignore[no-any-return]


def changed_names(
    before: Mapping[str, Tree], after: Mapping[str, Tree], signature: Signature
) -> list[tuple[str, str, Any]]:
    """(name, where, key) of every argument whose encoded state differs after the call."""
    changed: list[tuple[str, str, Any]] = []
    canonical = codec.canonical
    for index, (old, new) in enumerate(zip(before["args"], after["args"], strict=True)):
        if canonical(old) != canonical(new):
            changed.append((signature.name(index), "args", index))
    for key, old in before["kwargs"].items():
        if canonical(old) != canonical(after["kwargs"].get(key)):
            changed.append((key, "kwargs", key))
    if "self" in before and canonical(before["self"]) != canonical(after["self"]):
        changed.append(("self", "self", None))
    return changed


def observe_call(
    function: Callable[..., Any],
    inputs: dict[str, Any],
    inputs_before: dict[str, Tree],
    signature: Signature,
    *,
    echo: bool,
    blobs: dict[str, bytes],
    problems: list[str],
    log_level: int | None = None,
    around: Around | None = None,
) -> tuple[Observation, CallResult]:
    """Call ``function`` with ``inputs`` and encode what it did.

    ``inputs_before`` is the encoded snapshot of ``inputs`` taken before the call; the
    state after the call is compared with it to find the arguments the call changed.
    ``around`` runs the call inside a boundary channel (taping when recording, answering
    from the tape on replay); it sees the live arguments, not the encoded ones.
    """
    args, kwargs = inputs["args"], inputs["kwargs"]

    def call() -> Any:
        return function(*args, **kwargs)

    runner = call if around is None else (lambda: around(call))
    result = run_captured(runner, echo=echo, log_level=log_level)
    if result.raised is None:
        outcome: dict[str, Tree] = {
            "returned": codec.encode(result.returned, blobs=blobs, problems=problems)
        }
    else:
        error = result.raised
        kind = type(error)
        outcome = {
            "raised": {
                "type": f"{kind.__module__}.{kind.__qualname__}",
                "message": str(error),
                "args": codec.encode(list(error.args), blobs=blobs, problems=problems),
            }
        }
    after = encode_inputs(inputs, {}, [])
    changed = changed_names(inputs_before, after, signature)
    effects: dict[str, Tree] = {}
    if changed:
        live = {
            name: (inputs[where][key] if where != "self" else inputs["self"])
            for name, where, key in changed
        }
        effects = codec.encode(live, blobs=blobs, problems=problems)
    output: dict[str, Any] = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "logs": result.logs or [],
    }
    return Observation(outcome, effects, output), result
