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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from legacy_harness.errors import CodecError, ForbiddenIO
from legacy_harness.store import codec
from legacy_harness.store.case import Observation, Tree
from legacy_harness.store.codec.builtin_tags import immutable_dict_tree, immutable_trees

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

    def close(self) -> None:
        """Nothing to release: the real stream stays the program's. (The io base class
        would flush it, at every recorded call, when the tee is collected.)"""

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    def getvalue(self) -> str:
        return "".join(self.parts)


#: The handler ``logging.lastResort`` is swapped for during a call, kept per real stream
#: (building one per call takes a lock and registers a weakref: most of a tiny call).
_LAST_RESORT: dict[str, Any] = {"stream": None, "handler": None, "null": None}


def _last_resort(stream: TextIO | None) -> logging.Handler:
    """A WARNING-level handler writing to ``stream`` (None: to nowhere), reused."""
    if stream is None:
        handler = _LAST_RESORT["null"]
        if handler is None:
            handler = _LAST_RESORT["null"] = logging.NullHandler(logging.WARNING)
        return handler  # type: ignore[no-any-return]
    handler = _LAST_RESORT["handler"]
    if handler is None or _LAST_RESORT["stream"] is not stream:
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.WARNING)
        _LAST_RESORT["stream"], _LAST_RESORT["handler"] = stream, handler
    return handler  # type: ignore[no-any-return]


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
    last_resort = _last_resort(saved_err if echo else None)
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


#: The Mersenne Twister state both generators keep in C: a 4-byte position and 624
#: 32-bit words (Python's ``RandomObject`` puts the position first, numpy's
#: ``mt19937_state`` last).
_MT_BYTES = 4 + 624 * 4
#: A raw reading of one generator: its twister's bytes and its cached gaussian.
Reading = tuple[bytes, Any, Any]


@functools.cache
def _python_twister() -> Callable[[], Reading] | None:
    """A raw reader of ``random``'s global generator: its twister straight from the
    object's memory (about 1 us, where ``getstate()`` builds a 625-int tuple), and
    ``gauss_next``. CPython only, and only once a reading has matched ``getstate()``
    word for word; None otherwise."""
    import ctypes

    generator: Any = getattr(random.getstate, "__self__", None)  # None: getstate replaced
    offset = object.__basicsize__
    if not isinstance(generator, random.Random):
        return None
    if sys.implementation.name != "cpython" or type(generator).__basicsize__ < offset + _MT_BYTES:
        return None
    address, string_at = id(generator) + offset, ctypes.string_at

    def read() -> Reading:
        return string_at(address, _MT_BYTES), generator.gauss_next, None  # type: ignore[attr-defined]

    return read if _python_state(read()) == random.getstate() else None


def _python_state(reading: Reading) -> Any:
    import struct

    words = struct.unpack("=i624I", reading[0])
    return random.Random.VERSION, words[1:] + words[:1], reading[1]


def _numpy_twister(numpy: Any) -> Callable[[], Reading] | None:
    try:
        return _find_numpy_twister(numpy)
    except (AttributeError, TypeError, ValueError):  # a numpy laid out otherwise
        return None


def _find_numpy_twister(numpy: Any) -> Callable[[], Reading] | None:
    """A raw reader of numpy's global ``RandomState``: its MT19937 state, at the bit
    generator's documented ``ctypes.state_address``, and the gaussian it caches
    beside it (``has_gauss``, ``gauss`` of its ``aug_bitgen_t``, found in the object
    as the one word pointing at the object's own ``bitgen_t``, itself the one word
    holding that address). None for another bit generator, a layout not found this
    way, or a reading that does not match ``get_state()``."""
    import ctypes

    legacy = numpy.random.get_state.__self__
    generator = _bit_generator(numpy)
    if sys.implementation.name != "cpython" or type(generator).__name__ != "MT19937":
        return None
    state_at, base = generator.ctypes.state_address, id(legacy)
    step = ctypes.sizeof(ctypes.c_void_p)
    memory = ctypes.string_at(base, type(legacy).__basicsize__)
    words = [
        int.from_bytes(memory[at : at + step], sys.byteorder)
        for at in range(0, len(memory) - step + 1, step)
    ]
    bitgen = [n * step for n, word in enumerate(words) if word == state_at]
    aug = [n * step for n, word in enumerate(words) if bitgen and word == base + bitgen[0]]
    if len(bitgen) != 1 or len(aug) != 1:
        return None

    class AugBitgen(ctypes.Structure):
        _fields_ = (
            ("bit_generator", ctypes.c_void_p),
            ("has_gauss", ctypes.c_int),
            ("gauss", ctypes.c_double),
        )

    cached, string_at = AugBitgen.from_address(base + aug[0]), ctypes.string_at

    def read(owners: Any = (legacy, generator)) -> Reading:  # kept alive while read
        return string_at(state_at, _MT_BYTES), cached.has_gauss, cached.gauss

    state, now = numpy.random.get_state(), _numpy_state(read(), numpy)
    same = (state[1] == now[1]).all() and state[2:] == now[2:] and state[0] == now[0]
    return read if same else None


def _bit_generator(numpy: Any) -> Any:
    """The bit generator behind numpy's global ``RandomState``."""
    get = getattr(numpy.random, "get_bit_generator", None)  # numpy >= 1.25
    return get() if get is not None else numpy.random.get_state.__self__._bit_generator


def _numpy_state(reading: Reading, numpy: Any) -> Any:
    import struct

    key = numpy.frombuffer(reading[0], dtype=numpy.uint32, count=624).copy()
    (pos,) = struct.unpack_from("=i", reading[0], 624 * 4)
    return "MT19937", key, pos, reading[1], reading[2]


class RngWatch:
    """Whether a call drew from the global generators, and their state at its entry.

    :func:`rng_state` before and after every call costs more than a small target:
    Python's ``getstate()`` builds a 625-int tuple and numpy's copies its key word by
    word. The watch reads each generator's raw state instead (2,500 bytes of twister
    and the cached gaussian), compares readings, and turns the entry reading into the
    generator's state only when the call drew. Where a raw reader cannot be set up
    (another interpreter, another bit generator, a reading that does not match the
    generator's own ``getstate()``), it takes whole states, as :func:`rng_state` does.
    """

    def __init__(self) -> None:
        #: numpy's bit generator when its reader was set up, and that reader
        self._numpy: tuple[Any, Callable[[], Reading] | None] = (None, None)

    def _numpy_reader(self, numpy: Any) -> Callable[[], Reading] | None:
        # numpy 2 loads numpy.random on first use: loaded here, the state at entry is known
        try:
            generator = _bit_generator(numpy)
        except AttributeError:  # a numpy without one: whole states
            return None
        if generator is not self._numpy[0]:  # first use, or np.random.set_bit_generator
            self._numpy = (generator, _numpy_twister(numpy))
        return self._numpy[1]

    def mark(self) -> tuple[Any, Any]:
        """Taken at the call's entry; give it to :meth:`drawn` when the call returns."""
        read = _python_twister()
        python = read() if read is not None else random.getstate()
        numpy = sys.modules.get("numpy")
        if numpy is None:
            return python, None
        reader = self._numpy_reader(numpy)
        return python, reader() if reader is not None else numpy.random.get_state()

    def drawn(self, mark: tuple[Any, Any]) -> tuple[Any, Any] | None:
        """The generators' states at entry (as :func:`rng_state` gives them) if the call
        drew from either (or imported numpy), else None."""
        python, numpy_before = mark
        read = _python_twister()
        used = python != (read() if read is not None else random.getstate())
        numpy = sys.modules.get("numpy")
        if numpy is None or numpy_before is None:
            used = used or numpy is not numpy_before  # imported (or dropped) in the call
        reader = self._numpy_reader(numpy) if numpy is not None else None
        if numpy_before is not None and numpy is not None and not used:
            if type(numpy_before[0]) is bytes:  # None: the bit generator was swapped
                used = reader is None or numpy_before != reader()
            else:
                used = rng_used((None, numpy_before), (None, numpy.random.get_state()))
        if not used:
            return None
        if read is not None:
            python = _python_state(python)
        if numpy_before is not None and type(numpy_before[0]) is bytes:
            numpy_before = _numpy_state(numpy_before, numpy)
        return python, numpy_before


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


#: Numbers (and None): encoded, they hold no text a redaction rule could match.
NUMBERS: frozenset[type] = frozenset({int, float, complex, bool, type(None)})
#: Builtin types whose values no call can change (the value is all there is to it).
IMMUTABLE: frozenset[type] = NUMBERS | {str, bytes}


def immutable(values: Iterable[Any], depth: int = 8, kinds: frozenset[type] = IMMUTABLE) -> bool:
    """True if every value is of ``kinds`` (immutable builtins), or a tuple of them
    (nested at most ``depth`` deep): a call cannot change such inputs, and they name
    no class, hold no array and share nothing, so recording them needs no snapshot
    after the call."""
    for value in values:
        kind = type(value)
        if kind in kinds:
            continue
        if kind is not tuple or not depth or not immutable(value, depth - 1, kinds):
            return False
    return True


def encode_inputs(
    inputs: Mapping[str, Any], blobs: dict[str, bytes], problems: list[str], *, fixed: bool = False
) -> dict[str, Tree]:
    """The inputs' tree; ``fixed``: they are :func:`immutable` arguments, encoded the
    same without an encoding run."""
    if fixed and "self" not in inputs:
        args = immutable_trees(inputs["args"])
        kwargs = immutable_dict_tree(inputs["kwargs"]) if args is not None else None
        if kwargs is not None:
            return {"args": args, "kwargs": kwargs}
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
    fixed: bool = False,
) -> tuple[Observation, CallResult]:
    """Call ``function`` with ``inputs`` and encode what it did.

    ``inputs_before`` is the encoded snapshot of ``inputs`` taken before the call; the
    state after the call is compared with it to find the arguments the call changed,
    unless ``fixed`` says the inputs are :func:`immutable` (nothing can have changed).
    ``around`` runs the call inside a boundary channel (taping when recording, answering
    from the tape on replay); it sees the live arguments, not the encoded ones.
    """
    args, kwargs = inputs["args"], inputs["kwargs"]

    def call() -> Any:
        return function(*args, **kwargs)

    runner = call if around is None else (lambda: around(call))
    result = run_captured(runner, echo=echo, log_level=log_level)
    if result.raised is None:
        plain = immutable_trees([result.returned])  # most small results: no encoding run
        returned = (
            plain[0] if plain else codec.encode(result.returned, blobs=blobs, problems=problems)
        )
        outcome: dict[str, Tree] = {"returned": returned}
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
    effects: dict[str, Tree] = {}
    changed = (
        [] if fixed else changed_names(inputs_before, encode_inputs(inputs, {}, []), signature)
    )
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
