"""The TOML ``verify --runs`` suggests is written by tomli-w: whatever a path or target
holds, it reads back as written and makes the runs stable."""

from __future__ import annotations

import sys

from legacy_harness.compare import compare_observed, policy_from_config
from legacy_harness.compare.unstable import find_unstable, suggest_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

QUOTED = 'say "hi"\\'


def test_emoji_quotes_and_backslashes_read_back() -> None:
    target = "caf\u00e9.menu:Plat\U0001f37d.prix"
    runs = [
        {"outcome": {"tot\U0001f4b0": 1.0, QUOTED: "2024-03-01", "a.b": "x"}},
        {"outcome": {"tot\U0001f4b0": 1.0 + 1e-6, QUOTED: "2024-03-02", "a.b": "y"}},
    ]
    unstable = find_unstable(runs)
    assert len(unstable) == 3
    text = suggest_config(unstable, target=target)
    table = tomllib.loads(text)["tool"]["legacy_harness"]
    entry = table["targets"][target]
    (dated,) = [d.path for d in unstable if "hi" in d.path]
    assert entry["scrub"] == [{"path": dated, "builtin": "dates"}]
    assert entry["tolerances"] == {
        "outcome['tot\U0001f4b0']": {"rtol": 1e-06},
        "outcome['a.b']": {"ignore": True},
    }
    policy = policy_from_config(table).for_target(target)
    assert find_unstable(runs, policy) == []
    assert compare_observed(runs[0], runs[1], policy) == []
