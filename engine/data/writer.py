"""Write a Timeline as an events file (CSV or Parquet) and a synthetic ground truth as JSON.

The events file uses the plain layout the loader reads with no preset and no mapping:
``user_id,item_id,timestamp,event_type,category,item_name,session_id`` with unix-second timestamps.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Literal

import pandas as pd

from engine.data.ground_truth import GroundTruth
from engine.data.timeline import Timeline

EVENT_FILE_COLUMNS: tuple[str, ...] = (
    "user_id", "item_id", "timestamp", "event_type", "category", "item_name", "session_id",
)  # fmt: skip
# File suffix -> format; anything else is refused rather than guessed.
EVENT_FILE_FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def event_file_format(path: str | Path) -> str:
    """'csv' or 'parquet' from the file name; ValueError naming the accepted suffixes otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in EVENT_FILE_FORMATS:
        accepted = ", ".join(sorted(EVENT_FILE_FORMATS))
        raise ValueError(f"cannot tell the format of {str(path)!r}: use one of {accepted}")
    return EVENT_FILE_FORMATS[suffix]


def truth_path_for(events_path: str | Path) -> Path:
    """Where the ground truth of an events file goes: ``data/demo.csv`` -> ``data/demo.truth.json``."""
    path = Path(events_path)
    return path.with_name(f"{path.stem}.truth.json")


def events_frame(timeline: Timeline) -> pd.DataFrame:
    """The events in file layout: timestamps as int64 unix seconds, event types as plain strings."""
    ev = timeline.events
    # Integer microseconds floored to seconds; no ns conversion, so years past 2262 cannot overflow.
    seconds = ev["timestamp"].dt.as_unit("us").astype("int64") // 1_000_000
    frame = ev[list(EVENT_FILE_COLUMNS)].copy()
    frame["timestamp"] = seconds
    frame["event_type"] = frame["event_type"].astype("str")
    return frame


def save_events(timeline: Timeline, path: str | Path) -> Path:
    """Write the events to ``path`` (CSV or Parquet by suffix), creating the folder; returns the path."""
    path = Path(path)
    kind = event_file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = events_frame(timeline)
    if kind == "csv":
        _write_csv(frame, path)
    else:
        frame.to_parquet(path, index=False)
    return path


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Minimal quoting, except that a bare CR inside a value (which csv writers leave unquoted when lines
    end in LF) switches to quoting every text value, so no reader can take it for a line end."""
    text_columns = frame.select_dtypes(exclude="number")
    has_cr = any(text_columns[c].str.contains("\r", regex=False, na=False).any() for c in text_columns)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(frame.columns) + "\n")
        quoting: Literal[0, 2] = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
        frame.to_csv(out, index=False, header=False, lineterminator="\n", quoting=quoting)


def save_truth(truth: GroundTruth, path: str | Path) -> Path:
    """Write the ground truth as indented JSON (UTF-8, names kept readable); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_truth(path: str | Path) -> GroundTruth:
    """Read a ground truth written by ``save_truth``."""
    return GroundTruth.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
