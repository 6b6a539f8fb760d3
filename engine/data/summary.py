"""Summaries of a large events Parquet file, read in record batches with pyarrow (never one pandas frame).

For files in the layout ``engine generate`` writes (``user_id``, ``item_id``, ``timestamp`` as unix
seconds or a timestamp type, ``event_type``, ``category``): counts, time span, events per day and type,
top categories with their users and items, and events per user.

Each batch's text columns are turned into integer codes of growing dictionaries (one hash pass per
column: ``pyarrow.compute.index_in``); everything after that is integer work in numpy: counts by
``bincount`` and distinct (category, user) and (category, item) pairs as sorted int64 keys merged batch
by batch. Memory follows the number of users, items, categories and pairs, not of events. Nothing is
validated here: this is a first look at a file too big to load, not the loader's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.data.errors import DataError

COLUMNS = ("user_id", "item_id", "timestamp", "event_type", "category")
BATCH_ROWS = 1_000_000  # events per record batch: ~100 MB of Arrow data at a time
DAY_S = 86_400
PAIR_SHIFT = np.int64(1) << 32  # pair key = category code * 2^32 + user (or item) code


@dataclass(frozen=True)
class FileSummary:
    """``summary``: users, items, categories, events, event_types, start, end, days, source;
    ``daily``: day, event_type, events; ``top_categories``: category, events, users, items;
    ``events_per_user``: events per user id."""

    summary: dict[str, Any]
    daily: pd.DataFrame
    top_categories: pd.DataFrame
    events_per_user: pd.Series


@dataclass
class _Codes:
    """A dictionary that grows batch by batch: text value -> int code (first seen, first numbered)."""

    values: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))

    def encode(self, column: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """Codes [n] of ``column`` (-1 for nulls), adding values not seen before."""
        column = column.cast(pa.string())
        fresh = pc.unique(column)
        fresh = fresh.filter(pc.and_(pc.invert(pc.is_in(fresh, value_set=self.values)), pc.is_valid(fresh)))
        if len(fresh):
            self.values = pa.concat_arrays([self.values, fresh])
        codes = pc.index_in(column, value_set=self.values)
        return np.asarray(codes.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.values)

    def names(self) -> np.ndarray:
        return np.asarray(self.values.to_pylist(), dtype=object)


def _grow(counts: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """``counts`` extended to ``size`` and increased by the occurrences of ``codes`` (>= 0)."""
    out = np.zeros(size, dtype=np.int64)
    out[: len(counts)] = counts
    return out + np.bincount(codes[codes >= 0], minlength=size)


def parquet_rows(source: str | Path | bytes) -> int:
    """Rows of a Parquet file (a path or its bytes) from its footer, without reading the data;
    DataError when it is not Parquet."""
    try:
        return int(_open(source).metadata.num_rows)
    except (OSError, pa.ArrowInvalid) as err:
        name = "the upload" if isinstance(source, bytes) else str(source)
        raise DataError(f"cannot read as Parquet: {err}", path=name) from None


def _open(source: str | Path | bytes) -> pq.ParquetFile:
    return pq.ParquetFile(pa.BufferReader(source) if isinstance(source, bytes) else source)


def parquet_summary(
    source: str | Path | bytes, top: int = 15, batch_rows: int = BATCH_ROWS, name: str | None = None
) -> FileSummary:
    """The summary of a Parquet file given by its path or its bytes (an upload; ``name`` then names it)."""
    path = Path(name) if name is not None else Path("<upload>") if isinstance(source, bytes) else Path(source)
    try:
        parquet = _open(source)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"cannot read as Parquet: {err}", path=str(path)) from None
    missing = [c for c in COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise DataError(f"a summary needs columns {list(COLUMNS)}; missing {missing}", path=str(path))
    users, items, types, cats = _Codes(), _Codes(), _Codes(), _Codes()
    per_user = per_cat = np.zeros(0, dtype=np.int64)
    cat_users = cat_items = np.zeros(0, dtype=np.int64)  # sorted distinct pair keys
    daily: dict[tuple[int, int], int] = {}
    events, lo, hi = 0, None, None
    for raw in parquet.iter_batches(batch_size=batch_rows, columns=list(COLUMNS)):
        batch = raw.filter(pc.is_valid(raw.column("timestamp")))  # an event without a time is not counted
        seconds = _seconds(batch.column("timestamp"))
        if len(seconds) == 0:
            continue
        lo = int(seconds.min()) if lo is None else min(lo, int(seconds.min()))
        hi = int(seconds.max()) if hi is None else max(hi, int(seconds.max()))
        events += len(seconds)
        user = users.encode(batch.column("user_id"))  # [n]
        item = items.encode(batch.column("item_id"))
        kind = types.encode(batch.column("event_type"))
        cat = cats.encode(batch.column("category"))
        per_user = _grow(per_user, user, len(users))
        per_cat = _grow(per_cat, cat, len(cats))
        day = seconds // DAY_S
        first_day, n_types = int(day.min()), max(len(types), 1)
        counts = np.bincount((day - first_day) * n_types + kind)  # [days x types] of this batch
        for key in np.flatnonzero(counts).tolist():
            slot = (first_day + key // n_types, key % n_types)
            daily[slot] = daily.get(slot, 0) + int(counts[key])
        known = cat >= 0
        cat_users = _distinct(np.concatenate([cat_users, cat[known] * PAIR_SHIFT + user[known]]))
        cat_items = _distinct(np.concatenate([cat_items, cat[known] * PAIR_SHIFT + item[known]]))
    if events == 0 or lo is None or hi is None:
        raise DataError("the file holds no events", path=str(path))

    type_names, cat_names = types.names(), cats.names()
    daily_frame = pd.DataFrame(
        [(d, str(type_names[t]), n) for (d, t), n in daily.items()], columns=["day", "event_type", "events"]
    ).sort_values(["day", "event_type"])
    daily_frame["day"] = pd.to_datetime(daily_frame["day"].to_numpy() * DAY_S, unit="s", utc=True)
    categories = pd.DataFrame(
        {
            "category": cat_names.astype(str),
            "events": per_cat,
            "users": np.bincount(cat_users // PAIR_SHIFT, minlength=len(cats)),
            "items": np.bincount(cat_items // PAIR_SHIFT, minlength=len(cats)),
        }
    ).sort_values(["events", "category"], ascending=[False, True])
    by_type = daily_frame.groupby("event_type")["events"].sum().sort_values(ascending=False)
    start, end = pd.Timestamp(lo, unit="s", tz="UTC"), pd.Timestamp(hi, unit="s", tz="UTC")
    return FileSummary(
        summary={
            "source": str(path),
            "events": events,
            "users": len(users),
            "items": len(items),
            "categories": len(cats),
            "event_types": {str(k): int(v) for k, v in by_type.items()},
            "start": start.isoformat(),
            "end": end.isoformat(),
            "days": (end - start).total_seconds() / DAY_S,
        },
        daily=daily_frame.reset_index(drop=True),
        top_categories=categories.head(top).reset_index(drop=True),
        events_per_user=pd.Series(per_user, index=users.names().astype(str), name="events"),
    )


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values by sorting (numpy's hash-based unique is slower on int64 keys here)."""
    keys = np.sort(keys, kind="stable")
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _seconds(column: pa.Array) -> np.ndarray:
    """Unix seconds (int64) of a timestamp column without nulls: integers as they are, timestamps
    converted."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("s", tz=column.type.tz)).cast(pa.int64())
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int64)
