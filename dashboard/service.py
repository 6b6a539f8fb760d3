"""Thin service between pages and engine.api: caching and upload handling, no UI."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from engine import api


def demo_timeline() -> api.Timeline:
    """The embedded default data (generated on first use), cached per file and modification time."""
    path = api.ensure_default_data()
    return _file_timeline(str(path), path.stat().st_mtime_ns)


@st.cache_data(show_spinner="Loading the demo data…", max_entries=4)
def _file_timeline(path: str, mtime_ns: int) -> api.Timeline:
    return api.load_timeline(path)


@st.cache_data(show_spinner="Reading your file…", max_entries=4)
def uploaded_timeline(
    name: str, data: bytes, preset: str | None, column_map: str, event_map: str
) -> api.Timeline:
    """Load an uploaded file (kept under a temp name with its original suffix, so the format is detected)."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "interest-replay-uploads"
    folder.mkdir(exist_ok=True)
    path = folder / f"{digest}{Path(name).suffix.lower()}"
    path.write_bytes(data)
    timeline = api.load_timeline(
        path,
        preset=preset,
        column_map=api.parse_pairs(column_map, "column map"),
        event_map=api.parse_pairs(event_map, "event map"),
    )
    return api.Timeline(timeline.events, timeline.report, name)


@st.cache_data
def overview(_timeline: api.Timeline, key: str) -> api.DatasetOverview:
    """Overview of a timeline; ``key`` (its fingerprint) identifies it for the cache."""
    return api.dataset_overview(_timeline)
