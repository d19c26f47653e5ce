"""What every command needs of the terminal: colour, encodings, pipes, progress, CI.

One layer, used by every command, so ``check | head -1`` ends quietly, an ASCII-only
console gets ASCII, ``NO_COLOR``/``FORCE_COLOR``/``--color`` mean the same everywhere,
``-q``/``-v`` mean the same everywhere, and progress is drawn only where a person
watches (a terminal, not a CI log, not ``-q``). :class:`Output` carries a command
line's choices to the command that runs.
"""

from __future__ import annotations

import codecs
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any

from legacy_harness.values import Frozen

__all__ = [
    "ASCII_ERRORS",
    "ASCII_FALLBACK",
    "CI_VARIABLES",
    "COLOR_MODES",
    "DEFAULT_MAX_CASES",
    "Output",
    "Progress",
    "ascii_text",
    "can_encode",
    "ci_provider",
    "color_enabled",
    "default_format",
    "quiet_broken_pipe",
    "safe_output",
    "terminal_columns",
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

#: Cases a report shows (in full or by name) unless ``--max-cases`` or ``-v`` says
#: otherwise; the rest are counted, and ``--format json`` lists them all.
DEFAULT_MAX_CASES = 20

#: What a glyph becomes on a console that cannot encode it. The histogram's master bar
#: becomes ``=`` so it stays distinct from the current sample's ``#``.
ASCII_FALLBACK: dict[str, str] = {
    "\u2588": "=", "\u2026": "...", "\u00b1": "+/-", "\u00d7": "x", "\u2212": "-",
    "\u2013": "-", "\u2014": "--", "\u2192": "->", "\u2190": "<-", "\u21d2": "=>",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2248": "~", "\u2713": "v",
    "\u2714": "v", "\u2717": "x", "\u2718": "x", "\u2705": "[ok]", "\u274c": "[x]",
    "\u2022": "*", "\u00b7": ".", "\u2018": "'", "\u2019": "'", "\u201c": '"',
    "\u201d": '"', "\u00b5": "u", "\u03bc": "u", "\u03c3": "sigma", "\u03b1": "alpha",
}  # fmt: skip

#: The codec error handler that writes :data:`ASCII_FALLBACK` (and ``\\uXXXX`` for any
#: other character) instead of failing; :func:`safe_output` puts it on stdout and stderr.
ASCII_ERRORS = "legacy_harness.ascii"


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ASCII_FALLBACK.get(char) or _escaped(char) for char in text), error.end


codecs.register_error(ASCII_ERRORS, _ascii_fallback)


def ascii_text(text: str) -> str:
    """``text`` as a console that only knows ASCII shows it (glyphs by their fallback)."""
    return text.encode("ascii", ASCII_ERRORS).decode("ascii")


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


def default_format(choices: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """The format a command writes when ``--format`` is not given: ``github`` under
    GitHub Actions when the command has it (the log then annotates the pull request),
    else ``text``."""
    if "github" in choices and ci_provider(env) == "github":
        return "github"
    return "text"


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
    if force and force != "0":
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
    """Make stdout and stderr write what their encoding cannot hold as ASCII (``=`` for
    a bar, ``...`` for an ellipsis, ``\\uXXXX`` for the rest): a report is never lost to
    a UnicodeEncodeError, and the encoding itself is left alone."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            try:
                reconfigure(errors=ASCII_ERRORS)
            except (ValueError, OSError):  # a stream that cannot change: leave it
                continue


@contextmanager
def quiet_broken_pipe() -> Iterator[None]:
    """End quietly when the reader of our output goes away (``check | head -1``): no
    traceback, and no second error when Python flushes stdout at exit."""
    try:
        yield
        sys.stdout.flush()  # inside: a reader that left shows here, not at exit
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


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (and, through
    it, the compression modules) on every command line: ``COLUMNS`` when set, else the
    terminal of ``sys.__stdout__``, else 80. argparse's help is sized by it."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


def _columns(stream: Any) -> int:
    """The width of the terminal ``stream`` draws on: ``COLUMNS`` when set, else the
    stream's own terminal (stdout may be a pipe while stderr is the pane), else 80."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        import shutil

        return shutil.get_terminal_size((80, 24)).columns


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
        self.width = width or (lambda: _columns(self.stream))
        self.interval = interval
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None

    @classmethod
    def for_terminal(
        cls, what: str, total: int | None, *, quiet: bool = False, stream: IO[str] | None = None
    ) -> Progress:
        """A progress line that shows only on a terminal that understands it (not
        ``TERM=dumb``), outside CI, without ``-q``."""
        stream = stream if stream is not None else sys.stderr
        enabled = (
            not quiet
            and ci_provider() is None
            and os.environ.get("TERM") != "dumb"
            and _isatty(stream)
        )
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
        """Count ``count`` more items done, redrawing at most every ``interval`` seconds."""
        self.update(self.done + count)

    def update(self, done: int, total: int | None = None) -> None:
        """Set the count (and the total, when it is learnt late): the shape of the
        ``progress(done, total)`` callbacks the engines take, so a bound method serves."""
        self.done = done
        if total is not None:
            self.total = total
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


class Output(Frozen):
    """How one command writes, as its command line asked: the format, the colour mode
    and the verbosity (``-1`` for ``-q``, ``0``, ``1`` and more for ``-v``).

    The command line makes one (:meth:`from_args`) and hands it to the command as
    ``args.output``, so every command reads ``-q``, ``-v``, ``--color`` and
    ``--format`` the same way. Streams are looked up when written to, never stored,
    so a test that captures ``sys.stdout`` sees what was written.

    A plain class rather than a dataclass: every command line makes one, and the
    dataclasses module (with inspect) is a fifth of an interpreter's start-up.
    """

    FIELDS = ("format", "color_mode", "verbosity", "env")

    format: str
    color_mode: str
    verbosity: int
    env: Mapping[str, str] | None

    def __init__(
        self,
        format: str = "text",  # noqa: A002 - the --format it stands for
        color_mode: str = "auto",
        verbosity: int = 0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.__dict__.update(format=format, color_mode=color_mode, verbosity=verbosity, env=env)

    def __hash__(self) -> int:
        return hash(self._values()[:3])  # env is a mapping

    @classmethod
    def from_args(cls, args: Any, env: Mapping[str, str] | None = None) -> Output:
        """The choices of a parsed command line; a ``--format`` not given is
        :func:`default_format` of the formats the command offers."""
        formats = getattr(args, "output_formats", None) or ("text",)
        requested = getattr(args, "format", None)
        verbosity = int(getattr(args, "verbose", 0) or 0) - int(getattr(args, "quiet", 0) or 0)
        return cls(
            format=requested or default_format(formats, env),
            color_mode=getattr(args, "color", None) or "auto",
            verbosity=verbosity,
            env=env,
        )

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    @property
    def verbose(self) -> bool:
        return self.verbosity > 0

    @property
    def text(self) -> bool:
        """Whether the command writes its report for people (not JSON, XML...)."""
        return self.format == "text"

    def color(self, stream: Any = None) -> bool:
        """Whether to colour what goes to ``stream`` (default: stdout)."""
        return color_enabled(sys.stdout if stream is None else stream, self.color_mode, self.env)

    def progress(self, what: str, total: int | None = None) -> Progress:
        """A progress line on stderr: drawn on a terminal, never in CI or under ``-q``."""
        return Progress.for_terminal(what, total, quiet=self.quiet)

    def echo(self, text: str = "", *, level: int = 0, err: bool = False) -> None:
        """Print ``text`` when the verbosity is at least ``level``: ``0`` (the default)
        is hidden by ``-q``, ``-1`` is always shown, ``1`` only with ``-v``. Under
        ``-q`` the blank lines that separate sections are dropped too."""
        if self.verbosity >= level:
            print(text.lstrip("\n") if self.quiet else text, file=sys.stderr if err else sys.stdout)

    def json(self, document: Mapping[str, Any]) -> None:
        """Write one JSON document to stdout (strict: no NaN; ASCII, so any console
        and any pipe take it unchanged), streamed as it is encoded: a large document
        is never built twice in memory, and a reader that stops early is noticed."""
        import json

        json.dump(document, sys.stdout, indent=2, default=str, allow_nan=False)
        sys.stdout.write("\n")
