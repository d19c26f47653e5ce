"""What the ``golden`` fixture gives a test: characterization checks kept as masters.

A check's master lives in the store under
``__checks__/<test module path>/<test name>[<params>]/<name or index>.json`` (text
masters: ``<name>.approved.txt``), encoded by the same codec as recorded cases, so
masters of hand-written tests and of recorded calls read, diff and tolerate alike.
This module knows nothing of pytest: the fixture builds a :class:`Golden` per test and
the plugin collects its :class:`CheckEvent` list for the summary. Every master is read
and written through :mod:`.confine`, so a link planted in the store is refused.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legacy_harness.compare import Difference, Policy, Tolerance, compare, compare_observed
from legacy_harness.errors import CodecError, GoldenMismatch
from legacy_harness.outcomes import MasterStatus
from legacy_harness.pytest_plugin.confine import confined, remove_file, write_file
from legacy_harness.pytest_plugin.masters import (
    CheckEvent,
    CheckSettings,
    check_folder,
    safe_segment,
)
from legacy_harness.record.observe import Signature, encode_inputs, live_inputs, observe_call
from legacy_harness.replay import observed_view
from legacy_harness.report.render import render_text
from legacy_harness.store import codec
from legacy_harness.store.case import Observation
from legacy_harness.store.layout import BLOB_FOLDER

__all__ = [
    "CheckEvent",
    "CheckSettings",
    "Golden",
    "GoldenMismatch",
    "check_folder",
    "policy_with_tolerance",
]

FORMAT_VERSION = 1

BlobReader = Callable[[str], bytes]


def policy_with_tolerance(policy: Policy, tolerance: Any = None, **fields: Any) -> Policy:
    """``policy`` narrowed by a tolerance given as a Tolerance, a mapping or keywords.

    A mapping whose values are mappings or Tolerances is path glob -> tolerance; any
    other mapping holds Tolerance fields and policy flags, like ``fields``.
    """
    if isinstance(tolerance, Tolerance):
        changes = {k: v for k, v in vars(tolerance).items() if v is not None}
        policy = policy.with_overrides(**changes)
    elif isinstance(tolerance, Mapping):
        if tolerance and all(isinstance(v, (Mapping, Tolerance)) for v in tolerance.values()):
            policy = policy.with_overrides(paths=dict(tolerance))
        else:
            policy = policy.with_overrides(**dict(tolerance))
    elif tolerance is not None:
        raise TypeError(
            f"tolerance must be a Tolerance or a mapping, not {type(tolerance).__name__}"
        )
    paths = fields.pop("paths", None)
    return policy.with_overrides(paths=paths, **fields) if paths or fields else policy


def _refs(tree: Any) -> set[str]:
    """Top-level packages of the classes a live value's encoding names (the test has
    imported them already, so rebuilding them from its master imports nothing new)."""
    return {ref.split(":", 1)[0].split(".")[0] for ref in codec.class_refs(tree)} - {"builtins"}


@dataclass
class _Shared:
    """State of one test's checks, shared by every tolerance view of its fixture."""

    folder: Path
    store_root: Path
    settings: CheckSettings
    events: list[CheckEvent] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    counter: int = 0


class Golden:
    """Characterization checks for one test: ``check``, ``check_call``,
    ``check_combinations`` and ``check_text``; masters are found by test and name."""

    def __init__(
        self,
        store_root: Path,
        nodeid: str,
        *,
        policy: Policy | None = None,
        settings: CheckSettings | None = None,
        packages: Iterable[str] = (),
        _shared: _Shared | None = None,
    ) -> None:
        self.policy = policy or Policy()
        self.packages = frozenset(packages)
        root = Path(os.path.abspath(store_root))
        self._shared = _shared or _Shared(
            check_folder(root, nodeid), root, settings or CheckSettings()
        )
        self.nodeid = nodeid

    # -- public API ------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        """Where this test's masters live."""
        return self._shared.folder

    @property
    def events(self) -> list[CheckEvent]:
        return self._shared.events

    def with_tolerance(self, tolerance: Any = None, **fields: Any) -> Golden:
        """The same checks under a wider (or narrower) tolerance, e.g. for check_call."""
        return Golden(
            self._shared.store_root,
            self.nodeid,
            policy=policy_with_tolerance(self.policy, tolerance, **fields),
            packages=self.packages,
            _shared=self._shared,
        )

    def check(self, value: Any, name: str | None = None, **tolerance: Any) -> None:
        """Compare ``value`` with its master; tolerance keywords as for ``assert_close``."""
        __tracebackhide__ = True
        policy = policy_with_tolerance(self.policy, None, **tolerance)
        blobs: dict[str, bytes] = {}
        tree = self._encode(value, blobs, "value")
        document = {"format": FORMAT_VERSION, "kind": "value", "test": self.nodeid, "value": tree}
        classes = self._class_policy(tree)

        def differ(old: dict[str, Any], read_old: BlobReader) -> list[Difference]:
            # keys hashed by address match by content, as in verify
            expected = codec.decode(
                old.get("value"), blobs=read_old, policy=classes, content_keys=True
            )
            actual = codec.decode(tree, blobs=blobs, policy=classes, content_keys=True)
            return compare(expected, actual, policy)

        self._settle(self._name(name), document, blobs, differ, policy)

    def check_call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Characterize one call as the recorder does: outcome or exception, effects on
        the arguments, printed output and logs. Returns what the call returned (None if
        it raised: the exception is part of the master, not of the test)."""
        __tracebackhide__ = True
        blobs: dict[str, bytes] = {}
        entry, returned = self._observe(fn, args, kwargs, blobs)
        document = {"format": FORMAT_VERSION, "kind": "call", "test": self.nodeid, **entry}
        document["function"] = _function_name(fn)
        classes = self._class_policy(entry)

        def differ(old: dict[str, Any], read_old: BlobReader) -> list[Difference]:
            return compare_observed(
                _view(old, read_old, classes),
                _view(entry, _reader(blobs), classes),
                self.policy,
            )

        self._settle(self._name(None), document, blobs, differ, self.policy)
        return returned

    def check_combinations(
        self,
        fn: Callable[..., Any],
        inputs: Sequence[Iterable[Any]],
        name: str | None = None,
        **tolerance: Any,
    ) -> None:
        """Call ``fn`` with every combination of ``inputs`` (one list of values per
        positional argument) and keep all the observations in one master.

        Differences are reported per combination (``["fn(1, 'a')"].outcome``);
        tolerance globs are relative to one call (``outcome.total``), as in check_call.
        """
        __tracebackhide__ = True
        policy = policy_with_tolerance(self.policy, None, **tolerance)
        blobs: dict[str, bytes] = {}
        calls = []
        for combination in itertools.product(*[list(values) for values in inputs]):
            entry, _ = self._observe(fn, combination, {}, blobs)
            entry["label"] = _label(fn, combination)
            calls.append(entry)
        document = {
            "format": FORMAT_VERSION,
            "kind": "combinations",
            "test": self.nodeid,
            "function": _function_name(fn),
            "calls": calls,
        }
        classes = self._class_policy(calls)

        def differ(old: dict[str, Any], read_old: BlobReader) -> list[Difference]:
            before = {c.get("label"): c for c in old.get("calls", []) if isinstance(c, dict)}
            now = {c["label"]: c for c in calls}
            diffs: list[Difference] = []
            for label in before.keys() - now.keys():
                diffs.append(Difference(f"[{label!r}]", "missing key", before[label], None))
            for label in now.keys() - before.keys():
                diffs.append(Difference(f"[{label!r}]", "extra key", None, now[label]))
            for label in [c["label"] for c in calls if c["label"] in before]:
                found = compare_observed(
                    _view(before[label], read_old, classes),
                    _view(now[label], _reader(blobs), classes),
                    policy,
                )
                diffs.extend(_prefixed(d, f"[{label!r}]") for d in found)
            return diffs

        self._settle(self._name(name), document, blobs, differ, policy)

    def check_text(self, text: str, name: str | None = None, **tolerance: Any) -> None:
        """Verify ``text`` through approvaltests against ``<name>.approved.txt``.

        Numbers in the text (and JSON text, structurally) are compared with the test's
        tolerances; the reporter chosen with ``--golden-reporter`` opens on a mismatch.
        """
        __tracebackhide__ = True
        from legacy_harness import approvals

        policy = policy_with_tolerance(self.policy, None, **tolerance)
        label = self._name(name)
        namer = approvals.StoreNamer(self.folder, label)
        root = self._shared.store_root
        approved = confined(root, Path(namer.get_approved_filename()))
        received = confined(root, Path(namer.get_received_filename()))
        master = self._relative(approved)
        wanted = approvals.approved_text(text)
        settings = self._shared.settings
        old = approved.read_text(encoding="utf-8") if approved.is_file() else None
        if old is None:
            self._missing(master, lambda: write_file(root, approved, wanted.encode("utf-8")))
            return
        diffs = approvals.text_differences(old, wanted, policy)
        if settings.rewrites_all and old.replace("\r\n", "\n") != wanted:
            self._rewrite(approved, received, wanted, master, diffs, policy)
            return
        if not diffs:
            self._event(MasterStatus.PASSED, master)
            remove_file(root, received)
            return
        if settings.update:
            self._rewrite(approved, received, wanted, master, diffs, policy)
            return
        comparator = approvals.TolerantComparator(policy)
        reporter = approvals.reporter_by_name(settings.reporter) if settings.reporter else None
        try:
            approvals.verify_text(text, namer, comparator=comparator, reporter=reporter)
        except approvals.ApprovalException:
            shown = _render(comparator.last_differences or diffs, policy, master)
            self._event(MasterStatus.CHANGED, master, shown)
            raise GoldenMismatch(
                f"{shown}\nreceived: {self._relative(received)}"
                f"\napprove it with --golden-update, or move the received file over the approved one"
            ) from None
        self._event(MasterStatus.PASSED, master)

    # -- internals -------------------------------------------------------------------

    def _name(self, name: str | None) -> str:
        shared = self._shared
        if name is None:
            while str(shared.counter) in shared.names:
                shared.counter += 1
            name = str(shared.counter)
            shared.counter += 1
        safe = safe_segment(name)
        if safe in shared.names:
            raise ValueError(
                f"golden: {name!r} is checked twice in {self.nodeid}; give each check its own name"
            )
        shared.names.add(safe)
        return safe

    def _relative(self, path: Path) -> str:
        return path.relative_to(self._shared.store_root).as_posix()

    def _event(self, kind: MasterStatus, master: str, report: str = "") -> None:
        self._shared.events.append(CheckEvent(kind, master, report))

    def _class_policy(self, tree: Any) -> codec.ClassPolicy:
        allowed = self.packages | set(self._shared.settings.allow) | _refs(tree)
        return codec.ClassPolicy(frozenset(allowed))

    def _encode(self, value: Any, blobs: dict[str, bytes], what: str) -> Any:
        problems: list[str] = []
        tree = codec.encode(value, blobs=blobs, problems=problems)
        if problems:
            raise GoldenMismatch(
                f"{what} cannot be kept as a master: {'; '.join(problems)};"
                " register a codec for it (legacy_harness.store.codec.register_codec)"
            )
        return tree

    def _observe(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        blobs: dict[str, bytes],
    ) -> tuple[dict[str, Any], Any]:
        problems: list[str] = []
        inputs = live_inputs(args, kwargs, None, False)
        before = encode_inputs(inputs, blobs, problems)
        observation, result = observe_call(
            fn,
            inputs,
            before,
            Signature.of(fn, skip_first=False),
            echo=False,
            blobs=blobs,
            problems=problems,
        )
        if problems:
            raise GoldenMismatch(
                f"the call of {_function_name(fn)} cannot be kept as a master: "
                f"{'; '.join(sorted(set(problems)))}; register a codec for these values"
            )
        entry = {
            "inputs": before,
            "outcome": observation.outcome,
            "effects": observation.effects,
            "output": observation.output,
        }
        return entry, result.returned if result.raised is None else None

    def _settle(
        self,
        name: str,
        document: dict[str, Any],
        blobs: dict[str, bytes],
        differ: Callable[[dict[str, Any], BlobReader], list[Difference]],
        policy: Policy,
    ) -> None:
        """Compare with the master at ``name`` and create, rewrite, pass or fail."""
        __tracebackhide__ = True
        path = confined(self._shared.store_root, self.folder / f"{name}.json")
        master = self._relative(path)
        data = codec.dumps(document).encode("utf-8")
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            self._missing(master, lambda: self._write(path, data, blobs))
            return
        if existing == data:
            self._event(MasterStatus.PASSED, master)
            return
        try:
            old = codec.loads(existing.decode("utf-8"))
            if not isinstance(old, dict):
                raise CodecError("a master must hold a JSON object")
            diffs = differ(old, self._blob_reader())
        except (CodecError, UnicodeDecodeError) as error:
            if self._shared.settings.rewrites_all or self._shared.settings.update:
                self._write(path, data, blobs)
                self._event(MasterStatus.UPDATED, master, f"unreadable master replaced ({error})")
                return
            raise GoldenMismatch(
                f"{master}: cannot be read ({error}); restore it from version control"
                " or rewrite it with --golden-update"
            ) from None
        settings = self._shared.settings
        if settings.rewrites_all or (diffs and settings.update):
            self._write(path, data, blobs)
            self._event(
                MasterStatus.UPDATED, master, _render(diffs, policy, master) if diffs else ""
            )
            return
        if not diffs:
            self._event(MasterStatus.PASSED, master)
            return
        shown = _render(diffs, policy, master)
        self._event(MasterStatus.CHANGED, master, shown)
        raise GoldenMismatch(shown + "\naccept the new behaviour with --golden-update")

    def _missing(self, master: str, write: Callable[[], object]) -> None:
        __tracebackhide__ = True
        settings = self._shared.settings
        if settings.may_create:
            write()
            self._event(MasterStatus.CREATED, master)
            return
        self._event(MasterStatus.MISSING, master)
        if settings.ci:
            raise GoldenMismatch(
                f"no master {master}: CI=true, so masters are never created here;"
                " record it locally with --golden-record=new, review it and commit it"
            )
        raise GoldenMismatch(
            f"no master {master}; create it with --golden-record=new, review it and commit it"
        )

    def _rewrite(
        self,
        approved: Path,
        received: Path,
        text: str,
        master: str,
        diffs: list[Difference],
        policy: Policy,
    ) -> None:
        root = self._shared.store_root
        write_file(root, approved, text.encode("utf-8"))
        remove_file(root, received)
        self._event(MasterStatus.UPDATED, master, _render(diffs, policy, master) if diffs else "")

    def _write(self, path: Path, data: bytes, blobs: dict[str, bytes]) -> None:
        root = self._shared.store_root
        for blob_name, payload in blobs.items():
            blob_path = confined(root, self.folder / BLOB_FOLDER / blob_name)
            if not blob_path.exists():
                write_file(root, blob_path, payload)
        write_file(root, path, data)

    def _blob_reader(self) -> BlobReader:
        folder = self.folder / BLOB_FOLDER
        root = self._shared.store_root

        def read(name: str) -> bytes:
            if "/" in name or "\\" in name or name.startswith("."):
                raise CodecError(f"blob name {name!r} is not a plain file name")
            try:
                return confined(root, folder / name).read_bytes()
            except FileNotFoundError:
                raise CodecError(
                    f"blob {name} is missing under {folder}; restore it from version control"
                ) from None

        return read


def _reader(blobs: Mapping[str, bytes]) -> BlobReader:
    def read(name: str) -> bytes:
        return blobs[name]

    return read


def _view(
    entry: Mapping[str, Any], blobs: BlobReader, classes: codec.ClassPolicy
) -> dict[str, Any]:
    """The observed view of a stored call, plus its inputs (a changed call is a change)."""
    outcome = entry.get("outcome")
    if not isinstance(outcome, dict) or len(outcome) != 1:
        raise CodecError("field 'outcome' must hold one of 'returned' or 'raised'")
    observation = Observation(outcome, entry.get("effects") or {}, entry.get("output") or {})
    view = observed_view(observation, blobs, classes)
    view["inputs"] = codec.decode(entry.get("inputs"), blobs=blobs, policy=classes)
    return view


def _prefixed(difference: Difference, prefix: str) -> Difference:
    from dataclasses import replace

    path = difference.path
    joined = prefix + (path if path.startswith("[") or not path else "." + path)
    return replace(difference, path=joined)


def _function_name(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or "?"
    return f"{module}:{getattr(fn, '__qualname__', repr(fn))}"


def _label(fn: Callable[..., Any], combination: Sequence[Any]) -> str:
    return f"{getattr(fn, '__name__', 'f')}({', '.join(repr(v) for v in combination)})"


def _render(diffs: list[Difference], policy: Policy, master: str) -> str:
    count = len(diffs)
    title = f"{master}: {count} difference{'s' if count != 1 else ''} from the master"
    return render_text(diffs, limit=policy.max_differences, title=title)
