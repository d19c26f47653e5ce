"""The pandas family: ``$series``, ``$dataframe`` and ``$pdscalar``.

Values go through the numpy family's arrays (so big columns land in blobs), with
pandas' own dtype string beside them: categoricals keep categories and order,
time-zone-aware columns are stored in UTC with their zone, extension dtypes keep
missing values as ``None``. pandas is only used if the program imported it.
"""

from __future__ import annotations

import sys
from typing import Any

from legacy_harness.errors import CodecError
from legacy_harness.store.codec.builtin_tags import int_tree
from legacy_harness.store.codec.decoder import Decoder
from legacy_harness.store.codec.encoder import Encoder
from legacy_harness.store.codec.numpy_tags import array_node
from legacy_harness.store.codec.registry import JsonPath, Tag, TagFamily, Tree, register_family

__all__ = ["FAMILY"]


# ----------------------------------------------------------------------- encoding


def _recognise(enc: Encoder, obj: Any) -> Tree | None:
    pd = sys.modules.get("pandas")  # pandas values exist only if pandas is imported
    if pd is None or not hasattr(pd, "DataFrame"):
        return None
    try:
        return _enc_pandas(enc, obj, pd)
    except Exception as exc:  # noqa: BLE001 - unusual pandas data; report it
        return enc.unencodable(obj, f"pandas conversion failed: {exc!r}")


def _enc_pandas(enc: Encoder, obj: Any, pd: Any) -> Tree | None:
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
        return {"$pdscalar": "Timedelta", "value": int_tree(obj.value), "unit": obj.unit}
    if type(obj) is pd.Series:
        return {"$series": _series(enc, obj)}
    if type(obj) is pd.DataFrame:
        columns = [_values(enc, obj.iloc[:, i]) for i in range(obj.shape[1])]
        return {
            "$dataframe": {
                "index": _index(enc, obj.index),
                "columns": _index(enc, obj.columns),
                "data": columns,
            }
        }
    return None


def _values(enc: Encoder, values: Any) -> dict[str, Any]:
    """dtype and values of a Series or Index, the values through the ndarray path."""
    import numpy as np
    import pandas as pd

    dtype = values.dtype
    out: dict[str, Any] = {"dtype": str(dtype)}
    if isinstance(dtype, np.dtype):
        out["values"] = array_node(enc, np.asarray(values.to_numpy()))
    elif isinstance(dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        out["categories"] = _index(enc, cat.categories)
        out["ordered"] = bool(cat.ordered)
        out["values"] = array_node(enc, np.asarray(cat.codes))
    elif isinstance(dtype, pd.DatetimeTZDtype):
        utc = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)
        out["values"] = array_node(enc, utc.to_numpy())
    else:  # other extension dtypes: elements as Python objects, missing as None
        objects = np.asarray(values.astype(object)).tolist()
        missing = np.asarray(pd.isna(values)).tolist()
        plain = np.empty(len(objects), dtype=object)
        for i, (x, m) in enumerate(zip(objects, missing, strict=True)):
            plain[i] = None if m else x
        out["values"] = array_node(enc, plain)
    return out


def _index(enc: Encoder, index: Any) -> Tree:
    import pandas as pd

    names = enc.enc(list(index.names))
    if type(index) is pd.RangeIndex:
        return {"range": [index.start, index.stop, index.step], "names": names}
    if isinstance(index, pd.MultiIndex):
        levels = [_values(enc, index.get_level_values(i)) for i in range(index.nlevels)]
        return {"levels": levels, "names": names}
    return {"levels": [_values(enc, index)], "names": names}


def _series(enc: Encoder, series: Any) -> dict[str, Any]:
    out = _values(enc, series)
    out["name"] = enc.enc(series.name)
    out["index"] = _index(enc, series.index)
    return out


# ----------------------------------------------------------------------- decoding


def _pandas(d: Decoder, p: JsonPath) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise d.fail(p, "decoding pandas values needs pandas; pip install pandas") from None
    return pd


def _values_dec(d: Decoder, v: Any, p: JsonPath) -> Any:
    import numpy as np

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
            categories = _index_dec(d, v.get("categories"), (*p, "categories"))
            return pd.Categorical.from_codes(values, categories, ordered=v.get("ordered"))
        if isinstance(dtype, pd.DatetimeTZDtype):
            return pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(dtype.tz).array
        plain = [pd.NA if x is None else x for x in values.tolist()]
        return pd.array(plain, dtype=dtype)
    except CodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for bad input
        raise d.fail(p, f"cannot rebuild pandas values of dtype {dtype_text}: {exc}") from exc


def _index_dec(d: Decoder, v: Any, p: JsonPath) -> Any:
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
        try:
            return pd.RangeIndex(r[0], r[1], r[2], name=names[0] if names else None)
        except (ValueError, TypeError) as exc:
            raise d.fail((*p, "range"), f"not a range: {exc}") from exc
    levels = v.get("levels")
    if type(levels) is not list or not levels or len(levels) != len(names):
        raise d.fail((*p, "levels"), "expected one level per name")
    arrays = [_values_dec(d, lv, (*p, "levels", i)) for i, lv in enumerate(levels)]
    if len(arrays) == 1:
        return pd.Index(arrays[0], name=names[0], tupleize_cols=False)
    return pd.MultiIndex.from_arrays(arrays, names=names)


def _dec_pdscalar(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
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


def _dec_series(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    pd = _pandas(d, p)
    if type(v) is not dict:
        raise d.fail(p, "expected a series description")
    index = _index_dec(d, v.get("index"), (*p, "index"))
    values = _values_dec(d, v, p)
    name = d.dec(v.get("name"), (*p, "name"))
    if len(values) != len(index):
        raise d.fail(p, "values and index differ in length")
    return pd.Series(values, index=index, name=name, copy=False)


def _dec_dataframe(d: Decoder, v: Any, node: dict[str, Any], p: JsonPath, n: int | None) -> Any:
    pd = _pandas(d, p)
    if type(v) is not dict or type(v.get("data")) is not list:
        raise d.fail(p, "expected a dataframe description with data")
    index = _index_dec(d, v.get("index"), (*p, "index"))
    columns = _index_dec(d, v.get("columns"), (*p, "columns"))
    data = v["data"]
    if len(data) != len(columns):
        raise d.fail((*p, "data"), "one entry per column expected")
    arrays = [_values_dec(d, col, (*p, "data", i)) for i, col in enumerate(data)]
    for i, arr in enumerate(arrays):
        if len(arr) != len(index):
            raise d.fail((*p, "data", i), "column length differs from the index")
    frame = pd.DataFrame(
        {i: pd.Series(arr, index=index, copy=False) for i, arr in enumerate(arrays)},
        index=index,
    )
    frame.columns = columns
    return frame


FAMILY = TagFamily(
    "pandas",
    tags={
        "$series": Tag(_dec_series),
        "$pdscalar": Tag(_dec_pdscalar, frozenset({"value", "unit", "tz"})),
        "$dataframe": Tag(_dec_dataframe),
    },
    fallback=_recognise,
    order=40,
)

register_family(FAMILY)
