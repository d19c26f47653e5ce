"""What every command needs of the terminal: colour, encodings, pipes, progress, CI.

One layer, used by every command, so ``check | head -1`` ends quietly, an ASCII-only
console gets ASCII, ``NO_COLOR``/``FORCE_COLOR``/``--color`` mean the same everywhere,
and progress is drawn only where a person watches (a terminal, not a CI log, not ``-q``).
"""

from __future__ import annotations

import codecs
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

__all__ = [
    "CI_VARIABLES",
    "Progress",
    "ci_provider",
    "color_enabled",
    "can_encode",
    "quiet_broken_pipe",
    "safe_output",
]

#: Environment variables that say "this runs in CI", and the provider each names.
CI_VARIABLES: dict[str, str] = {
    "GITHUB_ACTIONS": "github",
    "GITLAB_CI": "gitlab",
    "BUILDKITE": "buildkite",
    "JENKINS_URL": "jenkins",
    "TF_BUILD": "azure",
    "CI": "ci",
}

COLOR_MODES = ("auto", "always", "never")


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no", "off")


def ci_provider(env: Mapping[str, str] | None = None) -> str | None:
    """The CI system running us (``github``, ``gitlab``, ...; ``ci`` when only ``CI`` is
    set), or None on a person's machine."""
    env = os.environ if env is None else env
    for name, provider in CI_VARIABLES.items():
        if name == "JENKINS_URL" and env.get(name):
            return provider
        if _truthy(env.get(name)):
            return provider
    return None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def color_enabled(stream: Any, mode: str = "auto", env: Mapping[str, str] | None = None) -> bool:
    """Whether to colour ``stream``: ``--color always|never`` wins; under ``auto``,
    ``NO_COLOR`` turns colour off, ``FORCE_COLOR`` (not ``0``) on, a dumb terminal or a
    file off, a terminal on."""
    if mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, not {mode!r}")
    if mode != "auto":
        return mode == "always"
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force != "0":
        return True
    if env.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def can_encode(stream: Any, text: str) -> bool:
    """Whether ``stream``'s encoding can write ``text`` (False for an ASCII console and
    a block glyph, so reports fall back to ASCII instead of failing)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        codecs.encode(text, encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def safe_output() -> None:
    """Make stdout and stderr replace what their encoding cannot write (a report is
    never lost to a UnicodeEncodeError), leaving the encoding itself alone."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot change: leave it
                continue


@contextmanager
def quiet_broken_pipe() -> Iterator[None]:
    """End quietly when the reader of our output goes away (``check | head -1``): no
    traceback, and no second error when Python flushes stdout at exit."""
    try:
        yield
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a real file: nothing to flush
            pass
        raise SystemExit(1) from None


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """A one-line progress report: what, count, rate and ETA, redrawn in place.

    Drawn only when ``enabled`` (callers pass: a terminal, not quiet, not CI); the line
    is cut to the terminal's width so a narrow pane never wraps it into one line per
    redraw, and it is erased when done so the report that follows starts clean.
    """

    def __init__(
        self,
        what: str,
        total: int | None,
        *,
        stream: IO[str] | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] | None = None,
        interval: float = 0.1,
    ) -> None:
        self.what = what
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.clock = clock
        self.width = width or (lambda: shutil.get_terminal_size((80, 24)).columns)
        self.interval = interval
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None

    @classmethod
    def for_terminal(
        cls, what: str, total: int | None, *, quiet: bool = False, stream: IO[str] | None = None
    ) -> Progress:
        """A progress line that shows only on a terminal, outside CI, without ``-q``."""
        stream = stream if stream is not None else sys.stderr
        enabled = not quiet and ci_provider() is None and _isatty(stream)
        return cls(what, total, stream=stream, enabled=enabled)

    def line(self) -> str:
        """The text of the line for the current count (cut to the terminal width)."""
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            text = f"{self.what} {self.done}/{self.total}"
            if rate > 0 and self.done < self.total:
                text += f" ({rate:.1f}/s, {_duration((self.total - self.done) / rate)} left)"
            elif rate > 0:
                text += f" ({rate:.1f}/s)"
        else:
            text = f"{self.what} {self.done}" + (f" ({rate:.1f}/s)" if rate > 0 else "")
        limit = max(10, self.width() - 1)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = self.clock()
        finished = self.total is not None and self.done >= self.total
        if self.drawn_at is not None and now - self.drawn_at < self.interval and not finished:
            return
        self.drawn_at = now
        self.stream.write("\r\x1b[K" + self.line())
        self.stream.flush()

    def close(self) -> None:
        """Erase the line (the report that follows has the figures)."""
        if self.enabled and self.drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
