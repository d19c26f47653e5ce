"""The documented workflow, run as a newcomer would: examples/walkthrough.sh on a copy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from paths import REPO


def test_walkthrough_runs_end_to_end(tmp_path: Path) -> None:
    shim = tmp_path / "bin"
    shim.mkdir()
    command = shim / "legacy-harness"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m legacy_harness "$@"\n')
    command.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "NO_COLOR": "1",
    }
    work = tmp_path / "work"
    done = subprocess.run(
        ["bash", str(REPO / "examples" / "walkthrough.sh"), str(work)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "coverage 97.2% -> 100.0%" in output or "100.0%" in output
    assert "verified: " in output and "behave the same; applied" in output
    # the strength report: per target the mutants, killed, equivalent and survivors
    for target in ("billing:compute_invoice", "shop:Cart.checkout"):
        assert re.search(rf"{target}: \d+ of \d+ mutants killed \(\d+\.\d%\)", output), target
    assert re.search(r"mutants \d+, killed \d+, equivalent \d+, survived \d+", output)
    assert "saved to tests/golden/.legacy-harness/mutation.json" in output
    saved = work / "legacy_pricing" / "tests" / "golden" / ".legacy-harness" / "mutation.json"
    strength = json.loads(saved.read_text())["targets"]["billing:compute_invoice"]
    assert strength["killed"] > 0 and strength["mutants"] >= strength["killed"]
    assert "def volume_discount(" in (work / "legacy_pricing" / "billing.py").read_text()
    assert "rng=np.random" in (work / "legacy_ml" / "model.py").read_text()
    assert (work / "legacy_pricing" / "reports" / "legacy-harness.xml").is_file()
    assert done.stdout.rstrip().endswith(f"are in {work}")
    # the originals are untouched: the walkthrough works on a copy
    assert (
        "def volume_discount("
        not in (REPO / "examples" / "legacy_pricing" / "billing.py").read_text()
    )
