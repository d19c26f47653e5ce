"""[tool.legacy_harness]: found upwards, validated with one-line errors, paths resolved."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from legacy_harness import config
from legacy_harness.config import DEFAULT_MAX_CASES, config_from_table, load_config
from legacy_harness.errors import ConfigError


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(text)
    return folder


def test_nearest_pyproject_above_the_working_folder_is_the_root(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", '[tool.legacy_harness]\nstore = "masters"\nallow = ["lib"]\n')
    deep = root / "src" / "pkg"
    deep.mkdir(parents=True)
    config = load_config(deep)
    assert config.root == root.resolve() and config.source == root.resolve() / "pyproject.toml"
    assert config.store == root.resolve() / "masters"
    assert config.allow == ("lib",) and config.max_cases == DEFAULT_MAX_CASES
    assert config.pythonpath == (root.resolve(),)


def test_no_pyproject_means_defaults_in_the_working_folder(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.store == tmp_path.resolve() / "tests" / "golden" and config.source is None


def test_comparison_keys_are_passed_on_and_own_keys_kept(tmp_path: Path) -> None:
    config = config_from_table(
        {"store": "g", "rtol": 1e-6, "tolerances": {"x": {"atol": 1}}}, root=tmp_path
    )
    assert config.comparison_table() == {"rtol": 1e-6, "tolerances": {"x": {"atol": 1}}}


def test_store_option_overrides_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = config_from_table({}, root=tmp_path / "elsewhere").with_store("other")
    assert config.store == tmp_path.resolve() / "other"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"stor": "x"}, "unknown key 'stor'"),
        ({"store": 3}, "store must be a folder path"),
        ({"allow": "lib"}, "allow must be a list of module names"),
        ({"max_cases": 0}, "max_cases must be a positive integer"),
        ({"max_cases": True}, "max_cases must be a positive integer"),
        ({"pythonpath": "src"}, "pythonpath must be a list of folders"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_key(
    tmp_path: Path, table: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        config_from_table(table, root=tmp_path)
    assert "\n" not in str(info.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "[tool.legacy_harness\nstore = 1\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: not valid TOML"):
        load_config(tmp_path)


def test_sections_are_checked_when_pyproject_is_read(tmp_path: Path) -> None:
    from legacy_harness.config import SECTIONS, config_from_table

    with pytest.raises(ConfigError, match=r"\[tool.legacy_harness.stochastic\] alpha = 2"):
        config_from_table({"stochastic": {"alpha": 2}}, root=tmp_path)
    with pytest.raises(ConfigError, match=r"stochastic\] sequential must be true or false"):
        config_from_table({"stochastic": {"sequential": "yes"}}, root=tmp_path)
    with pytest.raises(ConfigError, match=r"\[tool.legacy_harness.check\] has unknown key 'job'"):
        config_from_table({"check": {"job": 2}}, root=tmp_path)
    with pytest.raises(ConfigError, match=r"\[tool.legacy_harness.limits\] must be a table"):
        config_from_table({"limits": 3}, root=tmp_path)
    assert set(SECTIONS) >= {"stochastic", "check", "limits"}
    config_from_table({"stochastic": {"alpha": 0.05}, "check": {"jobs": 2}}, root=tmp_path)


def test_a_bad_alpha_in_pyproject_is_named_as_pyproject_not_as_a_flag(tmp_path: Path) -> None:
    from cli_runner import run_cli

    (tmp_path / "pyproject.toml").write_text("[tool.legacy_harness.stochastic]\nalpha = 1.5\n")
    done = run_cli(tmp_path, "verify", "--stochastic")
    assert done.returncode == 2
    assert "pyproject.toml: [tool.legacy_harness.stochastic] alpha = 1.5" in done.stderr
    assert "--alpha" not in done.stderr


# -- the parsed table kept in the user's cache folder ------------------------------------


@pytest.fixture
def cached_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose parsed configuration may be kept (bytecode written, no prefix,
    the user's cache folder in tmp_path)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "kept"\n')
    return tmp_path / "project"


config_parse = config._parse


def test_the_command_line_keeps_the_parsed_table_and_reads_it_back(
    cached_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = config.load_config(cached_project, keep=True)
    kept = config.cache_path(cached_project / "pyproject.toml")
    assert (
        kept.is_file()
        and kept.parent == cached_project.parent / "user-cache" / "legacy-harness" / "config"
    )
    assert [path.name for path in cached_project.iterdir()] == ["pyproject.toml"]  # nothing else

    def no_parsing(*args: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(config, "_parse", no_parsing)
    assert config.load_config(cached_project) == first  # from the cache, same config
    monkeypatch.setattr(config, "_parse", config_parse)
    (cached_project / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "edited"\n')
    assert config.load_config(cached_project).store == cached_project / "edited"  # an edit wins


def test_a_damaged_or_foreign_cache_file_is_ignored(cached_project: Path) -> None:
    config.load_config(cached_project, keep=True)
    kept = config.cache_path(cached_project / "pyproject.toml")
    for damaged in (b"", b"\x00garbage", kept.read_bytes()[:-7]):
        kept.write_bytes(damaged)
        assert config.load_config(cached_project).store == cached_project / "kept"
    import marshal

    other = {"format": config.CACHE_FORMAT, "source": "/elsewhere/pyproject.toml",
             "data": (cached_project / "pyproject.toml").read_bytes(), "table": {"store": "x"}}  # fmt: skip
    kept.write_bytes(marshal.dumps(other))
    assert config.load_config(cached_project).store == cached_project / "kept"


def test_nothing_is_kept_when_bytecode_is_not_written_or_the_table_holds_dates(
    cached_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    config.load_config(cached_project, keep=True)
    assert not config.cache_path(cached_project / "pyproject.toml").exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (cached_project / "pyproject.toml").write_text(
        "[tool.legacy_harness]\nstore = 'kept'\n[tool.legacy_harness.statistics]\n"
        "when = 2024-03-01\n"
    )
    loaded = config.load_config(cached_project, keep=True)  # a date: parsed every time
    assert str(loaded.table["statistics"]["when"]) == "2024-03-01"
    assert not config.cache_path(cached_project / "pyproject.toml").exists()


def test_a_cache_file_that_comes_with_the_code_is_never_read(cached_project: Path) -> None:
    """A pull request cannot carry a configuration other than the one it shows: files
    in the project (where bytecode caches go) are not where the table is kept."""
    import marshal

    data = (cached_project / "pyproject.toml").read_bytes()
    forged = {"format": config.CACHE_FORMAT, "source": str(cached_project / "pyproject.toml"),
              "data": data, "table": {"store": "forged"}}  # fmt: skip
    (cached_project / "__pycache__").mkdir()
    (cached_project / "__pycache__" / "pyproject.legacy-harness.marshal").write_bytes(
        marshal.dumps(forged)
    )
    assert config.load_config(cached_project, keep=True).store == cached_project / "kept"
    assert config.load_config(cached_project).store == cached_project / "kept"
