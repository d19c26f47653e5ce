"""Speed of ``legacy-harness mutate``: mutants judged per second.

Two workloads, each measured in one run beside its reference:

- ``examples/legacy_rules`` (``eligibility:eligibility``, masters recorded from
  ``run_daily.py``): ``run_mutants`` (only the cases that run a mutant's lines are
  replayed, equivalent bytecode is not run) with one and two processes, beside the
  plain loop it replaces (every mutant against the cases in turn until one kills it);
- ``tests/data/loyalty`` (``loyalty:Program.rewards``): ``legacy-harness mutate`` from
  the command line, beside mutmut on the same module with the hand-written suite, when
  mutmut is installed (it is not a dependency: ``pip install mutmut`` to compare). Both
  run in a temporary copy; the figure is mutants over wall time, start-up included.

It only prints figures: it never fails.

    python benchmarks/mutation_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row  # noqa: E402

BENCHMARK = "mutation_speed"
MUTMUT_MISSING = "mutmut not installed (pip install mutmut)"
RULES = REPO / "examples" / "legacy_rules"
LOYALTY = REPO / "tests" / "data" / "loyalty"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}


def _cli(cwd: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise RuntimeError(f"legacy-harness {args[0]} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def _plain_loop(session: object, spec: str) -> tuple[int, float]:
    """The reference: each mutant against every case in turn until one kills it."""
    import types

    from legacy_harness.errors import GoldenFileError
    from legacy_harness.outcomes import CaseStatus
    from legacy_harness.record.targets import resolve
    from legacy_harness.verify import verify_case
    from legacy_harness.widen.mutate import MutantSource

    function = resolve(spec).function
    assert isinstance(function, types.FunctionType)
    cases = [c for c in session.store.iter_cases([spec]) if not isinstance(c, GoldenFileError)]  # type: ignore[attr-defined]
    started = time.perf_counter()
    source = MutantSource(function, spec)
    original = function.__code__
    for mutant in source.mutants:
        function.__code__ = source.code(mutant.index)
        try:
            for stored in cases:
                verdict = verify_case(session, stored)  # type: ignore[arg-type]
                if verdict.status in (CaseStatus.CHANGED, CaseStatus.ERROR):
                    break
        finally:
            function.__code__ = original
    return len(source.mutants), time.perf_counter() - started


def rules_rows(quick: bool) -> list[Row]:
    from legacy_harness.config import Config
    from legacy_harness.verify import VerifySession
    from legacy_harness.widen.strength import run_mutants

    out = []
    spec = "eligibility:eligibility"
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "rules"
        shutil.copytree(RULES, project, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        _cli(project, "record", "-t", spec, "--", "run_daily.py")
        config = Config(root=project, store=project / "tests" / "golden", pythonpath=(project,))
        session = VerifySession.open(config)
        count, plain = _plain_loop(session, spec)
        reference = count / plain
        for jobs in (1,) if quick else (1, 2):
            started = time.perf_counter()
            report = run_mutants(session, spec, jobs=jobs)
            elapsed = time.perf_counter() - started
            figure = f"{spec}, {report.mutants} mutants, {report.cases} cases, --jobs {jobs}"
            out.append(
                Row(
                    BENCHMARK,
                    figure,
                    report.mutants / elapsed,
                    "mutants/s",
                    reference,
                    "plain loop",
                )
            )
        sys.modules.pop("eligibility", None)
    return out


def mutmut_command() -> list[str] | None:
    """How to run mutmut here, or None when it is not installed."""
    if importlib.util.find_spec("mutmut") is not None:
        return [sys.executable, "-m", "mutmut"]
    found = shutil.which("mutmut")
    return [found] if found else None


def _mutmut_rate(folder: Path, command: list[str]) -> tuple[int, float]:
    project = folder / "mutmut"
    (project / "tests").mkdir(parents=True)
    shutil.copy(LOYALTY / "loyalty.py", project)
    shutil.copy(LOYALTY / "handwritten_suite.py", project / "tests" / "test_loyalty.py")
    (project / "setup.cfg").write_text("[mutmut]\npaths_to_mutate=loyalty.py\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(project)
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "run"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    elapsed = time.perf_counter() - started
    totals = re.findall(r"(\d+)/(\d+)", done.stdout)
    if not totals:
        raise RuntimeError(f"mutmut run printed no progress: {done.stderr[-500:]}")
    return int(totals[-1][1]), elapsed


def loyalty_rows(quick: bool) -> list[Row]:
    out = []
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "loyalty"
        shutil.copytree(LOYALTY, project, ignore=shutil.ignore_patterns("__pycache__"))
        _cli(project, "record", "-t", "loyalty:Program.rewards", "--", "typical_day.py")
        import json

        elapsed = _cli(project, "mutate", "--format", "json")
        saved = json.loads(
            (project / "tests" / "golden" / ".legacy-harness" / "mutation.json").read_text()
        )
        mutants = saved["targets"]["loyalty:Program.rewards"]["mutants"]
        command = None if quick else mutmut_command()
        reference: float | None = None
        name = MUTMUT_MISSING if command is None or quick else "mutmut run"
        if command is not None:
            count, theirs = _mutmut_rate(Path(folder), command)
            reference = count / theirs
        figure = f"loyalty:Program.rewards, {mutants} mutants, legacy-harness mutate (wall)"
        out.append(Row(BENCHMARK, figure, mutants / elapsed, "mutants/s", reference, name))
    return out


def rows(quick: bool = False) -> list[Row]:
    """``quick``: one process, no mutmut run."""
    return rules_rows(quick) + loyalty_rows(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one process, no mutmut run")
    args = parser.parse_args()
    if mutmut_command() is None:
        print(MUTMUT_MISSING)
    for row in rows(args.quick):
        ratio = f"  ({row.ratio:.2f}x {row.reference_name})" if row.ratio else ""
        print(f"{row.figure}: {row.value:.1f} {row.unit}{ratio}")


if __name__ == "__main__":
    main()
