"""The start-up diet of ``record --``: what a run imports before and beside the program.

Behavioural guards, not timings: a recorded process should cost little more than the
program itself, so the command line loads no codec, numpy, redaction rules, capture
machinery or introspection until a target is reached, and the target modules are
imported by the program, in its own order.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from cli_runner import cli_env
from paths import EXAMPLES

PRICING = EXAMPLES / "legacy_pricing"
TARGETS = ["--target", "billing:compute_invoice", "--target", "shop:Cart.checkout"]

#: Never needed before a target is reached (nor by ``--help``): heavy, and slow to import.
HEAVY = (
    "numpy", "pandas", "hypothesis", "libcst", "vcr", "json", "dataclasses", "inspect",
    "importlib.metadata", "legacy_harness.record.recorder", "legacy_harness.store.codec",
    "legacy_harness.record.redact", "legacy_harness.store.secret_rules",
    "legacy_harness.record.boundaries", "legacy_harness.store.disk",
    "legacy_harness.refactor.journal", "legacy_harness.verify",
)  # fmt: skip


def _imports(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``python -X importtime -m legacy_harness ARGS``; the modules in import order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "legacy_harness", *args],
        cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    order = [
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    return done, order


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _project(tmp_path: Path, script: str) -> Path:
    root = tmp_path / "pricing"
    shutil.copytree(PRICING, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    (root / "job.py").write_text(script)
    return root


def test_recording_a_program_that_reaches_no_target_loads_no_capture_machinery(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, "print('nothing to bill')\n")
    done, modules = _imports(root, "record", *TARGETS, "--store", "golden", "--", "job.py")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "nothing to bill" in done.stdout
    assert "no calls (the run never reached them): compute_invoice" in done.stderr
    assert _heavy(modules) == []
    assert not (root / "golden").exists()  # nothing recorded, nothing written


def test_target_modules_are_imported_by_the_program_in_its_order(tmp_path: Path) -> None:
    script = "import first_of_all\nimport run_month_end\nrun_month_end.main(['x', '2024-03'])\n"
    root = _project(tmp_path, script)
    (root / "first_of_all.py").write_text("")
    done, modules = _imports(root, "record", *TARGETS, "--store", "golden", "--", "job.py")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compute_invoice: 42 calls, 40 cases" in done.stderr
    assert modules.index("first_of_all") < modules.index("billing") < modules.index("shop")
    # recording loads what it needs only once the program reaches a target's module
    # (importtime lists a module when its import ends: the recorder within billing's)
    assert modules.index("first_of_all") < modules.index("legacy_harness.record.recorder")


def test_the_command_line_itself_imports_nothing_heavy() -> None:
    code = (
        "import sys, legacy_harness.cli, legacy_harness.cli.record, legacy_harness.config\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert _heavy(done.stdout.split()) == []
