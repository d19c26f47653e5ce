"""The public API: every exported name resolves, and importing the package stays cheap
(the pytest plugin loads it in every pytest run of a project that installed it)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import legacy_harness


def test_every_exported_name_resolves() -> None:
    for name in legacy_harness.__all__:
        assert getattr(legacy_harness, name) is not None, name
    assert callable(legacy_harness.seeded) and callable(legacy_harness.assert_close)


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        legacy_harness.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_and_plugin_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, legacy_harness, legacy_harness.pytest_plugin;"
        "print(sorted(m for m in ('numpy', 'libcst', 'hypothesis', 'coverage') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_record_decorator_survives_the_record_package_being_imported_first() -> None:
    # importing any module of the stage package ``legacy_harness.record`` binds the
    # package to the name ``legacy_harness.record``: it must still decorate
    code = (
        "import legacy_harness.record.targets, legacy_harness\n"
        "@legacy_harness.record\n"
        "def f(x): return x + 1\n"
        "@legacy_harness.record(max_cases=3)\n"
        "def g(x): return x * 2\n"
        "print(f.__name__, g.__name__, f.__wrapped__(1), g.__wrapped__(2))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["f", "g", "2", "4"]


def test_the_declared_entry_points_load() -> None:
    # pyproject.toml's console script and pytest11 plugin name objects that exist
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from paths import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    script = project["scripts"]["legacy-harness"]
    module, _, name = script.partition(":")
    assert callable(getattr(importlib.import_module(module), name)), script
    plugin = importlib.import_module(project["entry-points"]["pytest11"]["legacy_harness"])
    assert callable(plugin.pytest_addoption) and callable(plugin.pytest_configure)


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "legacy_harness", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: legacy-harness")
    for command in ("record", "verify", "check", "approve", "review", "mutate"):
        assert command in done.stdout
