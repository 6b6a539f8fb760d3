"""The typed façade the dashboard talks to: plain Python, numpy and pandas out, never tensors.

Nothing here does work at import time; torch is only imported by the functions that need a model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from engine.data.errors import DataError
from engine.data.load import PRESETS, ReadOptions, load_events, parse_pairs
from engine.data.timeline import Timeline

__all__ = [
    "PRESETS",
    "DataError",
    "DatasetOverview",
    "Timeline",
    "dataset_overview",
    "default_data_path",
    "ensure_default_data",
    "load_timeline",
    "parse_pairs",
]

DEFAULT_SEED = 7  # the seed `make demo` generates the embedded default data with
REPO_ROOT = Path(__file__).resolve().parents[1]


def default_data_path() -> Path:
    """Where the embedded default data lives: $INTEREST_REPLAY_DATA or <repo>/data/default/events.parquet."""
    override = os.environ.get("INTEREST_REPLAY_DATA")
    return Path(override) if override else REPO_ROOT / "data" / "default" / "events.parquet"


def ensure_default_data(path: Path | None = None, seed: int = DEFAULT_SEED) -> Path:
    """Generate the synthetic default data (with its ground truth beside it) if it is not there yet."""
    path = path or default_data_path()
    if not path.exists():
        from engine.data.synthetic import SyntheticConfig, generate
        from engine.data.writer import save_events, save_truth

        path.parent.mkdir(parents=True, exist_ok=True)
        timeline, truth = generate(SyntheticConfig(seed=seed))
        save_events(timeline, path)
        save_truth(truth, path.with_name(f"{path.stem}.truth.json"))
    return path


def load_timeline(
    path: str | Path,
    preset: str | None = None,
    column_map: dict[str, str] | None = None,
    event_map: dict[str, str] | None = None,
    strict: bool = False,
) -> Timeline:
    """Load and validate an events file; raises DataError naming file, row and column."""
    options = ReadOptions(
        preset=preset, column_map=column_map or {}, event_map=event_map or {}, strict=strict
    )
    return load_events(path, options)


@dataclass(frozen=True)
class DatasetOverview:
    """What the data page shows about a timeline, as plain data."""

    summary: dict[str, Any]  # Timeline.summary(): counts, event types, time span
    report: dict[str, Any]  # ValidationReport.to_dict()
    report_text: str
    daily: pd.DataFrame  # columns: day (datetime), event_type (str), events (int)
    top_categories: pd.DataFrame  # columns: category, events, users, items
    events_per_user: pd.Series  # events per user, for a distribution plot


def dataset_overview(timeline: Timeline, top: int = 15) -> DatasetOverview:
    ev = timeline.events
    daily = (
        ev.assign(day=ev["timestamp"].dt.floor("D"), event_type=ev["event_type"].astype(str))
        .groupby(["day", "event_type"], observed=True)
        .size()
        .rename("events")
        .reset_index()
    )
    cats = ev.dropna(subset=["category"])
    top_categories = (
        cats.groupby("category")
        .agg(events=("item_id", "size"), users=("user_id", "nunique"), items=("item_id", "nunique"))
        .sort_values("events", ascending=False)
        .head(top)
        .reset_index()
    )
    return DatasetOverview(
        summary=timeline.summary(),
        report=timeline.report.to_dict(),
        report_text=timeline.report.to_text(),
        daily=daily,
        top_categories=top_categories,
        events_per_user=ev.groupby("user_id").size().rename("events"),
    )
