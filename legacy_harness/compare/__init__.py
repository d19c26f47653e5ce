"""Comparison: decide whether today's behaviour matches the master, and say how not.

The stage between replay and reports, importing only the base modules:

- :mod:`~legacy_harness.compare.policy`: :class:`Tolerance` and :class:`Policy`;
- :mod:`~legacy_harness.compare.settings`: a policy from ``[tool.legacy_harness]``;
- :mod:`~legacy_harness.compare.paths`: paths into values and their glob grammar;
- :mod:`~legacy_harness.compare.difference`: :class:`Difference` and its text form;
- :mod:`~legacy_harness.compare.numeric`: ULPs, vectorised float checks, array summaries;
- :mod:`~legacy_harness.compare.engine`: :func:`compare`, :func:`compare_observed`,
  :func:`assert_close`;
- :mod:`~legacy_harness.compare.scrub`: scrubbers for values that change every run;
- :mod:`~legacy_harness.compare.unstable`: what differs between runs of unchanged code.
"""

from __future__ import annotations

from legacy_harness.compare.difference import Difference, unified_diff
from legacy_harness.compare.engine import assert_close, compare, compare_observed
from legacy_harness.compare.numeric import ulp_distance
from legacy_harness.compare.paths import glob_to_regex
from legacy_harness.compare.policy import DEFAULT_TOLERANCE, Policy, Tolerance
from legacy_harness.compare.scrub import Scrubber
from legacy_harness.compare.settings import policy_from_config

__all__ = [
    "DEFAULT_TOLERANCE",
    "Difference",
    "Policy",
    "Scrubber",
    "Tolerance",
    "assert_close",
    "compare",
    "compare_observed",
    "glob_to_regex",
    "policy_from_config",
    "ulp_distance",
    "unified_diff",
]
