"""Versions of installed packages, read as importlib.metadata reads them, without it."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from legacy_harness.record.project import installed_version


@pytest.mark.parametrize("name", ["numpy", "pytest", "hypothesis"])
def test_an_installed_package_has_the_version_importlib_metadata_gives(name: str) -> None:
    assert installed_version(name) == metadata.version(name)


def test_a_missing_package_has_none() -> None:
    assert installed_version("no_such_package_anywhere") is None


def test_a_package_without_dist_info_beside_it_falls_back_to_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lonely_pkg").mkdir()
    (tmp_path / "lonely_pkg" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_version("lonely_pkg") is None  # no metadata anywhere
    info = tmp_path / "lonely_pkg-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: lonely-pkg\nVersion: 1.2.3\n\nBody\n"
    )
    assert installed_version("lonely_pkg") == "1.2.3"


def test_reading_the_version_imports_neither_numpy_nor_importlib_metadata() -> None:
    code = (
        "import sys\nfrom legacy_harness.record.project import installed_version\n"
        "assert installed_version('numpy')\n"
        "print(sorted(m for m in ('numpy', 'importlib.metadata') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
