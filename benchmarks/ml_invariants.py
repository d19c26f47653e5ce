"""ML-aware statistical masters on a from-scratch k-means: false alarms and detection.

Run from the repository root: ``PYTHONPATH=. python benchmarks/ml_invariants.py``
(``--quick`` for a smoke run). The project is ``tests/data/kmeans`` (k = 3 on three
skewed blobs, random initial centroids from ``np.random``), recorded with
``record --runs`` under three configurations: raw leaves only, ``invariant = "labels"``
on the outcome, and an inertia statistic. Each is then judged as ``verify --stochastic``
judges it (``verify_distributions``, planned runs, alpha 0.01, Holm across leaves),
over many independent reruns of

- the unchanged code: the share judged "changed" is the false-alarm rate, to sit in
  the 99% binomial band of alpha;
- the median-instead-of-mean bug: the share judged "changed" is the detection rate
  (raw labels are blind to it, since ids permute between seeds).

Judging runs in a subprocess per project, so each imports its own ``clustering``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from _table import Row  # noqa: E402

BENCHMARK = "ml_invariants"
ALPHA = 0.01
KMEANS = REPO / "tests" / "data" / "kmeans"
MEDIAN_BUG = ("return members.mean(axis=0)", "return np.median(members, axis=0)")
BASE = '[tool.legacy_harness]\nstore = "golden"\n'
CONFIGS = {
    "raw leaves": BASE,
    'invariant = "labels"': BASE
    + '[tool.legacy_harness.tolerances]\noutcome = { invariant = "labels" }\n',
    "inertia statistic": BASE
    + '[tool.legacy_harness.statistics]\n"clustering:fit_predict" = "metrics:inertia"\n',
}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}


def _project(root: Path, config: str, master_runs: int) -> Path:
    root.mkdir(parents=True)
    for name in ("clustering.py", "metrics.py", "run.py"):
        shutil.copy(KMEANS / name, root / name)
    (root / "pyproject.toml").write_text(CONFIGS[config])
    command = [sys.executable, "-m", "legacy_harness", "record", "-t", "clustering:fit_predict"]
    command += ["--runs", str(master_runs), "--", "run.py"]
    done = subprocess.run(command, cwd=root, env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"record --runs failed: {done.stderr.strip().splitlines()[-1]}")
    return root


def _with_bug(root: Path) -> Path:
    bug = root.with_name(root.name + "-bug")
    shutil.copytree(root, bug, ignore=shutil.ignore_patterns("__pycache__"))
    source = (bug / "clustering.py").read_text()
    (bug / "clustering.py").write_text(source.replace(*MEDIAN_BUG))
    return bug


def _judged_changed(root: Path, reruns: int, runs: int | None = None) -> int:
    """How many of ``reruns`` independent ``verify --stochastic`` judgements fail."""
    command = [sys.executable, str(Path(__file__).resolve()), "--judge", str(root)]
    command += ["--reruns", str(reruns)] + (["--runs", str(runs)] if runs else [])
    done = subprocess.run(command, cwd=root, env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"judging failed: {done.stderr.strip()[-500:]}")
    return int(done.stdout.split()[-1])


def judge(root: Path, reruns: int, runs: int | None = None) -> int:
    """In this process (one project): reruns judged with distinct seeds, as verify does
    (``runs`` fresh runs each; None: the planned number)."""
    from legacy_harness.config import load_config
    from legacy_harness.stochastic.runner import failed, verify_distributions
    from legacy_harness.verify import VerifySession

    os.chdir(root)
    session = VerifySession.open(load_config(root))
    fails = 0
    for rerun in range(reruns):
        seed = 7919 * (rerun + 1)
        results = verify_distributions(session, runs=runs, seed=seed, alpha=ALPHA)
        fails += any(failed(result, ALPHA) for result in results)
    return fails


def rows(quick: bool = False) -> list[Row]:
    from stochastic_calibration import binomial_band

    reruns, detect_reruns, master_runs = (5, 3, 60) if quick else (200, 50, 120)
    configs = list(CONFIGS)[1:2] if quick else list(CONFIGS)
    low, high = binomial_band(reruns, ALPHA)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for index, config in enumerate(configs):
            root = _project(Path(folder) / f"p{index}", config, master_runs)
            alarms = _judged_changed(root, reruns) / reruns
            inside = low / reruns <= alarms <= high / reruns
            out.append(
                Row(
                    BENCHMARK,
                    f"k-means false-alarm rate, {config}, {reruns} reruns:"
                    f" {'inside' if inside else 'OUTSIDE'}",
                    alarms,
                    "",
                    ALPHA,
                    "alpha",
                    f"in 99% band {low / reruns:.4f}..{high / reruns:.4f}",
                )
            )
            bug = _with_bug(root)
            aim = "blind (ids permute)" if config == "raw leaves" else ">= 0.9"
            for runs in (None,) if quick else (None, 60):
                detected = _judged_changed(bug, detect_reruns, runs) / detect_reruns
                out.append(
                    Row(
                        BENCHMARK,
                        f"k-means median bug detected, {config},"
                        f" {f'{runs} runs' if runs else 'planned runs'}, {detect_reruns} reruns",
                        detected,
                        "",
                        aim=aim,
                    )
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--judge", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reruns", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.judge is not None:
        print(judge(args.judge, args.reruns, args.runs))
        return
    for row in rows(quick=args.quick):
        print(f"{row.figure}: {row.value:.4f} ({row.aim or ''})")


if __name__ == "__main__":
    main()
