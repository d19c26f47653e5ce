"""``targets`` in [tool.legacy_harness]: a list says what to record, a table holds overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from legacy_harness.compare.settings import policy_from_config
from legacy_harness.config import config_from_table, load_config
from legacy_harness.errors import ConfigError


def test_a_list_says_what_to_record_and_is_no_comparison_setting(tmp_path: Path) -> None:
    config = config_from_table(
        {"targets": ["shopping_cart", "teller:Teller"], "exclude": ["teller:print_*"], "rtol": 0.1},
        root=tmp_path,
    )
    assert config.targets == ("shopping_cart", "teller:Teller")
    assert config.exclude == ("teller:print_*",)
    assert config.comparison_table() == {"rtol": 0.1}
    policy_from_config(config.comparison_table())  # no complaint about a list of targets


def test_a_table_stays_per_target_overrides(tmp_path: Path) -> None:
    table = {"targets": {"billing:compute": {"rtol": 1e-3}}}
    config = config_from_table(table, root=tmp_path)
    assert config.targets == ()
    assert config.comparison_table() == table
    policy = policy_from_config(config.comparison_table())
    assert [name for name, _ in policy.targets] == ["billing:compute"]


@pytest.mark.parametrize("value", ["billing", ["billing", 3], [""], 7])
def test_anything_else_is_an_error_naming_both_shapes(tmp_path: Path, value: object) -> None:
    with pytest.raises(ConfigError, match=r"targets must be a list of what to record.*or a table"):
        config_from_table({"targets": value}, root=tmp_path)


def test_exclude_must_be_a_list_of_patterns(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exclude must be a list of target patterns"):
        config_from_table({"exclude": "teller"}, root=tmp_path)


def test_read_from_pyproject_and_kept_by_with_store(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.legacy_harness]\ntargets = ["shop", "billing:compute_*"]\n'
    )
    config = load_config(tmp_path).with_store(tmp_path / "elsewhere")
    assert config.targets == ("shop", "billing:compute_*")
    assert config.store == tmp_path / "elsewhere"


def test_beside_a_list_overrides_go_under_overrides(tmp_path: Path) -> None:
    table = {"targets": ["billing"], "overrides": {"billing:compute": {"rtol": 1e-3}}}
    config = config_from_table(table, root=tmp_path)
    assert config.targets == ("billing",)
    assert config.comparison_table() == {"targets": {"billing:compute": {"rtol": 1e-3}}}
    policy = policy_from_config(config.comparison_table())
    assert [name for name, _ in policy.targets] == ["billing:compute"]


def test_overrides_in_two_places_or_of_the_wrong_shape_are_errors(tmp_path: Path) -> None:
    both = {"targets": {"a:f": {"rtol": 1.0}}, "overrides": {"a:g": {"rtol": 1.0}}}
    with pytest.raises(ConfigError, match="under both targets and overrides"):
        config_from_table(both, root=tmp_path)
    with pytest.raises(ConfigError, match="overrides must be a table"):
        config_from_table({"overrides": ["a:f"]}, root=tmp_path)
