"""The terminal layer: CI detection, colour, encodings, broken pipes, progress."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest

from legacy_harness.terminal import Progress, can_encode, ci_provider, color_enabled


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "provider"),
    [
        ({}, None),
        ({"CI": "true"}, "ci"),
        ({"CI": "false"}, None),
        ({"GITHUB_ACTIONS": "true", "CI": "true"}, "github"),
        ({"GITLAB_CI": "true"}, "gitlab"),
        ({"BUILDKITE": "true"}, "buildkite"),
        ({"JENKINS_URL": "https://ci.example/"}, "jenkins"),
        ({"TF_BUILD": "True"}, "azure"),
    ],
)
def test_ci_is_detected_from_every_provider(env: dict[str, str], provider: str | None) -> None:
    assert ci_provider(env) == provider


def test_colour_follows_flag_then_environment_then_terminal() -> None:
    tty, pipe = Tty(), io.StringIO()
    assert color_enabled(tty, "auto", {}) and not color_enabled(pipe, "auto", {})
    assert not color_enabled(tty, "auto", {"NO_COLOR": "1"})
    assert color_enabled(pipe, "auto", {"FORCE_COLOR": "1"})
    assert not color_enabled(pipe, "auto", {"FORCE_COLOR": "0"})
    assert not color_enabled(tty, "auto", {"TERM": "dumb"})
    assert color_enabled(pipe, "always", {"NO_COLOR": "1"})
    assert not color_enabled(tty, "never", {"FORCE_COLOR": "1"})
    with pytest.raises(ValueError, match="colour mode"):
        color_enabled(tty, "sometimes", {})


def test_encoding_check() -> None:
    ascii_stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert can_encode(ascii_stream, "abc") and not can_encode(ascii_stream, "\u2588")
    assert can_encode(io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), "\u2588")


def test_progress_fits_a_narrow_pane_and_erases_itself() -> None:
    now = [0.0]
    stream = Tty()
    progress = Progress(
        "checking cases", 200, stream=stream, clock=lambda: now[0], width=lambda: 30, interval=0
    )
    for _ in range(50):
        now[0] += 0.01
        progress.advance()
    assert progress.line().startswith("checking cases 50/200")
    frames = stream.getvalue().split("\r\x1b[K")[1:]
    assert len(frames) == 50 and all(len(frame) <= 29 and "\n" not in frame for frame in frames)
    wide = Progress("checking", 200, stream=Tty(), clock=lambda: now[0], width=lambda: 120)
    wide.started = now[0] - 10
    wide.done = 50
    assert wide.line() == "checking 50/200 (5.0/s, 30s left)"
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_disabled_progress_writes_nothing() -> None:
    stream = Tty()
    with Progress("x", 3, stream=stream, enabled=False) as progress:
        progress.advance(3)
    assert stream.getvalue() == ""
    assert not Progress.for_terminal("x", 3, stream=io.StringIO()).enabled
    assert not Progress.for_terminal("x", 3, quiet=True, stream=Tty()).enabled


def test_a_closed_pipe_ends_quietly() -> None:
    code = textwrap.dedent(
        """
        from legacy_harness.terminal import quiet_broken_pipe
        with quiet_broken_pipe():
            for i in range(200000):
                print("line", i)
        """
    )
    done = subprocess.run(
        f"{sys.executable} -c '{code}' | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "line 0\n"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
