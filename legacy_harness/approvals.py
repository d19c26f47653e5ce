"""approvaltests integration: tolerant comparison of approved files, reporters by name.

Text masters of the ``golden`` fixture are verified through approvaltests, so a diff
tool the user configured for approvaltests opens on a mismatch. The other way round,
:class:`TolerantComparator` gives an existing approvaltests suite our tolerances:
``verify(text, options=Options().with_comparator(TolerantComparator(policy)))``.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
from pathlib import Path
from typing import Any

# Importing approvaltests' file approver fetches helper scripts from the network unless
# this is set; a test run must not reach out to the internet, so it is off by default.
os.environ.setdefault("APPROVALTESTS_DISABLE_SCRIPT_DOWNLOADS", "1")

import approvaltests  # noqa: E402
from approvaltests import reporters as _reporters  # noqa: E402
from approvaltests.core.comparator import Comparator  # noqa: E402
from approvaltests.core.namer import Namer  # noqa: E402
from approvaltests.core.options import Options  # noqa: E402
from approvaltests.core.reporter import Reporter  # noqa: E402
from approvaltests.file_approver import FileApprover  # noqa: E402
from approvaltests.reporters.report_quietly import ReportQuietly  # noqa: E402
from approvaltests.string_writer import StringWriter  # noqa: E402

from legacy_harness.compare import Difference, Policy, Tolerance, compare, unified_diff  # noqa: E402
from legacy_harness.errors import ConfigError  # noqa: E402

__all__ = [
    "ApprovalException",
    "StoreNamer",
    "TolerantComparator",
    "approved_text",
    "configured_reporter",
    "reporter_by_name",
    "reporter_classes",
    "text_differences",
    "verify_text",
]

ApprovalException = approvaltests.ApprovalException

#: Folders under which our namer puts approved files; verifying one of them again in the
#: same process (a rerun, or several pytester sessions) is not the mistake approvaltests
#: guards against, so it is allowed there.
_MANAGED_ROOTS: set[str] = set()
FileApprover.add_allowed_duplicates(
    lambda approved: any(approved.startswith(root) for root in _MANAGED_ROOTS)
)

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def text_differences(
    approved: str, received: str, policy: Policy | None = None
) -> list[Difference]:
    """Differences between two approved-file texts under ``policy``.

    JSON on both sides is compared structurally (tolerance path globs apply as for any
    value). Other text must match outside its numbers; numbers are compared with the
    policy's default and type tolerances, an integer with an integer exactly, and are
    reported at ``[line][k]`` (line from 1, k-th number of the line from 0).
    """
    approved, received = _normal(approved), _normal(received)
    if approved == received:
        return []
    try:
        expected_json, actual_json = json.loads(approved), json.loads(received)
    except ValueError:
        pass
    else:
        return compare(expected_json, actual_json, policy)
    expected_lines, actual_lines = approved.split("\n"), received.split("\n")
    skeletons_match = len(expected_lines) == len(actual_lines) and all(
        _NUMBER.sub("#", e) == _NUMBER.sub("#", a)
        for e, a in zip(expected_lines, actual_lines, strict=True)
    )
    if not skeletons_match:
        return [
            Difference(
                "text",
                "output changed",
                approved,
                received,
                detail={"diff": unified_diff(approved, received)},
            )
        ]
    expected_numbers: dict[int, list[int | float]] = {}
    actual_numbers: dict[int, list[int | float]] = {}
    for number, (e, a) in enumerate(zip(expected_lines, actual_lines, strict=True), start=1):
        if e != a:
            expected_numbers[number] = [_number(t) for t in _NUMBER.findall(e)]
            actual_numbers[number] = [_number(t) for t in _NUMBER.findall(a)]
    return compare(expected_numbers, actual_numbers, policy)


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n")


def _number(token: str) -> int | float:
    if any(c in token for c in ".eE"):
        return float(token)
    return int(token)


class TolerantComparator(Comparator):
    """An approvaltests Comparator that accepts differences within our tolerances.

    ``TolerantComparator(policy)`` or ``TolerantComparator(rtol=1e-6, paths={...})``;
    after a failed comparison ``last_differences`` holds what differed.
    """

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        paths: dict[str, Tolerance | dict[str, Any]] | None = None,
        **tolerance: Any,
    ) -> None:
        self.policy = (policy or Policy()).with_overrides(paths=paths, **tolerance)
        self.last_differences: list[Difference] = []

    def compare(self, received_path: str, approved_path: str) -> bool:
        try:
            received = Path(received_path).read_text(encoding="utf-8")
            approved = Path(approved_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.last_differences = []
            return False
        self.last_differences = text_differences(approved, received, self.policy)
        return not self.last_differences

    def __repr__(self) -> str:
        return f"TolerantComparator({self.policy!r})"


class StoreNamer(Namer):
    """Names ``<folder>/<name>.approved.txt`` and ``.received.txt``: files in our store."""

    def __init__(self, folder: Path, name: str, extension: str = ".txt") -> None:
        self.folder = Path(folder)
        self.name = name
        self.extension = extension
        _MANAGED_ROOTS.add(str(self.folder))

    def get_approved_filename(self) -> str:
        return str(self.folder / f"{self.name}{Namer.APPROVED}{self.extension}")

    def get_received_filename(self) -> str:
        return str(self.folder / f"{self.name}{Namer.RECEIVED}{self.extension}")


def approved_text(text: str) -> str:
    """The text as approvaltests writes it (a final newline added), for writing masters."""
    return StringWriter.sanitize_string(text)


def verify_text(
    text: str,
    namer: Namer,
    *,
    comparator: Comparator | None = None,
    reporter: Reporter | None = None,
) -> None:
    """approvaltests.verify with our namer; raises ApprovalException on a mismatch.

    Without ``reporter``, the default reporter the user configured for approvaltests
    runs (see :func:`configured_reporter`); without one either, none does: the caller
    shows the differences itself, and a test run opens no diff tool uninvited.
    """
    chosen = reporter or configured_reporter() or ReportQuietly()
    options = Options().with_namer(namer).with_reporter(chosen)
    if comparator is not None:
        options = options.with_comparator(comparator)
    approvaltests.verify(text, options=options)


def configured_reporter() -> Reporter | None:
    """The reporter the user chose for approvaltests, if any: the one given to
    ``approvaltests.set_default_reporter`` (e.g. in conftest.py), else the class named by
    the ``APPROVAL_TESTS_USE_REPORTER`` environment variable."""
    chosen: Reporter | None = getattr(_reporters.DEFAULT_REPORTER, "instance", None)
    if chosen is not None:
        return chosen
    if os.environ.get(_reporters.EnvironmentVariableReporter.ENVIRONMENT_VARIABLE_NAME):
        return _reporters.EnvironmentVariableReporter()
    return None


#: Short names, as on the command line; any approvaltests reporter class name works too.
_ALIASES: dict[str, str] = {
    "quiet": "ReportQuietly",
    "native": "PythonNativeReporter",
    "text": "PythonNativeReporter",
    "diff": "DiffReporter",
    "default": "DiffReporter",
    "approve": "ReporterThatAutomaticallyApproves",
    "auto-approve": "ReporterThatAutomaticallyApproves",
    "clipboard": "ClipboardReporter",
    "env": "EnvironmentVariableReporter",
    "files": "ReportByOpeningFiles",
}

#: Reporters that exist to build others, or to test approvaltests itself.
_NOT_REPORTERS = frozenset({"NoConfigReporter", "ReporterForTesting"})


def reporter_classes() -> dict[str, type[Reporter]]:
    """Every reporter class approvaltests ships, by class name (``PythonNativeReporter``,
    ``ReportWithMeldMergeLinux``, ``DiffReporter``...)."""
    for module in pkgutil.iter_modules(_reporters.__path__):
        importlib.import_module(f"{_reporters.__name__}.{module.name}")
    found: dict[str, type[Reporter]] = {"ReportQuietly": ReportQuietly}
    stack: list[type[Any]] = [Reporter]
    while stack:
        cls = stack.pop()
        sub: type[Any]
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("approvaltests.") and sub.__name__ not in _NOT_REPORTERS:
                found.setdefault(sub.__name__, sub)
    return found


def _short(name: str) -> str:
    """A class name without the words every reporter's name carries, lower case:
    ``PythonNativeReporter`` -> ``pythonnative``, ``ReportWithMeldMergeLinux`` ->
    ``meldmergelinux``, ``ReportQuietly`` -> ``quietly``."""
    text = name.lower().replace("-", "").replace("_", "")
    for prefix in ("reportwith", "reporter", "report"):
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    return text.removesuffix("reporter") or text


def reporter_by_name(name: str) -> Reporter:
    """An approvaltests reporter from a short name (``native``, ``diff``, ``quiet``...),
    any approvaltests reporter class name with or without its ``Reporter``/``ReportWith``
    words (``PythonNativeReporter``, ``PythonNative``, ``MeldMergeLinux``), a dotted
    path to a reporter class (``mypackage.reporters.Mine``), a diff tool from
    approvaltests' reporters.json, or the name or path of a diff program."""
    wanted = _ALIASES.get(name.lower(), name)
    classes = reporter_classes()
    by_short = {_short(class_name): cls for class_name, cls in sorted(classes.items())}
    cls = next((c for n, c in classes.items() if n.lower() == wanted.lower()), None)
    cls = cls or by_short.get(_short(wanted))
    if cls is None and "." in name and not Path(name).exists():
        cls = _dotted_reporter(name)
    if cls is not None:
        try:
            reporter: Reporter = cls()
        except TypeError:
            raise ConfigError(
                f"--golden-reporter {name!r}: {cls.__name__} needs arguments; build it in"
                " conftest.py and pass it to approvaltests.set_default_reporter(...)"
            ) from None
        return reporter
    configured = _reporters.GenericDiffReporterFactory()
    if name in configured.list():
        return configured.get(name)
    program = shutil.which(name) or (name if Path(name).is_file() else None)
    if program:
        return _reporters.GenericDiffReporter.create(program)
    raise ConfigError(
        f"--golden-reporter {name!r} is not a reporter; use one of"
        f" {', '.join(sorted(_ALIASES))}, an approvaltests reporter class name"
        " (e.g. PythonNative, DiffReporter), a diff tool from approvaltests'"
        " reporters.json, or a diff program on PATH"
    )


def _dotted_reporter(name: str) -> type[Reporter] | None:
    """``package.module.Class`` named by the user, as approvaltests' environment variable
    names reporters; None unless it is a Reporter class."""
    module_name, _, attribute = name.rpartition(".")
    try:
        value = getattr(importlib.import_module(module_name), attribute, None)
    except ImportError:
        return None
    if isinstance(value, type) and issubclass(value, Reporter):
        return value
    return None
