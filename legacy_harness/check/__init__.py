"""The CI gate: verify every master and enforce the project's policies.

The public surface: :func:`run_check` fills a :class:`CheckReport` from a
:class:`CheckOptions`; :func:`get_reporter` and :func:`write_report` turn it into text,
JSON, GitHub annotations or JUnit XML. ``gate`` runs the verify, ``policies`` judges the
net, ``formats`` holds one module per output format. Names load on first use, so the
command line can read the format table without loading the verify machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from legacy_harness.lazy import lazy_exports

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

__all__ = [*_EXPORTS]

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
