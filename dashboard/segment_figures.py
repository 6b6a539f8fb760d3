"""Segments and trends figures: plain tables in, plotly Figures out. No Streamlit here.

Names from the data go into hover labels escaped (plotly reads a few tags in labels), so they show as text.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

SEGMENT_COLOURS = px.colors.qualitative.Safe  # 11 colour-blind-safe colours: one per segment (k <= 10)
MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}
RISING = ("#117733", "#44AA99", "#999933")  # Tol: green family for rising categories
FADING = ("#CC3311", "#EE7733", "#AA3377")  # and red family for fading ones


def segment_colour(segment: int) -> str:
    return SEGMENT_COLOURS[segment % len(SEGMENT_COLOURS)]


def segment_map(users: pd.DataFrame, segments: pd.DataFrame, items: pd.DataFrame | None = None) -> go.Figure:
    """Users (x, y, segment) in the shared 2-D plane coloured by segment, each segment's centre marked;
    hovering a user or a centre names the segment's top categories. ``items`` (x, y): a faint background."""
    fig = go.Figure()
    if items is not None and len(items):
        fig.add_trace(
            go.Scattergl(
                x=items["x"],
                y=items["y"],
                mode="markers",
                marker={"size": 3, "color": "rgba(150, 150, 150, 0.18)"},
                name="items",
                hoverinfo="skip",
            )
        )
    described = segments.set_index("segment")["top_categories"].map(lambda t: html.escape(str(t)))
    for segment in sorted(users["segment"].unique()):
        group = users[users["segment"] == segment]
        label = f"segment {segment}"
        fig.add_trace(
            go.Scattergl(
                x=group["x"],
                y=group["y"],
                mode="markers",
                marker={"size": 7, "color": segment_colour(int(segment)), "opacity": 0.8},
                name=f"{label} ({len(group):,})",
                customdata=[html.escape(str(u)) for u in group["user_id"]],
                hovertemplate=f"user %{{customdata}}<br>{label}: {described[segment]}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=segments["x"],
            y=segments["y"],
            mode="markers+text",
            text=[str(s) for s in segments["segment"]],
            textfont={"color": "white", "size": 11},
            marker={
                "size": 22,
                "symbol": "diamond",
                "color": [segment_colour(int(s)) for s in segments["segment"]],
                "line": {"width": 1.5, "color": "#222222"},
            },
            name="centres",
            customdata=list(described.reindex(segments["segment"])),
            hovertemplate="segment %{text} (centre)<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        height=480, margin=MARGIN, legend_title=None, title="Users by segment in the shared interest plane"
    )
    fig.update_xaxes(showticklabels=False, title=None)
    fig.update_yaxes(showticklabels=False, title=None, scaleanchor="x")
    return fig


def trend_lines(shares: pd.DataFrame, rising: list[str], fading: list[str]) -> go.Figure:
    """Share of the events per window of the ``rising`` (solid, greens) and ``fading`` (dashed, reds)
    categories. ``shares``: start, category, share."""
    fig = go.Figure()
    for names, colours, dash in ((rising, RISING, "solid"), (fading, FADING, "dash")):
        for rank, name in enumerate(names):
            colour = colours[rank % len(colours)]
            rows = shares[shares["category"] == name].sort_values("start")
            fig.add_trace(
                go.Scatter(
                    x=rows["start"],
                    y=rows["share"],
                    mode="lines+markers",
                    name=html.escape(str(name)),
                    line={"color": colour, "dash": dash, "width": 2.5},
                    hovertemplate="%{x|%d %b %Y}: %{y:.1%}<extra>" + html.escape(str(name)) + "</extra>",
                )
            )
    fig.update_layout(
        height=380,
        margin=MARGIN,
        legend_title=None,
        title="Share of the events per window: rising (solid) and fading (dashed) categories",
        yaxis_tickformat=".0%",
        xaxis_title="window start (UTC)",
    )
    return fig
