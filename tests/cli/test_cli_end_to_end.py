"""The user's path through the bundled pricing example, driven as a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli
from paths import REPO

EXAMPLE = REPO / "examples" / "legacy_pricing"
TARGETS = ["--target", "billing:compute_invoice", "--target", "shop:Cart.checkout"]


run = run_cli


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example with masters recorded once for the whole module."""
    root = tmp_path_factory.mktemp("pricing") / "legacy_pricing"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    done = run(root, "record", *TARGETS, "--", "run_month_end.py", "2024-03")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def copy(project: Path, tmp_path: Path) -> Path:
    target = tmp_path / "legacy_pricing"
    shutil.copytree(project, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_record_writes_readable_cases_and_a_summary(project: Path) -> None:
    files = sorted((project / "tests" / "golden").rglob("case-*.json"))
    assert {p.parent.name for p in files} == {"compute_invoice", "Cart.checkout"}
    case = json.loads(files[0].read_text())
    assert {"target", "id", "inputs", "outcome", "effects", "output", "meta"} <= set(case)
    text = files[0].read_text()
    assert text.count("\n") > 10  # indented, one field per line: diffable in review


def test_record_output_of_the_program_is_untouched(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    plain = subprocess.run(
        [sys.executable, "run_month_end.py", "2024-03"], cwd=root, capture_output=True, text=True
    )
    recorded = run(root, "record", *TARGETS, "--", "run_month_end.py", "2024-03")
    assert recorded.stdout == plain.stdout
    assert "billing: 1 target, " in recorded.stderr and "\n  compute_invoice: " in recorded.stderr


def test_verify_passes_on_unchanged_code(copy: Path) -> None:
    done = run(copy, "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "billing:compute_invoice" in done.stdout and "every case behaves the same" in done.stdout


def test_rerecording_unchanged_code_changes_no_byte(copy: Path) -> None:
    before = {p: p.read_bytes() for p in (copy / "tests" / "golden").rglob("*") if p.is_file()}
    done = run(copy, "record", "--mode", "all", *TARGETS, "--", "run_month_end.py", "2024-03")
    assert done.returncode == 0, done.stderr
    after = {p: p.read_bytes() for p in (copy / "tests" / "golden").rglob("*") if p.is_file()}
    assert after == before


def test_edit_to_logic_fails_with_a_diff_naming_the_field(copy: Path) -> None:
    billing = copy / "billing.py"
    source = billing.read_text()
    assert "BIG_INVOICE = 5000" in source
    billing.write_text(source.replace('"DE": 0.19', '"DE": 0.2'))
    done = run(copy, "verify")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CHANGED billing:compute_invoice" in done.stdout
    assert "outcome.tax" in done.stdout and "expected" in done.stdout
    assert "behaviour changed" in done.stdout


def test_corrupted_case_exits_2_names_file_and_others_still_run(copy: Path) -> None:
    files = sorted((copy / "tests" / "golden" / "billing" / "compute_invoice").glob("case-*.json"))
    files[0].write_text(files[0].read_text()[:-40])
    done = run(copy, "verify")
    assert done.returncode == 2, done.stdout + done.stderr
    assert files[0].name in done.stdout
    assert f"{len(files) - 1} same" in done.stdout


def test_verify_json_format(copy: Path) -> None:
    done = run(copy, "verify", "--format", "json")
    document = json.loads(done.stdout)
    assert document["exit_code"] == 0 and all(c["status"] == "passed" for c in document["cases"])


def test_usage_errors_are_one_line_with_exit_2(copy: Path) -> None:
    unknown = run(
        copy, "record", "--target", "billing:compute_invoce", "--", "run_month_end.py", "2024-03"
    )
    # a name its module does not define stops the command before the program runs
    assert unknown.returncode == 2
    assert "did you mean billing:compute_invoice" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert unknown.stdout == ""  # the month-end job prints its invoices when it runs
    no_program = run(copy, "record", "--target", "billing:compute_invoice")
    assert no_program.returncode == 2 and "nothing to run" in no_program.stderr
    bad_flag = run(copy, "verify", "--runs", "zero")
    assert bad_flag.returncode == 2 and "--runs" in bad_flag.stderr
    missing_store = run(copy, "verify", "--store", "nowhere")
    assert missing_store.returncode == 2 and "no golden store" in missing_store.stderr


def test_record_a_module_run(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    (root / "job.py").write_text("import billing\nprint(billing.TAX_RATES['NL'])\n")
    (root / "tests_job").mkdir()
    (root / "tests_job" / "test_inv.py").write_text(
        "from billing import compute_invoice\n\n"
        "def test_inv():\n"
        "    assert compute_invoice({'id': 'T1', 'tier': 'basic', 'region': 'NL', 'years': 1},"
        " [{'sku': 'A', 'qty': 1, 'unit_price': 10.0, 'promo': False}], '2024-05')['total'] > 0\n"
    )
    done = run(
        root,
        "record",
        "--target",
        "billing:compute_invoice",
        "--",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests_job",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list((root / "tests" / "golden").rglob("case-*.json"))) == 1


def test_record_exits_1_when_the_program_fails_and_keeps_what_it_saw(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    (root / "crash.py").write_text(
        "from billing import compute_invoice\n"
        "compute_invoice({'id': 'T1', 'tier': 'basic', 'region': 'NL', 'years': 1},"
        " [{'sku': 'A', 'qty': 1, 'unit_price': 10.0, 'promo': False}], '2024-05')\n"
        "raise RuntimeError('month-end run broke')\n"
    )
    done = run(root, "record", "--target", "billing:compute_invoice", "--", "crash.py")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "RuntimeError: month-end run broke" in done.stderr
    assert "billing: 1 target, 1 calls, 1 cases" in done.stderr  # the summary still comes
    assert len(list((root / "tests" / "golden").rglob("case-*.json"))) == 1
    (root / "quits.py").write_text("import sys\nsys.exit(0)\n")
    quiet = run(root, "record", "--target", "billing:compute_invoice", "--", "quits.py")
    assert quiet.returncode == 0, quiet.stderr
