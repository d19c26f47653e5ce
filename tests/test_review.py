"""Review in a pseudo-terminal, listing elsewhere, and approve; who/when/commit recorded."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from check_project import make_project, run, write_case
from cli_runner import cli_env

from legacy_harness.cli.review import PROMPT
from legacy_harness.review import review_stamp


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A git identity of our own, whatever the machine's configuration says."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Rita Reviewer\n\temail = rita@example.com\n")
    env = {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def project(tmp_path: Path, git_env: dict[str, str]) -> Path:
    """Reviewed masters of calc, committed to git; add's behaviour has since changed."""
    root = make_project(tmp_path / "proj")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "masters"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    source = (root / "calc.py").read_text().replace("return a + b", "return a + b + 1")
    (root / "calc.py").write_text(source)
    return root


def head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def cases(root: Path, target: str) -> dict[str, dict]:
    folder = root / "golden" / Path(*target.replace(":", "/").split("/"))
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("case-*.json"))}


def run_in_pty(
    cwd: Path, args: list[str], answers: list[str], env: dict[str, str]
) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, typing one answer at each prompt."""
    master, slave = pty.openpty()
    environment = cli_env(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=environment, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    output = b""
    answered = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                if output.count(PROMPT.encode()) > answered and answered < len(answers):
                    os.write(master, answers[answered].encode() + b"\n")
                    answered += 1
            elif process.poll() is not None:
                break
        code = process.wait(timeout=30)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return code, output.decode("utf-8", "replace").replace("\r\n", "\n")


def test_review_on_a_terminal_accepts_rejects_and_skips(
    project: Path, git_env: dict[str, str]
) -> None:
    new = write_case(project, "calc:greet", ["bea"], "hello bea", reviewed=False)
    later = write_case(project, "calc:greet", ["cy"], "hello cy", reviewed=False)
    before = cases(project, "calc:add")
    # changed cases come first (two of add), then the new ones
    code, output = run_in_pty(project, ["review"], ["a", "s", "r", "zzz", "s"], git_env)
    assert code == 1, output  # a skipped case is still waiting
    assert "[1/4] CHANGED calc:add case-" in output and "[3/4] NEW calc:greet case-" in output
    assert "outcome" in output  # the diff, before the question
    assert "inputs: add(1, 2)" in output and "inputs: add(2, 2)" in output  # for which call
    assert '"hello bea"' in output  # a new case shows what it recorded
    assert "please answer a, r, s or q" in output
    after = cases(project, "calc:add")
    accepted = [name for name in after if after[name] != before[name]]
    assert len(accepted) == 1
    stamp = after[accepted[0]]["meta"]["reviewed"]
    assert stamp["by"] == "Rita Reviewer <rita@example.com>" and stamp["commit"] == head(project)
    assert dt.datetime.fromisoformat(stamp["at"]).utcoffset() == dt.timedelta(0)
    assert after[accepted[0]]["outcome"]["returned"] in (4, 5)  # today's behaviour
    assert not new.exists()  # rejected new recording: deleted
    assert later.exists() and "reviewed" not in json.loads(later.read_text())["meta"]


def test_quitting_leaves_the_rest_for_later(project: Path, git_env: dict[str, str]) -> None:
    code, output = run_in_pty(project, ["review"], ["q"], git_env)
    assert code == 1 and "stopped: 2 case(s) not reviewed" in output
    assert run(project, "check").returncode == 1


def test_review_lists_cases_when_not_on_a_terminal(project: Path) -> None:
    write_case(project, "calc:greet", ["dee"], "hello dee", reviewed=False)
    done = run(project, "review")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [
        line.split()[0] for line in done.stdout.splitlines() if line.startswith(("changed", "new"))
    ]
    assert lines == ["changed", "changed", "new"]
    assert "3 case(s) to review" in done.stdout


def test_approve_updates_changed_masters_and_marks_new_ones(
    project: Path, git_env: dict[str, str]
) -> None:
    write_case(project, "calc:greet", ["eve"], "hello eve", reviewed=False)
    assert run(project, "check").returncode == 1
    done = run(project, "approve", "calc:add")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("updated to today's behaviour and approved: calc:add") == 2
    assert "approved by Rita Reviewer <rita@example.com>" in done.stdout
    assert run(project, "check").returncode == 3  # greet's new case is still unreviewed
    (name,) = [n for n, c in cases(project, "calc:greet").items() if "reviewed" not in c["meta"]]
    done = run(project, "approve", name.removesuffix(".json")[:14])  # a prefix of the id
    assert done.returncode == 0 and "approved: calc:greet" in done.stdout, done.stdout
    assert run(project, "check").returncode == 0
    for case in cases(project, "calc:add").values():
        assert case["meta"]["reviewed"]["commit"] == head(project)


def test_approve_needs_something_to_approve(project: Path) -> None:
    done = run(project, "approve")
    assert done.returncode == 2 and "--all" in done.stderr
    done = run(project, "approve", "calc:nothing")
    assert done.returncode == 2 and "names no case" in done.stderr
    assert run(project, "approve", "--all").returncode == 0
    assert run(project, "review").stdout.startswith("nothing to review")


def test_stamp_outside_git_has_no_commit(tmp_path: Path, git_env: dict[str, str]) -> None:
    moment = dt.datetime(2024, 3, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    stamp = review_stamp(tmp_path, now=moment)
    assert stamp == {
        "by": "Rita Reviewer <rita@example.com>",
        "at": "2024-03-01T12:00:00+00:00",
        "commit": None,
    }


def test_check_draws_a_progress_bar_only_on_a_terminal(
    project: Path, git_env: dict[str, str]
) -> None:
    code, output = run_in_pty(project, ["check"], [], git_env)
    assert code == 1, output
    assert "\r\x1b[Kverifying golden masters 3/3" in output
    assert "\r" not in run(project, "check").stderr
