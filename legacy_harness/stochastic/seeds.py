"""Seed control: make one replay of a stochastic function reproducible.

A characterization test of stochastic code compares *distributions*, but each single run
must still be reproducible so that a failing verdict can be replayed exactly. ``seeded``
pins every random generator it can reach from inside the process and says which ones it
could not, so a report never claims more determinism than it has.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Callable
from contextlib import ContextDecorator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SeedReport", "seeded", "seeds_for", "NOT_CONTROLLABLE"]

#: Sources of run-to-run variation that no in-process seed can fix, with the remedy.
NOT_CONTROLLABLE: tuple[str, ...] = (
    "PYTHONHASHSEED (set iteration order; fixed at interpreter start: use verify --hashseed)",
    "BLAS thread count (summation order; use verify --threads 1)",
    "names bound by `from numpy.random import default_rng` before entry (not patched: "
    "call np.random.default_rng instead)",
    "numpy Generators/BitGenerators built without a seed other than via "
    "np.random.default_rng (e.g. np.random.PCG64())",
)


@dataclass
class SeedReport:
    """Which generators a ``seeded`` block pinned and which it could not (with why)."""

    seed: int
    controlled: list[str] = field(default_factory=list)
    not_controlled: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"seed {self.seed}: controlled " + ", ".join(self.controlled)]
        lines += [f"  not controlled: {item}" for item in self.not_controlled]
        return "\n".join(lines)


@dataclass
class _Saved:
    """Everything ``__exit__`` must put back; one per active (possibly nested) entry."""

    random_state: Any
    numpy_state: Any
    default_rng: Callable[..., np.random.Generator]
    torch_state: Any = None
    torch_cuda_state: Any = None


def _torch_module() -> Any:
    """Return torch only if the code under test already imported it.

    Importing torch costs seconds and changes global state (threads, allocators), so a
    seed helper must never be the one that imports it.
    """
    return sys.modules.get("torch")


class seeded(ContextDecorator):  # noqa: N801 - reads as a function: ``with seeded(3):``
    """Pin Python ``random``, numpy's global RandomState, unseeded ``default_rng`` and torch.

    Use as ``with seeded(7) as report:`` or as a decorator ``@seeded(7)``. On exit every
    saved state is restored, so seeding a replay does not disturb the caller's streams.
    Unseeded ``np.random.default_rng()`` calls inside the block get successive children of
    ``SeedSequence(seed)``: deterministic, yet independent of each other. Not thread-safe:
    the patch of ``numpy.random.default_rng`` is process-global.
    """

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seeded(): seed must be a non-negative int, got {seed!r}")
        self.seed = int(seed)
        self._stack: list[_Saved] = []

    def __enter__(self) -> SeedReport:
        seed = self.seed
        original_default_rng = np.random.default_rng
        saved = _Saved(
            random_state=random.getstate(),
            numpy_state=np.random.get_state(),
            default_rng=original_default_rng,
        )
        report = SeedReport(seed=seed)

        random.seed(seed)
        report.controlled.append("random")
        np.random.seed(seed % 2**32)
        report.controlled.append("numpy.random (global)")

        parent = np.random.SeedSequence(seed)

        def default_rng(seed: Any = None) -> np.random.Generator:
            if seed is None:
                (child,) = parent.spawn(1)
                return original_default_rng(child)
            return original_default_rng(seed)

        default_rng.__doc__ = original_default_rng.__doc__
        np.random.default_rng = default_rng  # type: ignore[assignment]
        report.controlled.append("numpy.random.default_rng (unseeded)")

        torch = _torch_module()
        if torch is not None:
            saved.torch_state = torch.get_rng_state()
            cuda = getattr(torch, "cuda", None)
            try:
                if cuda is not None and cuda.is_available() and cuda.is_initialized():
                    saved.torch_cuda_state = cuda.get_rng_state_all()
            except Exception:  # noqa: BLE001 - a broken CUDA setup must not break seeding
                saved.torch_cuda_state = None
            torch.manual_seed(seed)
            report.controlled.append("torch")
        elif importlib.util.find_spec("torch") is not None:
            report.not_controlled.append(
                "torch (installed but not imported before entry: import it first)"
            )

        report.not_controlled.extend(NOT_CONTROLLABLE)
        self._stack.append(saved)
        return report

    def __exit__(self, *exc: object) -> None:
        saved = self._stack.pop()
        random.setstate(saved.random_state)
        np.random.set_state(saved.numpy_state)
        np.random.default_rng = saved.default_rng  # type: ignore[assignment]
        torch = _torch_module()
        if torch is not None and saved.torch_state is not None:
            torch.set_rng_state(saved.torch_state)
            if saved.torch_cuda_state is not None:
                torch.cuda.set_rng_state_all(saved.torch_cuda_state)


def seeds_for(base_seed: int, n: int) -> list[int]:
    """Derive ``n`` distinct, reproducible 32-bit seeds from ``base_seed``.

    Children of one ``SeedSequence`` give statistically independent streams, unlike
    ``base_seed + i``. The rare 32-bit collision is resolved deterministically by taking
    further words of the same child's state, so the list is always distinct.
    """
    if n < 0:
        raise ValueError(f"seeds_for(): n must be >= 0, got {n}")
    seen: set[int] = set()
    out: list[int] = []
    for child in np.random.SeedSequence(base_seed).spawn(n):
        words = 1
        value = int(child.generate_state(1)[0])
        while value in seen:
            words += 1
            value = int(child.generate_state(words)[-1])
        seen.add(value)
        out.append(value)
    return out
