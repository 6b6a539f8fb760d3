"""Summaries of a large events Parquet file, read in record batches with pyarrow (never one pandas frame).

For files in the layout ``engine generate`` writes (``user_id``, ``item_id``, ``timestamp`` as unix
seconds or a timestamp type, ``event_type``, ``category``): counts, time span, events per day and type,
top categories with their users and items, and events per user. Each batch is reduced to small grouped
tables (per day and type, per user, distinct (category, user) pairs, ...) and those are combined at the
end, so memory follows the number of users, items and categories, not of events. Nothing is validated
here: this is a first look at a file too big to load, not the loader's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.data.errors import DataError

COLUMNS = ("user_id", "item_id", "timestamp", "event_type", "category")
BATCH_ROWS = 1_000_000  # events per record batch: ~100 MB of Arrow data at a time
DAY_S = 86_400


@dataclass(frozen=True)
class FileSummary:
    """``summary``: users, items, categories, events, event_types, start, end, days, source;
    ``daily``: day, event_type, events; ``top_categories``: category, events, users, items;
    ``events_per_user``: events per user id."""

    summary: dict[str, Any]
    daily: pd.DataFrame
    top_categories: pd.DataFrame
    events_per_user: pd.Series


def parquet_summary(path: str | Path, top: int = 15, batch_rows: int = BATCH_ROWS) -> FileSummary:
    path = Path(path)
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"cannot read as Parquet: {err}", path=str(path)) from None
    missing = [c for c in COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise DataError(f"a summary needs columns {list(COLUMNS)}; missing {missing}", path=str(path))
    parts: dict[str, list[pa.Table]] = {
        k: [] for k in ("daily", "users", "items", "cats", "cat_users", "cat_items")
    }
    events, lo, hi = 0, None, None
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(COLUMNS)):
        table = pa.Table.from_batches([batch])
        seconds = _seconds(table.column("timestamp"))
        span = pc.min_max(seconds)
        if span["min"].is_valid:
            lo = span["min"].as_py() if lo is None else min(lo, span["min"].as_py())
            hi = span["max"].as_py() if hi is None else max(hi, span["max"].as_py())
        events += len(table)
        table = table.append_column("day", pc.divide(seconds, DAY_S))  # integer division of int64
        parts["daily"].append(table.group_by(["day", "event_type"]).aggregate([("day", "count")]))
        parts["users"].append(table.group_by("user_id").aggregate([("user_id", "count")]))
        parts["items"].append(table.group_by("item_id").aggregate([]))
        parts["cats"].append(table.group_by("category").aggregate([("category", "count")]))
        parts["cat_users"].append(table.group_by(["category", "user_id"]).aggregate([]))
        parts["cat_items"].append(table.group_by(["category", "item_id"]).aggregate([]))
    if events == 0 or lo is None or hi is None:
        raise DataError("the file holds no events", path=str(path))

    daily = _sum(parts["daily"], ["day", "event_type"], "day_count").to_pandas()
    per_user = _sum(parts["users"], ["user_id"], "user_id_count").to_pandas()
    n_items = pa.concat_tables(parts["items"]).group_by("item_id").aggregate([]).num_rows
    cats = _sum(parts["cats"], ["category"], "category_count").to_pandas()
    cat_users = (
        _distinct(parts["cat_users"], ["category", "user_id"])
        .group_by("category")
        .aggregate([("user_id", "count")])
    )
    cat_items = (
        _distinct(parts["cat_items"], ["category", "item_id"])
        .group_by("category")
        .aggregate([("item_id", "count")])
    )
    categories = (
        cats.rename(columns={"category_count": "events"})
        .merge(cat_users.to_pandas().rename(columns={"user_id_count": "users"}), on="category")
        .merge(cat_items.to_pandas().rename(columns={"item_id_count": "items"}), on="category")
        .dropna(subset=["category"])
        .sort_values(["events", "category"], ascending=[False, True])
    )
    types = daily.groupby("event_type")["day_count"].sum().sort_values(ascending=False)
    start = pd.Timestamp(lo, unit="s", tz="UTC")
    end = pd.Timestamp(hi, unit="s", tz="UTC")
    return FileSummary(
        summary={
            "source": str(path),
            "events": events,
            "users": len(per_user),
            "items": n_items,
            "categories": int(categories["category"].nunique()),
            "event_types": {str(k): int(v) for k, v in types.items()},
            "start": start.isoformat(),
            "end": end.isoformat(),
            "days": (end - start).total_seconds() / DAY_S,
        },
        daily=pd.DataFrame(
            {
                "day": pd.to_datetime(daily["day"].to_numpy() * DAY_S, unit="s", utc=True),
                "event_type": daily["event_type"].astype(str),
                "events": daily["day_count"].astype("int64"),
            }
        )
        .sort_values(["day", "event_type"])
        .reset_index(drop=True),
        top_categories=categories.head(top)[["category", "events", "users", "items"]].reset_index(drop=True),
        events_per_user=pd.Series(
            per_user["user_id_count"].to_numpy(), index=per_user["user_id"].astype(str), name="events"
        ),
    )


def _seconds(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Unix seconds (int64) of a timestamp column: integers as they are, timestamps converted."""
    if pa.types.is_timestamp(column.type):
        return pc.divide(column.cast(pa.timestamp("s", tz=column.type.tz)).cast(pa.int64()), 1)
    return column.cast(pa.int64())


def _sum(tables: list[pa.Table], keys: list[str], count: str) -> pa.Table:
    """Per-batch counts summed over batches (the column keeps its name ``count``)."""
    summed = pa.concat_tables(tables).group_by(keys).aggregate([(count, "sum")])
    return summed.rename_columns({f"{count}_sum": count})


def _distinct(tables: list[pa.Table], keys: list[str]) -> pa.Table:
    return pa.concat_tables(tables).group_by(keys).aggregate([])
