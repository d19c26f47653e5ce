"""Derived statistics: numbers the project computes from each rerun, tested like leaves.

Raw leaves of an ML result can hide a change: cluster ids permute between seeds, so a
bug that moves the clusters leaves every label's marginal distribution as it was. A
quantity that is blind to the symmetry (the inertia of a clustering, a log-likelihood,
the accuracy against labels in the inputs) is not blind to the bug. The project names
functions for a target in pyproject.toml::

    [tool.legacy_harness.statistics]
    "shop.clustering:fit_predict" = "shop.clustering:inertia"   # or a list of them

Each is called as ``function(inputs, outcome)`` after every rerun, with the call's
inputs as recorded (``{"args": [...], "kwargs": {...}}``, plus ``"self"`` for a method)
and the value it returned, and returns ``{name: number}``. Each name becomes the leaf
``statistics.<name>`` of the statistical master, beside the raw leaves: recorded by
``record --runs`` and tested by ``verify --stochastic``.

The functions are named by configuration only, never by a golden file, and only the
project's own code may be named (as for replayed targets, see
:mod:`legacy_harness.record.project`): a statistic outside it is a ConfigError.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from legacy_harness.config import Config, section
from legacy_harness.errors import ConfigError, HarnessError, TargetError
from legacy_harness.record.project import ProjectModules
from legacy_harness.record.targets import KIND_FUNCTION, KIND_STATICMETHOD, resolve
from legacy_harness.store.layout import TargetSpec

__all__ = ["LEAF_PREFIX", "Statistic", "compute", "load_statistics", "statistic_specs"]

#: Statistics are sampled as ``statistics.<name>`` leaves.
LEAF_PREFIX = "statistics"
_WHERE = "[tool.legacy_harness.statistics]"

Statistic = Callable[[Mapping[str, Any], Any], Mapping[str, Any]]


def _names(pattern: str, value: Any) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(
            f'{_WHERE} "{pattern}" = {value!r} is invalid; name a function of the project,'
            f' e.g. "{pattern}" = "mypkg.metrics:inertia" (or a list of them)'
        )
    return names


def statistic_specs(config: Config, target: str) -> tuple[str, ...]:
    """The statistic functions configured for ``target`` (keys are target globs), each
    checked to be the project's own code before anything is imported."""
    table = section(config.table, "statistics")
    specs: list[str] = []
    for pattern, value in table.items():
        names = _names(str(pattern), value)
        if fnmatch.fnmatchcase(target, str(pattern)):
            specs.extend(names)
    modules = ProjectModules.from_config(config) if specs else None
    for spec in specs:
        try:
            parsed = TargetSpec.parse(spec)
        except TargetError as error:
            raise ConfigError(f"{_WHERE} {spec!r}: {error}") from None
        assert modules is not None
        reason = modules.refusal(parsed.module)
        if reason is not None:
            raise ConfigError(
                f"{_WHERE} names {spec}, which is not the project's own code ({reason});"
                f" statistics run only the project's code: move the function into the"
                f' project, or add allow = ["{parsed.package}"] to [tool.legacy_harness]'
            )
    return tuple(dict.fromkeys(specs))


def load_statistics(specs: Sequence[str]) -> list[tuple[str, Statistic]]:
    """Import the functions ``specs`` name (already vetted by :func:`statistic_specs`)."""
    loaded = []
    for spec in specs:
        try:
            found = resolve(spec)
        except TargetError as error:
            raise ConfigError(f"{_WHERE}: {error}") from None
        if found.kind not in (KIND_FUNCTION, KIND_STATICMETHOD):
            raise ConfigError(
                f"{_WHERE} {spec} is a {found.kind}; name a plain function taking (inputs, outcome)"
            )
        loaded.append((spec, found.function))
    return loaded


def _number(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return float(value)
    return None


def compute(
    functions: Sequence[tuple[str, Statistic]], inputs: Mapping[str, Any], outcome: Any
) -> dict[str, float]:
    """Every statistic of one rerun, ``{name: number}``; a failing or malformed
    statistic is a HarnessError naming the function and what to return instead."""
    out: dict[str, float] = {}
    for spec, function in functions:
        try:
            values = function(inputs, outcome)
        except Exception as error:  # noqa: BLE001 - the project's function, reported whole
            raise HarnessError(
                f"statistic {spec} raised {type(error).__name__}: {error};"
                " it is called as function(inputs, outcome)"
            ) from None
        if not isinstance(values, Mapping):
            raise HarnessError(
                f"statistic {spec} returned {type(values).__name__};"
                " return a dict of name -> number, e.g. {'inertia': 12.5}"
            )
        for name, value in values.items():
            number = _number(value)
            if not isinstance(name, str) or not name.isidentifier() or number is None:
                raise HarnessError(
                    f"statistic {spec} returned {name!r}: {value!r};"
                    " names must be identifiers and values real numbers"
                )
            if name in out:
                raise HarnessError(
                    f"statistic {spec} returns {name!r}, which another statistic of the"
                    " target returns too; rename one"
                )
            out[name] = number
    return out
