"""Tests of unstable-field detection and config suggestions (with a TOML round trip)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from legacy_harness.compare import Policy, compare_observed, policy_from_config
from legacy_harness.compare.unstable import find_unstable, partition_unstable, suggest_config

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def _runs() -> list[dict[str, object]]:
    base = 1.0 / 3.0
    out = []
    for i in range(3):
        out.append(
            {
                "outcome": {
                    "total": base * (1 + i * 3e-9),
                    "weights": np.array([1.0, 2.0]) * (1 + i * 4e-8),
                    "created": f"2024-03-0{i + 1}T12:00:00",
                    "id": [
                        "8f1c1d9e-7b61-4a8e-9a57-1b2c3d4e5f6a",
                        "0b9e6c4e-1111-4a8e-9a57-1b2c3d4e5f6a",
                        "a7e9d1c2-2222-4a8e-9a57-1b2c3d4e5f6a",
                    ][i],
                    "rows": [{"token": i}, {"token": i * 2}],
                    "when": dt.datetime(2024, 1, 1, i),
                    "stable": "same",
                },
                "stdout": f"<Model at 0x7f00000{i}1234>\n",
            }
        )
    return out


def test_find_unstable_paths_and_collapse() -> None:
    unstable = find_unstable(_runs())
    paths = [d.path for d in unstable]
    assert len(paths) == len(set(paths))
    assert set(paths) == {
        "outcome.total",
        "outcome.weights",
        "outcome.created",
        "outcome.id",
        "outcome.rows[0].token",
        "outcome.rows[1].token",
        "outcome.when",
        "stdout",
    }
    assert all(d.kind == "unstable" for d in unstable)
    total = next(d for d in unstable if d.path == "outcome.total")
    assert total.detail["runs"] == [2, 3] and total.rel_err is not None
    assert total.rel_err > 5e-9  # the max over runs, not the first run's


def test_single_or_identical_runs() -> None:
    runs = _runs()
    assert find_unstable(runs[:1]) == []
    assert find_unstable([runs[0], runs[0]]) == []


def test_policy_tolerated_not_unstable() -> None:
    p = Policy().with_overrides(rtol=1e-6)
    paths = {d.path for d in find_unstable(_runs(), p)}
    assert "outcome.total" not in paths and "outcome.weights" not in paths


def test_suggest_config_text() -> None:
    text = suggest_config(find_unstable(_runs()))
    data = tomllib.loads(text)
    assert data["tool"]["legacy_harness"]["tolerances"] == {
        "outcome.total": {"rtol": 1e-08},
        "outcome.weights": {"rtol": 1e-07},
        "outcome.rows[*].token": {"ignore": True},
    }
    assert text.count('"outcome.rows[*].token"') == 1
    scrubs = data["tool"]["legacy_harness"]["scrub"]
    assert {"path": "outcome.created", "builtin": "dates"} in scrubs
    assert {"path": "outcome.id", "builtin": "uuids"} in scrubs
    assert {"path": "outcome.when", "builtin": "timestamps"} in scrubs
    assert {"path": "stdout", "builtin": "hex_addresses"} in scrubs


def test_round_trip_makes_runs_stable() -> None:
    runs = _runs()
    for target in (None, "pkg.mod:func"):
        text = suggest_config(find_unstable(runs), target=target)
        table = tomllib.loads(text)["tool"]["legacy_harness"]
        policy = policy_from_config(table)
        if target is not None:
            assert list(table) == ["targets"]
            assert compare_observed(runs[0], runs[1], policy) != []
            policy = policy.for_target(target)
        assert find_unstable(runs, policy) == []
        for run in runs[1:]:
            assert compare_observed(runs[0], run, policy) == []


def test_atol_when_expected_zero() -> None:
    runs = [{"outcome": 0.0}, {"outcome": 3e-17}]
    text = suggest_config(find_unstable(runs))
    assert tomllib.loads(text)["tool"]["legacy_harness"]["tolerances"] == {
        "outcome": {"atol": 1e-16}
    }
    assert (
        find_unstable(runs, policy_from_config(tomllib.loads(text)["tool"]["legacy_harness"])) == []
    )


def test_nothing_to_suggest() -> None:
    assert suggest_config([]) == ""


def test_partition() -> None:
    runs = _runs()
    unstable = find_unstable(runs)
    changed = dict(runs[1])
    changed["outcome"] = dict(runs[1]["outcome"], stable="different")  # type: ignore[arg-type]
    diffs = compare_observed(runs[0], changed)
    behaviour, flaky = partition_unstable(diffs, unstable)
    assert [d.path for d in behaviour] == ["outcome.stable"]
    assert {d.path for d in flaky} <= {d.path for d in unstable}


def test_suggestions_go_under_overrides_when_targets_is_a_list() -> None:
    from pathlib import Path

    import tomllib

    from legacy_harness.config import config_from_table

    diffs = find_unstable([{"outcome": 1.0}, {"outcome": 1.0 + 1e-9}], Policy())
    listed = config_from_table({"targets": ["calc"]}, root=Path.cwd())
    plain = config_from_table({}, root=Path.cwd())
    for config, key in ((listed, "overrides"), (plain, "targets")):
        text = suggest_config(diffs, target="calc:add", overrides=config.overrides_key)
        table = tomllib.loads(text)["tool"]["legacy_harness"]
        assert list(table) == [key] and "calc:add" in table[key]
        # the suggestion, pasted beside the project's own keys, is read back as overrides
        merged = config_from_table({**config.table, **table}, root=Path.cwd())
        assert "calc:add" in merged.comparison_table()["targets"]
