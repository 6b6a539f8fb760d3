"""Figure builders: plain data in, plotly Figure out. No Streamlit here."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

# One colour per event type, stable across every chart of the app.
EVENT_COLOURS = {"view": "#9AA5B1", "like": "#F4A259", "cart": "#5B8E7D", "purchase": "#BC4B51"}


def events_per_day(daily: pd.DataFrame) -> go.Figure:
    """Stacked bars of events per day by event type. ``daily``: day, event_type, events."""
    fig = px.bar(
        daily,
        x="day",
        y="events",
        color="event_type",
        color_discrete_map=EVENT_COLOURS,
        category_orders={"event_type": list(EVENT_COLOURS)},
        labels={"day": "Day (UTC)", "events": "Events", "event_type": "Event type"},
    )
    fig.update_layout(
        barmode="stack", height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend_title=None
    )
    return fig


def event_mix(event_types: dict[str, int]) -> go.Figure:
    """Horizontal bars of the event-type counts (log scale: views dwarf purchases)."""
    frame = pd.DataFrame({"event_type": list(event_types), "events": list(event_types.values())})
    fig = px.bar(
        frame,
        x="events",
        y="event_type",
        orientation="h",
        color="event_type",
        color_discrete_map=EVENT_COLOURS,
        log_x=True,
        labels={"events": "Events (log scale)", "event_type": ""},
    )
    fig.update_layout(showlegend=False, height=240, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def events_per_user(counts: pd.Series) -> go.Figure:
    """Histogram of how many events each user has."""
    fig = px.histogram(
        counts,
        x="events",
        nbins=40,
        labels={"events": "Events per user"},
        color_discrete_sequence=["#5B4FE9"],
    )
    fig.update_layout(
        showlegend=False, height=240, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title="Users"
    )
    return fig
