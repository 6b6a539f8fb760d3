"""Figures of a training run: plain records in, plotly Figure out. No Streamlit here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

LOSS_COLOUR, VAL_COLOUR = "#9AA5B1", "#5B4FE9"
MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}


def training_curves(records: Sequence[dict[str, Any]]) -> go.Figure:
    """Training loss (left axis) and validation NDCG@20 (right axis) per epoch; the best epoch marked."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(records)]
    fig.add_trace(
        go.Scatter(
            x=epochs,
            y=[r.get("loss") for r in records],
            name="training loss",
            mode="lines+markers",
            line={"color": LOSS_COLOUR},
        ),
        secondary_y=False,
    )
    scores: list[float | None] = [r.get("val_ndcg") for r in records]
    valid = [i for i, s in enumerate(scores) if s is not None]
    if valid:
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=scores,
                name="validation NDCG@20",
                mode="lines+markers",
                line={"color": VAL_COLOUR, "width": 3},
            ),
            secondary_y=True,
        )
        best = max(valid, key=lambda i: float(scores[i] or 0.0))
        fig.add_vline(x=epochs[best], line_dash="dot", line_color=VAL_COLOUR, annotation_text="best")
    fig.update_layout(height=320, margin=MARGIN, title="Training curves", legend_title=None)
    fig.update_xaxes(title="epoch", dtick=1)
    fig.update_yaxes(title="loss", secondary_y=False)
    fig.update_yaxes(title="NDCG@20", secondary_y=True)
    return fig
