"""The classes family: values rebuilt from a class or function the file names.

``$enum``, ``$namedtuple``, ``$class`` and ``$function`` name a ``module:qualname``;
``$object`` rebuilds an instance from its state (``__dict__`` and slots merged, or what
its ``__getstate__`` chose) without calling ``__init__``. Every name goes through the
decoder's :class:`~legacy_harness.store.codec.policy.ClassPolicy`, so a golden file can
only make the decoder import modules the caller allowed.
"""

from __future__ import annotations

import collections
import enum
import io
import struct
import sys
import types
import typing
import weakref
from dataclasses import dataclass
from typing import Any

from legacy_harness.objects import slot_names
from legacy_harness.store.codec.builtin_tags import pairs_into
from legacy_harness.store.codec.decoder import Decoder
from legacy_harness.store.codec.encoder import Encoder
from legacy_harness.store.codec.registry import JsonPath, Tag, TagFamily, Tree, register_family

__all__ = ["CLASSES", "OBJECTS", "importable_ref"]

_HEAPTYPE = 1 << 9
_PTR = struct.calcsize("P")


def _lookup(module: str, qualname: str) -> Any:
    """The object at module:qualname if the module is already imported, else None."""
    mod = sys.modules.get(module)
    if mod is None:
        return None
    obj: Any = mod
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def importable_ref(obj: Any) -> str | None:
    """``module:qualname`` of a class or function if importing that name gives it back."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    if "<" in qualname or _lookup(module, qualname) is not obj:
        return None
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class _ClassInfo:
    ref: str | None  # None: not importable at module:qualname
    slots: tuple[str, ...]
    base: type | None  # builtin container/scalar/exception the class derives from
    ok: bool  # instances can be rebuilt from state (no opaque C base)
    getstate: bool  # a custom __getstate__/__setstate__ pair carries the state


_BUILTIN_BASES: tuple[type, ...] = (
    list,
    dict,
    set,
    frozenset,
    tuple,
    str,
    bytes,
    int,
    float,
    collections.deque,
)
_IMMUTABLE_BASES: tuple[type, ...] = (frozenset, tuple, str, bytes, int, float)
_CLASS_INFO: weakref.WeakKeyDictionary[type, _ClassInfo] = weakref.WeakKeyDictionary()
#: C classes that add nothing the codec must know beyond their builtin base.
_INERT_BASES: set[Any] = {object, typing.Generic, collections.OrderedDict, collections.defaultdict}


def _plain_layout(cls: type) -> bool:
    """True if every instance field comes from __slots__ (no hidden C-level state).

    Compiled extension classes (Cython and the like) can look like Python classes but
    keep their data in C fields that neither __dict__ nor __slots__ show; rebuilding
    such an object from its attributes would give a broken instance.
    """
    for klass in cls.__mro__:
        base = klass.__base__
        if base is None or not klass.__flags__ & _HEAPTYPE:
            continue
        size = klass.__basicsize__
        if klass.__weakrefoffset__ and not base.__weakrefoffset__:
            if klass.__weakrefoffset__ == size - _PTR:
                size -= _PTR
        if klass.__dictoffset__ > 0 and not base.__dictoffset__:
            if klass.__dictoffset__ == size - _PTR:
                size -= _PTR
        extra = size - base.__basicsize__
        if extra == 0:
            continue
        slots = klass.__dict__.get("__slots__")
        if slots is None:
            return False
        names = (slots,) if isinstance(slots, str) else tuple(slots)
        declared = [n for n in names if n not in ("__dict__", "__weakref__")]
        if extra != _PTR * len(declared):
            return False
    return True


def _class_info(cls: type) -> _ClassInfo:
    info = _CLASS_INFO.get(cls)
    if info is not None:
        return info
    base: type | None = None
    ok = True
    for klass in cls.__mro__:
        if klass in _INERT_BASES or klass.__flags__ & _HEAPTYPE:
            continue
        if issubclass(klass, BaseException) and klass.__module__ == "builtins":
            candidate: type = BaseException
        elif klass in _BUILTIN_BASES:
            candidate = klass
        else:
            ok = False
            break
        if base is None or issubclass(base, candidate):
            base = base or candidate
        else:
            ok = False
            break
    if ok and (issubclass(cls, io.IOBase) or not _plain_layout(cls)):
        ok = False
    getstate = getattr(cls, "__getstate__", None)
    custom_getstate = (
        getstate is not None
        and getstate is not getattr(object, "__getstate__", None)
        and getattr(cls, "__setstate__", None) is not None
    )
    info = _ClassInfo(importable_ref(cls), slot_names(cls), base, ok, custom_getstate)
    try:
        _CLASS_INFO[cls] = info
    except TypeError:
        pass
    return info


# ----------------------------------------------------------------------- encoding


def _enc_enum(enc: Encoder, obj: enum.Enum) -> Tree:
    cls = type(obj)
    ref = _class_info(cls).ref
    if ref is None:
        return enc.unencodable(obj, "the enum class is not importable by its name")
    name = obj._name_
    if isinstance(name, str) and cls.__members__.get(name) is obj:
        return {"$enum": ref, "name": name}
    return {"$enum": ref, "value": enc.enc(obj._value_)}


def _enc_namedtuple(enc: Encoder, obj: Any) -> Tree:
    ref = _class_info(type(obj)).ref
    if ref is None:
        return enc.unencodable(obj, "the namedtuple class is not importable by its name")
    e = enc.enc
    return {
        "$namedtuple": ref,
        "fields": {f: e(v) for f, v in zip(obj._fields, obj, strict=True)},
    }


def _recognise_named(enc: Encoder, obj: Any) -> Tree | None:
    """Enum members, classes, functions and namedtuples: values that are a name."""
    if isinstance(obj, enum.Enum):
        return _enc_enum(enc, obj)
    if isinstance(obj, type):
        ref = importable_ref(obj)
        if ref is None:
            return enc.unencodable(obj, "the class is not importable by its name")
        return {"$class": ref}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        ref = importable_ref(obj)
        if ref is None:
            return enc.unencodable(obj, "only module-level functions can be encoded")
        return {"$function": ref}
    if isinstance(obj, tuple) and hasattr(type(obj), "_fields") and hasattr(obj, "_asdict"):
        return _enc_namedtuple(enc, obj)
    return None


_OPAQUE = (
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.ModuleType,
    types.MethodType,
    types.FrameType,
    types.TracebackType,
    io.IOBase,
)


def _enc_object(enc: Encoder, obj: Any) -> Tree:
    """The last resort for any value: its class and state, or a placeholder."""
    if isinstance(obj, _OPAQUE):
        return enc.unencodable(obj)
    cls = type(obj)
    info = _class_info(cls)
    if not info.ok:
        return enc.unencodable(obj)
    if info.ref is None:
        return enc.unencodable(obj, "its class is not importable by module:qualname")
    fragile = info.base is not None and issubclass(info.base, _IMMUTABLE_BASES)
    ref, entry = enc.track(obj, fragile)
    if entry is None:
        return ref
    node: dict[str, Any] = {"$object": info.ref}
    if info.getstate:
        # The class chose what its state is (pickle protocol): keep that, so that
        # __setstate__ gets back exactly what __getstate__ gave.
        try:
            custom = obj.__getstate__()
        except Exception as exc:  # noqa: BLE001 - user code; report, do not abort
            entry[3] = False
            entry[1] = enc.unencodable(obj, f"its __getstate__ raised {exc!r}")
            return entry[1]
        entry[1] = node
        if info.base is not None:
            node["base"] = _base_value(enc, obj, info.base, node)
        entry[3] = False
        node["getstate"] = enc.enc(custom)
        return node
    try:
        state = dict(getattr(obj, "__dict__", None) or {})
    except Exception as exc:  # noqa: BLE001 - a hostile __dict__ must not stop recording
        entry[3] = False
        entry[1] = enc.unencodable(obj, f"reading its __dict__ raised {exc!r}")
        return entry[1]
    for name in info.slots:
        try:
            state[name] = object.__getattribute__(obj, name)
        except AttributeError:
            continue
    if isinstance(obj, collections.defaultdict):
        state["default_factory"] = obj.default_factory
    elif isinstance(obj, collections.deque) and obj.maxlen is not None:
        state["maxlen"] = obj.maxlen
    if any(type(k) is not str for k in state):
        entry[3] = False
        entry[1] = enc.unencodable(obj, "its __dict__ has non-string keys")
        return entry[1]
    entry[1] = node
    if info.base is not None:
        node["base"] = _base_value(enc, obj, info.base, node)
    entry[3] = False  # from here on the object exists when decoded, so $ref is fine
    e = enc.enc
    node["state"] = {k: e(state[k]) for k in sorted(state)}
    return node


def _base_value(enc: Encoder, obj: Any, base: type, node: dict[str, Any]) -> Tree:
    """The builtin part of ``obj``; a dict's insertion order goes beside it in ``node``."""
    e = enc.enc
    if base is BaseException:
        return e(obj.args)
    if base is list:
        return [e(x) for x in list.__iter__(obj)]
    if base is collections.deque:
        return [e(x) for x in collections.deque.__iter__(obj)]
    if base is dict:  # pairs sorted by key, and the insertion order (OrderedDict, Counter)
        ordered = isinstance(obj, collections.OrderedDict)
        items = collections.OrderedDict.items(obj) if ordered else dict.items(obj)
        pairs, order = enc.sorted_pairs(items)
        if order is not None:
            node["order"] = order
        return pairs
    if base in (set, frozenset):
        return enc.sorted_elements(list(base.__iter__(obj)))
    if base is tuple:
        return [e(x) for x in tuple.__iter__(obj)]
    return e(base(obj))


# ----------------------------------------------------------------------- decoding


def _dec_enum(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    cls = d.resolve_class(v, p, enum.Enum)
    if "name" in node:
        name = node["name"]
        member = cls.__members__.get(name) if type(name) is str else None
        if member is None:
            raise d.fail((*p[:-1], "name"), f"{v} has no member {name!r}")
        return member
    if "value" not in node:
        raise d.fail(p, "$enum needs a name or a value")
    value = d.dec(node["value"], (*p[:-1], "value"))
    try:
        return cls(value)
    except (ValueError, TypeError) as exc:
        raise d.fail((*p[:-1], "value"), f"{v} has no member with value {value!r}") from exc


def _dec_namedtuple(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    cls = d.resolve_class(v, p, tuple)
    fields = getattr(cls, "_fields", None)
    if not isinstance(fields, tuple) or not hasattr(cls, "_make"):
        raise d.fail(p, f"{v} is not a namedtuple class")
    given = node.get("fields")
    fp = (*p[:-1], "fields")
    if type(given) is not dict:
        raise d.fail(fp, "expected an object of fields")
    if set(given) != set(fields):
        raise d.fail(fp, f"fields {sorted(given)} do not match {v} fields {list(fields)}")
    return cls._make(d.dec(given[f], (*fp, f)) for f in fields)


def _dec_class(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    return d.resolve_class(v, p)


def _dec_function(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    fn = d.resolve(v, p, function=True)
    if not callable(fn) or isinstance(fn, type):
        raise d.fail(p, f"{v} is not a function")
    return fn


def _dec_object(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    cls = d.resolve_class(v, p)
    info = _class_info(cls)
    if not info.ok:
        raise d.fail(p, f"{v} instances cannot be rebuilt from their state")
    if ("state" in node) == ("getstate" in node):
        raise d.fail(p, "expected exactly one of 'state' and 'getstate'")
    state_tree = node.get("state", {})
    sp = (*p[:-1], "state")
    if type(state_tree) is not dict:
        raise d.fail(sp, "expected an object of attributes")
    base = info.base
    has_base = "base" in node
    if (base is None) == has_base:
        raise d.fail(p, f"'base' must be given exactly when {v} derives from a builtin type")
    bp = (*p[:-1], "base")
    if "order" in node and base is not dict:
        raise d.fail((*p[:-1], "order"), f"'order' is only for a dict-based class, not {v}")
    obj: Any
    raw: Any
    if base is not None and issubclass(base, _IMMUTABLE_BASES):
        raw = d.dec(node["base"], bp)
        try:
            obj = base.__new__(cls, raw)  # type: ignore[call-overload,call-arg]
        except (TypeError, ValueError) as exc:
            raise d.fail(bp, f"cannot build {v} from {raw!r}: {exc}") from exc
        d.remember(n, obj)
    else:
        try:
            obj = cls.__new__(cls)
        except TypeError:
            try:
                obj = object.__new__(cls)
            except TypeError as exc:
                raise d.fail(p, f"cannot create {v} without arguments: {exc}") from exc
        d.remember(n, obj)
        if base is dict:
            contents: Any = {}
            pairs_into(d, contents, node["base"], bp, node.get("order"))
        elif base is not None:
            contents = d.dec(node["base"], bp)
            expected = tuple if base is BaseException else list
            if type(contents) is not expected:
                raise d.fail(bp, f"expected the {expected.__name__} contents of {v}")
    state = {k: d.dec(t, (*sp, k)) for k, t in state_tree.items()}
    if base is not None and not issubclass(base, _IMMUTABLE_BASES):
        _fill_base(d, obj, base, contents, state, p)
    if "getstate" in node:
        _set_custom_state(d, obj, node["getstate"], v, (*p[:-1], "getstate"))
        return obj
    slots = info.slots
    for key, value in state.items():
        if key in slots:
            object.__setattr__(obj, key, value)
        else:
            try:
                obj.__dict__[key] = value
            except AttributeError:
                raise d.fail((*sp, key), f"{v} has no slot or __dict__ for {key!r}") from None
    return obj


def _fill_base(
    d: Decoder, obj: Any, base: type, contents: Any, state: dict[str, Any], p: JsonPath
) -> None:
    """Put the builtin-base contents into a freshly created instance."""
    try:
        if base is BaseException:
            obj.args = contents
        elif base is list:
            list.extend(obj, contents)
        elif base is set:
            set.update(obj, contents)
        elif base is collections.deque:
            collections.deque.__init__(obj, contents, state.pop("maxlen", None))
        elif isinstance(obj, collections.OrderedDict):
            collections.OrderedDict.update(obj, contents)
        else:
            dict.update(obj, contents)
        if isinstance(obj, collections.defaultdict):
            obj.default_factory = state.pop("default_factory", None)
    except (TypeError, ValueError) as exc:
        raise d.fail(p, f"cannot fill {type(obj).__name__}: {exc}") from exc


def _set_custom_state(d: Decoder, obj: Any, tree: Tree, ref: str, p: JsonPath) -> None:
    custom = d.dec(tree, p)
    if getattr(type(obj), "__setstate__", None) is None:
        raise d.fail(p, f"{ref} has no __setstate__ to take this state")
    try:
        obj.__setstate__(custom)
    except Exception as exc:  # noqa: BLE001 - report as a bad tree, with its path
        raise d.fail(p, f"{ref}.__setstate__ failed: {exc!r}") from exc


CLASSES = TagFamily(
    "classes",
    tags={
        "$enum": Tag(_dec_enum, frozenset({"name", "value"})),
        "$namedtuple": Tag(_dec_namedtuple, frozenset({"fields"})),
        "$class": Tag(_dec_class),
        "$function": Tag(_dec_function),
    },
    fallback=_recognise_named,
    order=30,
)

#: Last in order: every value no other family took is an object (or unencodable).
OBJECTS = TagFamily(
    "objects",
    tags={"$object": Tag(_dec_object, frozenset({"state", "base", "getstate", "order"}))},
    fallback=_enc_object,
    order=90,
)

register_family(CLASSES)
register_family(OBJECTS)
