"""The numpy family: ``$ndarray`` and ``$npscalar``, inline or in ``.npy`` blobs.

Small arrays are inlined so a reviewer reads them; larger ones go to content-addressed
``.npy`` blobs (C order always, so equal arrays give equal bytes and equal names).
Conversion is vectorised: a million floats never pass through a Python loop. Every
dtype round-trips, structured ones included (their dtype is written as numpy's own
``descr``). A blob is parsed by hand, never by ``np.load``: its header must match the
tree, and its size the header, before a byte is allocated, and object arrays (which
would need pickle) are refused.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import math
import struct
import sys
import typing
from collections.abc import Mapping
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.store.codec.builtin_tags import b64_value, float_tree, float_value, int_tree
from legacy_harness.store.codec.decoder import Decoder
from legacy_harness.store.codec.encoder import Encoder
from legacy_harness.store.codec.limits import Limits
from legacy_harness.store.codec.registry import (
    Encode,
    JsonPath,
    Tag,
    TagFamily,
    Tree,
    register_family,
)
from legacy_harness.store.codec.walk import format_path, walk

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

__all__ = ["FAMILY", "array_node", "check_sizes", "dtype_tree"]

_NPY_MAGIC = b"\x93NUMPY"
#: Largest .npy header parsed (numpy's own default is 10000 characters).
_MAX_HEADER = 100_000
_INLINE_KINDS = "biufcMmUSV"
_SCALAR_KINDS: dict[str, tuple[type, ...]] = {
    "b": (bool,),
    "i": (int,),
    "u": (int,),
    "f": (float,),
    "c": (complex,),
    "M": (int,),
    "m": (int,),
    "U": (str,),
    "S": (bytes,),
    "V": (bytes,),
}


# ----------------------------------------------------------------------- dtypes


def _listed(descr: Any) -> Any:
    """numpy's descr with tuples as lists, so the tree is plain JSON."""
    if isinstance(descr, (list, tuple)):
        return [_listed(x) for x in descr]
    return descr


def dtype_tree(dtype: np.dtype[Any]) -> Tree:
    """The dtype as written in a tree: ``dtype.str``, or numpy's descr list if structured."""
    if dtype.names is None:
        return dtype.str
    return _listed(np.lib.format.dtype_to_descr(dtype))


def _descr(tree: Any) -> Any:
    """A descr read from JSON back into numpy's tuples (field names, shapes)."""
    if type(tree) is str:
        return tree
    if type(tree) is not list:
        raise ValueError("a dtype is a string or a list of fields")
    fields: list[tuple[Any, ...]] = []
    for field in tree:
        if type(field) is not list or len(field) not in (2, 3):
            raise ValueError("each field is [name, dtype] or [name, dtype, shape]")
        name = tuple(field[0]) if type(field[0]) is list else field[0]
        if len(field) == 2:
            fields.append((name, _descr(field[1])))
        else:
            fields.append((name, _descr(field[1]), tuple(field[2])))
    return fields


def _parse_dtype(tree: Any) -> np.dtype[Any]:
    if type(tree) is str:
        return np.dtype(tree)
    return np.lib.format.descr_to_dtype(_descr(tree))


def _dtype(d: Decoder, tree: Any, p: JsonPath) -> np.dtype[Any]:
    if type(tree) is not str and type(tree) is not list:
        raise d.fail(p, "expected a dtype string or a list of fields")
    try:
        return _parse_dtype(tree)
    except Exception as exc:  # noqa: BLE001 - numpy raises many types for bad dtypes
        raise d.fail(p, f"unknown dtype {str(tree)[:80]!r}") from exc


def _shape(d: Decoder, shape: Any, p: JsonPath) -> tuple[int, ...]:
    if type(shape) is not list or any(type(x) is not int or x < 0 for x in shape):
        raise d.fail(p, "expected a list of non-negative integers")
    if len(shape) > 64:
        raise d.fail(p, f"{len(shape)} dimensions; numpy arrays have at most 64")
    return tuple(shape)


# ----------------------------------------------------------------------- encoding


def _enc_npscalar(enc: Encoder, obj: np.generic) -> Tree:
    dtype = obj.dtype
    kind = dtype.kind
    value: Tree
    if kind in "Mm":
        name: Tree = dtype.name
        value = int_tree(int(obj.astype(np.int64)))
    elif kind in "US":
        name = dtype.str
        value = enc.enc(obj.item())
    elif kind == "V" and not dtype.hasobject:
        name = dtype_tree(dtype)
        value = enc.enc(obj.tobytes())
    elif kind in "biufc":
        name = dtype.name
        if kind == "f" and dtype.itemsize > 8:
            value = str(obj)
        elif kind == "c" and dtype.itemsize > 16:
            value = [str(obj.real), str(obj.imag)]  # type: ignore[attr-defined]
        else:
            value = enc.enc(obj.item())
    else:
        return enc.unencodable(obj, f"numpy scalars of dtype {dtype} are not supported")
    return {"$npscalar": name, "value": value}


def _enc_ndarray(enc: Encoder, arr: np.ndarray) -> Tree:
    ref, entry = enc.track(arr)
    if entry is None:
        return ref
    node = array_node(enc, arr)
    entry[1] = node
    return node


def _has_surrogates(flat: np.ndarray) -> bool:
    codes = np.ascontiguousarray(flat).view(np.dtype("u4").newbyteorder(flat.dtype.byteorder))
    return bool(((codes >= 0xD800) & (codes <= 0xDFFF)).any())


def array_node(enc: Encoder, arr: np.ndarray) -> Tree:
    """``{"$ndarray": ...}`` for ``arr``, inline or as a blob (no identity tracking)."""
    dtype = arr.dtype
    kind = dtype.kind
    head: dict[str, Any] = {"dtype": dtype_tree(dtype), "shape": list(arr.shape)}
    if kind == "O":
        head["data"] = [enc.enc(x) for x in arr.ravel().tolist()]
        return {"$ndarray": head}
    if dtype.hasobject or kind not in _INLINE_KINDS:
        return enc.unencodable(arr, f"arrays of dtype {dtype} (object fields) are not supported")
    if enc.blobs is not None and (arr.size > enc.inline_limit or kind == "V"):
        return _blob_node(enc.blobs, arr, head)
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
                    data[i] = float_tree(data[i])
    elif kind == "c":
        parts = np.stack((flat.real, flat.imag), axis=-1)
        if dtype.itemsize > 16:
            data = [[str(a), str(b)] for a, b in parts]
        else:
            data = parts.tolist()
            bad = ~np.isfinite(parts)
            if bad.any():
                for i, j in zip(*(ix.tolist() for ix in np.nonzero(bad)), strict=True):
                    data[i][j] = float_tree(data[i][j])
    elif kind in "Mm":
        data = flat.astype(np.int64).tolist()
    elif kind == "U":
        data = flat.tolist()
        if flat.size and _has_surrogates(flat):
            data = [enc.enc(x) for x in data]
    elif kind == "S":
        data = [base64.b64encode(x).decode("ascii") for x in flat.tolist()]
    else:  # "V": each element's raw bytes (structured arrays without a blob store)
        raw = np.ascontiguousarray(flat).view(f"S{dtype.itemsize}") if dtype.itemsize else flat
        data = [base64.b64encode(bytes(x)).decode("ascii") for x in raw.tolist()]
    head["data"] = data
    return {"$ndarray": head}


def _blob_node(blobs: dict[str, bytes], arr: np.ndarray, head: dict[str, Any]) -> Tree:
    buf = io.BytesIO()
    # C order always, so equal arrays get equal bytes (and equal blob names); not
    # ascontiguousarray, which turns a 0-d array into a 1-d one.
    np.save(buf, arr if arr.flags.c_contiguous else arr.copy(order="C"), allow_pickle=False)
    payload = buf.getvalue()
    name = hashlib.sha256(payload).hexdigest()[:32] + ".npy"
    blobs[name] = payload
    head["blob"] = name
    return {"$ndarray": head}


def _numpy_types() -> Mapping[type, Encode]:
    """Exact types once numpy is loaded (by the program, or by decoding)."""
    types: dict[type, Encode] = {np.ndarray: _enc_ndarray}
    for scalar in set(np.sctypeDict.values()):
        if issubclass(scalar, np.generic) and scalar not in (np.void, np.object_):
            types[scalar] = _enc_npscalar
    return types


def _recognise(enc: Encoder, obj: Any) -> Tree | None:
    """numpy values of no exact type: void (structured) scalars, array subclasses."""
    if "numpy" not in sys.modules:
        return None
    if isinstance(obj, np.generic):
        return _enc_npscalar(enc, obj)
    if isinstance(obj, np.ndarray):
        return enc.unencodable(obj, "numpy array subclasses are not supported")
    return None


# ----------------------------------------------------------------------- decoding


def _dec_npscalar(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    dtype = _dtype(d, v, p)
    d.charge(dtype.itemsize, p, f"a numpy scalar of dtype {str(v)[:60]}")
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
    if kind == "c" and dtype.itemsize > 16 and type(raw) is list:
        if len(raw) != 2 or any(type(x) is not str for x in raw):
            raise d.fail(vp, "expected [real, imag] strings")
        try:
            parts = [np.array(x, dtype=f"f{dtype.itemsize // 2}")[()] for x in raw]
        except ValueError as exc:
            raise d.fail(vp, f"{raw!r} does not fit {v}") from exc
        return (np.array(parts[0], dtype=dtype) + parts[1] * 1j).astype(dtype)[()]
    value: Any = d.dec(raw, vp)
    types_ok = _SCALAR_KINDS.get(kind)
    if types_ok is None or dtype.hasobject:
        raise d.fail(p, f"dtype {v} is not a numpy scalar type the codec supports")
    if type(value) not in types_ok:
        raise d.fail(vp, f"expected a {types_ok[0].__name__} for a {v} scalar")
    try:
        if kind == "V":
            if len(value) != dtype.itemsize:
                raise d.fail(vp, f"expected {dtype.itemsize} bytes for a {v} scalar")
            return np.frombuffer(value, dtype=dtype).copy()[0]
        if kind in "Mm":
            return np.array(value, dtype=np.int64).astype(dtype)[()]
        return np.array(value, dtype=dtype)[()]
    except (OverflowError, ValueError) as exc:
        raise d.fail(vp, f"{value!r} does not fit {v}") from exc


def _dec_ndarray(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    if type(v) is not dict:
        raise d.fail(p, "expected an object with dtype, shape and data or blob")
    extra = set(v) - {"dtype", "shape", "data", "blob"}
    if extra:
        raise d.fail(p, f"unexpected key {sorted(extra)[0]!r}")
    dtype = _dtype(d, v.get("dtype"), (*p, "dtype"))
    shape = _shape(d, v.get("shape"), (*p, "shape"))
    size = math.prod(shape)
    d.charge(size * dtype.itemsize, p, f"an array of {dtype} {list(shape)}")
    if ("data" in v) == ("blob" in v):
        raise d.fail(p, "expected exactly one of 'data' and 'blob'")
    if "blob" in v:
        bp = (*p, "blob")
        arr = _read_npy(d, d.blob(v["blob"], bp), dtype, shape, bp)
        d.remember(n, arr)
        return arr
    dp = (*p, "data")
    data = v["data"]
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
    if dtype.hasobject or kind not in _INLINE_KINDS:
        raise d.fail((*p, "dtype"), f"dtype {dtype} cannot be stored inline")
    try:
        arr = _inline_array(d, data, dtype, size, dp).reshape(shape)
    except (OverflowError, ValueError, TypeError) as exc:
        raise d.fail(dp, f"values do not fit dtype {dtype}: {exc}") from exc
    d.remember(n, arr)
    return arr


def _inline_array(
    d: Decoder, data: list[Any], dtype: np.dtype[Any], size: int, p: JsonPath
) -> np.ndarray:
    kind = dtype.kind
    if kind == "b":
        ok: tuple[type, ...] = (bool,)
    elif kind in "iuMm":
        ok = (int,)
    elif kind == "U":
        data = [x if type(x) is str else d.dec(x, (*p, i)) for i, x in enumerate(data)]
        ok = (str,)
    elif kind == "S":
        return np.array([b64_value(d, x, (*p, i)) for i, x in enumerate(data)], dtype=dtype)
    elif kind == "V":
        if dtype.itemsize == 0:
            return np.zeros(size, dtype=dtype)
        raw = [b64_value(d, x, (*p, i)) for i, x in enumerate(data)]
        for i, item in enumerate(raw):
            if len(item) > dtype.itemsize:
                raise d.fail((*p, i), f"{len(item)} bytes do not fit dtype {dtype}")
        return np.array(raw, dtype=f"S{dtype.itemsize}").reshape(size).view(dtype)
    elif kind == "f":
        if dtype.itemsize > 8:
            ok = (str, float, int)
        else:
            values = [
                x if type(x) is float else float_value(d, x, (*p, i)) for i, x in enumerate(data)
            ]
            return np.array(values, dtype=dtype).reshape(size)
    else:  # complex: [re, im] pairs
        pairs: list[Any] = []
        for i, pair in enumerate(data):
            if type(pair) is not list or len(pair) != 2:
                raise d.fail((*p, i), "expected [real, imag]")
            if dtype.itemsize > 16 and all(type(x) is str for x in pair):
                pairs.append(pair)
            else:
                pairs.append([float_value(d, x, (*p, i, j)) for j, x in enumerate(pair)])
        parts = np.array(pairs, dtype=f"f{dtype.itemsize // 2}").reshape(size, 2)
        arr = np.empty(size, dtype=dtype)
        arr.real = parts[:, 0]  # element-wise, so signed zeros and nan parts survive
        arr.imag = parts[:, 1]
        return arr
    for i, x in enumerate(data):
        if type(x) not in ok:
            raise d.fail((*p, i), f"expected {ok[0].__name__} for dtype {dtype}")
    if kind in "Mm":
        return np.array(data, dtype=np.int64).reshape(size).astype(dtype)
    return np.array(data, dtype=dtype).reshape(size)


def _npy_header(payload: bytes) -> tuple[int, dict[str, Any]]:
    """(offset of the data, header dict) of a .npy payload; ValueError if it is not one."""
    if payload[:6] != _NPY_MAGIC or len(payload) < 10:
        raise ValueError("it does not start with the .npy magic (a .npz, pickle or other file)")
    major = payload[6]
    if major == 1:
        (length,) = struct.unpack("<H", payload[8:10])
        start = 10
    elif major in (2, 3) and len(payload) >= 12:
        (length,) = struct.unpack("<I", payload[8:12])
        start = 12
    else:
        raise ValueError(f".npy format version {major} is not one numpy writes")
    if length > _MAX_HEADER or start + length > len(payload):
        raise ValueError("its header is truncated or too long")
    text = payload[start : start + length].decode("latin1" if major < 3 else "utf8")
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError) as exc:
        raise ValueError(f"its header is not a literal ({type(exc).__name__})") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError("its header lacks descr, fortran_order or shape")
    return start + length, header


def _read_npy(
    d: Decoder, payload: bytes, dtype: np.dtype[Any], shape: tuple[int, ...], p: JsonPath
) -> np.ndarray:
    """The array of a blob whose tree says ``dtype`` and ``shape`` (already bounded)."""
    try:
        offset, header = _npy_header(payload)
        held = np.lib.format.descr_to_dtype(header["descr"])
        held_shape = header["shape"]
        if not isinstance(held_shape, tuple) or not all(
            type(x) is int and x >= 0 for x in held_shape
        ):
            raise ValueError("its header shape is not a tuple of sizes")
        if held.hasobject:
            raise ValueError("object arrays need pickle and are never loaded")
    except Exception as exc:  # noqa: BLE001 - any parse failure means a corrupt blob
        raise d.fail(p, f"blob is not a valid .npy file: {exc}") from None
    if held != dtype or held_shape != shape:
        raise d.fail(p, f"blob holds {held} {held_shape}, tree says {dtype} {shape}")
    size = math.prod(shape)
    if len(payload) - offset != size * dtype.itemsize:
        raise d.fail(
            p,
            f"blob holds {len(payload) - offset} bytes of data, its header declares"
            f" {size * dtype.itemsize}; restore it from version control",
        )
    if size == 0 or dtype.itemsize == 0:
        return np.zeros(shape, dtype=dtype)
    flat = np.frombuffer(payload, dtype=dtype, count=size, offset=offset)
    if header["fortran_order"]:
        return flat.reshape(shape[::-1]).T.copy()
    return flat.reshape(shape).copy()


# ------------------------------------------------------------- bounds of a whole case


def _declared_bytes(tag: str, node: dict[str, Any]) -> tuple[int, str] | None:
    """Bytes a $ndarray or $npscalar node declares, if its dtype and shape parse."""
    if tag == "$npscalar":
        tree = node[tag]
        shape: Any = []
    else:
        head = node[tag]
        if type(head) is not dict:
            return None
        tree, shape = head.get("dtype"), head.get("shape")
        if type(shape) is not list or any(type(x) is not int or x < 0 for x in shape):
            return None
    if type(tree) is not str and type(tree) is not list:
        return None
    try:
        dtype = _parse_dtype(tree)
    except Exception:  # noqa: BLE001 - the decoder reports a bad dtype with its path
        return None
    what = "a numpy scalar" if tag == "$npscalar" else f"an array of {dtype} {shape}"
    return math.prod(shape) * dtype.itemsize, what


def check_sizes(tree: Tree, limits: Limits, root: str = "", spent: int = 0) -> int:
    """Refuse a tree whose arrays declare more than ``limits`` allow; returns the total.

    Runs over the whole tree before any decoding, so one case's bound covers all its
    parts (inputs, outcome, effects) and an array repeated by reference counts as
    many times as it is written.
    """
    for visit in walk(tree):
        if visit.tag not in ("$ndarray", "$npscalar"):
            continue
        declared = _declared_bytes(visit.tag, visit.node)
        if declared is None:
            continue
        nbytes, what = declared
        if nbytes > limits.max_array_bytes:
            where = format_path(root, (*visit.path, visit.tag))
            raise CodecError(
                f"{where}: {what} declares {nbytes} bytes, beyond max_array_bytes ="
                f" {limits.max_array_bytes}; {limits.hint('max_array_bytes')}"
            )
        spent += nbytes
        if spent > limits.max_case_bytes:
            where = format_path(root, (*visit.path, visit.tag))
            raise CodecError(
                f"{where}: the case declares {spent} bytes so far, beyond max_case_bytes ="
                f" {limits.max_case_bytes}; {limits.hint('max_case_bytes')}"
            )
    return spent


FAMILY = TagFamily(
    "numpy",
    tags={
        "$npscalar": Tag(_dec_npscalar, frozenset({"value"})),
        "$ndarray": Tag(_dec_ndarray),
    },
    fallback=_recognise,
    order=20,
    lazy_types=("numpy", _numpy_types),
)

register_family(FAMILY)
