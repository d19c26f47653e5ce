"""Start-up of the command line: ``legacy-harness --help`` and ``--version`` beside a bare
``python -c pass``, measured alternately in the same run.

``--help`` and ``--version`` read only the command table, so they should cost little more
than the interpreter itself (aim: under 4x); ``verify --help`` imports one command module
and is shown for contrast. It only prints figures: it never fails.

    python benchmarks/cli_startup.py [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _env import bench_env  # noqa: E402
from _table import Row  # noqa: E402

BENCHMARK = "cli_startup"
BARE = "python -c pass"
AIM = "< 4x bare python"
#: What is timed: a figure's name and the words after ``python``.
COMMANDS = {
    "legacy-harness --help": ["-m", "legacy_harness", "--help"],
    "legacy-harness --version": ["-m", "legacy_harness", "--version"],
    "legacy-harness verify --help (one command module)": [
        "-m", "legacy_harness", "verify", "--help",
    ],
}  # fmt: skip


def _timed(words: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *words], cwd=cwd, env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def measure(repeat: int) -> dict[str, float]:
    """Best wall time (seconds) of each command and of a bare interpreter, run in turn so
    load from other processes falls on all of them alike."""
    env = bench_env()
    runs: dict[str, list[float]] = {BARE: [], **{name: [] for name in COMMANDS}}
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        for words in COMMANDS.values():  # warm the page cache and bytecode
            _timed(words, cwd, env)
        for _ in range(repeat):
            runs[BARE].append(_timed(["-c", "pass"], cwd, env))
            for name, words in COMMANDS.items():
                runs[name].append(_timed(words, cwd, env))
    return {name: min(times) for name, times in runs.items()}


def rows(quick: bool = False) -> list[Row]:
    """Each command's start-up beside a bare interpreter; ``quick``: fewer repeats."""
    best = measure(5 if quick else 30)
    bare = best[BARE] * 1e3
    return [
        Row(
            BENCHMARK,
            name,
            best[name] * 1e3,
            "ms",
            bare,
            BARE,
            AIM if "one command" not in name else None,
        )
        for name in COMMANDS
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="runs of each (default 30)")
    parser.add_argument("--quick", action="store_true", help="5 runs of each")
    args = parser.parse_args()
    best = measure(5 if args.quick else args.repeat)
    bare = best[BARE]
    print(f"{BARE:<52} {bare * 1e3:7.1f} ms")
    for name in COMMANDS:
        print(f"{name:<52} {best[name] * 1e3:7.1f} ms  {best[name] / bare:5.2f}x")


if __name__ == "__main__":
    main()
