"""Stochastic reruns on every core: ``record --runs`` with 1 and 2 processes, side by side.

A small training function is calibrated to take about 0.1 s of CPU per run, recorded
once, then replayed with distinct seeds as ``record --runs N`` does: once in this
process (``--jobs 1``), once over a pool of two processes (``--jobs 2``, pool start-up
included), alternating, best of three each. The figure is the speed-up, measured in
the same run; the aim is 1.7x on two cores. A sequential ``verify --stochastic --sequential`` of a clearly changed
function is timed the same way. The masters of both runs are compared: they must be
equal. It only prints figures: it never fails.

    python benchmarks/parallel_reruns.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row  # noqa: E402

from legacy_harness.config import load_config  # noqa: E402
from legacy_harness.parallel import LocalExecutor  # noqa: E402
from legacy_harness.record.recorder import recording  # noqa: E402
from legacy_harness.stochastic.runner import (  # noqa: E402
    record_distributions,
    verify_distributions,
)
from legacy_harness.verify import VerifySession  # noqa: E402

BENCHMARK = "parallel_reruns"
MODULE = "bench_sgd_model"
SECONDS_PER_RUN = 0.1
MODEL = '''
import numpy as np

def train(x, y, epochs, rate=RATE):
    """Plain SGD of a linear model, one sample at a time: CPU-bound, no BLAS threads."""
    w = np.random.normal(0.0, 0.1, x.shape[1])
    b = 0.0
    for _ in range(epochs):
        for i in np.random.permutation(len(y)):
            err = x[i] @ w + b - y[i]
            w -= rate * err * x[i]
            b -= rate * err
    return {"w0": float(w[0]), "b": float(b), "loss": float(np.mean((x @ w + b - y) ** 2))}
'''


def make_project(root: Path, rate: float) -> None:
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / f"{MODULE}.py").write_text(MODEL.replace("RATE", repr(rate)))


def calibrated_epochs(module: object, x: np.ndarray, y: np.ndarray) -> int:
    """Epochs that make one call take about SECONDS_PER_RUN of CPU (whatever the load)."""
    train = module.train  # type: ignore[attr-defined]
    started = time.process_time()
    train(x, y, 20)
    per_epoch = (time.process_time() - started) / 20
    return max(1, round(SECONDS_PER_RUN / per_epoch))


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def capacity(rounds: int, work: int = 2_000_000) -> float:
    """Speed-up of a bare CPU loop on 2 processes against 1, right now: the ceiling that
    other users of the machine leave (2.0 on two idle cores)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    serial = parallel = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(8):
            _spin(work)
        serial = min(serial, time.perf_counter() - started)
        started = time.perf_counter()
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as pool:
            list(pool.map(_spin, [work] * 8))
        parallel = min(parallel, time.perf_counter() - started)
    return serial / parallel


def timed(function: object, *args: object, **kwargs: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - started, result


def measure(runs: int, rounds: int = 3, emit: object = print) -> list[Row]:
    say = emit if callable(emit) else print
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_project(root, 0.01)
        sys.path.insert(0, str(root))
        try:
            module = importlib.import_module(MODULE)
            rng = np.random.default_rng(1)
            x = rng.normal(size=(60, 3))
            y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(0.0, 0.3, 60)
            epochs = calibrated_epochs(module, x, y)
            per_run, _ = timed(module.train, x, y, epochs)
            with recording([f"{MODULE}:train"], store=root / "golden"):
                module.train(x, y, epochs)
            config = load_config(root)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            say(f"model: {per_run:.3f} s per run ({epochs} epochs), {runs} reruns, "
                f"{os.cpu_count()} CPUs, load average {load:.1f} before the run")  # fmt: skip
            serial = parallel = float("inf")
            for _ in range(rounds):  # alternate, keep the best of each: others share the CPUs
                elapsed, one = timed(record_distributions, runs=runs, config=config)
                serial = min(serial, elapsed)
                with LocalExecutor(2) as pool:
                    elapsed, two = timed(
                        record_distributions, runs=runs, config=config, executor=pool
                    )
                parallel = min(parallel, elapsed)
            same = all(
                np.array_equal(a.distribution.numeric, b.distribution.numeric)
                for a, b in zip(one, two, strict=True)  # type: ignore[call-overload]
            )
            say(f"record --runs {runs} (best of {rounds}): {serial:.2f} s with 1 job, "
                f"{parallel:.2f} s with 2 jobs: "
                f"{serial / parallel:.2f}x (masters {'equal' if same else 'DIFFER'})")  # fmt: skip
            (root / f"{MODULE}.py").write_text(MODEL.replace("RATE", "0.03"))  # a clear change
            sys.modules.pop(MODULE, None)
            session = VerifySession.open(config)
            seq_serial, a = timed(verify_distributions, session, sequential=True)
            with LocalExecutor(2) as pool:
                seq_parallel, b = timed(
                    verify_distributions, session, sequential=True, executor=pool
                )
            runs_used = a[0].current.runs  # type: ignore[index]
            ceiling = capacity(rounds)
            say(f"a bare CPU loop on 2 processes: {ceiling:.2f}x (what the machine allows now)")
            say(f"verify --stochastic --sequential ({a[0].sequential} after {runs_used} runs): "  # type: ignore[index]
                f"{seq_serial:.2f} s with 1 job, {seq_parallel:.2f} s with 2 jobs")  # fmt: skip
        finally:
            sys.path.remove(str(root))
            sys.modules.pop(MODULE, None)
    figure = (
        f"record --runs {runs}, {per_run:.2f} s/run model: speed-up on 2 processes "
        f"(load average {load:.1f})"
    )
    return [
        Row(BENCHMARK, f"record --runs {runs}, 2 processes", parallel, "s", serial, "1 process"),
        Row(
            BENCHMARK,
            figure,
            serial / parallel,
            "x",
            ceiling,
            "bare CPU loop, 2 processes",
            ">= 1.7x on 2 idle cores",
        ),  # fmt: skip
        Row(BENCHMARK, "masters equal to --jobs 1", float(same), "", aim="1"),
        Row(
            BENCHMARK,
            f"verify --sequential, clear change, {runs_used} runs, 2 processes",
            seq_parallel,
            "s",
            seq_serial,
            "1 process",
        ),
    ]


def rows(quick: bool = False) -> list[Row]:
    """The speed-up rows; ``quick`` takes one round instead of the best of three (the
    40 runs stay: the sequential verify needs a master that large)."""
    return measure(40, 1 if quick else 3, emit=lambda line: None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="reruns to time (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="timings to take the best of")
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args()
    measure(args.runs, 1 if args.quick else args.rounds)


if __name__ == "__main__":
    main()
