"""Input drift: do today's inputs still look like those the masters were recorded from?

``record`` keeps an input profile per target (:mod:`legacy_harness.record.profile`);
:func:`observing` builds the same profile while production work runs, storing nothing;
:func:`compare_profiles` tests every leaf (Kolmogorov-Smirnov for numbers, chi-square and
exact tests for categories and new values, Holm across the run, effect sizes beside the
p-values); :func:`render_text` and :func:`render_json` report it.
"""

from __future__ import annotations

from legacy_harness.drift.compare import DriftReport, LeafDrift, LeafTest, compare_profiles
from legacy_harness.drift.observe import observing
from legacy_harness.drift.report import render_json, render_text, to_data
from legacy_harness.drift.settings import DriftSettings, settings_from_config

__all__ = [
    "DriftReport",
    "DriftSettings",
    "LeafDrift",
    "LeafTest",
    "compare_profiles",
    "observing",
    "render_json",
    "render_text",
    "settings_from_config",
    "to_data",
]
