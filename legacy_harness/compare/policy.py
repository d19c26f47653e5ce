"""How close is close enough: :class:`Tolerance` for one place, :class:`Policy` for a run.

Why a policy and not one tolerance: legacy numeric code is rarely bit-stable everywhere
(summation order, BLAS, float32 paths), but most of its output must match exactly. The
policy says, per target, per path and per type, how close is close enough.

Rules, in brief:

- ints, strings, bytes, bools, dates, Decimals, UUIDs, paths, enums compare exactly;
  floats pass when ``|a - e| <= atol + rtol * |e|`` (relative to the *expected*
  value) **or**, when ``max_ulp`` is set, when they are at most ``max_ulp`` units in
  the last place apart; complex numbers compare by parts; NaN equals NaN unless
  ``nan_equal=False``; ``-0.0 == 0.0`` unless ``signed_zero=True``; an infinity
  only equals the same infinity.
- Paths and globs are those of :mod:`legacy_harness.compare.paths`.
- Precedence: policy default < type tolerances < path tolerances. Within paths every
  matching glob applies, from least to most specific; among equally specific globs the
  later wins. A tolerance set on a container is inherited by everything inside it,
  except ``unordered`` and ``invariant``, which apply to the matched value itself only.
- ``invariant`` (``labels``, ``sign``, ``rows``, ``set``; path rules only) puts both
  values in a canonical form before comparing them: see
  :mod:`legacy_harness.compare.invariants`.

Both classes are frozen so the compiled form (:class:`CompiledPolicy`: regexes, lookup
tables, caches) is built once per policy and shared by every comparison that uses it.
Building a policy from ``pyproject.toml`` is :mod:`legacy_harness.compare.settings`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from legacy_harness.compare.invariants import INVARIANTS, InvariantRules
from legacy_harness.compare.paths import glob_specificity, glob_to_regex, names_literal_index
from legacy_harness.compare.scrub import Scrubber

__all__ = [
    "DEFAULT_TOLERANCE",
    "FLAG_FIELDS",
    "TOLERANCE_FIELDS",
    "CompiledPolicy",
    "Policy",
    "Tolerance",
    "compiled",
]


@dataclass(frozen=True)
class Tolerance:
    """How close two values must be; every field None means "inherit".

    A float passes within ``rtol``/``atol`` *or* within ``max_ulp`` (either suffices).
    ``Tolerance(max_ulp=n)`` given without rtol/atol sets both to 0, so ULPs alone
    decide, which is what someone asking for ULPs means.
    """

    rtol: float | None = None
    atol: float | None = None
    max_ulp: int | None = None
    nan_equal: bool | None = None
    signed_zero: bool | None = None
    unordered: bool | None = None
    exact: bool | None = None
    ignore: bool | None = None
    invariant: str | None = None

    def __post_init__(self) -> None:
        if self.invariant is not None and self.invariant not in INVARIANTS:
            raise ValueError(
                f"unknown invariant {self.invariant!r}; use one of {', '.join(INVARIANTS)}"
            )
        if self.max_ulp is not None and self.rtol is None and self.atol is None:
            object.__setattr__(self, "rtol", 0.0)
            object.__setattr__(self, "atol", 0.0)

    def merged(self, other: Tolerance | None) -> Tolerance:
        """A new tolerance where ``other``'s non-None fields win."""
        if other is None:
            return self
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) is not None
        }
        if not changes:
            return self
        return dataclasses.replace(self, **changes)

    def without_unordered(self) -> Tolerance:
        """This tolerance minus ``unordered`` and ``invariant``, which must not be
        inherited by children (they describe the matched value itself)."""
        if self.unordered is None and self.invariant is None:
            return self
        return dataclasses.replace(self, unordered=None, invariant=None)


DEFAULT_TOLERANCE = Tolerance(
    rtol=1e-9,
    atol=0.0,
    max_ulp=None,
    nan_equal=True,
    signed_zero=False,
    unordered=False,
    exact=False,
    ignore=False,
    invariant=None,
)

#: The fields of :class:`Tolerance`, as accepted by ``assert_close`` and in config tables.
TOLERANCE_FIELDS = tuple(f.name for f in dataclasses.fields(Tolerance))
#: The boolean switches of :class:`Policy` (besides its tolerances).
FLAG_FIELDS = (
    "strict_sequence_types",
    "strict_int_width",
    "strict_dtype_kind",
    "strict_number_types",
)


@dataclass(frozen=True)
class Policy:
    """The whole comparison configuration; immutable so it can be cached and shared.

    ``strict_int_width`` covers numeric width and signedness generally: int32 vs
    int64, float32 vs float64, Python ``int`` vs ``np.int64``. ``strict_number_types``
    makes Python ``int`` vs ``float`` a type difference; by default they are compared
    numerically with the float tolerance.

    A target override (``targets``, glob on ``"module:qualname"``) adds its paths,
    types and scrubbers after ours, merges its ``default`` over ours (unless it is the
    untouched :data:`DEFAULT_TOLERANCE`), and takes each flag whose value differs from
    the class default.
    """

    default: Tolerance = DEFAULT_TOLERANCE
    paths: tuple[tuple[str, Tolerance], ...] = ()
    types: tuple[tuple[str, Tolerance], ...] = ()
    targets: tuple[tuple[str, Policy], ...] = ()
    scrubbers: tuple[Scrubber, ...] = ()
    strict_sequence_types: bool = False
    strict_int_width: bool = False
    strict_dtype_kind: bool = True
    max_differences: int = 50
    strict_number_types: bool = False

    def for_target(self, target: str) -> Policy:
        """This policy with every matching target override applied, in order."""
        out = self
        for pattern, sub in self.targets:
            if not fnmatch.fnmatchcase(target, pattern):
                continue
            changes: dict[str, Any] = {
                "paths": out.paths + sub.paths,
                "types": out.types + sub.types,
                "scrubbers": out.scrubbers + sub.scrubbers,
            }
            if sub.default != DEFAULT_TOLERANCE:
                changes["default"] = out.default.merged(sub.default)
            for name in (*FLAG_FIELDS, "max_differences"):
                value = getattr(sub, name)
                if value != _POLICY_DEFAULTS[name]:
                    changes[name] = value
            out = dataclasses.replace(out, **changes)
        return dataclasses.replace(out, targets=()) if out is not self else out

    def with_overrides(
        self,
        *,
        paths: Mapping[str, Tolerance | Mapping[str, Any]] | None = None,
        **tolerance_fields: Any,
    ) -> Policy:
        """Per-call overrides: tolerance fields for the default, plus path globs.

        Also accepts the policy flags (``strict_*``, ``max_differences``) and
        ``scrubbers`` (appended).
        """
        changes: dict[str, Any] = {}
        tol_kw = {}
        for key, value in tolerance_fields.items():
            if value is None:
                continue
            if key in TOLERANCE_FIELDS:
                tol_kw[key] = value
            elif key in FLAG_FIELDS or key == "max_differences":
                changes[key] = value
            elif key == "scrubbers":
                changes["scrubbers"] = self.scrubbers + tuple(value)
            else:
                known = ", ".join((*TOLERANCE_FIELDS, *FLAG_FIELDS, "max_differences", "scrubbers"))
                raise TypeError(f"unknown comparison option {key!r}; use one of {known}")
        if tol_kw:
            changes["default"] = self.default.merged(Tolerance(**tol_kw))
        if paths:
            extra = tuple(
                (glob, t if isinstance(t, Tolerance) else Tolerance(**dict(t)))
                for glob, t in paths.items()
            )
            changes["paths"] = self.paths + extra
        return dataclasses.replace(self, **changes) if changes else self


_POLICY_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Policy)}


# --------------------------------------------------------------------------- compiled

_TYPE_NAMES: dict[type, tuple[str, ...]] = {}


def _type_names(value: Any) -> tuple[str, ...]:
    """Names a type tolerance can use for ``value`` (least specific first)."""
    t = type(value)
    if t is np.ndarray:
        return ("ndarray", value.dtype.name)
    names = _TYPE_NAMES.get(t)
    if names is None:
        if isinstance(value, np.generic):
            names = (value.dtype.name,)
        elif t.__module__ == "builtins":
            names = (t.__name__,)
        else:
            full = f"{t.__module__}:{t.__qualname__}"
            top = f"{t.__module__.partition('.')[0]}:{t.__qualname__}"
            names = (t.__qualname__, top, full) if top != full else (t.__qualname__, full)
        _TYPE_NAMES[t] = names
    return names


class CompiledPolicy:
    """What a Policy turns into once: regexes, lookup tables, merge caches.

    Rule lookup is the hot part of comparing nested data, so it is cached per
    *context*: (type tolerance so far, path tolerance so far, match path). Tolerance
    objects are interned by the merge caches, so contexts compare by identity.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.base = DEFAULT_TOLERANCE.merged(policy.default)
        rules = []
        for i, (glob, tol) in enumerate(policy.paths):
            spec = glob_specificity(glob)
            rules.append((spec, i, glob_to_regex(glob), tol.without_unordered(), tol.unordered))
        rules.sort(key=lambda r: (r[0], r[1]))
        self.path_rules = [(rx, t, u) for _, _, rx, t, u in rules]
        self.any_path: re.Pattern[str] | None = None
        if len(rules) > 4:
            self.any_path = re.compile(
                "|".join(f"(?:{rx.pattern})" for rx, _, _ in self.path_rules)
            )
        self.type_rules: dict[str, tuple[Tolerance, bool | None]] = {}
        for name, tol in policy.types:
            old = self.type_rules.get(name)
            merged = old[0].merged(tol.without_unordered()) if old else tol.without_unordered()
            u = tol.unordered if tol.unordered is not None else (old[1] if old else None)
            self.type_rules[name] = (merged, u)
        self.has_rules = bool(self.path_rules or self.type_rules)
        #: Path globs with an invariant (canonical forms applied before comparing).
        #: A default invariant (``assert_close(..., invariant="labels")``) is the root's.
        root = [("", self.base.invariant)] if self.base.invariant is not None else []
        self.invariants = InvariantRules(
            root
            + [(glob, tol.invariant) for glob, tol in policy.paths if tol.invariant is not None]
        )
        self.scrubbers = [
            (s, glob_to_regex(s.path) if s.path is not None else None) for s in policy.scrubbers
        ]
        # Without a literal index in any glob, every element of a list matches the same
        # rules, so rule lookups can use "[#]" for indexes and be cached per shape of path.
        literal_index = any(names_literal_index(glob) for glob, _ in policy.paths) or any(
            names_literal_index(s.path or "") for s in policy.scrubbers
        )
        self.index_seg: str | None = None if literal_index else "[#]"
        self._ctx_cache: dict[tuple[int, str | None, Any], tuple[Any, Tolerance, Any, bool]] = {}
        self._merge_cache: dict[tuple[int, int], tuple[Any, Any, Tolerance]] = {}
        self._eff_cache: dict[tuple[int, int], tuple[Any, Any, Tolerance]] = {}

    def merge(self, x: Tolerance, y: Tolerance) -> Tolerance:
        """``x.merged(y)``, one object per pair of inputs."""
        key = (id(x), id(y))
        hit = self._merge_cache.get(key)
        if hit is None:
            hit = (x, y, x.merged(y))
            self._merge_cache[key] = hit
        return hit[2]

    def effective(self, tacc: Tolerance | None, pacc: Tolerance | None) -> Tolerance:
        """The tolerance in force: base, then type rules, then path rules."""
        key = (id(tacc), id(pacc))
        hit = self._eff_cache.get(key)
        if hit is None:
            hit = (tacc, pacc, self.base.merged(tacc).merged(pacc))
            self._eff_cache[key] = hit
        return hit[2]

    def resolve(
        self, value: Any, path: str, tacc: Tolerance | None, pacc: Tolerance | None
    ) -> tuple[Tolerance, Tolerance | None, Tolerance | None, bool]:
        """(tolerance, type acc, path acc, unordered) for ``value`` at match path ``path``."""
        unordered: bool | None = None
        if self.type_rules:
            for name in _type_names(value):
                r = self.type_rules.get(name)
                if r is not None:
                    tacc = r[0] if tacc is None else self.merge(tacc, r[0])
                    if r[1] is not None:
                        unordered = r[1]
        if self.path_rules and (self.any_path is None or self.any_path.fullmatch(path)):
            for rx, t, u in self.path_rules:
                if rx.fullmatch(path):
                    pacc = t if pacc is None else self.merge(pacc, t)
                    if u is not None:
                        unordered = u
        tol = self.effective(tacc, pacc)
        return tol, tacc, pacc, bool(tol.unordered if unordered is None else unordered)

    def resolve_ctx(
        self, value: Any, path: str, parent: Any, mseg: str | None
    ) -> tuple[Tolerance, Any, bool]:
        """Cached rule lookup: ``parent`` is the parent's context, ``mseg`` the segment.

        A context is (type acc, path acc, match path); the match path spells list
        indexes "[#]" when no rule names one, so a list's elements share cache entries.
        """
        t = type(value)
        tkey: Any = (t, value.dtype) if t is np.ndarray else t
        key = (id(parent), mseg if parent is not None else path, tkey)
        hit = self._ctx_cache.get(key)
        if hit is None or hit[0] is not parent:  # ids can be reused after a clear
            if parent is None:
                tacc = pacc = None
                mpath = path
            else:
                tacc, pacc, pm = parent
                mpath = pm + mseg if mseg is not None else path
            tol, tacc, pacc, unordered = self.resolve(value, mpath, tacc, pacc)
            if len(self._ctx_cache) > 200_000:
                self._ctx_cache.clear()
            hit = (parent, tol, (tacc, pacc, mpath), unordered)
            self._ctx_cache[key] = hit
        return hit[1], hit[2], hit[3]

    def tolerance_at(self, path: str) -> Tolerance:
        """Effective tolerance at a path, ignoring type rules (for output streams)."""
        return self.resolve(None, path, None, None)[0]

    def scrub(self, value: Any, path: str) -> Any:
        """``value`` after every scrubber that applies at ``path``."""
        for s, rx in self.scrubbers:
            if rx is None or rx.fullmatch(path):
                value = s.apply(value)
        return value

    def scrub_text(self, text: str, path: str) -> str:
        """``text`` (printed output, a log message) after the scrubbers at ``path``."""
        for s, rx in self.scrubbers:
            if rx is None or rx.fullmatch(path):
                text = s.scrub_text(text)
        return text


def compiled(policy: Policy) -> CompiledPolicy:
    """The compiled form of ``policy``, built once and kept on the (frozen) policy."""
    c = policy.__dict__.get("_lh_compiled")
    if c is None:
        c = CompiledPolicy(policy)
        object.__setattr__(policy, "_lh_compiled", c)  # not a field: eq/hash unaffected
    return c
