"""normalize(): raw rows with canonical column names -> a validated Timeline.

Every row that is dropped is counted in the ValidationReport with its reason, column and example rows;
with ``strict=True`` the first problem raises DataError instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.errors import DataError
from engine.data.report import ValidationReport
from engine.data.schema import (
    EVENT_SYNONYMS,
    EVENT_TYPES,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SOURCE_ROW,
)
from engine.data.timeline import EPOCH, Timeline

# A timestamp column where more than this share cannot be parsed is a wrong mapping, not a few bad rows.
MAX_UNPARSABLE_SHARE = 0.5
# Outlier fence (Tukey's "far out"): further than this many interquartile ranges outside the quartiles.
# Quartiles do not move with a handful of stray rows, so the fence works on small files too.
OUTLIER_IQRS = 3.0
MIN_IQR_S = 86_400.0  # an IQR of at least a day, so a one-hour log flags nothing by accident
# A separate period holding more than this share of the rows is data (a second campaign), not strays.
MAX_STRAY_SHARE = 0.01


def _strings(col: pd.Series) -> pd.Series:
    """A column as stripped strings, with empty strings as missing."""
    out = col.astype("str").where(col.notna(), None).str.strip()
    return out.mask(out == "")


def _numeric_seconds(values: np.ndarray) -> np.ndarray:
    """Unix times in s, ms, us or ns -> float seconds, the unit detected per value from its magnitude.

    1e11 s is the year 5138 and 1e11 ms is 1973, so the ranges do not overlap for real logs.
    """
    magnitude = np.abs(values)
    divisor = np.select([magnitude >= 1e17, magnitude >= 1e14, magnitude >= 1e11], [1e9, 1e6, 1e3], 1.0)
    return values / divisor


def parse_timestamps(raw: pd.Series) -> pd.Series:
    """Parse unix numbers (s/ms/us/ns detected) or ISO-8601 strings to UTC datetimes; NaT where unparsable."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        ts = pd.to_datetime(raw, utc=True)
        return ts.astype("datetime64[us, UTC]")
    text = raw.astype("str").where(raw.notna(), None).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us, UTC]")
    is_number = np.isfinite(numbers)
    if is_number.any():
        secs = _numeric_seconds(numbers[is_number])
        # Beyond year 9999 or before 1677 is not a time anyone logged; leave it unparsed.
        ok = np.abs(secs) < 2.5e11
        micros = np.round(secs[ok] * 1e6).astype("int64")
        idx = np.flatnonzero(is_number)[ok]
        result.iloc[idx] = pd.to_datetime(micros, unit="us", utc=True)
    rest = ~is_number & text.notna().to_numpy()
    if rest.any():
        parsed = pd.to_datetime(text[rest], utc=True, errors="coerce", format="ISO8601")
        result.loc[parsed.index] = parsed.astype("datetime64[us, UTC]")
    return result


def far_outside(secs: np.ndarray) -> np.ndarray:
    """Stray times: outside Tukey's far-out fence AND cut off from the bulk of the log by a wide gap.

    Fence: [Q1 - k*IQR, Q3 + k*IQR] with k = OUTLIER_IQRS (quartiles do not move with a few stray rows,
    so this works on small files). A long but continuous tail (a log that grew) is not stray: rows are
    only flagged when no run of events with gaps under k*IQR connects them to the median, and only
    when that separate run is small (at most MAX_STRAY_SHARE of the rows, at least one row).
    """
    q1, median, q3 = np.quantile(secs, [0.25, 0.5, 0.75])
    reach = max(q3 - q1, MIN_IQR_S) * OUTLIER_IQRS
    order = np.argsort(secs, kind="stable")
    ordered = secs[order]
    cluster = np.r_[0, np.cumsum(np.diff(ordered) > reach)]  # [n] id of each run of close events
    core = cluster[np.searchsorted(ordered, median, side="left").clip(max=len(ordered) - 1)]
    sizes = np.bincount(cluster)
    small = sizes[cluster] <= max(1, int(MAX_STRAY_SHARE * len(secs)))
    stray = np.empty(len(secs), dtype=bool)
    stray[order] = (cluster != core) & small
    return stray & ((secs < q1 - reach) | (secs > q3 + reach))


def canonical_event_types(raw: pd.Series, event_map: dict[str, str] | None = None) -> pd.Series:
    """Lower-case event names mapped through ``event_map`` then the known synonyms; others kept."""
    mapping = {**EVENT_SYNONYMS, **{k.lower(): v.lower() for k, v in (event_map or {}).items()}}
    lowered = raw.str.lower()
    # map the few distinct values, not every row
    return lowered.map({v: mapping.get(v, v) for v in lowered.dropna().unique()})


def _rows(frame: pd.DataFrame, mask: np.ndarray | pd.Series) -> list[int]:
    return frame.loc[np.asarray(mask, dtype=bool), SOURCE_ROW].astype(int).tolist()


def normalize(
    raw: pd.DataFrame,
    source: str = "<memory>",
    *,
    event_map: dict[str, str] | None = None,
    strict: bool = False,
    drop_outliers: bool = True,
) -> Timeline:
    """Validate rows that already carry canonical column names and return a sorted Timeline.

    Raises DataError for problems no repair can fix (missing columns, no rows, a timestamp column that
    mostly does not parse) and, with ``strict``, for the first row-level problem as well.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        have = ", ".join(f"'{c}'" for c in raw.columns if c != SOURCE_ROW) or "none"
        raise DataError(
            f"missing required column(s) {', '.join(missing)}; columns found: {have}. "
            "Use --preset or --map user=...,item=...,time=...,type=... to name them",
            path=source,
            column=missing[0],
        )
    if len(raw) == 0:
        raise DataError("no event rows", path=source)

    frame = raw.reset_index(drop=True).copy()
    if SOURCE_ROW not in frame.columns:
        frame[SOURCE_ROW] = np.arange(1, len(frame) + 1)
    report = ValidationReport(source=source, rows_read=len(frame))

    raw_values: dict[str | None, pd.Series] = {}

    def drop(mask: np.ndarray | pd.Series, reason: str, column: str | None) -> None:
        nonlocal frame
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = _rows(frame, mask)
        if strict:
            first = int(np.flatnonzero(mask)[0])
            value = raw_values.get(column, frame[column] if column else None)
            shown = f": {value.iloc[first]!r}" if value is not None and pd.notna(value.iloc[first]) else ""
            raise DataError(
                f"{reason.removeprefix('rows with ')}{shown} (--strict)",
                path=source,
                row=rows[0],
                column=column,
            )
        report.drop(reason, column, rows)
        frame = frame[~mask].reset_index(drop=True)

    for col in ("user_id", "item_id", "event_type"):
        frame[col] = _strings(frame[col])
        drop(frame[col].isna(), f"rows with empty {col}", col)

    raw_values["timestamp"] = frame["timestamp"]
    parsed = parse_timestamps(frame["timestamp"])
    bad = parsed.isna().to_numpy()
    if len(frame) and bad.mean() > MAX_UNPARSABLE_SHARE:
        first = int(np.flatnonzero(bad)[0])
        value = frame["timestamp"].iloc[first]
        raise DataError(
            f"cannot parse {value!r} as a time (and {int(bad.sum())} of {len(frame)} rows likewise); "
            "expected unix seconds/ms/us or ISO-8601. Is the right column mapped to time?",
            path=source,
            row=int(frame[SOURCE_ROW].iloc[first]),
            column="timestamp",
        )
    frame["timestamp"] = parsed
    drop(bad, "rows with unparsable timestamp", "timestamp")
    raw_values.clear()  # rows are dropped from here on; later reasons show the parsed value

    frame["event_type"] = canonical_event_types(frame["event_type"], event_map)
    for col in OPTIONAL_COLUMNS:
        if col in frame.columns:
            frame[col] = _strings(frame[col])
        else:
            frame[col] = pd.Series([None] * len(frame), index=frame.index, dtype="str")

    key = ["user_id", "item_id", "timestamp", "event_type", "category", "session_id"]
    drop(frame.duplicated(subset=key, keep="first").to_numpy(), "exact duplicate rows", None)

    if drop_outliers and len(frame) >= 8:
        secs = (frame["timestamp"] - EPOCH).dt.total_seconds().to_numpy()
        drop(far_outside(secs), "rows with timestamps far outside the rest", "timestamp")

    if len(frame) == 0:
        raise DataError(f"no valid event rows remain ({report.rows_dropped} dropped)", path=source)

    others = ~frame["event_type"].isin(EVENT_TYPES)
    if others.any():
        report.other_event_types = {
            str(k): int(v) for k, v in frame.loc[others, "event_type"].value_counts().items()
        }
    extra = sorted(report.other_event_types)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=[*EVENT_TYPES, *extra])

    frame = frame.sort_values(["timestamp", SOURCE_ROW], kind="mergesort").reset_index(drop=True)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    for col in ("user_id", "item_id"):
        frame[col] = frame[col].astype("str")
    columns = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, SOURCE_ROW]
    report.rows_kept = len(frame)
    return Timeline(frame[columns], report, source)
