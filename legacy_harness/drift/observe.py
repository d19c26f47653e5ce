"""Watch production work: the targets' inputs go to fresh profiles, nothing is stored.

The targets are patched as ``record`` patches them (their code swapped for a trampoline,
so every way of reaching them is seen), but the wrapper only feeds a profile and calls
the original: no case is encoded, no file is written, the program runs at nearly full
speed. Each fresh profile counts every category its recorded profile counted, so both
sides of the comparison bin the same values the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from legacy_harness.record.profile import InputProfile, ProfileBook
from legacy_harness.record.targets import Patch, function_copy, resolve

__all__ = ["observing"]


@contextmanager
def observing(baseline: Mapping[str, InputProfile]) -> Iterator[ProfileBook]:
    """Profile every call of the targets of ``baseline`` made inside the block.

    >>> with observing(load_profiles(store)) as book:  # doctest: +SKIP
    ...     run_nightly_batch()
    >>> compare_profiles(baseline, book.profiles)  # doctest: +SKIP
    """
    book = ProfileBook(baseline)
    patches: list[Patch] = []
    try:
        for spec in sorted(baseline):
            target = resolve(spec)
            original = function_copy(target.function)  # type: ignore[arg-type]
            patch = Patch(target, book.feeding(target, original))
            patch.apply()
            patches.append(patch)
        yield book
    finally:
        for patch in reversed(patches):
            patch.undo()
