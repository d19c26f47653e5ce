"""``[tool.legacy_harness]`` in pyproject.toml: where the store is, what may be rebuilt."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from legacy_harness.errors import ConfigError
from legacy_harness.values import Frozen

DEFAULT_STORE = "tests/golden"
DEFAULT_MAX_CASES = 200

#: Keys read here; the comparison policy reads the rest (see compare.settings).
OWN_KEYS = {"store", "allow", "max_cases", "pythonpath", "exclude", "overrides"}
#: ``targets`` is two things by its shape: a list names what to record (read here, into
#: Config.targets); a table holds per-target comparison overrides (compare.settings).
#: TOML cannot hold both under one key, so next to a list the overrides go under
#: ``[tool.legacy_harness.overrides."mod:qualname"]``, handed to compare as ``targets``.
TARGETS_KEY = "targets"
OVERRIDES_KEY = "overrides"
#: Keys that other parts of the tool own; accepted here so one table serves all.
OTHER_KEYS = {
    "rtol", "atol", "max_ulp", "nan_equal", "signed_zero", "strict_sequence_types",
    "strict_int_width", "strict_dtype_kind", "tolerances", "type_tolerances", "targets",
    "scrub", "redact", "strict_number_types", "max_differences",
    "boundaries",  # what a call reads and writes outside: record.boundaries
    # where independent work runs: read by legacy_harness.parallel.executor_from
    "jobs", "executor", "scheduler",
}  # fmt: skip

#: Sub-tables of ``[tool.legacy_harness]`` and their keys: the one list of what each may
#: hold. The module that reads a section takes it through :func:`section`, so a bad
#: value is reported against pyproject.toml the same way wherever it is read. ``None``:
#: the keys are the user's names (target globs), checked by the module that reads them.
SECTIONS: dict[str, frozenset[str] | None] = {
    # verify --stochastic and the statistical gate
    "stochastic": frozenset({"alpha", "sequential"}),
    # defaults of ``legacy-harness check`` (check.model.options_from_config)
    "check": frozenset(
        {
            "min_coverage",
            "min_mutation_score",
            "allow_unreviewed",
            "allow_empty",
            "secrets",
            "allow_emails",
            "allow",
            "jobs",
        }  # fmt: skip
    ),
    # thresholds of ``legacy-harness drift`` (drift.settings.settings_from_config)
    "drift": frozenset({"alpha", "min_psi", "min_shift", "min_new", "small_ints"}),
    # bounds on decoding golden files (store.codec.Limits.from_table)
    "limits": frozenset({"max_array_bytes", "max_depth", "max_case_bytes"}),
    # target glob -> "pkg.mod:func" (or a list): derived statistics of statistical
    # masters (stochastic.statistics.statistic_specs)
    "statistics": None,
}


def register_section(name: str, keys: frozenset[str] | None) -> None:
    """Declare a sub-table of ``[tool.legacy_harness]`` (or more keys of one); ``None``
    declares a table of the user's names, checked by the module that reads it."""
    old = SECTIONS.get(name, frozenset())
    SECTIONS[name] = None if keys is None or old is None else old | keys


def section(table: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """``[tool.legacy_harness.NAME]`` of ``table``, checked against its declared keys."""
    where = f"[tool.legacy_harness.{name}]"
    value = table.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, e.g. [tool.legacy_harness.{name}]")
    known = SECTIONS[name]
    if known is None:
        return value
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigError(
            f"{where} has unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}"
        )
    return value


def number(
    table: Mapping[str, Any],
    name: str,
    key: str,
    default: float,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
    integer: bool = False,
) -> Any:
    """A number of ``[tool.legacy_harness.NAME]``, checked to lie in its range."""
    value = section(table, name).get(key, default)
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    if ok and low is not None:
        ok = value > low if open_low else value >= low
    if ok and high is not None:
        ok = value < high if open_high else value <= high
    if not ok:
        left = "(" if open_low else "["
        right = ")" if open_high else "]"
        span = f" in {left}{low}, {high}{right}" if low is not None or high is not None else ""
        kind = "an integer" if integer else "a number"
        raise ConfigError(
            f"[tool.legacy_harness.{name}] {key} = {value!r} must be {kind}{span};"
            f" e.g. {key} = {default!r}"
        )
    return value


def text_list(table: Mapping[str, Any], key: str, where: str, what: str) -> list[str]:
    """``table[key]`` (default empty): a list of non-empty strings, else ConfigError
    saying ``where`` the key is and ``what`` it must be."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{where} {key} must be {what}")
    return value


class Config(Frozen):
    """The settings a run uses, with paths made absolute against the project root.

    Read-only once made (:meth:`replace` gives a changed copy). A plain class rather
    than a dataclass: every command reads one, and importing dataclasses (with inspect)
    is a fifth of an interpreter's start-up.
    """

    FIELDS = (
        "root", "store", "allow", "max_cases", "pythonpath", "table", "source", "targets",
        "exclude",
    )  # fmt: skip

    root: Path
    store: Path
    allow: tuple[str, ...]
    max_cases: int
    pythonpath: tuple[Path, ...]
    table: Mapping[str, Any]
    source: Path | None
    #: ``targets = [...]``: what record and the other commands work on when no target
    #: is named (modules, classes, functions or globs; see store.layout.TargetPattern)
    targets: tuple[str, ...]
    #: ``exclude = [...]``: patterns taken out of ``targets`` and of every --target
    exclude: tuple[str, ...]

    def __init__(
        self,
        root: Path,
        store: Path,
        allow: tuple[str, ...] = (),
        max_cases: int = DEFAULT_MAX_CASES,
        pythonpath: tuple[Path, ...] = (),
        table: Mapping[str, Any] | None = None,
        source: Path | None = None,
        targets: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
    ) -> None:
        values = (
            root, store, allow, max_cases, pythonpath, {} if table is None else table, source,
            targets, exclude,
        )  # fmt: skip
        self.__dict__.update(zip(self.FIELDS, values, strict=True))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Config is read-only: use config.replace({name}=...)")

    __hash__ = None  # type: ignore[assignment]  # it holds the table, a dict

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` (field name -> value)."""
        unknown = sorted(set(changes) - set(self.FIELDS))
        if unknown:
            raise TypeError(f"Config has no field {unknown[0]!r}")
        return Config(**{**{name: self.__dict__[name] for name in self.FIELDS}, **changes})

    @property
    def overrides_key(self) -> str:
        """Where per-target overrides go in this project's table (beside a list: ``overrides``)."""
        return OVERRIDES_KEY if isinstance(self.table.get(TARGETS_KEY), list) else TARGETS_KEY

    def comparison_table(self) -> dict[str, Any]:
        """The part of the table that configures comparison: per-target overrides as
        ``targets``, whether they were written there or under ``overrides``."""
        table = {
            key: value
            for key, value in self.table.items()
            if key not in OWN_KEYS and not (key == TARGETS_KEY and isinstance(value, list))
        }
        if OVERRIDES_KEY in self.table:
            table[TARGETS_KEY] = self.table[OVERRIDES_KEY]
        return table

    def with_store(self, store: str | Path | None) -> Config:
        if store is None:
            return self
        return self.replace(store=(Path.cwd() / store).resolve())


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None, *, keep: bool = False) -> Config:
    """Read the nearest pyproject.toml at or above ``start`` (default: the working folder).

    ``keep`` (the command line's choice) keeps the parsed table beside the project's
    bytecode for the next run (see :func:`cached_table`); every caller reads it there.
    """
    start = (start or Path.cwd()).resolve()
    pyproject = find_pyproject(start)
    if pyproject is None:
        return Config(root=start, store=start / DEFAULT_STORE, pythonpath=(start,))
    data = pyproject.read_bytes()
    table = cached_table(pyproject, data)
    if table is None:
        table = _parse(pyproject, data)
        if keep and not sys.dont_write_bytecode:
            _keep_table(pyproject, data, table)
    return config_from_table(table, root=pyproject.parent, source=pyproject)


def _parse(pyproject: Path, data: bytes) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject}: not valid TOML ({error}); fix the file") from None
    return document.get("tool", {}).get("legacy_harness", {})


#: Bumped when what a cache file holds changes: older files are then ignored.
CACHE_FORMAT = 2


def cache_path(pyproject: Path) -> Path:
    """Where the parsed table of ``pyproject`` is kept: in the user's cache folder
    (``$XDG_CACHE_HOME``, else ``~/.cache``), or under ``PYTHONPYCACHEPREFIX`` when
    that is set; never inside the project, so a file that arrives with the code (a
    pull request) can never stand in for the configuration it shows. Nothing is
    written when bytecode is not (``PYTHONDONTWRITEBYTECODE``)."""
    import zlib

    if sys.pycache_prefix:
        folder = Path(sys.pycache_prefix, "legacy-harness")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base, "legacy-harness")
    name = f"{zlib.crc32(str(pyproject).encode('utf-8', 'surrogateescape')):08x}"
    return folder / "config" / f"{name}.marshal"


def cached_table(pyproject: Path, data: bytes) -> Any:
    """The ``[tool.legacy_harness]`` table kept from an earlier run when the cache file
    holds exactly ``data`` (the file's bytes, compared whole: an edit is never missed),
    else None. Parsing TOML is cheap; importing a TOML parser is a quarter of a bare
    interpreter's start-up, paid by every command line. The file is marshal data, as
    cached bytecode is, in the user's own cache folder (and as trusted: whoever can
    write there can replace the code Python runs); it names the file it was parsed
    from, only plain values are taken from it, checked field by field, and its table
    goes through the checks a freshly parsed one does."""
    import marshal

    try:
        kept = marshal.loads(cache_path(pyproject).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):  # none yet, or unreadable
        return None
    if (
        isinstance(kept, dict)
        and kept.get("format") == CACHE_FORMAT
        and kept.get("source") == str(pyproject)
        and kept.get("data") == data
        and _plain(kept.get("table"))
        and isinstance(kept["table"], dict)
    ):
        return kept["table"]
    return None


def _plain(value: Any, depth: int = 0) -> bool:
    """True if ``value`` is made of what TOML gives (tables, arrays, text, numbers)."""
    if depth > 64:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(item, depth + 1) for item in value)
    return isinstance(value, (str, int, float, bool))


def _keep_table(pyproject: Path, data: bytes, table: Any) -> None:
    """Write the cache file (atomically: a reader sees the old file or the new one).
    Anything that goes wrong leaves the cache as it was: it only saves time."""
    import marshal

    path = cache_path(pyproject)
    document = {
        "format": CACHE_FORMAT,
        "source": str(pyproject),
        "data": data,
        "table": table,
    }
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        if not _plain(table):
            return  # TOML dates and times: parsed each time
        data_out = marshal.dumps(document)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data_out)
        os.replace(temporary, path)
    except (OSError, ValueError):
        try:
            temporary.unlink()
        except OSError:
            pass


def config_from_table(
    table: Mapping[str, Any], *, root: Path, source: Path | None = None
) -> Config:
    where = f"{source}: [tool.legacy_harness]" if source else "[tool.legacy_harness]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - OWN_KEYS - OTHER_KEYS - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{where} has unknown key {unknown[0]!r}; known keys:"
            f" {', '.join(sorted(OWN_KEYS | OTHER_KEYS | set(SECTIONS)))}"
        )
    try:  # every declared section is checked now, not when a command first reads it
        for name in SECTIONS:
            section(table, name)
        number(table, "stochastic", "alpha", 0.01, low=0, high=1, open_low=True, open_high=True)
        if not isinstance(section(table, "stochastic").get("sequential", False), bool):
            raise ConfigError(
                "[tool.legacy_harness.stochastic] sequential must be true or false,"
                " e.g. sequential = true"
            )
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}" if source else str(error)) from None
    store = table.get("store", DEFAULT_STORE)
    if not isinstance(store, str) or not store:
        raise ConfigError(
            f'{where} store must be a folder path as a string, e.g. store = "tests/golden"'
        )
    allow = text_list(table, "allow", where, 'a list of module names, e.g. allow = ["mylib"]')
    max_cases = table.get("max_cases", DEFAULT_MAX_CASES)
    if not isinstance(max_cases, int) or isinstance(max_cases, bool) or max_cases < 1:
        raise ConfigError(f"{where} max_cases must be a positive integer")
    targets, exclude = _targets(table, where)
    pythonpath = table.get("pythonpath", ["."])
    if not isinstance(pythonpath, list) or not all(isinstance(item, str) for item in pythonpath):
        raise ConfigError(
            f'{where} pythonpath must be a list of folders, e.g. pythonpath = ["src"]'
        )
    return Config(
        root=root,
        store=(root / store).resolve(),
        allow=tuple(allow),
        max_cases=max_cases,
        pythonpath=tuple((root / item).resolve() for item in pythonpath),
        table=dict(table),
        source=source,
        targets=targets,
        exclude=exclude,
    )


def _targets(table: Mapping[str, Any], where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``targets`` (a list of what to record, or a table of overrides) and ``exclude``."""
    targets = table.get(TARGETS_KEY, [])
    overrides = table.get(OVERRIDES_KEY, {})
    if not isinstance(overrides, Mapping):
        raise ConfigError(
            f"{where} overrides must be a table of per-target comparison overrides, e.g."
            f' [tool.legacy_harness.overrides."billing:compute_invoice"]'
        )
    if isinstance(targets, Mapping):  # per-target comparison overrides: compare.settings
        if OVERRIDES_KEY in table:
            raise ConfigError(
                f"{where} has per-target overrides under both targets and overrides;"
                ' move them all under [tool.legacy_harness.overrides."MOD:QUALNAME"]'
            )
        targets = []
    if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
        raise ConfigError(
            f'{where} targets must be a list of what to record (targets = ["billing",'
            f' "shop:Cart"]) or a table of per-target overrides'
            f' ([tool.legacy_harness.targets."billing:compute_invoice"], or under'
            f" overrides beside a list), not {targets!r}"
        )
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(t, str) and t for t in exclude):
        raise ConfigError(
            f'{where} exclude must be a list of target patterns, e.g. exclude = ["shop:Cart.debug"]'
        )
    return tuple(targets), tuple(exclude)


def add_pythonpath(config: Config) -> None:
    """Make the project's modules importable, as running its code from the root would."""
    for folder in reversed(config.pythonpath):
        text = str(folder)
        if text not in sys.path:
            sys.path.insert(0, text)
