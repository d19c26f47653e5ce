"""The output layer as a user meets it: a real terminal (a pty), a pipe that closes, an
ASCII console, GitHub Actions, and the JSON every command writes.

Each test runs ``legacy-harness`` in a subprocess on a small project whose golden files
are written straight into the store, so nothing but the command under test runs.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from cli_runner import cli_env

from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

#: An ANSI colour (SGR) sequence; the progress line's "erase line" is not one.
SGR = re.compile(r"\x1b\[[0-9;]*m")

CALC = """
import time


def tax(amount, rate):
    time.sleep(DELAY)
    if amount > 100:
        return round(amount * rate, 2)
    return 0.0


def scores(n):
    return [i * 10 for i in range(n)]


def label(name):
    return "\\u2588 " + name + " \\u2026"
"""


def write_case(root: Path, target: str, args: list, returned: object) -> None:
    """A reviewed case, written into the store as if recorded."""
    store = GoldenStore(root / "golden")
    inputs = {"args": codec.encode(args), "kwargs": {}}
    case_id = codec.tree_hash({"target": target, "inputs": inputs})
    reviewed = {"by": "R <r@example.com>", "at": "2024-03-01T00:00:00+00:00", "commit": None}
    meta = {"origin": "recorded", "reviewed": reviewed}
    output = {"stdout": "", "stderr": "", "logs": []}
    observation = Observation({"returned": codec.encode(returned)}, {}, output)
    store.write(GoldenCase(target, case_id, inputs, observation, None, meta), overwrite=True)


def make_project(root: Path, *, taxes: int = 3, delay: float = 0.0) -> Path:
    """calc.tax with ``taxes`` cases over 100 (and one under), calc.label with one."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "calc.py").write_text(f"DELAY = {delay}\n" + CALC, encoding="utf-8")
    for i in range(taxes):
        write_case(root, "calc:tax", [110 + 10 * i, 0.2], round((110 + 10 * i) * 0.2, 2))
    write_case(root, "calc:tax", [50, 0.2], 0.0)
    write_case(root, "calc:label", ["ada"], "\u2588 ada \u2026")
    return root


def change(root: Path, old: str = "amount * rate, 2", new: str = "amount * rate * 1.1, 2") -> None:
    source = (root / "calc.py").read_text(encoding="utf-8")
    assert old in source
    (root / "calc.py").write_text(source.replace(old, new), encoding="utf-8")


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=cli_env(env, drop=drop), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def run_on_pty(cwd: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """``legacy-harness ARGS`` with stdin, stdout and stderr on a 45-column terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 45, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    code = process.wait(timeout=60)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def terminal_env(**extra: str) -> dict[str, str]:
    return (
        cli_env({"COLUMNS": "45", "TERM": "xterm", **extra}, drop=("NO_COLOR", "FORCE_COLOR"))
        | extra
    )


# -- a terminal ------------------------------------------------------------------------


def test_progress_on_a_45_column_terminal_redraws_one_line_that_never_wraps(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path / "p", taxes=60, delay=0.01)
    code, text = run_on_pty(root, "check", env=terminal_env())
    assert code == 0, text
    *frames, report = text.split("\r\x1b[K")[1:]  # each drawing; the erase before the report
    assert len(frames) >= 3, text  # the first count, some redraws, the last count
    assert all(len(frame) <= 44 and "\n" not in frame for frame in frames), frames
    assert all(frame.startswith("verifying golden masters ") for frame in frames), frames
    assert any(frame.endswith("...") for frame in frames), frames  # cut to the pane, not wrapped
    assert frames[-1].startswith("verifying golden masters 62/62")
    assert report.startswith("calc:label  1 cases: 1 same\r\n")  # the report starts clean


def test_colour_on_a_terminal_and_its_switches(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    change(root)
    code, text = run_on_pty(root, "check", env=terminal_env())
    assert code == 1
    # pytest's colours: what was expected in red, what happened in green
    assert "\x1b[31mexpected:\x1b[0m" in text and "\x1b[32mactual:\x1b[0m" in text
    assert "\x1b[1;31mCHANGED\x1b[0m" in text
    code, text = run_on_pty(root, "check", env=terminal_env(NO_COLOR="1"))
    assert code == 1 and "CHANGED calc:tax" in text and not SGR.search(text)


def test_force_color_colours_a_pipe_and_no_color_wins_over_it(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    change(root)
    forced = run(root, "check", env={"FORCE_COLOR": "1"}, drop=("NO_COLOR",))
    assert forced.returncode == 1 and SGR.search(forced.stdout)
    assert "\x1b[31mexpected:\x1b[0m" in forced.stdout
    assert "\r" not in forced.stderr  # no progress line off a terminal
    never = run(root, "check", "--color", "never", env={"FORCE_COLOR": "1"}, drop=("NO_COLOR",))
    assert never.returncode == 1 and not SGR.search(never.stdout)  # the flag wins


# -- a pipe that closes ------------------------------------------------------------------


def _head(cwd: Path, *args: str) -> tuple[str, str, int]:
    """``legacy-harness ARGS | head -1``: the line, stderr, and our exit status."""
    command = (
        f"{sys.executable} -m legacy_harness {' '.join(args)} | head -1;"
        ' echo "status=${PIPESTATUS[0]}" >&2'
    )
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=cli_env(), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    status = int(re.findall(r"status=(\d+)", done.stderr)[-1])
    return done.stdout, done.stderr, status


def test_check_into_head_ends_quietly(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", taxes=0)
    for n in range(120):
        write_case(root, "calc:scores", [40 + n], [i * 10 for i in range(40 + n)])
    change(root, "return [i * 10 for", "return [i * 11 for")
    full = run(root, "check", "-v")
    assert full.returncode == 1 and len(full.stdout) > 150_000  # far more than a pipe holds
    line, err, status = _head(root, "check", "-v")
    assert line.startswith("calc:label") and line.count("\n") == 1
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert status == 1  # behaviour changed; the lost reader added no error of its own


def test_coverage_json_into_head_ends_quietly(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    body = "".join(f"        v{i} = {i}\n" for i in range(8000))
    (root / "big.py").write_text(f"def big(x):\n    if x > 10 ** 9:\n{body}    return x\n")
    write_case(root, "big:big", [1], 1)
    line, err, status = _head(root, "coverage", "--format", "json")
    assert line == "{\n"
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert status == 1  # the write failed (the reader left) and was handled: 0 otherwise


# -- an ASCII console --------------------------------------------------------------------


def test_an_ascii_console_gets_ascii_not_a_traceback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    change(root, '"\\u2588 " + name', '"\\u2588\\u2588 " + name')
    done = run(root, "verify", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "UnicodeEncodeError" not in done.stderr
    assert "expected: '= ada ...'" in done.stdout and "actual:   '== ada ...'" in done.stdout
    done.stdout.encode("ascii")  # nothing but ASCII reached the console


STOCHASTIC = """
import numpy as np


def fit(n):
    rng = np.random.default_rng()
    return {"loss": float(rng.normal(1.0, 0.1, size=n).mean())}
"""


def test_verify_stochastic_histograms_on_an_ascii_console(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "model.py").write_text(STOCHASTIC)
    (root / "run.py").write_text("import model\nmodel.fit(5)\n")
    recorded = run(root, "record", "-t", "model:fit", "--runs", "30", "--", "run.py")
    assert recorded.returncode == 0, recorded.stderr
    (root / "model.py").write_text(STOCHASTIC.replace("normal(1.0", "normal(3.0"))
    done = run(root, "verify", "--stochastic", "--runs", "20", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(r" ={5,}", done.stdout) and re.search(r" #{5,}", done.stdout)  # both samples
    assert "\\u2588" not in done.stdout  # the master's bar is a readable '=', not an escape
    done.stdout.encode("ascii")


def test_stochastic_reruns_show_progress_on_a_terminal(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\njobs = 1\n')
    (root / "model.py").write_text(STOCHASTIC)
    (root / "run.py").write_text("import model\nmodel.fit(5)\n")
    code, text = run_on_pty(
        root, "record", "-t", "model:fit", "--runs", "30", "--", "run.py", env=terminal_env()
    )
    assert code == 0, text
    frames = text.split("\r\x1b[K")[1:-1]
    assert frames and all(f.startswith("replaying with 30 seeds ") for f in frames), text
    assert frames[-1].startswith("replaying with 30 seeds 4/4")  # chunks of seeds
    code, text = run_on_pty(root, "verify", env=terminal_env())
    assert code == 0, text
    frames = text.split("\r\x1b[K")[1:-1]
    assert frames and all(f.startswith("replaying statistical ") for f in frames), text
    code, text = run_on_pty(root, "check", "--allow-unreviewed", env=terminal_env())
    assert code == 0, text
    frames = [frame for frame in text.split("\r\x1b[K")[1:-1] if frame]  # both lines erased
    assert frames[0].startswith("verifying golden masters "), text
    assert frames[-1].startswith("replaying statistical masters 4/4"), text
    quiet = run(root, "verify", "-q")
    assert quiet.returncode == 0 and "\r" not in quiet.stderr


# -- CI ----------------------------------------------------------------------------------


def test_github_actions_gets_annotations_without_asking(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    change(root)
    done = run(root, "check", env={"GITHUB_ACTIONS": "true", "CI": "true"})
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::error file=golden/calc/tax/case-")
    assert "::group::legacy-harness check: the report" in lines
    assert lines[-1].startswith("legacy-harness check: 2 of 5 cases behave the same")
    assert "\r" not in done.stderr  # no progress line in a CI log
    text = run(root, "check", "--format", "text", env={"GITHUB_ACTIONS": "true"})
    assert not text.stdout.startswith("::") and "CHANGED calc:tax" in text.stdout


# -- the report ----------------------------------------------------------------------------


def test_identical_differences_are_grouped_and_the_tally_repeated(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", taxes=30)
    change(root)
    done = run(root, "check", "--max-cases", "4")
    assert done.returncode == 1
    text = done.stdout
    assert "calc:tax: outcome differs in 30 cases, like:" in text
    assert text.count("CHANGED calc:tax case-") == 4
    assert text.count(": likewise") == 3
    assert "... and 26 more cases likewise (-v shows them)" in text
    assert text.count("calc:tax    31 cases: 1 same, 30 changed") == 2  # tally, top and bottom
    assert len(text.splitlines()) < 30
    quiet = run(root, "check", "-q").stdout.splitlines()
    assert quiet == [
        "CHANGED calc:tax: outcome differs in 30 cases",
        "",
        quiet[-1],
    ] and quiet[-1].startswith("2 of 32 cases behave the same (")
