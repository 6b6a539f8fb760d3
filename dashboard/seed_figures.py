"""Figures of the seed example (book, movie, sport): plain data in, plotly Figure out. No Streamlit here."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

# Fixed places: the two neighbours on the left, the updated interest on the right.
POSITIONS = {"book": (0.0, 1.0), "movie": (0.0, 0.0), "sport": (1.0, 0.5)}
COLOURS = {"book": "#4477AA", "movie": "#EE6677", "sport": "#228833"}  # Paul Tol's bright palette
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def example_graph(example: dict[str, Any]) -> go.Figure:
    """The three interests as nodes, book → sport and movie → sport as arrows as thick as their α."""
    fig = go.Figure()
    sport_x, sport_y = POSITIONS["sport"]
    for name, alpha in zip(example["interests"][:2], example["alpha"], strict=True):
        x, y = POSITIONS[name]
        fig.add_annotation(
            x=sport_x - 0.06,
            y=sport_y,
            ax=x + 0.06,
            ay=y,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowwidth=1 + 8 * alpha,
            arrowcolor="#888888",
        )
        fig.add_annotation(
            x=(x + sport_x) / 2, y=(y + sport_y) / 2 + 0.08, text=f"α = {alpha:.2f}", showarrow=False
        )
    names = example["interests"]
    states = [*example["states"][:2], example["h_sport"]]
    fig.add_trace(
        go.Scatter(
            x=[POSITIONS[n][0] for n in names],
            y=[POSITIONS[n][1] for n in names],
            mode="markers+text",
            text=names,
            textposition="bottom center",
            marker={"size": 44, "color": [COLOURS[n] for n in names]},
            hovertext=[f"{n}: {_vector(s)}" for n, s in zip(names, states, strict=True)],
            hoverinfo="text",
        )
    )
    fig.update_xaxes(visible=False, range=[-0.3, 1.3])
    fig.update_yaxes(visible=False, range=[-0.35, 1.3])
    fig.update_layout(height=300, margin=MARGIN, showlegend=False, title="Neighbours of sport")
    return fig


def example_bars(example: dict[str, Any]) -> go.Figure:
    """h_sport before and after the update, per dimension, beside the two parts of the sum."""
    dims = [f"dim {i + 1}" for i in range(len(example["h_sport"]))]
    fig = go.Figure()
    series = [
        ("h_sport (before)", example["states"][2], "#BBBBBB"),
        ("W h_sport", example["self_term"], "#66CCEE"),
        ("Σ α h_u", example["neighbour_sum"], "#CCBB44"),
        ("h_sport' (after)", example["h_sport"], COLOURS["sport"]),
    ]
    for name, values, colour in series:
        fig.add_trace(
            go.Bar(name=name, x=dims, y=values, marker_color=colour, text=[f"{v:.2f}" for v in values])
        )
    fig.update_layout(
        barmode="group",
        height=300,
        margin=MARGIN,
        title="The update, dimension by dimension",
        legend_title=None,
    )
    return fig


def _vector(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"
