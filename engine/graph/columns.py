"""Event columns as numpy arrays, and the append-only id maps the graph indexes nodes with."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def event_seconds(col: pd.Series) -> np.ndarray:
    """A timestamp column (datetime, tz-aware or naive as UTC, or unix seconds) as float64 seconds."""
    if pd.api.types.is_datetime64_any_dtype(col):
        ticks = col.array.asi8  # epoch ticks in the column's unit, [n] int64
        dtype = col.dtype
        unit = (
            dtype.unit if isinstance(dtype, pd.DatetimeTZDtype) else np.datetime_data(np.dtype(str(dtype)))[0]
        )
        return ticks.astype(np.float64) / _PER_SECOND[unit]
    return pd.to_numeric(col).to_numpy(dtype=np.float64)


class IdMap:
    """An append-only str id <-> dense index map, with the ids also as a numpy object array."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.array = np.empty(0, dtype=object)
        self.size = 0

    def add(self, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Indices of ``ids`` (distinct), assigning new ones in order; also returns the new ids."""
        get = self.index.get
        out = np.fromiter((get(v, -1) for v in ids.tolist()), np.int64, len(ids))
        fresh = [str(v) for v in np.asarray(ids)[out < 0].tolist()]
        if fresh:
            start = self.size
            self.index.update(zip(fresh, range(start, start + len(fresh)), strict=True))
            if self.size + len(fresh) > len(self.array):
                grown = np.empty(max(self.size + len(fresh), 2 * len(self.array), 64), dtype=object)
                grown[: self.size] = self.array[: self.size]
                self.array = grown
            self.array[start : start + len(fresh)] = fresh
            self.size += len(fresh)
            out[out < 0] = np.arange(start, start + len(fresh))
        return out, fresh

    def ids(self) -> np.ndarray:
        return self.array[: self.size]


def grow_rows(arr: np.ndarray, rows: int, fill: Any) -> np.ndarray:
    """``arr`` with at least ``rows`` rows (doubling), new rows set to ``fill``."""
    if rows <= len(arr):
        return arr
    grown = np.full((max(rows, 2 * len(arr), 64), *arr.shape[1:]), fill, dtype=arr.dtype)
    grown[: len(arr)] = arr
    return grown


def column_values(frame: pd.DataFrame, name: str) -> np.ndarray | None:
    """A column as a numpy object array of str with None for missing values (None when there is no
    column); ids given as numbers become their str form, as everywhere in the engine."""
    if name not in frame.columns:
        return None
    col = frame[name]
    if not (pd.api.types.is_string_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype)):
        col = col.astype("str")
    return col.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]


# Below this many values a dict beats pandas' hashing (whose fixed cost dominates one-event slices).
_SMALL = 64


def factorize(values: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Codes ([n] int64, -1 for missing) and distinct values in order of first appearance (object)."""
    if values is None:
        raise ValueError("events need user_id and item_id columns")
    if len(values) <= _SMALL:
        seen: dict[Any, int] = {}
        codes = np.fromiter(
            (-1 if v is None else seen.setdefault(v, len(seen)) for v in values.tolist()),
            np.int64,
            len(values),
        )
        return codes, np.array(list(seen), dtype=object).reshape(-1)
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def last_per_code(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each code, its last value that is not missing (None, or -1 for codes), in row order."""
    present = (
        np.array([v is not None for v in values.tolist()], dtype=bool)
        if values.dtype == object
        else values >= 0
    )
    if not present.any():
        return np.empty(0, dtype=np.int64), values[:0]
    c = codes[present]
    v = values[present]
    rev_first = np.unique(c[::-1], return_index=True)[1]
    last = len(c) - 1 - rev_first
    return c[last], v[last]
