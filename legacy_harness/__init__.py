"""legacy-harness: characterization testing for legacy and machine-learning code.

Record real calls of named targets as golden masters, replay them against today's
code, and compare with tolerances. The public API is what this module exports; names
are imported on first use so that loading the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from legacy_harness.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "record": "record.recorder",
    "recording": "record.recorder",
    "Recorder": "record.recorder",
    "GoldenStore": "store.disk",
    "GoldenCase": "store.case",
    "TargetSpec": "store.layout",
    "register_codec": "store.codec",
    "unregister_codec": "store.codec",
    "Tolerance": "compare.policy",
    "Policy": "compare.policy",
    "assert_close": "compare.engine",
    "Scrubber": "compare.scrub",
    "seeded": "stochastic",
    "SeedReport": "stochastic",
    "plan": "stochastic",
    "assert_same_distribution": "stochastic",
    "assert_within_envelope": "stochastic",
    "assert_rate": "stochastic",
    "record_distributions": "stochastic.runner",
    "HarnessError": "errors",
    "TargetError": "errors",
    "CodecError": "errors",
    "GoldenFileError": "errors",
    "ConfigError": "errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.compare import assert_close
    from legacy_harness.compare.policy import Policy, Tolerance
    from legacy_harness.compare.scrub import Scrubber
    from legacy_harness.errors import (
        CodecError,
        ConfigError,
        GoldenFileError,
        HarnessError,
        TargetError,
    )
    from legacy_harness.record.recorder import Recorder, record, recording
    from legacy_harness.stochastic import (
        SeedReport,
        assert_rate,
        assert_same_distribution,
        assert_within_envelope,
        plan,
        seeded,
    )
    from legacy_harness.stochastic.runner import record_distributions
    from legacy_harness.store.case import GoldenCase
    from legacy_harness.store.codec import register_codec, unregister_codec
    from legacy_harness.store.disk import GoldenStore
    from legacy_harness.store.layout import TargetSpec


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
