"""Encoding of Python values into JSON trees for golden files, and back.

A golden file must be readable in review, byte-stable when the same behaviour is
recorded twice, and safe to load: decoding never unpickles, never evaluates text from
the file, and imports a module only when the project's :class:`ClassPolicy` allows it.
The format is described in ``docs/golden-format.md`` ("Encoded values").

The recorder calls :func:`encode` on every recorded call, so the common types go
through a dispatch table keyed on the exact type, and numeric arrays are converted
with vectorised numpy operations rather than per-element Python loops.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import collections
import datetime as _dt
import decimal
import enum
import fractions
import hashlib
import importlib
import io
import json
import math
import pathlib
import re
import struct
import sys
import types
import typing
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.objects import slot_names

if typing.TYPE_CHECKING:
    import numpy as np
else:

    class _LazyNumpy:
        """numpy, imported on first use: a program that never touched numpy cannot hand
        the codec a numpy value, so recording it need not pay numpy's import time."""

        def __getattr__(self, name: str) -> Any:
            import numpy

            globals()["np"] = numpy
            return getattr(numpy, name)

    np = _LazyNumpy()

#: JSON-compatible tree produced by :func:`encode`.
Tree = Any

__all__ = [
    "ClassPolicy",
    "Tree",
    "Unencodable",
    "canonical",
    "decode",
    "dumps",
    "encode",
    "loads",
    "register_codec",
    "tree_hash",
    "unregister_codec",
]

_MAX_JSON_INT = 2**53
_BLOB_NAME = re.compile(r"^[0-9a-f]{16,64}\.npy$")
_REF_PATTERN = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_INT_PATTERN = re.compile(r"^-?(?:[0-9]+|0x[0-9a-f]+)$")
_HEAPTYPE = 1 << 9
_SCALAR_TYPES = (str, int, float, bool, type(None))

#: Builtin functions that are plain computations; any other builtin function (eval,
#: exec, open, __import__, ...) is refused when a tree names it.
_SAFE_BUILTIN_FUNCTIONS = frozenset(
    "abs all any ascii bin callable chr divmod format hash hex isinstance issubclass "
    "iter len max min next oct ord pow repr round sorted sum".split()
)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Unencodable:
    """Stand-in for a value that could not be encoded, so a case can still be reviewed."""

    type_name: str
    repr: str


@dataclass(frozen=True)
class ClassPolicy:
    """Which modules a golden file may name classes from.

    Rebuilding an object means importing its module, which runs that module's code, so
    only the project's own packages (and what ``allow`` in ``[tool.legacy_harness]``
    adds) qualify. Standard-library modules are not allowed unless listed.
    """

    allowed: frozenset[str]

    def allows(self, module: str) -> bool:
        """True if ``module`` equals an allowed prefix or lies below one."""
        for prefix in self.allowed:
            if module == prefix or module.startswith(prefix + "."):
                return True
        return False

    def refusal(self, module: str, qualname: str) -> str:
        allowed = ", ".join(sorted(self.allowed)) or "none"
        top = module.split(".")[0]
        return (
            f"class {module}:{qualname} is outside the allowed modules ({allowed}); "
            f"add '{top}' to allow in [tool.legacy_harness] if you trust it"
        )


_DENY_ALL = ClassPolicy(frozenset())


# ------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class _Codec:
    cls: type
    name: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


_CODECS_BY_NAME: dict[str, _Codec] = {}
_CODECS_EXACT: dict[type, _Codec] = {}
_CODECS_ORDER: list[_Codec] = []


def register_codec(
    cls: type,
    *,
    name: str,
    encode: Callable[[Any], Any],
    decode: Callable[[Any], Any],
) -> None:
    """Teach the codec a type it cannot handle on its own (``{"$custom": name, ...}``).

    ``encode(obj)`` returns any encodable value; ``decode(value)`` rebuilds the object
    from the decoded value. Registering a name or class again replaces the old codec.
    """
    if not isinstance(cls, type):
        raise CodecError(f"register_codec needs a class, got {cls!r}")
    if not isinstance(name, str) or not name:
        raise CodecError("register_codec needs a non-empty name")
    unregister_codec(name)
    old = _CODECS_EXACT.get(cls)
    if old is not None:
        unregister_codec(old.name)
    codec = _Codec(cls, name, encode, decode)
    _CODECS_BY_NAME[name] = codec
    _CODECS_EXACT[cls] = codec
    _CODECS_ORDER.append(codec)


def unregister_codec(name: str) -> None:
    """Forget the codec registered under ``name``; unknown names are ignored."""
    codec = _CODECS_BY_NAME.pop(name, None)
    if codec is None:
        return
    if _CODECS_EXACT.get(codec.cls) is codec:
        del _CODECS_EXACT[codec.cls]
    _CODECS_ORDER.remove(codec)


# ----------------------------------------------------------------------- json layer


def dumps(tree: Tree) -> str:
    """Serialise a tree the way golden files are written: sorted, indented, exact."""
    try:
        text = json.dumps(tree, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"tree is not JSON-serialisable: {exc}") from exc
    return text + "\n"


def _reject_constant(name: str) -> Any:
    raise CodecError(f"JSON literal {name} is not allowed; non-finite floats use $float tags")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise CodecError(f"JSON number {text} overflows a float; use a $float tag")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CodecError(f"duplicate key {key!r} in JSON object")
        out[key] = value
    return out


def loads(text: str) -> Tree:
    """Parse golden JSON, refusing NaN/Infinity literals and duplicate keys."""
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise CodecError(f"invalid JSON: {exc}") from exc


def canonical(tree: Tree) -> str:
    """Compact, key-sorted JSON: equal trees give equal strings (for hashing)."""
    try:
        return json.dumps(
            tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise CodecError(f"tree is not JSON-serialisable: {exc}") from exc


def tree_hash(tree: Tree, length: int = 16) -> str:
    """Short sha256 of the canonical form, used to name cases by their inputs."""
    return hashlib.sha256(canonical(tree).encode("utf-8")).hexdigest()[:length]


# ------------------------------------------------------------------------ encoding


def _float_tree(value: float) -> Tree:
    if math.isfinite(value):
        return value
    if value != value:
        return {"$float": "nan"}
    return {"$float": "inf" if value > 0 else "-inf"}


def _int_tree(value: int) -> Tree:
    if -_MAX_JSON_INT <= value <= _MAX_JSON_INT:
        return value
    try:
        text = str(value)
    except ValueError:  # more digits than int <-> str conversion allows
        text = hex(value)
    return {"$int": text}


def _type_ref(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{getattr(cls, '__module__', '?')}:{getattr(cls, '__qualname__', cls.__name__)}"


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


def _importable_ref(obj: Any) -> str | None:
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
#: Standard-library containers rebuilt without consulting the policy: importing
#: ``collections`` runs no project code and these classes hold plain data.
_SAFE_CLASSES: dict[str, type] = {
    f"collections:{c.__name__}": c
    for c in (
        collections.OrderedDict,
        collections.defaultdict,
        collections.Counter,
        collections.deque,
    )
}


_PTR = struct.calcsize("P")


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
    info = _ClassInfo(_importable_ref(cls), slot_names(cls), base, ok, custom_getstate)
    try:
        _CLASS_INFO[cls] = info
    except TypeError:
        pass
    return info


class _Encoder:
    """One encoding run: tracks shared objects so they become $id/$ref."""

    def __init__(
        self, blobs: dict[str, bytes] | None, problems: list[str] | None, inline_limit: int
    ) -> None:
        self.blobs = blobs
        self.problems = problems
        self.inline_limit = inline_limit
        # id(obj) -> [obj, node, ref number (0: none yet), busy building an immutable]
        self.seen: dict[int, list[Any]] = {}
        self.shared: list[list[Any]] = []

    # -- entry points ---------------------------------------------------------------

    def run(self, value: Any) -> Tree:
        node = self.enc(value)
        if self.shared:
            node = self._attach_ids(node)
        return node

    def enc(self, obj: Any) -> Tree:
        cls = type(obj)
        if _CODECS_EXACT:
            codec = _CODECS_EXACT.get(cls)
            if codec is not None:
                return self.enc_custom(obj, codec)
        handler = _DISPATCH.get(cls)
        if handler is not None:
            return handler(self, obj)
        return self.enc_other(obj)

    # -- identity -------------------------------------------------------------------

    def _track(self, obj: Any, fragile: bool = False) -> tuple[Tree | None, list[Any] | None]:
        """Return (ref node, None) for an object seen before, else (None, new entry)."""
        entry = self.seen.get(id(obj))
        if entry is None:
            entry = [obj, None, 0, fragile]
            self.seen[id(obj)] = entry
            return None, entry
        if entry[3]:
            return (
                self.unencodable(obj, "it is part of a cycle through an immutable value"),
                None,
            )
        if not entry[2]:
            entry[2] = len(self.shared) + 1
            self.shared.append(entry)
        return {"$ref": entry[2]}, None

    def _attach_ids(self, root: Tree) -> Tree:
        wrap: dict[int, int] = {}
        for entry in self.shared:
            node = entry[1]
            if type(node) is dict and any(k[:1] == "$" and k not in MARKER_KEYS for k in node):
                node["$id"] = entry[2]
            else:
                wrap[id(node)] = entry[2]
        if not wrap:
            return root

        def fix(node: Tree) -> Tree:
            if type(node) is list:
                for i, child in enumerate(node):
                    if type(child) in (list, dict):
                        node[i] = fix(child)
            elif type(node) is dict:
                for key, child in node.items():
                    if type(child) in (list, dict):
                        node[key] = fix(child)
            n = wrap.get(id(node))
            if n is None:
                return node
            if type(node) is list:
                return {"$list": node, "$id": n}
            order = node.pop("$keys", None) or list(node)
            return {"$dict": [[k, node[k]] for k in order], "$id": n}

        return fix(root)

    # -- problems -------------------------------------------------------------------

    def unencodable(self, obj: Any, why: str | None = None) -> Tree:
        ref = _type_ref(obj)
        try:
            text = repr(obj)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not stop recording
            text = f"<{ref} object>"
        if self.problems is not None:
            reason = why or "the codec has no rule for this type"
            qual = ref.split(":", 1)[1]
            self.problems.append(
                f"cannot encode {ref} value {text[:60]}: {reason}; teach the codec with "
                f"legacy_harness.store.codec.register_codec({qual}, name=..., encode=..., decode=...)"
            )
        return {"$unencodable": ref, "repr": text[:200]}

    # -- builtin types --------------------------------------------------------------

    def enc_list(self, obj: list[Any]) -> Tree:
        ref, entry = self._track(obj)
        if entry is None:
            return ref
        enc = self.enc
        node = [x if type(x) is str else enc(x) for x in obj]
        entry[1] = node
        return node

    def enc_dict(self, obj: dict[Any, Any]) -> Tree:
        ref, entry = self._track(obj)
        if entry is None:
            return ref
        node = self._dict_node(obj)
        entry[1] = node
        return node

    def _dict_node(self, obj: dict[Any, Any]) -> Tree:
        enc = self.enc
        for key in obj:
            if type(key) is not str or key[:1] == "$":
                return {"$dict": [[enc(k), enc(v)] for k, v in obj.items()]}
        keys = list(obj)
        ordered = sorted(keys)
        node = {k: enc(obj[k]) for k in ordered}
        if keys != ordered:
            # replayed code may iterate the dict: keep the order the program built
            node["$keys"] = keys
        return node

    def _sorted_elements(self, obj: Any) -> list[Tree]:
        items = [self.enc(x) for x in obj]
        items.sort(key=canonical)
        return items

    def enc_set(self, obj: set[Any]) -> Tree:
        ref, entry = self._track(obj)
        if entry is None:
            return ref
        node = {"$set": self._sorted_elements(obj)}
        entry[1] = node
        return node

    def enc_frozenset(self, obj: frozenset[Any]) -> Tree:
        return {"$frozenset": self._sorted_elements(obj)}

    def enc_tuple(self, obj: tuple[Any, ...]) -> Tree:
        return {"$tuple": [self.enc(x) for x in obj]}

    def enc_bytearray(self, obj: bytearray) -> Tree:
        ref, entry = self._track(obj)
        if entry is None:
            return ref
        node = {"$bytearray": base64.b64encode(obj).decode("ascii")}
        entry[1] = node
        return node

    def enc_datetime(self, obj: _dt.datetime | _dt.time) -> Tree:
        tag = "$datetime" if type(obj) is _dt.datetime else "$time"
        node: dict[str, Any] = {tag: obj.isoformat()}
        key = getattr(obj.tzinfo, "key", None)
        if isinstance(key, str) and type(obj.tzinfo).__module__ == "zoneinfo":
            node["tz"] = key
        if obj.fold:
            node["fold"] = 1
        return node

    def enc_path(self, obj: pathlib.PurePath) -> Tree:
        return {"$path": str(obj), "flavour": type(obj).__name__}

    # -- numpy ----------------------------------------------------------------------

    def enc_npscalar(self, obj: np.generic) -> Tree:
        dtype = obj.dtype
        kind = dtype.kind
        value: Tree
        if kind in "Mm":
            name = dtype.name
            value = _int_tree(int(obj.astype(np.int64)))
        elif kind in "US":
            name = dtype.str
            value = self.enc(obj.item())
        elif kind in "biufc":
            name = dtype.name
            if kind == "f" and dtype.itemsize > 8:
                value = str(obj)
            elif kind == "c" and dtype.itemsize > 16:
                value = [str(obj.real), str(obj.imag)]  # type: ignore[attr-defined]
            else:
                value = self.enc(obj.item())
        else:
            return self.unencodable(obj, f"numpy scalars of dtype {dtype} are not supported")
        return {"$npscalar": name, "value": value}

    def enc_ndarray(self, arr: np.ndarray) -> Tree:
        ref, entry = self._track(arr)
        if entry is None:
            return ref
        node = self._array_node(arr)
        entry[1] = node
        return node

    def _array_node(self, arr: np.ndarray) -> Tree:
        dtype = arr.dtype
        kind = dtype.kind
        head: dict[str, Any] = {"dtype": dtype.str, "shape": list(arr.shape)}
        if kind == "O":
            head["data"] = [self.enc(x) for x in arr.ravel().tolist()]
            return {"$ndarray": head}
        if dtype.hasobject or kind not in "biufcMmUS":
            if self.blobs is None:
                return self.unencodable(arr, f"arrays of dtype {dtype} need a blob store")
            return self._blob_node(arr, head)
        if self.blobs is not None and arr.size > self.inline_limit:
            return self._blob_node(arr, head)
        flat = arr.ravel()
        data: list[Any]
        if kind in "biu":
            data = flat.tolist()
        elif kind == "f":
            if dtype.itemsize > 8:
                data = [str(x) for x in flat]
            else:
                data = flat.tolist()
                bad = ~np.isfinite(flat)
                if bad.any():
                    for i in np.flatnonzero(bad).tolist():
                        data[i] = _float_tree(data[i])
        elif kind == "c":
            parts = np.stack((flat.real, flat.imag), axis=-1)
            if dtype.itemsize > 16:
                data = [[str(a), str(b)] for a, b in parts]
            else:
                data = parts.tolist()
                bad = ~np.isfinite(parts)
                if bad.any():
                    for i, j in zip(*(ix.tolist() for ix in np.nonzero(bad)), strict=True):
                        data[i][j] = _float_tree(data[i][j])
        elif kind in "Mm":
            data = flat.astype(np.int64).tolist()
        elif kind == "U":
            data = flat.tolist()
        else:  # "S"
            data = [base64.b64encode(x).decode("ascii") for x in flat.tolist()]
        head["data"] = data
        return {"$ndarray": head}

    def _blob_node(self, arr: np.ndarray, head: dict[str, Any]) -> Tree:
        assert self.blobs is not None
        buf = io.BytesIO()
        # C order always, so equal arrays get equal bytes (and equal blob names).
        np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
        payload = buf.getvalue()
        name = hashlib.sha256(payload).hexdigest()[:32] + ".npy"
        self.blobs[name] = payload
        head["blob"] = name
        return {"$ndarray": head}

    # -- everything else ------------------------------------------------------------

    def enc_custom(self, obj: Any, codec: _Codec) -> Tree:
        ref, entry = self._track(obj, fragile=True)
        if entry is None:
            return ref
        try:
            raw = codec.encode(obj)
        except Exception as exc:  # noqa: BLE001 - user code; report, do not abort recording
            entry[3] = False
            entry[1] = self.unencodable(obj, f"codec {codec.name!r} raised {exc!r}")
            return entry[1]
        node = {"$custom": codec.name, "value": self.enc(raw)}
        entry[1] = node
        entry[3] = False
        return node

    def enc_other(self, obj: Any) -> Tree:
        for codec in _CODECS_ORDER:
            if isinstance(obj, codec.cls):
                return self.enc_custom(obj, codec)
        if "numpy" in sys.modules:
            if isinstance(obj, np.generic):
                return self.enc_npscalar(obj)
            if isinstance(obj, np.ndarray):
                return self.unencodable(obj, "numpy array subclasses are not supported")
        if isinstance(obj, enum.Enum):
            return self.enc_enum(obj)
        if isinstance(obj, type):
            ref = _importable_ref(obj)
            if ref is None:
                return self.unencodable(obj, "the class is not importable by its name")
            return {"$class": ref}
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
            ref = _importable_ref(obj)
            if ref is None:
                return self.unencodable(obj, "only module-level functions can be encoded")
            return {"$function": ref}
        if isinstance(obj, tuple) and hasattr(type(obj), "_fields") and hasattr(obj, "_asdict"):
            return self.enc_namedtuple(obj)
        pd = sys.modules.get("pandas")  # pandas values exist only if pandas is imported
        if pd is not None and hasattr(pd, "DataFrame"):
            try:
                node = self.enc_pandas(obj, pd)
            except Exception as exc:  # noqa: BLE001 - unusual pandas data; report it
                return self.unencodable(obj, f"pandas conversion failed: {exc!r}")
            if node is not None:
                return node
        if isinstance(
            obj,
            (
                types.GeneratorType,
                types.CoroutineType,
                types.AsyncGeneratorType,
                types.ModuleType,
                types.MethodType,
                types.FrameType,
                types.TracebackType,
                io.IOBase,
            ),
        ):
            return self.unencodable(obj)
        return self.enc_object(obj)

    def enc_enum(self, obj: enum.Enum) -> Tree:
        cls = type(obj)
        ref = _class_info(cls).ref
        if ref is None:
            return self.unencodable(obj, "the enum class is not importable by its name")
        name = obj._name_
        if isinstance(name, str) and cls.__members__.get(name) is obj:
            return {"$enum": ref, "name": name}
        return {"$enum": ref, "value": self.enc(obj._value_)}

    def enc_namedtuple(self, obj: Any) -> Tree:
        ref = _class_info(type(obj)).ref
        if ref is None:
            return self.unencodable(obj, "the namedtuple class is not importable by its name")
        enc = self.enc
        return {
            "$namedtuple": ref,
            "fields": {f: enc(v) for f, v in zip(obj._fields, obj, strict=True)},
        }

    def enc_object(self, obj: Any) -> Tree:
        cls = type(obj)
        info = _class_info(cls)
        if not info.ok:
            return self.unencodable(obj)
        if info.ref is None:
            return self.unencodable(obj, "its class is not importable by module:qualname")
        fragile = info.base is not None and issubclass(info.base, _IMMUTABLE_BASES)
        ref, entry = self._track(obj, fragile)
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
                entry[1] = self.unencodable(obj, f"its __getstate__ raised {exc!r}")
                return entry[1]
            entry[1] = node
            if info.base is not None:
                node["base"] = self._base_value(obj, info.base)
            entry[3] = False
            node["getstate"] = self.enc(custom)
            return node
        try:
            state = dict(getattr(obj, "__dict__", None) or {})
        except Exception as exc:  # noqa: BLE001 - a hostile __dict__ must not stop recording
            entry[3] = False
            entry[1] = self.unencodable(obj, f"reading its __dict__ raised {exc!r}")
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
            entry[1] = self.unencodable(obj, "its __dict__ has non-string keys")
            return entry[1]
        entry[1] = node
        if info.base is not None:
            node["base"] = self._base_value(obj, info.base)
        entry[3] = False  # from here on the object exists when decoded, so $ref is fine
        enc = self.enc
        node["state"] = {k: enc(state[k]) for k in sorted(state)}
        return node

    def _base_value(self, obj: Any, base: type) -> Tree:
        enc = self.enc
        if base is BaseException:
            return enc(obj.args)
        if base is list:
            return [enc(x) for x in list.__iter__(obj)]
        if base is collections.deque:
            return [enc(x) for x in collections.deque.__iter__(obj)]
        if base is dict:  # pairs, so insertion order survives (OrderedDict, Counter)
            ordered = isinstance(obj, collections.OrderedDict)
            items = collections.OrderedDict.items(obj) if ordered else dict.items(obj)
            return [[enc(k), enc(v)] for k, v in items]
        if base in (set, frozenset):
            return self._sorted_elements(list(base.__iter__(obj)))
        if base is tuple:
            return [enc(x) for x in tuple.__iter__(obj)]
        return enc(base(obj))

    def enc_pandas(self, obj: Any, pd: Any) -> Tree | None:
        if obj is pd.NaT:
            return {"$pdscalar": "NaT"}
        if obj is pd.NA:
            return {"$pdscalar": "NA"}
        if type(obj) is pd.Timestamp:
            node: dict[str, Any] = {"$pdscalar": "Timestamp", "value": obj.isoformat()}
            node["unit"] = obj.unit
            zone = getattr(obj.tz, "key", None) or getattr(obj.tz, "zone", None)
            if isinstance(zone, str):
                node["tz"] = zone
            return node
        if type(obj) is pd.Timedelta:
            return {"$pdscalar": "Timedelta", "value": _int_tree(obj.value), "unit": obj.unit}
        if type(obj) is pd.Series:
            return {"$series": self._pd_series(obj)}
        if type(obj) is pd.DataFrame:
            columns = [self._pd_values(obj.iloc[:, i]) for i in range(obj.shape[1])]
            return {
                "$dataframe": {
                    "index": self._pd_index(obj.index),
                    "columns": self._pd_index(obj.columns),
                    "data": columns,
                }
            }
        return None

    def _pd_values(self, values: Any) -> dict[str, Any]:
        """dtype and values of a Series or Index, the values through the ndarray path."""
        import pandas as pd

        dtype = values.dtype
        out: dict[str, Any] = {"dtype": str(dtype)}
        if isinstance(dtype, np.dtype):
            out["values"] = self._array_node(np.asarray(values.to_numpy()))
        elif isinstance(dtype, pd.CategoricalDtype):
            cat = pd.Categorical(values)
            out["categories"] = self._pd_index(cat.categories)
            out["ordered"] = bool(cat.ordered)
            out["values"] = self._array_node(np.asarray(cat.codes))
        elif isinstance(dtype, pd.DatetimeTZDtype):
            utc = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)
            out["values"] = self._array_node(utc.to_numpy())
        else:  # other extension dtypes: elements as Python objects, missing as None
            objects = np.asarray(values.astype(object)).tolist()
            missing = np.asarray(pd.isna(values)).tolist()
            plain = np.empty(len(objects), dtype=object)
            for i, (x, m) in enumerate(zip(objects, missing, strict=True)):
                plain[i] = None if m else x
            out["values"] = self._array_node(plain)
        return out

    def _pd_index(self, index: Any) -> Tree:
        import pandas as pd

        names = self.enc(list(index.names))
        if type(index) is pd.RangeIndex:
            return {"range": [index.start, index.stop, index.step], "names": names}
        if isinstance(index, pd.MultiIndex):
            levels = [self._pd_values(index.get_level_values(i)) for i in range(index.nlevels)]
            return {"levels": levels, "names": names}
        return {"levels": [self._pd_values(index)], "names": names}

    def _pd_series(self, series: Any) -> dict[str, Any]:
        out = self._pd_values(series)
        out["name"] = self.enc(series.name)
        out["index"] = self._pd_index(series.index)
        return out


def _enc_identity(enc: _Encoder, obj: Any) -> Tree:
    return obj


def _enc_int(enc: _Encoder, obj: int) -> Tree:
    return _int_tree(obj)


def _enc_float(enc: _Encoder, obj: float) -> Tree:
    return _float_tree(obj)


_DISPATCH: dict[type, Callable[[_Encoder, Any], Tree]] = {
    type(None): _enc_identity,
    bool: _enc_identity,
    str: _enc_identity,
    int: _enc_int,
    float: _enc_float,
    complex: lambda e, o: {"$complex": [_float_tree(o.real), _float_tree(o.imag)]},
    bytes: lambda e, o: {"$bytes": base64.b64encode(o).decode("ascii")},
    bytearray: _Encoder.enc_bytearray,
    list: _Encoder.enc_list,
    tuple: _Encoder.enc_tuple,
    dict: _Encoder.enc_dict,
    set: _Encoder.enc_set,
    frozenset: _Encoder.enc_frozenset,
    _dt.datetime: _Encoder.enc_datetime,
    _dt.time: _Encoder.enc_datetime,
    _dt.date: lambda e, o: {"$date": o.isoformat()},
    _dt.timedelta: lambda e, o: {"$timedelta": [o.days, o.seconds, o.microseconds]},
    decimal.Decimal: lambda e, o: {"$decimal": str(o)},
    fractions.Fraction: lambda e, o: {"$fraction": str(o)},
    uuid.UUID: lambda e, o: {"$uuid": str(o)},
    pathlib.PurePosixPath: _Encoder.enc_path,
    pathlib.PureWindowsPath: _Encoder.enc_path,
    pathlib.PosixPath: _Encoder.enc_path,
    pathlib.WindowsPath: _Encoder.enc_path,
}
_numpy_dispatch = False


def _add_numpy_dispatch() -> None:
    """Register numpy's types once numpy is loaded (by the program, or by decoding)."""
    global _numpy_dispatch
    _DISPATCH[np.ndarray] = _Encoder.enc_ndarray
    for scalar in set(np.sctypeDict.values()):
        if issubclass(scalar, np.generic) and scalar not in (np.void, np.object_):
            _DISPATCH[scalar] = _Encoder.enc_npscalar
    _numpy_dispatch = True


def encode(
    value: Any,
    *,
    blobs: dict[str, bytes] | None = None,
    problems: list[str] | None = None,
    inline_limit: int = 64,
) -> Tree:
    """Turn ``value`` into a JSON-compatible tree (see docs/golden-format.md).

    Arrays with more than ``inline_limit`` elements go into ``blobs`` as
    content-addressed ``.npy`` payloads; with ``blobs=None`` every array is inlined.
    Values the codec cannot represent become ``$unencodable`` placeholders and a
    message is appended to ``problems``: recording must never fail on odd arguments.
    """
    if not _numpy_dispatch and "numpy" in sys.modules:
        _add_numpy_dispatch()
    encoder = _Encoder(blobs, problems, inline_limit)
    try:
        return encoder.run(value)
    except RecursionError:
        encoder.seen.clear()
        return encoder.unencodable(value, "it is nested too deeply for the Python stack")


# ------------------------------------------------------------------------ decoding

_Path = tuple[Any, ...]


def _format_path(root: str, path: _Path) -> str:
    text = root
    for seg in path:
        if isinstance(seg, int):
            text += f"[{seg}]"
        else:
            text += f".{seg}" if text else seg
    return text or "(root)"


_PATH_FLAVOURS: dict[str, tuple[type, type]] = {
    "PosixPath": (pathlib.PosixPath, pathlib.PurePosixPath),
    "PurePosixPath": (pathlib.PurePosixPath, pathlib.PurePosixPath),
    "WindowsPath": (pathlib.WindowsPath, pathlib.PureWindowsPath),
    "PureWindowsPath": (pathlib.PureWindowsPath, pathlib.PureWindowsPath),
}

#: Keys that may stand beside a tag (or in a plain object) without being a tag.
MARKER_KEYS = frozenset({"$id", "$keys"})

_TAG_KEYS: dict[str, frozenset[str]] = {
    "$int": frozenset(),
    "$float": frozenset(),
    "$complex": frozenset(),
    "$bytes": frozenset(),
    "$bytearray": frozenset(),
    "$tuple": frozenset(),
    "$list": frozenset(),
    "$dict": frozenset(),
    "$set": frozenset(),
    "$frozenset": frozenset(),
    "$datetime": frozenset({"tz", "fold"}),
    "$date": frozenset(),
    "$time": frozenset({"tz", "fold"}),
    "$timedelta": frozenset(),
    "$decimal": frozenset(),
    "$fraction": frozenset(),
    "$uuid": frozenset(),
    "$path": frozenset({"flavour"}),
    "$enum": frozenset({"name", "value"}),
    "$namedtuple": frozenset({"fields"}),
    "$object": frozenset({"state", "base", "getstate"}),
    "$class": frozenset(),
    "$function": frozenset(),
    "$npscalar": frozenset({"value"}),
    "$ndarray": frozenset(),
    "$series": frozenset(),
    "$pdscalar": frozenset({"value", "unit", "tz"}),
    "$dataframe": frozenset(),
    "$ref": frozenset(),
    "$custom": frozenset({"value"}),
    "$unencodable": frozenset({"repr"}),
}
#: Tags whose value is built before anything inside it may refer back to it.
_EARLY_TAGS = frozenset({"$list", "$dict", "$set", "$bytearray", "$object", "$ndarray"})


class _Decoder:
    """One decoding run: resolves $ref (also forward ones) and checks every node."""

    def __init__(
        self,
        blobs: Mapping[str, bytes] | Callable[[str], bytes] | None,
        policy: ClassPolicy,
        root: str,
    ) -> None:
        self.blobs = blobs
        self.policy = policy
        self.root = root
        self.refs: dict[int, Any] = {}
        self.owner: dict[int, int] = {}  # ref number -> id() of the node defining it
        self.busy: set[int] = set()
        self.index: dict[int, tuple[dict[str, Any], _Path]] | None = None
        self.tree: Tree = None

    def fail(self, path: _Path, message: str) -> CodecError:
        return CodecError(f"{_format_path(self.root, path)}: {message}")

    # -- generic --------------------------------------------------------------------

    def dec(self, node: Tree, path: _Path) -> Any:
        cls = type(node)
        if cls in _SCALAR_TYPES:
            return node
        if cls is list:
            dec = self.dec
            return [
                x if type(x) in _SCALAR_TYPES else dec(x, (*path, i)) for i, x in enumerate(node)
            ]
        if cls is dict:
            tag = None
            for key in node:
                if type(key) is str and key[:1] == "$" and key not in MARKER_KEYS:
                    if tag is not None:
                        raise self.fail(path, f"object has two tags, {tag} and {key}")
                    tag = key
            if tag is None:
                if "$id" in node:
                    raise self.fail(path, "$id without a tag; use $list or $dict")
                dec = self.dec
                out: dict[str, Any] = {}
                keys = node.get("$keys")
                if keys is not None:
                    if type(keys) is not list or sorted(keys) != sorted(
                        k for k in node if k != "$keys"
                    ):
                        raise self.fail((*path, "$keys"), "must list exactly the object's keys")
                    node = {key: node[key] for key in keys}
                for key, value in node.items():
                    if type(key) is not str:
                        raise self.fail(path, f"JSON object key {key!r} is not a string")
                    out[key] = value if type(value) in _SCALAR_TYPES else dec(value, (*path, key))
                return out
            if "$keys" in node:
                raise self.fail(path, f"$keys beside the tag {tag}")
            return self.dec_tagged(node, tag, path)
        raise self.fail(path, f"{cls.__name__} is not a JSON value")

    def dec_tagged(self, node: dict[str, Any], tag: str, path: _Path) -> Any:
        allowed = _TAG_KEYS.get(tag)
        if allowed is None:
            raise self.fail(path, f"unknown tag {tag}")
        for key in node:
            if key != tag and key != "$id" and key not in allowed:
                raise self.fail(path, f"unexpected key {key!r} beside {tag}")
        n = node.get("$id")
        if n is not None:
            if type(n) is not int:
                raise self.fail((*path, "$id"), "$id must be an integer")
            if tag == "$ref":
                raise self.fail(path, "$ref cannot carry an $id")
            owner = self.owner.get(n)
            if owner is not None:
                if owner != id(node):
                    raise self.fail((*path, "$id"), f"$id {n} is defined twice")
                if n in self.refs:  # already built through a forward $ref
                    return self.refs[n]
            self.owner[n] = id(node)
            self.busy.add(n)
        handler = _DECODERS[tag]
        value = handler(self, node[tag], node, (*path, tag), n)
        if n is not None:
            self.refs[n] = value
            self.busy.discard(n)
        return value

    def remember(self, n: int | None, obj: Any) -> None:
        """Register a mutable value before its contents so inner $refs can reach it."""
        if n is not None:
            self.refs[n] = obj

    def dec_float_value(self, value: Any, path: _Path) -> float:
        if type(value) is float:
            return value
        if type(value) is int:
            return float(value)
        if type(value) is dict and set(value) == {"$float"}:
            return _dec_float(self, value["$float"], value, (*path, "$float"), None)
        raise self.fail(path, f"expected a float, got {type(value).__name__}")

    # -- references -----------------------------------------------------------------

    def resolve_ref(self, n: Any, path: _Path) -> Any:
        if type(n) is not int:
            raise self.fail(path, "$ref must be an integer")
        if n in self.refs:
            return self.refs[n]
        if n in self.busy:
            raise self.fail(path, f"$ref {n} points into a value that is still being built")
        if self.index is None:
            self.index = {}
            self._index(self.tree, ())
        target = self.index.get(n)
        if target is None:
            raise self.fail(path, f"$ref {n} has no matching $id")
        node, node_path = target
        return self.dec(node, node_path)

    def _index(self, node: Tree, path: _Path) -> None:
        if type(node) is list:
            for i, child in enumerate(node):
                if type(child) in (list, dict):
                    self._index(child, (*path, i))
        elif type(node) is dict:
            n = node.get("$id")
            if type(n) is int and n not in self.index:  # type: ignore[operator]
                self.index[n] = (node, path)  # type: ignore[index]
            for key, child in node.items():
                if type(child) in (list, dict):
                    self._index(child, (*path, key))

    # -- classes --------------------------------------------------------------------

    def resolve(self, ref: Any, path: _Path, *, function: bool = False) -> Any:
        """Find module:qualname, importing the module only if the policy allows it."""
        if type(ref) is not str or not _REF_PATTERN.fullmatch(ref):
            raise self.fail(path, f"expected 'module:qualname', got {ref!r}")
        module, qualname = ref.split(":")
        safe = _SAFE_CLASSES.get(ref)
        if safe is not None:
            return safe
        if module == "builtins":
            obj = getattr(builtins, qualname, None) if "." not in qualname else None
            if isinstance(obj, type) or (function and qualname in _SAFE_BUILTIN_FUNCTIONS):
                return obj
            raise self.fail(path, f"builtins:{qualname} is not a builtin type it may name")
        if not self.policy.allows(module):
            raise CodecError(
                f"{self.policy.refusal(module, qualname)} (at {_format_path(self.root, path)})"
            )
        try:
            mod = sys.modules.get(module) or importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure is a bad reference
            raise self.fail(path, f"cannot import module {module}: {exc!r}") from exc
        obj = mod
        for part in qualname.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise self.fail(path, f"{module} has no attribute {qualname}") from None
        return obj

    def resolve_class(self, ref: Any, path: _Path, base: type = object) -> Any:
        cls = self.resolve(ref, path)
        if not isinstance(cls, type) or not issubclass(cls, base):
            what = "a class" if base is object else f"a {base.__name__} subclass"
            raise self.fail(path, f"{ref} is not {what}")
        return cls

    # -- blobs ----------------------------------------------------------------------

    def blob(self, name: Any, path: _Path) -> bytes:
        if type(name) is not str or not _BLOB_NAME.fullmatch(name):
            raise self.fail(path, f"bad blob name {name!r}")
        if self.blobs is None:
            raise self.fail(path, f"refers to blob {name} but no blobs were given")
        try:
            if callable(self.blobs):
                data = self.blobs(name)
            else:
                data = self.blobs[name]
        except (KeyError, OSError) as exc:
            raise self.fail(path, f"missing blob {name}") from exc
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise self.fail(path, f"blob {name} is not bytes")
        return bytes(data)


# Tag handlers: (decoder, value under the tag, whole node, path to the tag, $id or None)
_Handler = Callable[[_Decoder, Any, dict[str, Any], _Path, "int | None"], Any]


def _dec_int(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> int:
    if type(v) is not str or not _INT_PATTERN.fullmatch(v):
        raise d.fail(p, f"expected an integer string, got {v!r}")
    if "x" in v:
        return int(v, 16)
    try:
        return int(v)
    except ValueError as exc:
        raise d.fail(p, str(exc)) from exc


def _dec_float(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> float:
    if v == "nan":
        return math.nan
    if v == "inf":
        return math.inf
    if v == "-inf":
        return -math.inf
    raise d.fail(p, f"expected 'nan', 'inf' or '-inf', got {v!r}")


def _dec_complex(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> complex:
    if type(v) is not list or len(v) != 2:
        raise d.fail(p, "expected [real, imag]")
    return complex(d.dec_float_value(v[0], (*p, 0)), d.dec_float_value(v[1], (*p, 1)))


def _b64(d: _Decoder, v: Any, p: _Path) -> bytes:
    if type(v) is not str:
        raise d.fail(p, f"expected a base64 string, got {type(v).__name__}")
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise d.fail(p, f"invalid base64: {exc}") from exc


def _dec_bytearray(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    return bytearray(_b64(d, v, p))


def _items(d: _Decoder, v: Any, p: _Path) -> list[Any]:
    if type(v) is not list:
        raise d.fail(p, f"expected a list, got {type(v).__name__}")
    return v


def _dec_tuple(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    return tuple(d.dec(x, (*p, i)) for i, x in enumerate(_items(d, v, p)))


def _dec_list(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    out: list[Any] = []
    d.remember(n, out)
    out.extend(d.dec(x, (*p, i)) for i, x in enumerate(_items(d, v, p)))
    return out


def _pairs_into(d: _Decoder, target: dict[Any, Any], v: Any, p: _Path) -> None:
    for i, pair in enumerate(_items(d, v, p)):
        if type(pair) is not list or len(pair) != 2:
            raise d.fail((*p, i), "expected a [key, value] pair")
        key = d.dec(pair[0], (*p, i, 0))
        try:
            target[key] = d.dec(pair[1], (*p, i, 1))
        except TypeError as exc:
            raise d.fail((*p, i, 0), f"unhashable key: {exc}") from exc


def _dec_dict(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    out: dict[Any, Any] = {}
    d.remember(n, out)
    _pairs_into(d, out, v, p)
    return out


def _elements(d: _Decoder, v: Any, p: _Path) -> Any:
    for i, x in enumerate(_items(d, v, p)):
        value = d.dec(x, (*p, i))
        try:
            hash(value)
        except TypeError as exc:
            raise d.fail((*p, i), f"unhashable set element: {exc}") from exc
        yield value


def _dec_set(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    out: set[Any] = set()
    d.remember(n, out)
    out.update(_elements(d, v, p))
    return out


def _dec_frozenset(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    return frozenset(_elements(d, v, p))


def _zone(d: _Decoder, node: dict[str, Any], p: _Path) -> Any:
    key = node.get("tz")
    if key is None:
        return None
    if type(key) is not str:
        raise d.fail((*p[:-1], "tz"), "expected a time zone name")
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise d.fail((*p[:-1], "tz"), f"unknown time zone {key!r}") from exc


def _dec_datetime(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    kind = _dt.datetime if p[-1] == "$datetime" else _dt.time
    if type(v) is not str:
        raise d.fail(p, "expected an ISO 8601 string")
    try:
        value = kind.fromisoformat(v)
    except ValueError as exc:
        raise d.fail(p, str(exc)) from exc
    zone = _zone(d, node, p)
    if zone is not None:
        value = value.replace(tzinfo=zone)
        if kind is _dt.datetime:
            # The offset in the text is authoritative: it picks fold for ambiguous times.
            offset = _dt.datetime.fromisoformat(v).utcoffset()
            if value.utcoffset() != offset:
                value = value.replace(fold=1 - value.fold)
    fold = node.get("fold", 0)
    if fold not in (0, 1) or type(fold) is bool:
        raise d.fail((*p[:-1], "fold"), "fold must be 0 or 1")
    if fold:
        value = value.replace(fold=1)
    return value


def _dec_date(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    if type(v) is not str:
        raise d.fail(p, "expected an ISO 8601 date string")
    try:
        return _dt.date.fromisoformat(v)
    except ValueError as exc:
        raise d.fail(p, str(exc)) from exc


def _dec_timedelta(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    if type(v) is not list or len(v) != 3 or any(type(x) is not int for x in v):
        raise d.fail(p, "expected [days, seconds, microseconds] integers")
    try:
        return _dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    except OverflowError as exc:
        raise d.fail(p, str(exc)) from exc


def _from_text(kind: Callable[[str], Any], label: str) -> _Handler:
    def handler(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
        if type(v) is not str:
            raise d.fail(p, f"expected a {label} string, got {type(v).__name__}")
        try:
            return kind(v)
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise d.fail(p, f"invalid {label} {v!r}") from exc

    return handler


def _dec_path(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    if type(v) is not str:
        raise d.fail(p, "expected a path string")
    flavour = node.get("flavour", "PurePosixPath")
    kinds = _PATH_FLAVOURS.get(flavour) if type(flavour) is str else None
    if kinds is None:
        raise d.fail((*p[:-1], "flavour"), f"unknown path flavour {flavour!r}")
    try:
        return kinds[0](v)
    except (NotImplementedError, TypeError):  # a Windows path read on POSIX, or back
        return kinds[1](v)


def _dec_enum(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
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


def _dec_namedtuple(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
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


def _dec_object(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
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
            _pairs_into(d, contents, node["base"], bp)
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
    d: _Decoder, obj: Any, base: type, contents: Any, state: dict[str, Any], p: _Path
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


def _set_custom_state(d: _Decoder, obj: Any, tree: Tree, ref: str, p: _Path) -> None:
    custom = d.dec(tree, p)
    if getattr(type(obj), "__setstate__", None) is None:
        raise d.fail(p, f"{ref} has no __setstate__ to take this state")
    try:
        obj.__setstate__(custom)
    except Exception as exc:  # noqa: BLE001 - report as a bad tree, with its path
        raise d.fail(p, f"{ref}.__setstate__ failed: {exc!r}") from exc


def _dec_class(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    return d.resolve_class(v, p)


def _dec_function(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    fn = d.resolve(v, p, function=True)
    if not callable(fn) or isinstance(fn, type):
        raise d.fail(p, f"{v} is not a function")
    return fn


def _dtype(d: _Decoder, text: Any, p: _Path) -> np.dtype[Any]:
    if type(text) is not str:
        raise d.fail(p, "expected a dtype string")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError) as exc:
        raise d.fail(p, f"unknown dtype {text!r}") from exc
    return dtype


def _dec_npscalar(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    dtype = _dtype(d, v, p)
    kind = dtype.kind
    if "value" not in node:
        raise d.fail(p, "missing 'value'")
    vp = (*p[:-1], "value")
    raw = node["value"]
    if kind == "f" and dtype.itemsize > 8 and type(raw) is str:
        try:
            return np.array(raw, dtype=dtype)[()]
        except ValueError as exc:
            raise d.fail(vp, f"{raw!r} does not fit {v}") from exc
    elif kind == "c" and dtype.itemsize > 16 and type(raw) is list:
        parts = [np.array(x, dtype=f"f{dtype.itemsize // 2}")[()] for x in raw]
        return (np.array(parts[0], dtype=dtype) + parts[1] * 1j).astype(dtype)[()]
    else:
        value: Any = d.dec(raw, vp)
    want: dict[str, tuple[type, ...]] = {
        "b": (bool,),
        "i": (int,),
        "u": (int,),
        "f": (float,),
        "c": (complex,),
        "M": (int,),
        "m": (int,),
        "U": (str,),
        "S": (bytes,),
    }
    types_ok = want.get(kind)
    if types_ok is None:
        raise d.fail(p, f"dtype {v} is not a numpy scalar type the codec supports")
    if type(value) not in types_ok:
        raise d.fail(vp, f"expected a {types_ok[0].__name__} for a {v} scalar")
    try:
        if kind in "Mm":
            return np.array(value, dtype=np.int64).astype(dtype)[()]
        return np.array(value, dtype=dtype)[()]
    except (OverflowError, ValueError) as exc:
        raise d.fail(vp, f"{value!r} does not fit {v}") from exc


def _shape(d: _Decoder, shape: Any, p: _Path) -> tuple[int, ...]:
    if type(shape) is not list or any(type(x) is not int or x < 0 for x in shape):
        raise d.fail(p, "expected a list of non-negative integers")
    return tuple(shape)


def _dec_ndarray(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    if type(v) is not dict:
        raise d.fail(p, "expected an object with dtype, shape and data or blob")
    extra = set(v) - {"dtype", "shape", "data", "blob"}
    if extra:
        raise d.fail(p, f"unexpected key {sorted(extra)[0]!r}")
    dtype = _dtype(d, v.get("dtype"), (*p, "dtype"))
    shape = _shape(d, v.get("shape"), (*p, "shape"))
    if ("data" in v) == ("blob" in v):
        raise d.fail(p, "expected exactly one of 'data' and 'blob'")
    if "blob" in v:
        bp = (*p, "blob")
        payload = d.blob(v["blob"], bp)
        try:
            arr = np.load(io.BytesIO(payload), allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - any parse failure means a corrupt blob
            raise d.fail(bp, f"blob is not a valid .npy file: {exc}") from exc
        if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.shape != shape:
            raise d.fail(bp, f"blob holds {arr.dtype} {arr.shape}, tree says {dtype} {shape}")
        if not arr.flags.writeable:
            arr = arr.copy()
        d.remember(n, arr)
        return arr
    dp = (*p, "data")
    data = v["data"]
    size = math.prod(shape)
    if type(data) is not list or len(data) != size:
        raise d.fail(dp, f"expected a list of {size} elements")
    kind = dtype.kind
    if kind == "O":
        out = np.empty(shape, dtype=object)
        d.remember(n, out)
        flat = out.reshape(-1)  # a view: out is new and C-contiguous
        for i, x in enumerate(data):
            flat[i] = d.dec(x, (*dp, i))
        return out
    if dtype.hasobject or kind not in "biufcMmUS":
        raise d.fail((*p, "dtype"), f"dtype {dtype} cannot be stored inline")
    try:
        values = _inline_values(d, data, dtype, dp)
        if kind in "Mm":
            arr = np.array(values, dtype=np.int64).astype(dtype)
        elif kind == "c":
            parts = np.array(values, dtype=f"f{dtype.itemsize // 2}").reshape(size, 2)
            arr = np.empty(size, dtype=dtype)
            arr.real = parts[:, 0]  # element-wise, so signed zeros and nan parts survive
            arr.imag = parts[:, 1]
        else:
            arr = np.array(values, dtype=dtype)
    except (OverflowError, ValueError, TypeError) as exc:
        raise d.fail(dp, f"values do not fit dtype {dtype}: {exc}") from exc
    arr = arr.reshape(shape)
    d.remember(n, arr)
    return arr


def _inline_values(d: _Decoder, data: list[Any], dtype: np.dtype[Any], p: _Path) -> list[Any]:
    kind = dtype.kind
    if kind == "b":
        ok: tuple[type, ...] = (bool,)
    elif kind in "iuMm":
        ok = (int,)
    elif kind == "U":
        ok = (str,)
    elif kind == "S":
        return [_b64(d, x, (*p, i)) for i, x in enumerate(data)]
    elif kind == "f":
        if dtype.itemsize > 8:
            ok = (str, float, int)
        else:
            return [
                x if type(x) is float else d.dec_float_value(x, (*p, i)) for i, x in enumerate(data)
            ]
    else:  # complex: [re, im] pairs
        out: list[Any] = []
        for i, pair in enumerate(data):
            if type(pair) is not list or len(pair) != 2:
                raise d.fail((*p, i), "expected [real, imag]")
            if dtype.itemsize > 16 and all(type(x) is str for x in pair):
                out.append(pair)
            else:
                out.append([d.dec_float_value(x, (*p, i, j)) for j, x in enumerate(pair)])
        return out
    for i, x in enumerate(data):
        if type(x) not in ok:
            raise d.fail((*p, i), f"expected {ok[0].__name__} for dtype {dtype}")
    return data


def _dec_ref(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    return d.resolve_ref(v, p)


def _dec_custom(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    if type(v) is not str:
        raise d.fail(p, "expected a codec name")
    codec = _CODECS_BY_NAME.get(v)
    if codec is None:
        raise d.fail(p, f"no codec registered under {v!r}; call register_codec before decoding")
    if "value" not in node:
        raise d.fail(p, "missing 'value'")
    value = d.dec(node["value"], (*p[:-1], "value"))
    try:
        return codec.decode(value)
    except Exception as exc:  # noqa: BLE001 - user code; report with the path
        raise d.fail(p, f"codec {v!r} could not decode the value: {exc!r}") from exc


def _dec_unencodable(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    text = node.get("repr", "")
    if type(v) is not str or type(text) is not str:
        raise d.fail(p, "expected a type name and a repr string")
    return Unencodable(v, text)


def _pandas(d: _Decoder, p: _Path) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise d.fail(p, "decoding pandas values needs pandas; pip install pandas") from None
    return pd


def _pd_values_dec(d: _Decoder, v: Any, p: _Path) -> Any:
    pd = _pandas(d, p)
    if type(v) is not dict or type(v.get("dtype")) is not str or "values" not in v:
        raise d.fail(p, "expected an object with dtype and values")
    dtype_text = v["dtype"]
    values = d.dec(v["values"], (*p, "values"))
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        raise d.fail((*p, "values"), "expected a 1-D array")
    try:
        dtype = pd.api.types.pandas_dtype(dtype_text)
        if isinstance(dtype, np.dtype):
            return values.astype(dtype, copy=False)
        if isinstance(dtype, pd.CategoricalDtype):
            categories = _pd_index_dec(d, v.get("categories"), (*p, "categories"))
            return pd.Categorical.from_codes(values, categories, ordered=v.get("ordered"))
        if isinstance(dtype, pd.DatetimeTZDtype):
            return pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(dtype.tz).array
        plain = [pd.NA if x is None else x for x in values.tolist()]
        return pd.array(plain, dtype=dtype)
    except CodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for bad input
        raise d.fail(p, f"cannot rebuild pandas values of dtype {dtype_text}: {exc}") from exc


def _pd_index_dec(d: _Decoder, v: Any, p: _Path) -> Any:
    pd = _pandas(d, p)
    if type(v) is not dict:
        raise d.fail(p, "expected an index description")
    names = d.dec(v.get("names", [None]), (*p, "names"))
    if type(names) is not list:
        raise d.fail((*p, "names"), "expected a list of names")
    if "range" in v:
        r = v["range"]
        if type(r) is not list or len(r) != 3 or any(type(x) is not int for x in r):
            raise d.fail((*p, "range"), "expected [start, stop, step]")
        return pd.RangeIndex(r[0], r[1], r[2], name=names[0] if names else None)
    levels = v.get("levels")
    if type(levels) is not list or not levels or len(levels) != len(names):
        raise d.fail((*p, "levels"), "expected one level per name")
    arrays = [_pd_values_dec(d, lv, (*p, "levels", i)) for i, lv in enumerate(levels)]
    if len(arrays) == 1:
        return pd.Index(arrays[0], name=names[0], tupleize_cols=False)
    return pd.MultiIndex.from_arrays(arrays, names=names)


def _dec_pdscalar(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    pd = _pandas(d, p)
    if v == "NaT":
        return pd.NaT
    if v == "NA":
        return pd.NA
    if v not in ("Timestamp", "Timedelta"):
        raise d.fail(p, f"unknown pandas scalar {v!r}")
    value = d.dec(node.get("value"), (*p[:-1], "value"))
    unit = node.get("unit", "ns")
    zone = node.get("tz")
    try:
        if v == "Timestamp":
            if type(value) is not str:
                raise d.fail((*p[:-1], "value"), "expected an ISO 8601 string")
            stamp = pd.Timestamp(value).as_unit(unit)
            return stamp.tz_convert(zone) if zone is not None else stamp
        if type(value) is not int:
            raise d.fail((*p[:-1], "value"), "expected nanoseconds as an integer")
        return pd.Timedelta(value, unit="ns").as_unit(unit)
    except CodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for bad input
        raise d.fail(p, f"cannot rebuild pandas {v}: {exc}") from exc


def _dec_series(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    pd = _pandas(d, p)
    if type(v) is not dict:
        raise d.fail(p, "expected a series description")
    index = _pd_index_dec(d, v.get("index"), (*p, "index"))
    values = _pd_values_dec(d, v, p)
    name = d.dec(v.get("name"), (*p, "name"))
    if len(values) != len(index):
        raise d.fail(p, "values and index differ in length")
    return pd.Series(values, index=index, name=name, copy=False)


def _dec_dataframe(d: _Decoder, v: Any, node: dict[str, Any], p: _Path, n: int | None) -> Any:
    pd = _pandas(d, p)
    if type(v) is not dict or type(v.get("data")) is not list:
        raise d.fail(p, "expected a dataframe description with data")
    index = _pd_index_dec(d, v.get("index"), (*p, "index"))
    columns = _pd_index_dec(d, v.get("columns"), (*p, "columns"))
    data = v["data"]
    if len(data) != len(columns):
        raise d.fail((*p, "data"), "one entry per column expected")
    arrays = [_pd_values_dec(d, col, (*p, "data", i)) for i, col in enumerate(data)]
    for i, arr in enumerate(arrays):
        if len(arr) != len(index):
            raise d.fail((*p, "data", i), "column length differs from the index")
    frame = pd.DataFrame(
        {i: pd.Series(arr, index=index, copy=False) for i, arr in enumerate(arrays)},
        index=index,
    )
    frame.columns = columns
    return frame


_DECODERS: dict[str, _Handler] = {
    "$int": _dec_int,
    "$float": _dec_float,
    "$complex": _dec_complex,
    "$bytes": lambda d, v, node, p, n: _b64(d, v, p),
    "$bytearray": _dec_bytearray,
    "$tuple": _dec_tuple,
    "$list": _dec_list,
    "$dict": _dec_dict,
    "$set": _dec_set,
    "$frozenset": _dec_frozenset,
    "$datetime": _dec_datetime,
    "$date": _dec_date,
    "$time": _dec_datetime,
    "$timedelta": _dec_timedelta,
    "$decimal": _from_text(decimal.Decimal, "decimal"),
    "$fraction": _from_text(fractions.Fraction, "fraction"),
    "$uuid": _from_text(uuid.UUID, "UUID"),
    "$path": _dec_path,
    "$enum": _dec_enum,
    "$namedtuple": _dec_namedtuple,
    "$object": _dec_object,
    "$class": _dec_class,
    "$function": _dec_function,
    "$npscalar": _dec_npscalar,
    "$ndarray": _dec_ndarray,
    "$series": _dec_series,
    "$pdscalar": _dec_pdscalar,
    "$dataframe": _dec_dataframe,
    "$ref": _dec_ref,
    "$custom": _dec_custom,
    "$unencodable": _dec_unencodable,
}


def decode(
    tree: Tree,
    *,
    blobs: Mapping[str, bytes] | Callable[[str], bytes] | None = None,
    policy: ClassPolicy | None = None,
    root: str = "",
) -> Any:
    """Rebuild the value an :func:`encode` tree stands for.

    Objects are created without calling ``__init__`` and only from modules ``policy``
    allows (no policy: none). Any malformed tree raises :class:`CodecError` naming the
    JSON path of the fault, prefixed by ``root`` (for example ``"inputs.args[0]"``).
    """
    decoder = _Decoder(blobs, policy or _DENY_ALL, root)
    decoder.tree = tree
    try:
        return decoder.dec(tree, ())
    except RecursionError:
        raise CodecError(f"{root or '(root)'}: tree is nested too deeply to decode") from None
