"""Every benchmark in one run, printed as one table of figures beside their references.

Each figure is measured in the same run as its reference (a plain run, MonkeyType,
syrupy, numpy.testing.assert_allclose), so the ratio is what carries over between
machines. A benchmark that fails shows its error in the table and the others still run;
no figure changes the exit code. ``--quick`` shrinks every workload for a smoke run.

    python benchmarks/run.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _table import Row, format_table  # noqa: E402

BENCHMARKS = (
    "record_overhead",
    "compare_speed",
    "pytest_replay",
    "check_speed",
    "stochastic_calibration",
    "false_alarms",
    "parallel_reruns",
    "store_size",
    "cli_startup",
    "mutation_speed",
    "ml_invariants",
    "boundaries_overhead",
    "secret_scan_speed",
)


def machine() -> str:
    """One line naming what the figures were measured on."""
    try:
        import numpy

        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = "not installed"
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.platform()}, {cpu}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, numpy {numpy_version}"
    )


def run(names: tuple[str, ...], quick: bool) -> tuple[list[Row], list[tuple[str, str]]]:
    rows: list[Row] = []
    errors: list[tuple[str, str]] = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(name)
            produced = module.rows(quick=quick)
            if not produced:
                raise RuntimeError("produced no rows")
            rows.extend(produced)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - one failure never stops the rest
            traceback.print_exc(file=sys.stderr)
            errors.append((name, f"{type(exc).__name__}: {exc}".splitlines()[0]))
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return rows, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads (about a minute)")
    parser.add_argument(
        "--only", nargs="+", choices=BENCHMARKS, metavar="NAME", help="run only these benchmarks"
    )
    args = parser.parse_args()
    names = tuple(args.only) if args.only else BENCHMARKS
    started = time.perf_counter()
    print(f"machine: {machine()}")
    print(f"mode: {'quick (smoke sizes)' if args.quick else 'full'}")
    if "record_overhead" in names:
        import record_overhead

        if not record_overhead.monkeytype_available():
            print(record_overhead.MONKEYTYPE_MISSING)
    if "mutation_speed" in names:
        import mutation_speed

        if mutation_speed.mutmut_command() is None:
            print(mutation_speed.MUTMUT_MISSING)
    rows, errors = run(names, args.quick)
    print()
    print(format_table(rows, errors))
    print()
    print(f"total time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
