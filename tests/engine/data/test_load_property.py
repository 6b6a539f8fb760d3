"""Property: any bytes given to the reader yield a valid Timeline or a DataError, never anything else."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.data.errors import DataError
from engine.data.load import ReadOptions, load_events
from engine.data.schema import CANONICAL_COLUMNS
from engine.data.timeline import Timeline

# ~100 examples in all, a few seconds: enough to catch a crash class, cheap enough for every `make test`.
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERED = {"user": "0", "item": "1", "time": "2", "type": "3"}  # a headerless file named by column number
OPTIONS = st.sampled_from(
    [
        ReadOptions(),
        ReadOptions(strict=True),
        ReadOptions(drop_outliers=False),
        ReadOptions(preset="taobao"),
        ReadOptions(preset="otto"),
        ReadOptions(column_map=NUMBERED),
    ]
)
SUFFIXES = st.sampled_from([".csv", ".tsv", ".txt", ".jsonl", ".parquet"])

HEADER_NAMES = st.sampled_from(
    ["user_id", "item_id", "timestamp", "event_type", "category", "ts", "aid", "type", "visitorid", "x", ""]
)
FIELD = st.one_of(
    st.integers(-(10**20), 10**20).map(str),  # unix s / ms / us / ns, and far outside them
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["view", "pv", "cart", "buy", "fav", "clicks", "orders", "", " ", "NaN", "null"]),
    st.sampled_from(["2024-01-01", "2024-02-30T25:00:00", "1970-01-01T00:00:00Z", "9999-12-31", "yesterday"]),
    st.text(max_size=8),  # anything, quotes and delimiters included
)


@st.composite
def csv_shaped(draw: st.DrawFn) -> str:
    """Text that looks like a delimited events file: maybe a header, rows of mixed, ragged fields,
    written raw or with proper CSV quoting (fields holding delimiters, quotes, CR/LF)."""
    delimiter = draw(st.sampled_from([",", "\t", ";", "|", " "]))
    width = draw(st.integers(1, 6))
    rows: list[list[str]] = []
    if draw(st.booleans()):
        rows.append(draw(st.lists(HEADER_NAMES, min_size=width, max_size=width)))
    for _ in range(draw(st.integers(0, 25))):
        ragged = draw(st.integers(max(1, width - 1), width + 1)) if draw(st.integers(0, 9)) == 0 else width
        rows.append(draw(st.lists(FIELD, min_size=ragged, max_size=ragged)))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(rows)
        return out.getvalue()
    return ending.join(delimiter.join(row) for row in rows) + draw(st.sampled_from(["", ending]))


def _check(data: bytes, suffix: str, options: ReadOptions) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"events{suffix}"
        path.write_bytes(data)
        try:
            timeline = load_events(path, options)
        except DataError:
            return
        _assert_valid(timeline)


def _assert_valid(timeline: Timeline) -> None:
    ev = timeline.events
    assert len(timeline) >= 1
    assert tuple(ev.columns) == CANONICAL_COLUMNS
    assert ev["user_id"].notna().all()
    assert ev["item_id"].notna().all()
    assert ev["event_type"].notna().all()
    assert ev["timestamp"].notna().all()
    assert ev["timestamp"].is_monotonic_increasing
    assert timeline.report.rows_kept == len(timeline)
    assert timeline.report.rows_kept + timeline.report.rows_dropped == timeline.report.rows_read
    assert np.isfinite(timeline.seconds()).all()
    timeline.summary()


@SETTINGS
@given(data=st.binary(max_size=400), suffix=SUFFIXES, options=OPTIONS)
def test_arbitrary_bytes(data: bytes, suffix: str, options: ReadOptions) -> None:
    _check(data, suffix, options)


@SETTINGS
# Found by this property with more examples; kept so every run checks them (see /tmp/loader_bugs.md).
@example(  # B1: a time past 2262 overflowed nanoseconds
    text="0,0,9223372036854776.0,0\n0,0,0\n0,0,0", suffix=".csv", options=ReadOptions(column_map=NUMBERED)
)
@example(  # B5: a repeated header name
    text="user_id,user_id,item_id,timestamp,event_type\nu1,u2,i1,1700000000,view\n",
    suffix=".csv",
    options=ReadOptions(),
)
@given(text=csv_shaped(), suffix=st.sampled_from([".csv", ".tsv", ".txt"]), options=OPTIONS)
def test_arbitrary_csv_shaped_text(text: str, suffix: str, options: ReadOptions) -> None:
    _check(text.encode("utf-8", errors="surrogatepass"), suffix, options)
