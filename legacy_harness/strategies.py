"""User-registered Hypothesis strategies for ``legacy-harness characterize``.

Inference from type hints and recorded values covers plain data; a domain type (an
account number, a well-formed order) needs a strategy from the people who know it::

    from hypothesis import strategies as st
    from legacy_harness import strategies

    strategies.register(Decimal, st.decimals(0, 10_000, places=2))
    strategies.register("billing:compute_invoice:month", st.sampled_from(["2024-03", "2024-12"]))

A name ``"module:qualname:param"`` applies to one parameter of one target and wins over a
type. A type applies to every parameter hinted with it, or whose recorded values are
of it (subclasses included). ``legacy-harness characterize --strategies MODULE`` imports
a module that makes these calls.
"""

from __future__ import annotations

from typing import Any

from hypothesis.strategies import SearchStrategy

from legacy_harness.errors import ConfigError

_BY_NAME: dict[str, SearchStrategy[Any]] = {}
_BY_TYPE: dict[type, SearchStrategy[Any]] = {}


def _check_name(name: str) -> str:
    parts = name.split(":")
    if len(parts) != 3 or not all(part and part.replace(".", "_").isidentifier() for part in parts):
        raise ConfigError(
            f"strategy name {name!r} is not 'module:qualname:param',"
            " e.g. 'billing:compute_invoice:month'"
        )
    return name


def register(type_or_name: type | str, strategy: SearchStrategy[Any]) -> None:
    """Use ``strategy`` for a type, or for one parameter named ``"module:qualname:param"``."""
    if not isinstance(strategy, SearchStrategy):
        raise ConfigError(
            f"register({type_or_name!r}, ...) needs a Hypothesis strategy, not {type(strategy).__name__}"
        )
    if isinstance(type_or_name, str):
        _BY_NAME[_check_name(type_or_name)] = strategy
    elif isinstance(type_or_name, type):
        _BY_TYPE[type_or_name] = strategy
    else:
        raise ConfigError(
            f"register() takes a type or 'module:qualname:param', not {type(type_or_name).__name__}"
        )


def unregister(type_or_name: type | str) -> None:
    """Forget a registration (tests and notebooks register and clean up)."""
    if isinstance(type_or_name, str):
        _BY_NAME.pop(type_or_name, None)
    else:
        _BY_TYPE.pop(type_or_name, None)


def lookup_name(target: str, param: str) -> SearchStrategy[Any] | None:
    """The strategy registered for parameter ``param`` of ``target`` ("module:qualname")."""
    return _BY_NAME.get(f"{target}:{param}")


def lookup_type(kind: Any) -> SearchStrategy[Any] | None:
    """The strategy registered for ``kind`` or its nearest registered base class."""
    if not isinstance(kind, type):
        return None
    for base in kind.__mro__:
        if base in _BY_TYPE:
            return _BY_TYPE[base]
    return None


def lookup(target: str, param: str, kind: Any = None) -> SearchStrategy[Any] | None:
    """By name first, then by type."""
    by_name = lookup_name(target, param)
    return by_name if by_name is not None else lookup_type(kind)
