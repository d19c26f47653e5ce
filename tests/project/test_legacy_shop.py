"""examples/legacy_shop, recorded as a newcomer would: ``targets = [...]`` at module grain
in pyproject.toml (plus one class target), ``legacy-harness record -- run_day.py``, no
``allow``, no flags.

Recorded twice on copies, in processes with different PYTHONHASHSEEDs: the same case
files must come out, name for name and byte for byte, and verify must pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_runner import run_cli
from paths import EXAMPLES

SHOP = EXAMPLES / "legacy_shop"
SEEDS = ("1", "2")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each seed's copy of the example, recorded, with the summary record printed."""
    copies = {}
    for seed in SEEDS:
        copy = tmp_path_factory.mktemp(f"seed{seed}") / "legacy_shop"
        shutil.copytree(SHOP, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        pyproject = copy / "pyproject.toml"  # modules as shipped, and one class besides
        pyproject.write_text(
            pyproject.read_text().replace('"catalog"]', '"catalog", "model_objects:Product"]')
        )
        done = run_cli(copy, "record", "--", "run_day.py", env={"PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr[-3000:]
        assert "--- basket 5" in done.stdout  # the program's own output is untouched
        copies[seed] = (copy, done.stderr)
    return copies


def store_files(project: Path) -> dict[str, bytes]:
    store = project / "tests" / "golden"
    return {
        str(path.relative_to(store)): path.read_bytes()
        for path in sorted(store.rglob("*"))
        if path.is_file()  # cases, and the input profiles kept beside them
    }


def test_the_example_is_configured_at_module_grain_and_ships_no_masters() -> None:
    text = (SHOP / "pyproject.toml").read_text()
    assert 'targets = ["shopping_cart", "teller", "catalog"]' in text
    assert not [line for line in text.splitlines() if line.strip().startswith("allow")]
    assert not (SHOP / "tests").exists()


def test_two_hash_seeds_write_the_same_case_files(
    recorded: dict[str, tuple[Path, str]],
) -> None:
    first, second = (store_files(recorded[seed][0]) for seed in SEEDS)
    cases = [name for name in first if name.endswith(".json")]
    assert len(cases) > 50
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_module_grain_records_constructors_properties_static_and_class_methods(
    recorded: dict[str, tuple[Path, str]],
) -> None:
    project, summary = recorded[SEEDS[0]]
    folders = {path.parent.relative_to(project / "tests" / "golden").as_posix()
               for path in (project / "tests" / "golden").rglob("case-*.json")}  # fmt: skip
    for folder in (
        "teller/Teller.__init__",  # a constructor
        "teller/Receipt.items",  # a property's getter
        "catalog/SupermarketCatalog.round_price",  # a static method
        "catalog/SupermarketCatalog.with_products",  # a class method
        "catalog/load_rows",  # a module-level function
        "shopping_cart/ShoppingCart.handle_offers",
    ):
        assert folder in folders
    assert {f for f in folders if f.startswith("model_objects/")} == {
        "model_objects/Product.__init__",
        "model_objects/Product.label",
    }  # the class target; Offer and Discount are not targets
    lines = summary.splitlines()
    assert lines[0].startswith("catalog: 6 targets, ")
    assert lines[1].startswith("  load_rows: 1 calls, 1 cases")  # functions, then classes
    assert lines[2] == "  SupermarketCatalog"
    assert "teller: 11 targets, " in summary and "\n  Teller\n" in summary
    assert "boundaries" not in summary  # writing the store is no I/O of the targets
    assert "allow" not in summary  # every class the cases hold is the project's own


def test_verify_passes_right_after_record_with_no_allow(
    recorded: dict[str, tuple[Path, str]],
) -> None:
    project = recorded[SEEDS[0]][0]
    done = run_cli(project, "verify", env={"PYTHONHASHSEED": SEEDS[1]})
    output = done.stdout + done.stderr
    assert "outside the allowed modules" not in output  # model_objects is the project's own
    # dicts keyed by Product objects (Teller.offers) compare by content, not by address
    assert done.returncode == 0, output[-3000:]
    assert "every case behaves the same" in output
