"""Thin cached service of the analyst pages (segments and trends, metrics, models) over engine.api; no UI.

Results are values, cached per data fingerprint, model and settings; nothing here is per visitor.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import api


@st.cache_data(max_entries=8, show_spinner="Replaying every user and finding segments…")
def segments(
    _model: api.ReplayModel,
    _timeline: api.Timeline,
    model_key: str,
    fingerprint: str,
    at: str | None,
    k: int | None,
) -> api.Segments:
    """Segments of the users by their state at ``at`` (ISO time; None: after every event)."""
    return api.segment_users(_model, _timeline, None if at is None else pd.Timestamp(at), k)


@st.cache_data(max_entries=16, show_spinner="Counting categories per window…")
def trends(
    _timeline: api.Timeline, fingerprint: str, windows: str | int, users: tuple[str, ...] | None
) -> api.Trends:
    return api.category_trends(_timeline, windows, users)
