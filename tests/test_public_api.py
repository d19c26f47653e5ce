"""The public API: every exported name resolves, and importing the package stays cheap
(the pytest plugin loads it in every pytest run of a project that installed it)."""

from __future__ import annotations

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
