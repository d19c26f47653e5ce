"""Input profiles: what every call of a target received, summarised in bounded memory.

The golden masters keep at most ``max_cases`` distinct calls per target; production data
keeps changing after they were recorded. An input profile remembers the shape of *all*
the calls a recording saw, so ``legacy-harness drift`` can tell later whether today's
inputs still look like the ones the masters came from. Per leaf of the inputs (an
argument, a key of a dict argument, an attribute of ``self``, a column of an array or a
data frame) it keeps:

- numbers: a reservoir sample of at most ``sample`` values (uniform over every value
  seen, Algorithm R), the exact count, minimum and maximum, and whether all were whole;
- categories (strings, bools, ``None``, enum members, non-finite floats): exact counts of
  at most ``categories`` distinct values, the rest counted in one "other" bucket;
- arrays and frames: their dtypes and each dimension of their shape, as leaves too.

The profile walks the *live* arguments before the call, not their encoded form: an
encoded array larger than the inline limit is only a blob's name, and calls past the
case cap are never encoded at all. The walk costs a few microseconds per call: scalars
are appended to lists, and the reservoir takes them in batches with numpy. Arrays give
at most :data:`PER_CALL` values per leaf per call, so a huge argument costs no more than
a small one. Values are never copied beyond that sample.

A profile is saved as ``<store>/.legacy-harness/profiles/<module>/<qualname>.json``
(sorted keys, samples sorted and rounded to 7 significant digits: the same calls give
the same bytes). Redaction rules apply before it is written: a leaf whose key a rule
names keeps its counts but no values, and patterns are applied to category labels.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import math
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legacy_harness.errors import GoldenFileError
from legacy_harness.objects import object_state
from legacy_harness.record.observe import Signature
from legacy_harness.record.targets import KIND_CLASSMETHOD, KIND_METHOD, ResolvedTarget
from legacy_harness.store.confine import atomic_write
from legacy_harness.store.layout import TargetSpec

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from legacy_harness.record.redact import Redactor

__all__ = [
    "CATEGORIES",
    "FORMAT",
    "MAX_LEAVES",
    "OUTSIDE",
    "PER_CALL",
    "PROFILE_FOLDER",
    "SAMPLE",
    "Categories",
    "InputProfile",
    "Numbers",
    "ProfileBook",
    "load_profiles",
    "profile_path",
]

FORMAT = 1
#: Values kept per numeric leaf (the reservoir).
SAMPLE = 2000
#: Distinct category values counted per leaf; later ones go to the "other" bucket.
CATEGORIES = 64
#: Leaves per target; a value reaching a leaf past this is not profiled.
MAX_LEAVES = 256
#: Values one call gives one leaf from an array, a list or a frame column.
PER_CALL = 256
#: Keys or attributes followed per mapping or object, and how deep.
WIDTH, DEPTH = 64, 4
#: The caller named for calls made from outside every observed target.
OUTSIDE = "-"
#: Where profiles live inside the store.
PROFILE_FOLDER = (".legacy-harness", "profiles")
#: A profile file larger than this is refused (profiles arrive in pull requests too).
MAX_FILE_BYTES = 32 * 2**20
_BATCH = 4096
_FLUSHING = threading.Lock()
_LABEL_LENGTH = 80


def _np() -> Any:
    import numpy

    return numpy


def _seed(*parts: str) -> int:
    """A seed that depends only on the names: the same calls give the same sample."""
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "little")


#: Calls of a target whose inputs all go into its profile (for a typical batch job,
#: every call); after them one call in :data:`THEN_ONE_IN` does: a systematic sample
#: over the rest of the run, so a long job pays almost nothing per call.
EVERY_CALL = 10_000
THEN_ONE_IN = 64


class Numbers:
    """The numeric side of one leaf: a reservoir sample, the exact count and range."""

    __slots__ = (
        "_chunks", "_count", "_pending", "_rng", "_sample", "capacity", "high", "integer", "low",
    )  # fmt: skip

    def __init__(self, capacity: int = SAMPLE, seed: int = 0) -> None:
        self.capacity = capacity
        self._count = 0
        self.low = math.inf
        self.high = -math.inf
        self.integer = True
        self._pending: list[float] = []
        self._chunks: list[Any] = []
        self._rng: Any = seed
        self._sample: Any = None  # a float64 array once values arrive

    @property
    def count(self) -> int:
        """Values seen (pending ones included)."""
        return self._count + len(self._pending) + sum(chunk.size for chunk in self._chunks)

    def add(self, value: float) -> None:
        self._pending.append(value)
        if len(self._pending) >= _BATCH:
            self.flush()

    def add_array(self, values: Any, integer: bool) -> None:
        """Take a float64 array of finite values (already cut to :data:`PER_CALL`)."""
        if not integer:
            self.integer = False
        self._chunks.append(values)
        if sum(chunk.size for chunk in self._chunks) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Merge pending values into the reservoir in one vectorised step (one thread at a
        time: two threads calling a target at once must not both take the same batch)."""
        if not self._pending and not self._chunks:
            return
        np = _np()
        with _FLUSHING:
            pending, chunks = self._pending, self._chunks
            self._pending, self._chunks = [], []
            parts = list(chunks)
            if pending:
                parts.append(np.asarray(pending, dtype=np.float64))
            if parts:
                self._absorb(np.concatenate(parts) if len(parts) > 1 else parts[0])

    def _absorb(self, values: Any) -> None:
        np = _np()
        if values.size == 0:
            return
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        if isinstance(self._rng, int):
            self._rng = np.random.default_rng(self._rng)
        sample = self._sample if self._sample is not None else np.empty(0, dtype=np.float64)
        room = max(self.capacity - sample.size, 0)
        head, rest = values[:room], values[room:]
        if head.size:
            sample = np.concatenate([sample, head])
        if rest.size:
            # Algorithm R in one step: the i-th value (0-based, over all values seen)
            # replaces slot j ~ U{0..i} when j < capacity; later values win a shared slot
            index = self._count + head.size + np.arange(rest.size, dtype=np.float64)
            slots = np.floor(self._rng.random(rest.size) * (index + 1)).astype(np.int64)
            kept = slots < self.capacity
            slots, chosen = slots[kept][::-1], rest[kept][::-1]
            unique, first = np.unique(slots, return_index=True)
            sample[unique] = chosen[first]
        self._sample = sample
        self._count += values.size

    @property
    def sample(self) -> np.ndarray:
        self.flush()
        np = _np()
        return self._sample if self._sample is not None else np.empty(0, dtype=np.float64)

    def merge(self, other: Numbers, seed: int) -> Numbers:
        """One reservoir standing for both: each side contributes in proportion to the
        values it saw, so the merged sample is uniform over all of them."""
        np = _np()
        a, b = self.sample, other.sample
        merged = Numbers(self.capacity, seed)
        merged._count = self.count + other.count
        merged.low, merged.high = min(self.low, other.low), max(self.high, other.high)
        merged.integer = self.integer and other.integer
        rng = np.random.default_rng(seed)
        size = min(self.capacity, a.size + b.size)
        from_a = int(rng.hypergeometric(self.count, other.count, size)) if size else 0
        from_a = min(max(from_a, size - b.size), a.size)
        pick_a = rng.choice(a.size, from_a, replace=False) if from_a else np.empty(0, np.int64)
        pick_b = (
            rng.choice(b.size, size - from_a, replace=False)
            if size - from_a
            else np.empty(0, np.int64)
        )
        merged._sample = np.concatenate([a[np.sort(pick_a)], b[np.sort(pick_b)]])
        merged._rng = rng
        return merged

    def to_tree(self) -> dict[str, Any]:
        plain = self._plain_sample()
        if plain is not None:  # a short run: every value is the sample, no numpy import
            low = min(self.low, plain[0]) if plain else self.low
            high = max(self.high, plain[-1]) if plain else self.high
            values = plain
        else:
            np = _np()
            values = np.sort(self.sample).tolist()
            low, high = self.low, self.high
        return {
            "count": self.count,
            "min": _finite(low),
            "max": _finite(high),
            "integer": self.integer,
            "sample": [float(f"{value:.7g}") for value in values],
        }

    def _plain_sample(self) -> list[float] | None:
        """The sorted sample when no value has reached the reservoir yet and all fit in
        it: what numpy would give, sorted in Python. Importing numpy costs a recorded
        batch job more than all its other work, and a short run never needs it. None
        when a -0.0 is among the values (numpy's sort may place it after a 0.0)."""
        if self._sample is not None or self._chunks or len(self._pending) > self.capacity:
            return None
        values = sorted(map(float, self._pending))
        if any(value == 0.0 and math.copysign(1.0, value) < 0 for value in values):
            return None
        return values

    @classmethod
    def from_tree(cls, tree: Any, where: str, capacity: int) -> Numbers:
        np = _np()
        if not isinstance(tree, dict):
            raise ValueError(f"{where} must be an object")
        count, sample = tree.get("count"), tree.get("sample")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"{where}.count must be a whole number")
        if not isinstance(sample, list) or len(sample) > max(capacity, SAMPLE):
            raise ValueError(f"{where}.sample must be a list of at most {capacity} numbers")
        if not all(type(v) in (int, float) for v in sample):
            raise ValueError(f"{where}.sample must hold numbers only")
        numbers = cls(capacity)
        numbers._sample = np.asarray(sample, dtype=np.float64)
        numbers._count = max(count, len(sample))
        low, high = tree.get("min"), tree.get("max")
        if sample:
            if not isinstance(low, (int, float)) or not isinstance(high, (int, float)):
                raise ValueError(f"{where}.min and .max must be numbers")
            numbers.low = min(float(low), float(numbers._sample.min()))
            numbers.high = max(float(high), float(numbers._sample.max()))
        numbers.integer = bool(tree.get("integer", False))
        return numbers


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass
class Categories:
    """The categorical side of one leaf: exact counts, capped, with an "other" bucket."""

    counts: dict[str, int] = field(default_factory=dict)
    other: int = 0
    cap: int = CATEGORIES

    def add(self, label: str, times: int = 1) -> None:
        counts = self.counts
        if label in counts:
            counts[label] += times
        elif len(counts) < self.cap:
            counts[label] = times
        else:
            self.other += times

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.other

    def merge(self, other: Categories) -> Categories:
        merged = Categories(dict(self.counts), self.other + other.other, self.cap)
        for label, count in sorted(other.counts.items(), key=lambda item: -item[1]):
            merged.add(label, count)
        return merged

    def to_tree(self, redact: Callable[[str], str] | None) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for label, count in self.counts.items():
            if count:
                shown = redact(label) if redact else label
                counts[shown] = counts.get(shown, 0) + count
        return {"counts": dict(sorted(counts.items())), "other": self.other}

    @classmethod
    def from_tree(cls, tree: Any, where: str, cap: int) -> Categories:
        if not isinstance(tree, dict) or not isinstance(tree.get("counts"), dict):
            raise ValueError(f"{where} must be an object with 'counts'")
        counts = tree["counts"]
        if len(counts) > 2 * max(cap, CATEGORIES) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()
        ):
            raise ValueError(f"{where}.counts must map at most {cap} labels to counts")
        other = tree.get("other", 0)
        if not isinstance(other, int) or isinstance(other, bool) or other < 0:
            raise ValueError(f"{where}.other must be a whole number")
        return cls(dict(counts), other, cap)


def _label(value: Any) -> str:
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= _LABEL_LENGTH else text[: _LABEL_LENGTH - 4] + "...'"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    return repr(value)


@dataclass
class InputProfile:
    """The profile of one target's inputs (see the module's docstring)."""

    target: str
    calls: int = 0
    numbers: dict[str, Numbers] = field(default_factory=dict)
    categories: dict[str, Categories] = field(default_factory=dict)
    #: Observed target that was running when this one was called -> calls
    #: (:data:`OUTSIDE` for calls from code that is no observed target).
    callers: dict[str, int] = field(default_factory=dict)
    #: Walks that failed (a hostile ``__dict__``): those calls are counted, not profiled.
    failures: int = 0
    sample: int = SAMPLE
    cap: int = CATEGORIES
    positional: tuple[str, ...] = ()
    varargs: str | None = None
    _paths: dict[tuple[str, Any], str] = field(default_factory=dict, repr=False, compare=False)

    # -- observing -----------------------------------------------------------------------

    def observe(
        self,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        instance: Any = None,
        caller: str = OUTSIDE,
    ) -> None:
        """Take one call's arguments (and ``self``), as they are before the call."""
        self.calls += 1
        self.callers[caller] = self.callers.get(caller, 0) + 1
        try:
            positional, numbers = self.positional, self.numbers
            for index, value in enumerate(args):
                name = positional[index] if index < len(positional) else self._extra(index)
                kind = type(value)
                leaf = numbers.get(name) if kind is float or kind is int else None
                if leaf is not None and value - value == 0:
                    # the common case inlined: a finite number for a leaf seen before
                    if kind is float:
                        leaf.integer = False
                    pending = leaf._pending
                    pending.append(value)
                    if len(pending) >= _BATCH:
                        leaf.flush()
                else:
                    self._walk(value, name, 0)
            for name, value in kwargs.items():
                self._walk(value, name, 0)
            if instance is not None:
                self._walk_object(instance, "self", 0)
        except Exception:  # noqa: BLE001 - profiling must never break the program
            self.failures += 1

    def _extra(self, index: int) -> str:
        return f"{self.varargs or 'args'}[{index - len(self.positional)}]"

    def _numbers(self, path: str) -> Numbers | None:
        leaf = self.numbers.get(path)
        if leaf is None:
            if len(self.numbers) + len(self.categories) >= MAX_LEAVES:
                return None
            leaf = self.numbers[path] = Numbers(self.sample, _seed(self.target, path))
        return leaf

    def _category(self, path: str, label: str, times: int = 1) -> None:
        leaf = self.categories.get(path)
        if leaf is None:
            if len(self.numbers) + len(self.categories) >= MAX_LEAVES:
                return
            leaf = self.categories[path] = Categories(cap=self.cap)
        counts = leaf.counts  # Categories.add, inlined: this runs for every string seen
        if label in counts:
            counts[label] += times
        elif len(counts) < leaf.cap:
            counts[label] = times
        else:
            leaf.other += times

    def _number(self, path: str, value: float, integer: bool) -> None:
        # the hot path: one lookup, one append (nan - nan and inf - inf are nan, not 0)
        leaf = self.numbers.get(path) or self._numbers(path)
        if leaf is None:
            return
        if value - value != 0.0:
            self._category(path, _label(value))
            return
        if not integer:
            leaf.integer = False
        pending = leaf._pending
        pending.append(value)
        if len(pending) >= _BATCH:
            leaf.flush()

    def _child(self, path: str, key: Any) -> str:
        """``path['key']``, ``path[0]``, ``path.attr``: built once per leaf, then looked up."""
        name = self._paths.get((path, key))
        if name is None:
            if isinstance(key, str):
                name = f"{path}[{key!r}]"
            elif isinstance(key, int):
                name = f"{path}[{key}]"
            elif isinstance(key, tuple):  # ("attr", name)
                name = f"{path}.{key[1]}" if key[0] == "attr" else f"{key[1]}({path})"
            else:
                name = f"{path}[*]"
            if len(self._paths) < 4 * MAX_LEAVES:
                self._paths[(path, key)] = name
        return name

    def _walk(self, value: Any, path: str, depth: int) -> None:
        kind = type(value)
        if kind is float:
            self._number(path, value, False)
        elif kind is int:
            self._number(path, float(value), True)
        elif kind is str:
            self._category(path, repr(value) if len(value) < 70 else _label(value))
        elif kind is bool or value is None:
            self._category(
                path, "True" if value is True else ("False" if value is False else "None")
            )
        elif kind is dict:
            self._walk_mapping(value, path, depth)
        elif kind is list:
            self._walk_items(value, path, depth)
        elif kind is tuple and len(value) <= 8:
            for index, item in enumerate(value):
                self._walk(item, self._child(path, index), depth + 1)
        elif kind is tuple:
            self._walk_items(value, path, depth)
        else:
            self._walk_other(value, path, depth)

    def _walk_other(self, value: Any, path: str, depth: int) -> None:
        if isinstance(value, enum.Enum):
            self._category(path, _label(value))
        elif isinstance(value, bool):
            self._category(path, repr(bool(value)))
        elif isinstance(value, int):
            self._number(path, float(value), True)
        elif isinstance(value, (float, Decimal, Fraction)):
            self._number(path, float(value), False)
        elif isinstance(value, str):
            self._category(path, _label(str(value)))
        elif isinstance(value, (set, frozenset)):
            self._number(self._child(path, ("len", "len")), float(len(value)), True)
        elif isinstance(value, Mapping):
            self._walk_mapping(value, path, depth)
        elif isinstance(value, tuple) and hasattr(value, "_fields"):
            for name, item in zip(value._fields, value, strict=False):
                self._walk(item, self._child(path, ("attr", name)), depth + 1)
        elif isinstance(value, tuple):
            self._walk_items(value, path, depth)
        elif "numpy" in sys.modules and self._walk_numpy(value, path):
            return
        elif "pandas" in sys.modules and self._walk_pandas(value, path):
            return
        elif not isinstance(value, (type, bytes, bytearray)) and not callable(value):
            self._walk_object(value, path, depth)

    def _walk_mapping(self, value: Mapping[Any, Any], path: str, depth: int) -> None:
        if depth >= DEPTH:
            return
        paths, walk, depth = self._paths, self._walk, depth + 1
        for count, (key, item) in enumerate(value.items()):
            if count >= WIDTH:
                break
            if type(key) is not str:
                key = None
            walk(item, paths.get((path, key)) or self._child(path, key), depth)

    def _walk_items(self, value: Sequence[Any], path: str, depth: int) -> None:
        self._number(self._child(path, ("len", "len")), float(len(value)), True)
        if depth >= DEPTH or not value:
            return
        step = max(1, len(value) // PER_CALL)
        inner = self._child(path, None)
        for item in value[::step][:PER_CALL]:
            self._walk(item, inner, depth + 1)

    def _walk_object(self, value: Any, path: str, depth: int) -> None:
        if depth >= DEPTH:
            return
        state = object_state(value)
        if not state:
            return
        for count, (name, item) in enumerate(state.items()):
            if count >= WIDTH:
                break
            if not name.startswith("__"):
                self._walk(item, self._child(path, ("attr", name)), depth + 1)

    def _walk_numpy(self, value: Any, path: str) -> bool:
        np = _np()
        if isinstance(value, np.generic):
            if isinstance(value, np.bool_):
                self._category(path, repr(bool(value)))
            elif isinstance(value, np.integer):
                self._number(path, float(value), True)
            elif isinstance(value, np.floating):
                self._number(path, float(value), False)
            elif isinstance(value, (np.str_, np.bytes_)):
                self._category(path, _label(str(value)))
            return True
        if not isinstance(value, np.ndarray):
            return False
        self._category(f"{path}.dtype", str(value.dtype))
        for axis, size in enumerate(value.shape[:4]):
            self._number(f"{path}.shape[{axis}]", float(size), True)
        if value.size == 0:
            return True
        if value.ndim == 2 and value.shape[1] <= 32:
            step = max(1, value.shape[0] // PER_CALL)
            rows = value[::step][:PER_CALL]
            for column in range(value.shape[1]):
                self._values(rows[:, column], f"{path}[:, {column}]")
        else:
            flat = value.reshape(-1)
            self._values(flat[:: max(1, flat.size // PER_CALL)][:PER_CALL], f"{path}[*]")
        return True

    def _values(self, values: Any, path: str) -> None:
        """A 1-d cut of an array or column: numbers to the reservoir, the rest counted."""
        np = _np()
        kind = values.dtype.kind
        if kind in "iuf":
            data = values.astype(np.float64, copy=False)
            finite = np.isfinite(data)
            if not finite.all():
                for label, bad in (("nan", np.isnan(data)), ("inf", data == np.inf)):
                    if bad.any():
                        self._category(path, label, int(bad.sum()))
                if (data == -np.inf).any():
                    self._category(path, "-inf", int((data == -np.inf).sum()))
                data = data[finite]
            leaf = self._numbers(path)
            if leaf is not None and data.size:
                leaf.add_array(np.array(data), kind in "iu")
        elif kind in "bUS":
            labels, counts = np.unique(values.astype(str), return_counts=True)
            quote = kind != "b"
            for label, times in zip(labels.tolist(), counts.tolist(), strict=True):
                self._category(path, _label(label) if quote else label, int(times))

    def _walk_pandas(self, value: Any, path: str) -> bool:
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            self._number(f"{path}.shape[0]", float(value.shape[0]), True)
            self._category(f"{path}.columns", _label(", ".join(map(str, value.columns)))[1:-1])
            step = max(1, value.shape[0] // PER_CALL)
            rows = value.iloc[::step].iloc[:PER_CALL]
            for index, column in enumerate(value.columns):
                if index >= WIDTH:
                    break
                self._column(rows.iloc[:, index], f"{path}[{column!r}]")
            return True
        if isinstance(value, pd.Series):
            self._number(f"len({path})", float(len(value)), True)
            step = max(1, len(value) // PER_CALL)
            self._column(value.iloc[::step].iloc[:PER_CALL], path)
            return True
        return False

    def _column(self, column: Any, path: str) -> None:
        np = _np()
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
            self._values(column.to_numpy(), path)
            return
        for label, times in column.value_counts(dropna=False, sort=False).items():
            if isinstance(label, str):
                self._category(path, _label(label), int(times))
            elif label is None or (isinstance(label, float) and label != label):
                self._category(path, "None", int(times))
            else:
                self._category(
                    path, _label(label) if isinstance(label, enum.Enum) else str(label), int(times)
                )

    # -- reading ---------------------------------------------------------------------------

    def leaves(self) -> list[str]:
        return sorted(set(self.numbers) | set(self.categories))

    def merge(self, other: InputProfile) -> InputProfile:
        """Both profiles as one (a second recording adds to the first)."""
        merged = InputProfile(
            self.target, self.calls + other.calls, sample=self.sample, cap=self.cap
        )
        for caller in set(self.callers) | set(other.callers):
            merged.callers[caller] = self.callers.get(caller, 0) + other.callers.get(caller, 0)
        merged.failures = self.failures + other.failures
        for path in sorted(set(self.numbers) | set(other.numbers)):
            mine, theirs = self.numbers.get(path), other.numbers.get(path)
            if mine is None or theirs is None:
                merged.numbers[path] = mine or theirs  # type: ignore[assignment]
            else:
                merged.numbers[path] = mine.merge(theirs, _seed(self.target, path, "merge"))
        for path in sorted(set(self.categories) | set(other.categories)):
            a, b = self.categories.get(path), other.categories.get(path)
            merged.categories[path] = a.merge(b) if a and b else (a or b)  # type: ignore[assignment]
        return merged

    def pinned(self, baseline: InputProfile) -> InputProfile:
        """An empty profile that counts every category ``baseline`` counted, whatever the
        cap: then both sides of a comparison bin the same values the same way."""
        fresh = InputProfile(
            self.target, sample=self.sample, cap=self.cap,
            positional=self.positional, varargs=self.varargs,
        )  # fmt: skip
        for path, leaf in baseline.categories.items():
            fresh.categories[path] = Categories(
                {label: 0 for label in leaf.counts}, 0, self.cap + len(leaf.counts)
            )
        return fresh

    # -- the file --------------------------------------------------------------------------

    def to_tree(self, redactor: Redactor | None = None) -> dict[str, Any]:
        leaves: dict[str, Any] = {}
        redact = redactor.redact_text if redactor is not None and redactor.active else None
        for path in self.leaves():
            entry: dict[str, Any] = {}
            hidden = redactor is not None and _names_secret(redactor, path)
            numbers, categories = self.numbers.get(path), self.categories.get(path)
            if numbers is not None:
                tree = numbers.to_tree()
                if hidden:
                    tree.update(min=None, max=None, sample=[])
                entry["numbers"] = tree
            if categories is not None:
                tree = categories.to_tree(redact)
                if hidden:
                    tree = {"counts": {}, "other": categories.total}
                entry["categories"] = tree
            if hidden:
                entry["redacted"] = True
            leaves[path] = entry
        return {
            "format": FORMAT,
            "target": self.target,
            "calls": self.calls,
            "callers": dict(sorted(self.callers.items())),
            "failures": self.failures,
            "limits": {"sample": self.sample, "categories": self.cap},
            "leaves": leaves,
        }

    @classmethod
    def from_tree(cls, tree: Any) -> InputProfile:
        """Validate and load; raises ValueError naming the field (the caller adds the file)."""
        if not isinstance(tree, dict):
            raise ValueError("a profile must hold a JSON object")
        if tree.get("format") != FORMAT:
            raise ValueError(f"field 'format' must be {FORMAT}; re-record to write a new profile")
        target = tree.get("target")
        if not isinstance(target, str):
            raise ValueError("field 'target' must be a string")
        TargetSpec.parse(target)
        calls = tree.get("calls")
        if not isinstance(calls, int) or isinstance(calls, bool) or calls < 0:
            raise ValueError("field 'calls' must be a whole number")
        callers = tree.get("callers", {})
        if not isinstance(callers, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in callers.values()
        ):
            raise ValueError("field 'callers' must map targets to counts")
        limits = tree.get("limits", {})
        sample = limits.get("sample", SAMPLE) if isinstance(limits, dict) else SAMPLE
        cap = limits.get("categories", CATEGORIES) if isinstance(limits, dict) else CATEGORIES
        if not all(isinstance(v, int) and 0 < v <= 100_000 for v in (sample, cap)):
            raise ValueError("field 'limits' must hold positive whole numbers")
        leaves = tree.get("leaves")
        if not isinstance(leaves, dict) or len(leaves) > MAX_LEAVES * 2:
            raise ValueError(f"field 'leaves' must be an object of at most {MAX_LEAVES * 2} leaves")
        profile = cls(target, calls, callers=dict(callers), sample=sample, cap=cap)
        for path, entry in leaves.items():
            where = f"field 'leaves.{path}'"
            if not isinstance(entry, dict):
                raise ValueError(f"{where} must be an object")
            if "numbers" in entry:
                profile.numbers[path] = Numbers.from_tree(
                    entry["numbers"], f"{where}.numbers", sample
                )
            if "categories" in entry:
                profile.categories[path] = Categories.from_tree(
                    entry["categories"], f"{where}.categories", cap
                )
        return profile


def _names_secret(redactor: Redactor, path: str) -> bool:
    """True if a key rule names any part of the leaf's path (``customer['password']``)."""
    for part in _path_names(path):
        if redactor.hides_some(part):
            return True
    return False


def _path_names(path: str) -> Iterator[str]:
    word = []
    for char in path:
        if char.isalnum() or char == "_":
            word.append(char)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


# -- the profiles of one run ---------------------------------------------------------------


def profile_path(root: Path, target: str) -> Path:
    """``<store>/.legacy-harness/profiles/<module>/<qualname>.json``."""
    spec = TargetSpec.parse(target)
    return root.joinpath(*PROFILE_FOLDER, spec.module, f"{spec.qualname}.json")


def _dumps(tree: Any) -> bytes:
    return (json.dumps(tree, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


def read_profile(path: Path) -> InputProfile:
    """Load one profile file; a bad one raises GoldenFileError naming it and the field."""
    if path.is_symlink():
        raise GoldenFileError(str(path), "is a link; a profile must be a plain file in the store")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise GoldenFileError(str(path), f"is larger than {MAX_FILE_BYTES} bytes; re-record it")
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GoldenFileError(str(path), f"cannot be read ({error}); re-record it") from None
    try:
        return InputProfile.from_tree(tree)
    except Exception as error:  # noqa: BLE001 - any shape problem names the file
        raise GoldenFileError(str(path), f"{error}; re-record it") from None


def load_profiles(root: Path, targets: Sequence[str] | None = None) -> dict[str, InputProfile]:
    """The profiles kept in the store at ``root`` (only ``targets`` when given)."""
    folder = root.joinpath(*PROFILE_FOLDER)
    found: dict[str, InputProfile] = {}
    if targets is not None:
        for target in targets:
            path = profile_path(root, target)
            if path.is_file():
                found[target] = read_profile(path)
        return found
    if not folder.is_dir() or folder.is_symlink():
        return found
    for module in sorted(folder.iterdir()):
        if not module.is_dir() or module.is_symlink():
            continue
        for path in sorted(module.glob("*.json")):
            profile = read_profile(path)
            if profile_path(root, profile.target) != path:
                raise GoldenFileError(
                    str(path), f"holds the profile of {profile.target}, which belongs elsewhere"
                )
            found[profile.target] = profile
    return found


class ProfileBook:
    """The profiles of one run, and the wrappers that feed them.

    The wrapper knows which observed target is running on its thread (a stack), so each
    call is counted under its caller: the calls between targets, for the docs' graph.
    """

    def __init__(self, baseline: Mapping[str, InputProfile] | None = None) -> None:
        self.profiles: dict[str, InputProfile] = {}
        self.baseline = dict(baseline or {})
        self._local = threading.local()
        #: target -> its wrapper's call counter (one cell), for :meth:`skip_unread`
        self._counters: dict[str, list[int]] = {}

    def profile_for(self, target: ResolvedTarget) -> InputProfile:
        spec = str(target.spec)
        profile = self.profiles.get(spec)
        if profile is None:
            signature = Signature.of(
                target.function, skip_first=target.kind in (KIND_METHOD, KIND_CLASSMETHOD)
            )
            profile = InputProfile(spec, positional=signature.positional, varargs=signature.varargs)
            if spec in self.baseline:
                profile = profile.pinned(self.baseline[spec])
            self.profiles[spec] = profile
        return profile

    def feeding(self, target: ResolvedTarget, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call``, wrapped so every call's inputs reach the target's profile first."""
        profile = self.profile_for(target)
        spec = str(target.spec)
        has_self = target.kind == KIND_METHOD
        drop_first = target.kind in (KIND_METHOD, KIND_CLASSMETHOD)
        local = self._local

        seen = self._counters[spec] = [0]

        @functools.wraps(call)
        def fed(*args: Any, **kwargs: Any) -> Any:
            calls = seen[0] = seen[0] + 1
            if calls > EVERY_CALL and calls % THEN_ONE_IN:
                return call(*args, **kwargs)  # not read: a long job runs at nearly full speed
            stack: list[str] | None = getattr(local, "stack", None)
            if stack is None:
                stack = local.stack = []
            caller = stack[-1] if stack else OUTSIDE
            if drop_first:
                profile.observe(args[1:], kwargs, args[0] if has_self and args else None, caller)
            else:
                profile.observe(args, kwargs, None, caller)
            stack.append(spec)
            try:
                return call(*args, **kwargs)
            finally:
                stack.pop()

        return fed

    def skip_unread(self, target: str) -> int:
        """How many of ``target``'s next calls its profile will not read, counted as
        made now: calls that may bypass the feeding wrapper (0 inside the first
        :data:`EVERY_CALL`, where every call is read)."""
        seen = self._counters.get(target)
        if seen is None:
            return 0
        calls = seen[0]
        if calls < EVERY_CALL:
            return 0
        unread = THEN_ONE_IN - 1 - calls % THEN_ONE_IN
        seen[0] = calls + unread
        return unread

    def save(
        self, root: Path, *, replace: bool = False, redactor: Redactor | None = None
    ) -> list[Path]:
        """Write every profile that saw a call into the store at ``root``; a profile
        already there is added to unless ``replace`` (``record --mode all``). The book
        is empty afterwards, so a second save writes nothing twice."""
        written = []
        for spec, profile in sorted(self.profiles.items()):
            if not profile.calls:
                continue
            path = profile_path(root, spec)
            if not replace and path.is_file():
                profile = read_profile(path).merge(profile)
            atomic_write(path, _dumps(profile.to_tree(redactor)), root=root)
            written.append(path)
        self.profiles.clear()
        return written
