"""What taping boundaries adds to a recording, measured side by side in one run.

The bundled billing job (examples/legacy_billing: a sqlite database, the clock, a rates
service on 127.0.0.1, a CSV under out/) as a whole process, three ways:

- plain: ``python run_billing.py 2024-03``;
- recorded: ``legacy-harness record --target ... --`` with no boundaries;
- recorded with boundaries: the same with sqlite3, clock, http and files taped.

Aim: boundaries add no more than 30% to the recorded run. The wall-clock rows include
waiting for the service and, on a shared machine, for the other processes; the CPU row
(user + system time of the process) is what recording itself costs. A last row replays
the recorded cases (``legacy-harness verify``) with the database and the service gone.

    python benchmarks/boundaries_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _env import bench_env  # noqa: E402
from _table import Row, format_table  # noqa: E402

BENCHMARK = "boundaries_overhead"
EXAMPLE = REPO / "examples" / "legacy_billing"
TARGETS = ["invoicing:generate_invoice", "invoicing:write_report"]
BOUNDARIES = ["sqlite3", "clock", "http", "files"]
PLAIN_PYPROJECT = '[tool.legacy_harness]\nstore = "tests/golden"\n'


def _project(workdir: Path, name: str, boundaries: bool) -> Path:
    project = workdir / name
    shutil.copytree(
        EXAMPLE, project, ignore=shutil.ignore_patterns("tests", "__pycache__", "out", "*.db")
    )
    if not boundaries:  # the job as it was before its boundaries were declared
        (project / "pyproject.toml").write_text(PLAIN_PYPROJECT)
    return project


def rows(quick: bool = False) -> list[Row]:
    """The three runs of the billing job, and a replay of what was recorded."""
    workdir = Path(tempfile.mkdtemp(prefix="lh-bench-boundaries-"))
    customers = "60" if quick else "400"
    env = bench_env(BILLING_CUSTOMERS=customers)  # bytecode cached, as a user's would be
    try:
        plain_project = _project(workdir, "plain", boundaries=False)
        taped_project = _project(workdir, "taped", boundaries=True)

        cpu: dict[str, list[float]] = {"plain": [], "recorded": [], "taped": []}

        def timed(project: Path, command: list[str], kind: str = "") -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, cwd=project, env=env, capture_output=True, check=True)
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if kind:
                used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                cpu[kind].append(used)
            return seconds

        script = ["run_billing.py", "2024-03"]
        record = [sys.executable, "-m", "legacy_harness", "record", "--max-cases", "1000"]
        record += [arg for target in TARGETS for arg in ("--target", target)]
        for project in (plain_project, taped_project):  # create the database, warm caches
            timed(project, [sys.executable, *script])
        plain, recorded, taped = [], [], []
        for attempt in range(2 if quick else 5):  # alternate, so outside load hits all alike
            store = ["--store", f"golden-{attempt}", "--mode", "all"]
            plain.append(timed(plain_project, [sys.executable, *script], "plain"))
            recorded.append(timed(plain_project, [*record, *store, "--", *script], "recorded"))
            taped.append(timed(taped_project, [*record, *store, "--", *script], "taped"))
        (taped_project / "billing.db").unlink()
        verify = [sys.executable, "-m", "legacy_harness", "verify", "--store", "golden-0"]
        replayed = timed(taped_project, verify)
        cases = int(customers) + 1
        return [
            Row(BENCHMARK, "billing job, recorded (no boundaries)", min(recorded) * 1e3, "ms",
                min(plain) * 1e3, "python run_billing.py"),
            Row(BENCHMARK, "billing job, recorded with sqlite3, clock, http, files",
                min(taped) * 1e3, "ms", min(recorded) * 1e3, "recorded, no boundaries",
                "<= 1.3x"),
            Row(BENCHMARK, "billing job, recorded with boundaries vs plain run",
                min(taped) * 1e3, "ms", min(plain) * 1e3, "python run_billing.py"),
            Row(BENCHMARK, "billing job, CPU time recorded with boundaries",
                min(cpu["taped"]) * 1e3, "ms", min(cpu["recorded"]) * 1e3,
                "CPU, no boundaries", "<= 1.3x"),
            Row(BENCHMARK, f"verify {cases} taped cases, database and service gone",
                replayed * 1e3, "ms"),
        ]  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller job, fewer repeats")
    args = parser.parse_args()
    print(format_table(rows(quick=args.quick), []))


if __name__ == "__main__":
    main()
