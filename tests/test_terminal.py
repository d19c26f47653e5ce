"""The terminal layer: CI detection, colour, encodings, broken pipes, progress."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import textwrap

import pytest

from legacy_harness.terminal import (
    Output,
    Progress,
    can_encode,
    ci_provider,
    color_enabled,
    default_format,
)


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


def test_ascii_fallback_keeps_glyphs_readable() -> None:
    from legacy_harness.terminal import ascii_text

    assert ascii_text("\u2588\u2588 # \u2026 \u00b1 \u2192 caf\u00e9") == "== # ... +/- -> caf\\xe9"
    assert ascii_text("\U0001f600") == "\\U0001f600"


def test_a_console_that_cannot_encode_gets_the_fallback() -> None:
    code = "from legacy_harness.terminal import safe_output; safe_output(); print('\\u2588 \\u2026 \\u2713')"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=True,
    )
    assert done.stdout == b"= ... v\n"


@pytest.mark.parametrize(
    ("env", "formats", "expected"),
    [
        ({}, ("text", "json", "github"), "text"),
        ({"GITHUB_ACTIONS": "true"}, ("text", "json", "github"), "github"),
        ({"GITHUB_ACTIONS": "true"}, ("text", "json"), "text"),
        ({"GITLAB_CI": "true"}, ("text", "json", "github"), "text"),
    ],
)
def test_github_is_the_default_format_only_under_github_actions(
    env: dict[str, str], formats: tuple[str, ...], expected: str
) -> None:
    assert default_format(formats, env) == expected


def test_output_reads_the_command_line() -> None:
    args = argparse.Namespace(output_formats=("text", "json", "github"), format=None, verbose=2)
    output = Output.from_args(args, env={"GITHUB_ACTIONS": "true"})
    assert output.format == "github" and output.verbosity == 2 and output.verbose
    assert output.color_mode == "auto" and not output.text
    quiet = Output.from_args(argparse.Namespace(quiet=1, format="json"), env={})
    assert quiet.quiet and quiet.format == "json"
    assert Output.from_args(argparse.Namespace(), env={}) == Output(env={})
    assert Output(color_mode="never").color(Tty()) is False
    assert Output(color_mode="auto", env={}).color(Tty()) is True


def test_echo_levels_and_the_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    quiet, normal, verbose = Output(verbosity=-1), Output(), Output(verbosity=1)
    for output in (quiet, normal, verbose):
        output.echo("\nverdict", level=-1)
        output.echo("detail")
        output.echo("more", level=1)
    assert capsys.readouterr().out == "verdict\n\nverdict\ndetail\n\nverdict\ndetail\nmore\n"
    normal.json({"command": "x", "text": "caf\u00e9"})
    assert capsys.readouterr().out == '{\n  "command": "x",\n  "text": "caf\\u00e9"\n}\n'
    with pytest.raises(ValueError):
        normal.json({"value": float("nan")})  # strict JSON: a tool must be able to read it


def test_progress_update_takes_the_engines_callback_shape() -> None:
    now = [0.0]
    stream = Tty()
    progress = Progress("replaying", None, stream=stream, clock=lambda: now[0], width=lambda: 80)
    progress.update(0, 4)
    now[0] = 1.0
    progress.update(2)
    now[0] = 2.0
    progress.update(4, 4)
    frames = stream.getvalue().split("\r\x1b[K")[1:]
    assert frames == ["replaying 0/4", "replaying 2/4 (2.0/s, 1s left)", "replaying 4/4 (2.0/s)"]


def test_progress_stays_off_in_ci_and_on_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Progress.for_terminal("x", 1, stream=Tty()).enabled
    monkeypatch.setenv("TERM", "dumb")
    assert not Progress.for_terminal("x", 1, stream=Tty()).enabled
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("BUILDKITE", "true")
    assert not Progress.for_terminal("x", 1, stream=Tty()).enabled
