"""How much a golden file may make the decoder allocate, and how deep it may nest.

Golden files arrive in pull requests: a 500-byte file can declare a 2 GiB string dtype
or a terabyte of zeros, and a file nested a thousand levels deep would overflow the
parser's stack. Every declared size is checked against these limits before anything
is allocated. A project with genuinely larger masters raises them::

    [tool.legacy_harness.limits]
    max_array_bytes = "1 GiB"   # one declared array (or numpy scalar)
    max_depth = 400             # JSON nesting of one case file
    max_case_bytes = "4 GiB"    # all arrays of one case, plus its file
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from legacy_harness.config import section
from legacy_harness.errors import ConfigError

__all__ = ["DEFAULT_LIMITS", "Limits", "parse_size"]

_WHERE = "[tool.legacy_harness.limits]"
_UNITS = {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]iB|B)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """Bounds on what decoding one golden file may cost."""

    #: Bytes of one declared array or numpy scalar (dtype itemsize times elements).
    max_array_bytes: int = 256 * 2**20
    #: Nesting of JSON objects and arrays in one file (or one decoded tree).
    max_depth: int = 200
    #: Bytes of one case: its file plus every array it declares, blobs included.
    max_case_bytes: int = 2**30

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Limits:
        """Read ``limits`` of the ``[tool.legacy_harness]`` table (``Config.table``)."""
        given = section(table, "limits")
        known = [f.name for f in fields(cls)]
        values: dict[str, int] = {}
        for name in known:
            if name not in given:
                continue
            raw = given[name]
            value = raw if name == "max_depth" else parse_size(raw, f"{_WHERE} {name}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{_WHERE} {name} must be a positive integer, not {raw!r}")
            values[name] = value
        return cls(**values)

    def hint(self, name: str) -> str:
        """How to raise the limit ``name``, for the end of an error message."""
        return f"raise {name} in {_WHERE} if this file is trusted"


DEFAULT_LIMITS = Limits()


def parse_size(value: Any, where: str) -> int:
    """A byte count given as an integer or as text with a unit (``"256 MiB"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(
            f'{where} must be a number of bytes or a size such as "256 MiB", not {value!r}'
        )
    return int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
