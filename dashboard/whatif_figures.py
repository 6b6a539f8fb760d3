"""What-if figures: the comparison's plain tables in, plotly Figures out (x = the original steps).
No Streamlit here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.replay_figures import MARGIN, MODEL_COLOUR

EDITED_COLOUR = "#E4572E"
EDIT_FILL = "rgba(228, 87, 46, 0.07)"


def _mark(fig: go.Figure, step: int, first_edit: int | None, last: int) -> None:
    """The current step as a line; the steps from the first edit on shaded."""
    if first_edit is not None:
        fig.add_vrect(x0=first_edit - 0.5, x1=last + 0.5, fillcolor=EDIT_FILL, line_width=0, layer="below")
        fig.add_vline(
            x=first_edit - 0.5,
            line_dash="dot",
            line_color=EDITED_COLOUR,
            annotation_text="first edit",
            annotation_position="top left",
        )
    fig.add_vline(x=step, line_color="#222222", line_width=1.5)


def aligned(per_step: pd.DataFrame, column: pd.Series) -> np.ndarray:
    """Values of the edited trace (indexed by edited step) at each original step: [n_a], NaN where the
    original step has no counterpart (deleted)."""
    partner = per_step["step_b"].to_numpy(np.int64)  # [n_a]
    values = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)  # [n_b]
    out = np.full(len(partner), np.nan)
    has = partner >= 0
    out[has] = values[partner[has]]
    return out


def drift_overlay(
    steps_a: pd.DataFrame, steps_b: pd.DataFrame, per_step: pd.DataFrame, step: int, first_edit: int | None
) -> go.Figure:
    """Drift from the recent average, original and edited, the edited one at the original steps."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps_a["step"],
            y=steps_a["drift_ema"],
            name="original",
            line={"color": MODEL_COLOUR, "width": 2},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=per_step["step"],
            y=aligned(per_step, steps_b["drift_ema"]),
            name="edited",
            line={"color": EDITED_COLOUR, "width": 2, "dash": "dash"},
            connectgaps=False,
        )
    )
    _mark(fig, step, first_edit, int(per_step["step"].max()))
    fig.update_layout(
        title="Interest drift: original vs edited",
        height=320,
        margin=MARGIN,
        xaxis_title="step (original timeline)",
        yaxis_title="cosine distance",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def list_overlap(per_step: pd.DataFrame, step: int, first_edit: int | None) -> go.Figure:
    """RBO and Jaccard@K of the two lists per step (1 = the same list), and the state change."""
    fig = go.Figure()
    series = (("rbo", "RBO (p = 0.9)", MODEL_COLOUR), ("jaccard", "Jaccard@K", "#5B8E7D"))
    for column, name, colour in series:
        fig.add_trace(go.Scatter(x=per_step["step"], y=per_step[column], name=name, line={"color": colour}))
    fig.add_trace(
        go.Scatter(
            x=per_step["step"],
            y=per_step["state_diff"],
            name="state change (1 − cos)",
            line={"color": EDITED_COLOUR, "width": 1, "dash": "dot"},
        )
    )
    _mark(fig, step, first_edit, int(per_step["step"].max()))
    fig.update_layout(
        title="How far the edited replay moved, per step",
        height=320,
        margin=MARGIN,
        xaxis_title="step (original timeline)",
        yaxis_range=[0, 1.02],
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def interest_difference(
    interest_diff: pd.DataFrame, n_steps: int, step: int, first_edit: int | None, top: int = 12
) -> go.Figure:
    """Category x step difference of interest share, edited − original (the ``top`` categories that
    moved most); red: more interest after the edits, blue: less."""
    wide = interest_diff.pivot_table(index="category", columns="step", values="diff", fill_value=0.0)
    wide = wide.reindex(columns=range(n_steps))  # deleted steps stay blank
    order = wide.abs().sum(axis=1).sort_values(ascending=False).index[:top]
    wide = wide.loc[order]
    span = (
        float(np.nanmax(np.abs(wide.to_numpy()))) if wide.size and np.isfinite(wide.to_numpy()).any() else 0
    )
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(),
            x=list(wide.columns),
            y=[str(c) for c in wide.index],
            colorscale="RdBu_r",
            zmid=0,
            zmin=-max(span, 1e-3),
            zmax=max(span, 1e-3),
            colorbar={"title": "edited − original"},
            hovertemplate="step %{x}<br>%{y}: %{z:+.1%}<extra></extra>",
        )
    )
    _mark(fig, step, first_edit, n_steps - 1)
    fig.update_layout(
        title="Interest share difference by category (edited − original)",
        height=100 + 24 * max(len(order), 1),
        margin=MARGIN,
        xaxis_title="step (original timeline)",
    )
    return fig
