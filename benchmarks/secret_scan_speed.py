"""How long the secret scan takes on printouts built to make a regex backtrack.

A golden file is untrusted input and ``check`` scans every one, so a pattern that is
quadratic on some text lets a pull request stall CI (a 160 KB stdout once took 20 s in
the e-mail pattern). The tests count the work (tests/security/test_secret_scan.py);
this prints the times: the scan and the redaction of a case whose stdout repeats a
near miss of the patterns, at one size and at twice that size, side by side.

    python benchmarks/secret_scan_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, format_table  # noqa: E402

from legacy_harness.record.redact import Redactor  # noqa: E402
from legacy_harness.store.case import GoldenCase, Observation  # noqa: E402
from legacy_harness.store.secret_scan import SecretScanner  # noqa: E402

BENCHMARK = "secret_scan_speed"
#: Near misses of the patterns: runs of the characters they repeat and stop on.
UNITS = ("a", "a.", "a@", "a-b.c", "x" * 63 + "@b", "0 ", "://a:", "eyJa.", "AKIA", "ghp_")


def _case(unit: str, size: int) -> GoldenCase:
    text = (unit * (size // len(unit) + 1))[:size]
    observation = Observation({"returned": None}, {}, {"stdout": text, "stderr": "", "logs": []})
    return GoldenCase("m:f", "0" * 16, {"args": [], "kwargs": {}}, observation)


def _seconds(case: GoldenCase, scanner: SecretScanner, redactor: Redactor) -> float:
    started = time.perf_counter()
    scanner.scan_case(case)
    redactor.redact_observation(case.observation)
    return time.perf_counter() - started


def rows(quick: bool = False) -> list[Row]:
    """The slowest near miss at the size and at twice the size; best of a few runs."""
    size = 40_000 if quick else 160_000
    scanner = SecretScanner()
    redactor = Redactor.from_config({"redact": {"builtins": True}})
    worst: tuple[float, float, str] = (0.0, 0.0, "")
    for unit in UNITS:
        small, large = _case(unit, size), _case(unit, 2 * size)
        t_small = min(_seconds(small, scanner, redactor) for _ in range(3))
        t_large = min(_seconds(large, scanner, redactor) for _ in range(3))
        if t_large > worst[1]:
            worst = (t_small, t_large, unit)
    t_small, t_large, unit = worst
    kb = size // 1000
    return [
        Row(BENCHMARK, f"scan + redact a {kb} KB stdout, slowest near miss ({unit[:8]!r})",
            t_small * 1e3, "ms", aim="< 2000 ms"),
        Row(BENCHMARK, f"the same at {2 * kb} KB", t_large * 1e3, "ms", t_small * 1e3,
            f"{kb} KB", "~2x (linear)"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 KB instead of 160 KB")
    args = parser.parse_args()
    print(format_table(rows(quick=args.quick), []))


if __name__ == "__main__":
    main()
