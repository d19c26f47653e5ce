"""The refactor command end to end: record, refactor with --apply --verify, replay."""

from __future__ import annotations

import shutil
from pathlib import Path

import libcst as cst
import pytest
from cli_runner import run_cli
from libcst.codemod import VisitorBasedCodemodCommand
from paths import REPO

from legacy_harness.config import load_config
from legacy_harness.refactor import HELPERS, RefusalError
from legacy_harness.refactor.loop import run_loop
from legacy_harness.store.disk import GoldenStore

EXAMPLES = REPO / "examples"


cli = run_cli


@pytest.fixture(scope="module")
def recorded_pricing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("refactor") / "pricing"
    shutil.copytree(
        EXAMPLES / "legacy_pricing", root, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    done = cli(
        root,
        "record",
        "-t",
        "billing:compute_invoice",
        "-t",
        "shop:Cart.checkout",
        "--",
        "run_month_end.py",
        "2024-03",
    )
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def pricing(recorded_pricing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "pricing"
    shutil.copytree(recorded_pricing, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    return root


def test_extract_function_applied_and_verified(pricing: Path) -> None:
    done = cli(pricing, "refactor", "extract-function", "--function", "compute_invoice", "--lines", "91-99",
               "--name", "volume_discount", "billing.py", "--apply", "--verify")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified: " in done.stdout and "applied" in done.stdout
    source = (pricing / "billing.py").read_text()
    assert "def volume_discount(" in source and "# volume discount on the whole invoice" in source
    assert cli(pricing, "verify").returncode == 0


def test_diff_only_by_default_changes_nothing(pricing: Path) -> None:
    before = (pricing / "billing.py").read_bytes()
    done = cli(
        pricing,
        "refactor",
        "parameterize",
        "--function",
        "compute_invoice",
        "--name",
        "TAX_RATES",
        "billing.py",
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.startswith("--- a/")
        and "+++ b/" in done.stdout
        and "not applied" in done.stdout
    )
    assert (pricing / "billing.py").read_bytes() == before


def test_rename_migrates_masters(pricing: Path) -> None:
    args = [
        "refactor",
        "rename",
        "--old",
        "shop:Cart.checkout",
        "--new",
        "pay",
        "shop.py",
        "run_month_end.py",
    ]
    refused = cli(pricing, *args, "--apply", "--verify")
    assert refused.returncode == 2 and "receivers whose type is unknown" in refused.stderr
    done = cli(pricing, *args, "--unique-attribute", "--apply", "--verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "masters of shop:Cart.checkout moved to shop:Cart.pay" in done.stdout
    assert "shop:Cart.pay" in GoldenStore(pricing / "tests" / "golden").targets()
    assert "def pay(" in (pricing / "shop.py").read_text()
    assert cli(pricing, "verify").returncode == 0


class FlipBigInvoice(VisitorBasedCodemodCommand):
    """Test-only helper that changes behaviour: 5000 becomes 500."""

    DESCRIPTION = "flip a constant (changes behaviour on purpose)"

    def leave_Integer(self, original: cst.Integer, updated: cst.Integer) -> cst.Integer:
        return updated.with_changes(value="500") if updated.value == "5000" else updated


def test_behaviour_change_is_caught_and_files_restored_byte_for_byte(
    pricing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(HELPERS, "flip", FlipBigInvoice)
    monkeypatch.chdir(pricing)
    billing = pricing / "billing.py"
    before = billing.read_bytes()
    masters = {p: p.read_bytes() for p in (pricing / "tests" / "golden").rglob("*") if p.is_file()}
    result = run_loop("flip", [billing], {}, load_config(pricing), apply=True, verify=True)
    assert result.restored and not result.applied
    assert result.after is not None and result.after.failing
    assert billing.read_bytes() == before
    assert {
        p: p.read_bytes() for p in (pricing / "tests" / "golden").rglob("*") if p.is_file()
    } == masters


def test_rename_of_a_helper_function_is_verified(pricing: Path) -> None:
    done = cli(pricing, "refactor", "rename", "--old", "billing:_line_discount_rate", "--new", "rate_for",
               "billing.py", "--apply", "--verify")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "_line_discount_rate" not in (pricing / "billing.py").read_text()


def test_verify_refuses_without_masters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "rules"
    shutil.copytree(
        EXAMPLES / "legacy_rules", root, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    monkeypatch.chdir(root)
    with pytest.raises(RefusalError, match="no golden masters cover"):
        run_loop("parameterize", [root / "eligibility.py"], {"function": "eligibility", "name": "MIN_AGE"},
                 load_config(root), apply=True, verify=True)  # fmt: skip
    done = cli(root, "refactor", "parameterize", "--function", "eligibility", "--name", "MIN_AGE",
               "eligibility.py", "--verify")  # fmt: skip
    assert done.returncode == 2 and "record the code first" in done.stderr


def test_annotate_reads_types_from_the_masters(pricing: Path) -> None:
    done = cli(pricing, "refactor", "annotate", "billing.py", "shop.py", "--apply", "--verify")
    assert done.returncode == 0, done.stdout + done.stderr
    source = (pricing / "billing.py").read_text()
    assert "def compute_invoice(customer: dict, lines: list, month: str) -> dict:" in source, (
        done.stdout
    )
