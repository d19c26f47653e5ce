"""The CI gate: verify every master and enforce the project's policies.

The public surface: :func:`run_check` fills a :class:`CheckReport` from a
:class:`CheckOptions`; :func:`get_reporter` and :func:`write_report` turn it into text,
JSON, GitHub annotations or JUnit XML. ``gate`` runs the verify, ``policies`` judges the
net, ``formats`` holds one module per output format. Names load on first use, so the
command line can read the format table without loading the verify machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "FORMATS": "formats",
    "Reporter": "formats",
    "get_reporter": "formats",
    "write_report": "formats",
    "run_check": "gate",
    "CaseCheck": "model",
    "CheckOptions": "model",
    "CheckReport": "model",
    "ErrorKind": "model",
    "PolicyFailure": "model",
    "PolicyKind": "model",
    "options_from_config": "model",
}

__all__ = [
    "FORMATS",
    "CaseCheck",
    "CheckOptions",
    "CheckReport",
    "ErrorKind",
    "PolicyFailure",
    "PolicyKind",
    "Reporter",
    "get_reporter",
    "options_from_config",
    "run_check",
    "write_report",
]

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.check.formats import FORMATS, Reporter, get_reporter, write_report
    from legacy_harness.check.gate import run_check
    from legacy_harness.check.model import (
        CaseCheck,
        CheckOptions,
        CheckReport,
        ErrorKind,
        PolicyFailure,
        PolicyKind,
        options_from_config,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'legacy_harness.check' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
