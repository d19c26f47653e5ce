"""Target specs ("pkg.mod:Class.method"): parse, resolve, patch, unpatch.

Only the named targets are wrapped; nothing is traced globally. A target's function
object stays where it is and only its code is swapped for a trampoline into the
recorder, so calls are captured however the calling code reached the function.

Targets named on the command line are the user's choice; targets named by a golden
file are not, and go through :func:`resolve_stored`, which refuses anything but the
project's own code (see :mod:`legacy_harness.record.project`).

Importing this module stays cheap (no ``inspect``, no dataclasses): ``record --``
resolves the targets of a module when the program imports it, and those of modules it
never imported at the end, so a run that reaches none pays for nothing else.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legacy_harness.errors import TargetError
from legacy_harness.store.layout import TargetPattern, TargetSpec

if TYPE_CHECKING:  # pragma: no cover
    from importlib.machinery import ModuleSpec

    from legacy_harness.config import Config

KIND_FUNCTION = "function"
KIND_METHOD = "method"
KIND_CLASSMETHOD = "classmethod"
KIND_STATICMETHOD = "staticmethod"


_FUNCTION = types.FunctionType


def _isclass(value: Any) -> bool:
    return isinstance(value, type)


class ResolvedTarget:
    """A target found in today's code: where it lives and how it is called."""

    __slots__ = ("attribute", "cls", "function", "kind", "owner", "raw", "spec")

    def __init__(
        self,
        spec: TargetSpec,
        owner: Any,  # the module or class holding the attribute
        attribute: str,
        raw: Any,  # the attribute as stored (function, staticmethod, classmethod)
        function: Callable[..., Any],  # the plain function underneath
        kind: str,
        cls: type | None = None,  # the defining class for methods
    ) -> None:
        self.spec = spec
        self.owner = owner
        self.attribute = attribute
        self.raw = raw
        self.function = function
        self.kind = kind
        self.cls = cls

    def __repr__(self) -> str:
        return f"ResolvedTarget({self.spec}, {self.kind})"

    @property
    def takes_self(self) -> bool:
        return self.kind == KIND_METHOD

    def bound_callable(self, instance: Any = None) -> Callable[..., Any]:
        """What replay calls: the target's function, bound to ``instance`` for methods."""
        if self.kind == KIND_METHOD:
            return types.MethodType(self.function, instance)
        if self.kind == KIND_CLASSMETHOD:
            return types.MethodType(self.function, self.cls)
        return self.function


def import_module(module: str) -> types.ModuleType:
    """Import a target's module; a failure is a TargetError naming it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            raise TargetError(
                f"module {module!r} cannot be imported: no module named {error.name!r}"
                " (run from the project folder, or add its folder to sys.path)"
            ) from None
        raise TargetError(f"module {module!r} failed to import: {error}") from None
    except Exception as error:  # noqa: BLE001 - report any import-time failure in one line
        raise TargetError(
            f"module {module!r} failed to import: {type(error).__name__}: {error}"
        ) from None


def _candidates(module: types.ModuleType) -> list[str]:
    """Every function and method qualname defined in ``module``, for suggestions."""
    names: list[str] = []

    def walk(namespace: Any, prefix: str, depth: int) -> None:
        for name, value in vars(namespace).items():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if getattr(value, "__module__", None) != module.__name__:
                continue
            if isinstance(value, _FUNCTION):
                names.append(prefix + name)
            elif _isclass(value) and depth < 3:
                names.append(prefix + name)
                walk(value, prefix + name + ".", depth + 1)

    walk(module, "", 0)
    return names


def _unknown(spec: TargetSpec, module: types.ModuleType, missing: str) -> TargetError:
    import difflib

    close = difflib.get_close_matches(spec.qualname, _candidates(module), n=3, cutoff=0.5)
    hint = (
        f"; did you mean {', '.join(f'{spec.module}:{name}' for name in close)}?" if close else ""
    )
    return TargetError(f"target {spec}: {spec.module!r} has no {missing!r}{hint}")


def resolve(spec: TargetSpec | str) -> ResolvedTarget:
    """Import the target's module and find the callable that ``spec`` names."""
    if isinstance(spec, str):
        spec = TargetSpec.parse(spec)
    module = import_module(spec.module)
    owner: Any = module
    parts = spec.qualname.split(".")
    for index, part in enumerate(parts[:-1]):
        owner = vars(owner).get(part)
        if not _isclass(owner):
            raise _unknown(spec, module, ".".join(parts[: index + 1]))
    attribute = parts[-1]
    namespace = vars(owner)
    if attribute not in namespace:
        raise _unknown(spec, module, spec.qualname)
    raw = namespace[attribute]
    cls = owner if _isclass(owner) else None
    if isinstance(raw, staticmethod):
        kind, function = KIND_STATICMETHOD, raw.__func__
    elif isinstance(raw, classmethod):
        kind, function = KIND_CLASSMETHOD, raw.__func__
    elif isinstance(raw, _FUNCTION):
        kind, function = (KIND_METHOD if cls else KIND_FUNCTION), raw
    elif cls is not None and isinstance(raw, property) and isinstance(raw.fget, _FUNCTION):
        kind, function = KIND_METHOD, raw.fget  # a property's getter, called with self
    elif _isclass(raw):
        raise TargetError(
            f"target {spec} is a class, not a function or method; name one method"
            f" ('{spec}.method'), or pass '{spec}' where patterns are taken (record"
            " --target, targets = [...]) to take all its methods"
        )
    else:
        raise TargetError(
            f"target {spec} is a {type(raw).__name__}, not a function or method;"
            " name a function, or a method as 'module:Class.method'"
        )
    if getattr(function, "__legacy_harness__", False):
        import inspect

        function = inspect.unwrap(function)
    return ResolvedTarget(spec, owner, attribute, raw, function, kind, cls)


#: Special methods a module or class pattern includes: constructors and calls. The
#: others (``__eq__``, ``__hash__``, ``__repr__`` ...) are what the harness itself calls
#: while it encodes a case, so they are recorded only when named one by one.
RECORDED_SPECIAL = frozenset({"__init__", "__post_init__", "__call__"})
#: How deep a pattern looks into nested classes and sub-packages.
_MAX_DEPTH = 8


class Selection:
    """What patterns named: the targets to wrap, and what a pattern matched but leaves out."""

    __slots__ = ("skipped", "specs")

    def __init__(self, specs: list[TargetSpec], skipped: dict[str, str] | None = None) -> None:
        self.specs = specs
        #: target -> why it is not recorded (generators: their calls return an iterator)
        self.skipped: dict[str, str] = {} if skipped is None else skipped

    def __repr__(self) -> str:
        return f"Selection({self.specs!r}, {self.skipped!r})"


def _function_of(raw: Any) -> Any:
    """The plain function a namespace entry runs, or None if it holds none."""
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    elif isinstance(raw, property):
        raw = raw.fget
    return raw if isinstance(raw, _FUNCTION) else None


def _special(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and name not in RECORDED_SPECIAL


def members(module: types.ModuleType) -> dict[str, Callable[..., Any]]:
    """Every function and method defined in ``module``, by qualname: functions, then
    each class's methods (constructors, static and class methods, property getters),
    nested classes included. Names imported from elsewhere and aliases are left out:
    an object counts where its ``__module__`` and ``__qualname__`` say it was defined."""
    found: dict[str, Callable[..., Any]] = {}
    name = module.__name__

    def walk(namespace: Any, prefix: str, depth: int) -> None:
        for attr, raw in list(vars(namespace).items()):
            qualname = prefix + attr
            if _isclass(raw):
                mine = raw.__module__ == name and raw.__qualname__ == qualname
                if mine and depth < _MAX_DEPTH:
                    walk(raw, qualname + ".", depth + 1)
                continue
            function = _function_of(raw)
            if function is None and isinstance(getattr(raw, "__wrapped__", None), _FUNCTION):
                function = raw  # functools.lru_cache and the like: listed, then skipped
            if function is None or _special(attr):
                continue
            if function.__module__ == name and function.__qualname__ == qualname:
                found[qualname] = function

    walk(module, "", 0)
    return found


def _lookup(module: types.ModuleType, qualname: str) -> Any:
    owner: Any = module
    for part in qualname.split("."):
        owner = vars(owner).get(part) if hasattr(owner, "__dict__") else None
    return owner


def _literal(part: str) -> bool:
    return not any(char in part for char in "*?[")


def find_module(name: str, missing: str) -> ModuleSpec:
    """Where module ``name`` is, found without importing it (a top-level name, or a
    submodule whose packages are imported), else TargetError with ``missing``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise TargetError(missing)
    return spec


def _submodules(root: str) -> list[str]:
    """``root`` and every module below it, found on disk without importing them."""
    import pkgutil

    spec = find_module(
        root,
        f"module {root!r} cannot be found (run from the project folder, or add its"
        " folder to pythonpath in [tool.legacy_harness])",
    )
    names = [root]

    def walk(paths: list[str], prefix: str, depth: int) -> None:
        for info in sorted(pkgutil.iter_modules(paths), key=lambda item: item.name):
            if info.name == "__main__" or depth > _MAX_DEPTH:
                continue  # running a package's __main__ is running the program
            names.append(prefix + info.name)
            folder = getattr(info.module_finder, "path", None)
            if info.ispkg and isinstance(folder, str):
                walk([str(Path(folder) / info.name)], f"{prefix}{info.name}.", depth + 1)

    if spec.submodule_search_locations:
        walk(list(spec.submodule_search_locations), root + ".", 1)
    return names


def module_names(pattern: TargetPattern, config: Config | None = None) -> list[str]:
    """The module names a pattern's module part matches (a walk for globs), found
    without importing them (a package walk imports the packages above its root)."""
    if not pattern.module_glob:
        return [".".join(pattern.module)]
    literal: list[str] = []
    for part in pattern.module:
        if not _literal(part):
            break
        literal.append(part)
    if literal:
        roots = [".".join(literal)]
    else:
        from legacy_harness.config import load_config
        from legacy_harness.record.project import ProjectModules

        roots = sorted(ProjectModules.from_config(config or load_config()).own_names())
    return [name for root in roots for name in _submodules(root) if pattern.matches_module(name)]


def _skip_reason(function: Callable[..., Any]) -> str | None:
    import inspect

    if not isinstance(function, _FUNCTION):
        return (
            f"a {type(function).__name__} around a function, not a function: only plain"
            " functions are wrapped; record what calls it"
        )
    if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
        return "a generator: its calls return an iterator; record what consumes it"
    if inspect.iscoroutinefunction(function):
        return "a coroutine function: its calls return an awaitable; record what awaits it"
    return None


def expand(
    patterns: Iterable[str | TargetSpec | TargetPattern],
    exclude: Iterable[str | TargetPattern] = (),
    *,
    config: Config | None = None,
) -> Selection:
    """The targets ``patterns`` name, minus those ``exclude`` names, sorted.

    A target named exactly (``shop:Cart.total``) is taken as named; a module, a class
    or a glob brings every function and method it covers (see :func:`members`), except
    generators, which are listed in ``skipped``. A module that an exclude pattern names
    whole is never imported. A pattern that matches nothing is an error naming it.
    """
    excluded = patterns_of(exclude)
    chosen: dict[TargetSpec, None] = {}
    skipped: dict[str, str] = {}
    for pattern in patterns_of(patterns):
        found = 0
        for name in module_names(pattern, config):
            if excluded_whole(name, excluded):
                continue
            specs, left_out, matched = expand_in(import_module(name), pattern, excluded)
            chosen.update(dict.fromkeys(specs))
            skipped.update(left_out)
            found += matched
        if not found:
            raise no_match(pattern)
    return Selection(sorted(chosen), skipped)


def patterns_of(items: Iterable[str | TargetSpec | TargetPattern]) -> list[TargetPattern]:
    """Each item as a pattern (a TargetSpec names one target exactly)."""
    return [
        item if isinstance(item, TargetPattern) else TargetPattern.parse(str(item))
        for item in items
    ]


def excluded_whole(module: str, excluded: Sequence[TargetPattern]) -> bool:
    """True if an exclude pattern names all of ``module``: it is never imported."""
    return any(not p.qualname and p.matches_module(module) for p in excluded)


def expand_in(
    module: types.ModuleType, pattern: TargetPattern, excluded: Sequence[TargetPattern] = ()
) -> tuple[list[TargetSpec], dict[str, str], int]:
    """What ``pattern`` names in ``module`` (imported): its targets less ``excluded``,
    the generators it matched (target -> why they are left out) and how many functions
    and methods it matched, exclusions included (none: the pattern names nothing here).
    A target named exactly that ``module`` lacks is a TargetError naming it."""
    name = module.__name__
    chosen: list[TargetSpec] = []
    skipped: dict[str, str] = {}
    found = 0
    qualname = ".".join(pattern.qualname)
    if pattern.qualname and not pattern.glob and not _isclass(_lookup(module, qualname)):
        chosen.append(resolve(TargetSpec(name, qualname)).spec)  # one target, as named
        found = 1
    else:
        for member, function in members(module).items():
            spec = TargetSpec(name, member)
            if not pattern.matches(spec):
                continue
            found += 1
            reason = _skip_reason(function)
            if reason:
                skipped[str(spec)] = reason
            else:
                chosen.append(spec)
    kept = [spec for spec in chosen if not _excluded(str(spec), excluded)]
    return kept, {k: v for k, v in skipped.items() if not _excluded(k, excluded)}, found


#: ``co_flags`` bit of a function's code (a class body's code lacks it).
_CO_OPTIMIZED = 0x1


def defined_in_source(spec: TargetSpec, *, classes: bool = False) -> bool:
    """True if the code of ``spec``'s module, read without running it (nor its
    package), defines a function of that qualified name (``Cart.checkout``), or with
    ``classes`` also a class: the module's compiled code (its cached bytecode, as an
    import would load it) holds the code of every function and class body, each with
    its ``co_qualname``. Lets ``record --`` check a name before the program runs and
    list a target the program never imported as unreached, without importing it; a
    decorator that replaces the function is only seen when the module is imported.
    False means "not sure": import the module and resolve the target."""
    try:
        code = _module_code(spec.module)
    except Exception:  # noqa: BLE001 - unreadable here: the import will say why
        return False
    stack = [code] if isinstance(code, types.CodeType) else []
    while stack:
        current = stack.pop()
        for const in current.co_consts:
            if isinstance(const, types.CodeType):
                if getattr(const, "co_qualname", None) == spec.qualname and (
                    classes or const.co_flags & _CO_OPTIMIZED
                ):
                    return True
                stack.append(const)
    return False


def _module_code(name: str) -> Any:
    """The compiled code of module ``name``, found as an import would find it, but
    without importing its packages (``find_spec`` of a submodule imports them)."""
    from importlib.machinery import PathFinder

    top, *rest = name.split(".")
    found = importlib.util.find_spec(top)
    for depth in range(1, len(rest) + 1):
        locations = found.submodule_search_locations if found is not None else None
        if not locations:
            return None
        found = PathFinder.find_spec(".".join([top, *rest[:depth]]), list(locations))
    get_code = getattr(found.loader, "get_code", None) if found is not None else None
    return get_code(name) if get_code is not None else None


def no_match(pattern: TargetPattern) -> TargetError:
    """The error of a pattern that matched no function or method anywhere."""
    return TargetError(
        f"target {pattern} matches no function or method"
        + (" (the modules it names define none)" if not pattern.glob else "")
        + "; check the name ('module', 'module:Class', 'module:function', 'pkg.**')"
    )


def _excluded(target: str, excluded: Sequence[TargetPattern]) -> bool:
    return any(p.matches(target) for p in excluded)


def resolve_stored(
    spec: TargetSpec | str,
    config: Config,
    *,
    case_path: Path | None = None,
    store_root: Path | None = None,
) -> ResolvedTarget:
    """:func:`resolve` for a target named by a golden file: the one way stored cases
    reach today's code, so a case naming anything but the project's own code (or a
    target other than its folder's) is a GoldenFileError before any module is imported.
    """
    from legacy_harness.record.project import trusted_target

    return resolve(trusted_target(spec, config, case_path=case_path, store_root=store_root))


def function_copy(function: types.FunctionType) -> types.FunctionType:
    """A second function object running ``function``'s code: what a patched target calls."""
    copy = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    copy.__annotations__ = function.__annotations__
    copy.__dict__.update(function.__dict__)
    return copy


def _trampoline(free_variables: int, hook: str) -> types.CodeType:
    """Code that hands every call to the global ``hook`` (a :class:`_Hook`).

    The outermost call goes straight to the hook's wrapper, with no call in between; while
    the hook's ``skip`` budget lasts (calls the wrapper said it would only pass through,
    see :meth:`Patch.grant`) it runs the original code instead, so a target past its cap
    pays for this frame alone. A call made while one is running (a recursive chain) goes
    to :meth:`_Hook.nested`.

    A function's code can only be swapped for code with as many free variables as the
    function has closure cells, so the trampoline declares that many (and never reads
    them: a method using ``super()`` keeps its ``__class__`` cell untouched).
    """
    names = [f"_lh_free{index}" for index in range(free_variables)]
    lines = ["def _outer():", *(f"    {name} = None" for name in names)]
    lines.append("    def _trampoline(*args, **kwargs):")
    if names:
        lines.append(f"        if 0:\n            {', '.join(names)}")
    lines += [
        f"        hook = {hook}",
        "        if hook.skip > 0 and not hook.depth:",
        "            hook.skip -= 1",
        "            hook.depth = 1",
        "            try:",
        "                return hook.original(*args, **kwargs)",
        "            finally:",
        "                hook.depth = 0",
        "                if hook.limit:",
        "                    hook.restore()",
        "        if hook.depth:",
        "            return hook.nested(*args, **kwargs)",
        "        hook.depth = 1",
        "        try:",
        "            return hook.wrapper(*args, **kwargs)",
        "        finally:",
        "            hook.depth = 0",
        "            if hook.limit:",
        "                hook.restore()",
        "    return _trampoline",
    ]
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # noqa: S102 - fixed text built here, no input
    return namespace["_outer"]().__code__  # type: ignore[no-any-return]


class Patch:
    """A target's function, made to call ``wrapper`` for as long as the patch is applied.

    The function object itself is kept and only its code is swapped, once, for a
    trampoline, so every way of reaching it is captured: ``import mod``, ``from mod
    import func`` done before or after, bound methods taken before recording started,
    callbacks held in registries, ``super()`` calls from subclasses, other threads.

    A recursive target keeps the recursion depth it has unrecorded: a call made while
    one is running runs the original code directly (the recorder records one call of a
    target at a time), and the recursion limit is raised by the frames the trampoline
    adds per level for as long as the chain runs, then put back (see :class:`_Hook`).
    """

    __slots__ = ("hook", "saved", "signature_added", "state", "target", "wrapper")

    def __init__(self, target: ResolvedTarget, wrapper: Callable[..., Any]) -> None:
        self.target = target
        self.wrapper = wrapper
        self.saved: types.CodeType | None = None
        self.hook = ""
        self.signature_added = False
        self.state: _Hook | None = None

    def __repr__(self) -> str:
        return f"Patch({self.target!r}, applied={self.saved is not None})"

    def grant(self, calls: int) -> None:
        """Let the next ``calls`` outermost calls run the original code without the
        wrapper: the wrapper has counted them already and would only pass them through."""
        if self.state is not None:
            self.state.skip = calls

    def take_back(self) -> int:
        """End the budget :meth:`grant` gave; returns the granted calls never made."""
        if self.state is None:
            return 0
        left, self.state.skip = max(self.state.skip, 0), 0
        return left

    def apply(self) -> None:
        function = self.target.function
        if not isinstance(function, types.FunctionType) or self.saved is not None:
            return
        self.hook = f"__legacy_harness_hook_{id(self):x}__"
        if "__signature__" not in function.__dict__:
            import inspect

            # introspection during recording still sees the real parameters
            function.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
            self.signature_added = True
        self.state = _Hook(self.wrapper, function_copy(function))
        function.__globals__[self.hook] = self.state
        self.saved = function.__code__
        function.__code__ = _trampoline(len(self.saved.co_freevars), self.hook)

    def undo(self) -> None:
        function = self.target.function
        if self.saved is None or not isinstance(function, types.FunctionType):
            return
        function.__code__ = self.saved
        self.saved = None
        function.__globals__.pop(self.hook, None)
        self.state = None
        if self.signature_added:
            function.__dict__.pop("__signature__", None)
            self.signature_added = False


class _Hook:
    """What a patched target's trampoline reads: the outermost call of a chain goes to
    ``wrapper``; a call made while one is running (a recursive chain) runs ``original``
    directly through :meth:`nested`, with the recursion limit raised by the frames the
    trampoline adds, and put back (:meth:`restore`) when the outermost call returns.
    ``skip`` outermost calls run ``original`` directly too (see :meth:`Patch.grant`)."""

    __slots__ = ("depth", "limit", "original", "skip", "wrapper")

    def __init__(self, wrapper: Callable[..., Any], original: Callable[..., Any]) -> None:
        self.depth = 0  # calls running
        self.limit = 0  # the recursion limit before a chain raised it (0: not raised)
        self.skip = 0  # outermost calls left that bypass the wrapper
        self.wrapper = wrapper
        self.original = original

    def nested(self, *args: Any, **kwargs: Any) -> Any:
        depth = self.depth
        base = self.limit or sys.getrecursionlimit()
        needed = base + _FRAMES_PER_LEVEL * (depth + 1)
        if sys.getrecursionlimit() < needed:
            self.limit = base
            sys.setrecursionlimit(needed + _HEADROOM)
        self.depth = depth + 1
        try:
            return self.original(*args, **kwargs)
        finally:
            self.depth = depth

    def restore(self) -> None:
        sys.setrecursionlimit(self.limit)
        self.limit = 0


#: Frames the trampoline and :meth:`_Hook.nested` add to each level of a recursive chain.
_FRAMES_PER_LEVEL = 2
#: Extra frames allowed above what the chain needs, so raising the limit is rare.
_HEADROOM = 64


def source_hash(function: Callable[..., Any]) -> str:
    """A fingerprint of the target's code, to tell reviewers the code moved since recording."""
    import hashlib
    import inspect

    try:
        text = inspect.getsource(function).encode()
    except (OSError, TypeError):
        code = getattr(function, "__code__", None)
        text = code.co_code if code is not None else repr(function).encode()
    return hashlib.sha256(text).hexdigest()[:16]
