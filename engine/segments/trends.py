r"""Rising and fading categories: each category's share of the events per time window, and its slope.

Windows are calendar weeks (Monday 00:00 UTC, ``windows="W"``) or ``N`` equal windows over the events'
span. In window :math:`w` a category's share is :math:`s_{c,w} = n_{c,w} / \sum_{c'} n_{c',w}`; its trend
is the least-squares slope of the share over the window index

.. math:: \beta_c = \frac{\sum_w (w - \bar w)(s_{c,w} - \bar s_c)}{\sum_w (w - \bar w)^2}

over the windows that have events (share points per window: +0.02 = two points more of the events each
window). Positive: rising; negative: fading. Fewer than two windows with events: no slope (NaN).

Counting is separate from the shares, so a Parquet file is read in record batches and only the
(window, category) counts are kept: a platform's events never have to be in memory at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.errors import DataError

WEEK = pd.Timedelta(days=7)
MONDAY = pd.Timestamp("1970-01-05", tz="UTC")  # a Monday 00:00 UTC: weekly windows start on Mondays
NO_CATEGORY = "(no category)"
TREND_COLUMNS = ("user_id", "timestamp", "category")
BATCH_ROWS = 1_000_000  # events per record batch when counting a Parquet file


@dataclass(frozen=True)
class Trends:
    """``shares``: window, start, end, category, events, share (every category in every window with
    events, 0 where absent); ``slopes``: category, events, slope, first_share, last_share, sorted by slope
    (rising first); ``windows``: "W" or the number of equal windows; ``users``: how many users counted
    (None: all)."""

    shares: pd.DataFrame
    slopes: pd.DataFrame
    windows: str | int
    users: int | None = None

    def rising(self, n: int = 5) -> pd.DataFrame:
        return self.slopes[self.slopes["slope"] > 0].head(n)

    def fading(self, n: int = 5) -> pd.DataFrame:
        fading = self.slopes[self.slopes["slope"] < 0]
        return fading.iloc[::-1].head(n)


def window_edges(start: pd.Timestamp, end: pd.Timestamp, windows: str | int = "W") -> pd.DatetimeIndex:
    """Edges [n + 1] of the windows covering [start, end]: Monday-aligned weeks, or ``windows`` equal
    parts (the last edge just after ``end``, so the last event falls in the last window)."""
    if windows == "W":
        first = MONDAY + WEEK * ((start - MONDAY) // WEEK)
        n = int((end - first) // WEEK) + 1
        return pd.DatetimeIndex([first + WEEK * i for i in range(n + 1)]).as_unit("us")
    if not isinstance(windows, int) or windows < 1:
        raise DataError(f'windows must be "W" (weekly) or a number of windows >= 1, got {windows!r}')
    span = max(end - start, pd.Timedelta(seconds=1))
    edges = [start + span * (i / windows) for i in range(windows + 1)]
    edges[-1] = end + pd.Timedelta(microseconds=1)
    return pd.DatetimeIndex(edges).as_unit("us")


def window_counts(
    events: pd.DataFrame, edges: pd.DatetimeIndex, users: Collection[str] | None = None
) -> pd.DataFrame:
    """Events per (window, category) of ``events`` (user_id, timestamp, category), only ``users``'s when
    given; columns window, category, events."""
    if users is not None:
        events = events[events["user_id"].astype(str).isin(set(map(str, users)))]
    times = events["timestamp"].to_numpy(dtype="datetime64[us]")
    window = np.searchsorted(edges.to_numpy(dtype="datetime64[us]"), times, side="right") - 1
    category = events["category"].astype(object).where(events["category"].notna(), NO_CATEGORY).astype(str)
    inside = (window >= 0) & (window < len(edges) - 1)
    frame = pd.DataFrame({"window": window[inside], "category": category.to_numpy()[inside]})
    return frame.groupby(["window", "category"]).size().rename("events").reset_index()


def trends_from_counts(
    counts: pd.DataFrame, edges: pd.DatetimeIndex, windows: str | int, users: int | None = None
) -> Trends:
    """Shares and slopes from (window, category, events) counts (summed when a pair repeats)."""
    table = counts.groupby(["window", "category"])["events"].sum().unstack(fill_value=0)  # [W, C]
    table = table.sort_index()
    totals = table.sum(axis=1)
    share = table.div(totals, axis=0)  # windows without events are absent, so no 0/0
    x = share.index.to_numpy(dtype=np.float64)
    slopes = pd.Series(np.nan, index=share.columns, dtype=np.float64)
    if len(x) >= 2:
        dx = x - x.mean()
        slopes = pd.Series(
            (dx @ (share.to_numpy() - share.to_numpy().mean(axis=0))) / (dx @ dx), share.columns
        )
    long = share.reset_index().melt(id_vars="window", var_name="category", value_name="share")
    counted = table.reset_index().melt(id_vars="window", var_name="category", value_name="events")
    long = long.merge(counted, on=["window", "category"]).sort_values(["window", "category"])
    long["start"] = edges[long["window"].to_numpy()]
    long["end"] = edges[long["window"].to_numpy() + 1]
    summary = pd.DataFrame(
        {
            "category": share.columns.astype(str),
            "events": table.sum(axis=0).to_numpy(dtype=np.int64),
            "slope": slopes.to_numpy(),
            "first_share": share.iloc[0].to_numpy() if len(share) else np.nan,
            "last_share": share.iloc[-1].to_numpy() if len(share) else np.nan,
        }
    )
    summary = summary.sort_values(["slope", "category"], ascending=[False, True], na_position="last")
    shares = long[["window", "start", "end", "category", "events", "share"]]
    return Trends(shares.reset_index(drop=True), summary.reset_index(drop=True), windows, users)


def category_trends(
    events: pd.DataFrame, windows: str | int = "W", users: Collection[str] | None = None
) -> Trends:
    """Trends of the categories of ``events`` (a Timeline's events, or any frame with user_id, timestamp
    and category), for ``users`` only when given."""
    if events.empty:
        raise DataError("no events to find trends in")
    times = events["timestamp"]
    edges = window_edges(times.min(), times.max(), windows)
    counts = window_counts(events, edges, users)
    if counts.empty:
        raise DataError("none of these users has events")
    return trends_from_counts(counts, edges, windows, None if users is None else len(users))


def parquet_trends(
    path: str | Path,
    windows: str | int = "W",
    users: Collection[str] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Trends:
    """:func:`category_trends` of an events file in the layout ``engine generate`` writes (user_id,
    timestamp as unix seconds, category), read in record batches: only the counts stay in memory."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except OSError as err:
        raise DataError(f"cannot read the events file: {err}", path=str(path)) from None
    missing = [c for c in TREND_COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise DataError(f"the events file lacks columns {missing}", path=str(path))
    lo, hi = None, None  # first pass: the span, from the timestamp column alone
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=["timestamp"]):
        span = pc.min_max(batch.column("timestamp"))
        if span["min"].as_py() is None:
            continue
        lo = span["min"].as_py() if lo is None else min(lo, span["min"].as_py())
        hi = span["max"].as_py() if hi is None else max(hi, span["max"].as_py())
    if lo is None or hi is None:
        raise DataError("no events to find trends in", path=str(path))
    edges = window_edges(_utc(lo), _utc(hi), windows)
    parts: Iterable[pd.DataFrame] = (
        window_counts(_frame(batch.to_pandas()), edges, users)
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(TREND_COLUMNS))
    )
    counts = pd.concat(list(parts), ignore_index=True)
    if counts.empty:
        raise DataError("none of these users has events", path=str(path))
    return trends_from_counts(counts, edges, windows, None if users is None else len(users))


def _utc(value: object) -> pd.Timestamp:
    if isinstance(value, int | float):
        return pd.Timestamp(value, unit="s", tz="UTC")
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps of a batch as UTC datetimes (unix seconds in the generated layout)."""
    ts = frame["timestamp"]
    if pd.api.types.is_numeric_dtype(ts):
        frame["timestamp"] = pd.to_datetime(ts, unit="s", utc=True)
    elif getattr(ts.dt, "tz", None) is None:
        frame["timestamp"] = ts.dt.tz_localize("UTC")
    return frame
