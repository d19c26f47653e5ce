"""Commands take target patterns; ``targets = [...]`` in pyproject.toml means no flags."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from legacy_harness.cli import main

PRICING = """
class Basket:
    def __init__(self, owner):
        self.owner = owner
        self.lines = []

    def add(self, price, qty=1):
        self.lines.append(price * qty)

    def total(self):
        return round(sum(self.lines), 2)


def discount(total):
    return 0.1 * total if total > 10 else 0.0


def debug_dump(basket):
    return repr(basket.lines)
"""

RUN = """
from pricing import Basket, debug_dump, discount

basket = Basket("ann")
basket.add(4.5, 2)
basket.add(3.0)
print(basket.total(), discount(basket.total()), debug_dump(basket))
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pricing.py").write_text(textwrap.dedent(PRICING))
    (tmp_path / "run.py").write_text(textwrap.dedent(RUN))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("pricing", None)


def configure(project: Path, lines: str) -> None:
    (project / "pyproject.toml").write_text(f'[tool.legacy_harness]\nstore = "golden"\n{lines}\n')


def folders(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "golden" / "pricing").iterdir() if p.is_dir())


def test_record_takes_the_configured_targets_less_exclusions(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, 'targets = ["pricing"]\nexclude = ["pricing:debug_*"]')
    assert main(["record", "--exclude", "pricing:Basket.__init__", "--", "run.py"]) == 0
    assert folders(project) == ["Basket.add", "Basket.total", "discount"]
    err = capsys.readouterr().err
    assert err.startswith(
        "pricing: 3 targets, 5 calls, 4 cases\n  discount: 1 calls, 1 cases (1 new, "
    )  # a module's functions first, then each class with its methods
    assert "\n  Basket\n    add: 2 calls, 2 cases" in err


def test_record_without_targets_says_where_to_name_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, "")
    assert main(["record", "--", "run.py"]) == 2
    err = capsys.readouterr().err
    assert "no targets; pass --target PATTERN" in err
    assert 'targets = ["shop"] in [tool.legacy_harness]' in err


def test_a_class_on_the_command_line_and_store_commands_take_patterns(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, "")
    assert main(["record", "-t", "pricing:Basket", "-t", "pricing:discount", "--", "run.py"]) == 0
    assert folders(project) == ["Basket.__init__", "Basket.add", "Basket.total", "discount"]
    capsys.readouterr()
    assert main(["verify", "-v", "pricing:Basket", "--exclude", "pricing:Basket.add"]) == 0
    out = capsys.readouterr().out
    assert "pricing:Basket.total" in out and "pricing:Basket.add" not in out
    assert "pricing:discount" not in out
    assert main(["coverage", "pricing:Basket.*"]) == 0
    out = capsys.readouterr().out
    assert "pricing:Basket.add" in out and "pricing:discount" not in out
    assert main(["verify", "pricing:nothing_*"]) == 2
    assert "no cases for pricing:nothing_*" in capsys.readouterr().err
    assert main(["verify", "--exclude", "pricing"]) == 2
    assert "leaves no target" in capsys.readouterr().err


def test_characterize_and_mutate_need_no_target_flags(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, 'targets = ["pricing:disc*"]')
    assert main(["record", "-t", "pricing", "--exclude", "pricing:debug_dump", "--", "run.py"]) == 0
    assert folders(project) == ["Basket.__init__", "Basket.add", "Basket.total", "discount"]
    capsys.readouterr()
    quick = ["--max-examples", "5", "--budget", "5", "--no-mutants", "--dry-run"]
    assert main(["characterize", *quick]) == 0
    out = capsys.readouterr().out  # the configured targets, not the store's four
    assert out.startswith("pricing:discount: ") and "Basket" not in out
    assert main(["mutate", "-t", "pricing:*", "--exclude", "pricing:Basket"]) in (0, 1)
    out = capsys.readouterr().out
    assert "pricing:discount" in out and "Basket" not in out


def test_a_bad_pattern_in_pyproject_names_the_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, 'targets = ["pricing:Basket..add"]')
    assert main(["record", "--", "run.py"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: [tool.legacy_harness] targets: target 'pricing:Basket..add'" in err
