"""Replay figures: plain tables of a trace in, plotly Figures out. No Streamlit here.

Each figure is drawn once per trace and does not depend on the step: the step is a named shape
(:data:`STEP_SHAPE`, hidden until placed) and, on the trajectory, three traces with fixed uids
(:data:`STEP_TRACES`). In the browser the step bridge moves them in place (``Plotly.relayout`` /
``Plotly.restyle``); :func:`at_step` does the same here, for exports. Axis ranges are fixed, so moving the
step line never recomputes the figure."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import EVENT_COLOURS

MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}
MODEL_COLOUR = "#5B4FE9"
BASELINE_COLOURS = {"RecentPop": "#9AA5B1", "SeqMarkov": "#F4A259", "ItemKNN": "#5B8E7D"}
RECENT_PATH = 20  # steps drawn bold on the trajectory; earlier ones faint
CUT_FILL = "rgba(91, 79, 233, 0.06)"
STEP_SHAPE = "step"  # the name of the current-step line in layout.shapes
STEP_TRACES = ("path", "recent", "now")  # uids of the trajectory traces that follow the step


def _vline(x: float, colour: str, dash: str = "solid", width: float = 1.5) -> dict[str, object]:
    """A full-height vertical line as a layout shape (one dict: ``add_vline`` is slow per call)."""
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "xref": "x",
        "yref": "paper",
        "line": {"color": colour, "dash": dash, "width": width},
    }


def _mark_step(
    fig: go.Figure, cut: int | None, last: int, extra: list[dict[str, object]] | None = None
) -> None:
    """Room for the current step (a hidden line, placed by :func:`at_step` or the browser); held-out
    steps (after the training cut) shaded and labelled; the step axis fixed to the whole trace."""
    shapes = list(extra or [])
    annotations = []
    if cut is not None and cut <= last:
        shapes.append(
            {
                "type": "rect",
                "x0": cut - 0.5,
                "x1": last + 0.5,
                "y0": 0,
                "y1": 1,
                "xref": "x",
                "yref": "paper",
                "fillcolor": CUT_FILL,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        shapes.append(_vline(cut - 0.5, MODEL_COLOUR, "dot", 1.0))
        annotations.append(
            {
                "x": cut - 0.5,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": "training cut",
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"size": 10},
            }
        )
    shapes.append({**_vline(0, "#222222"), "name": STEP_SHAPE, "visible": False})
    fig.update_layout(
        shapes=shapes,
        annotations=annotations,
        uirevision="replay",
        xaxis={"range": [-0.5, last + 0.5], "autorange": False},
    )


def at_step(fig: go.Figure, step: int, traces: dict[str, dict[str, list[object]]] | None = None) -> go.Figure:
    """A copy of ``fig`` showing ``step``: the step line placed and shown, and (on the trajectory) the
    step traces given by :func:`trajectory_step` filled. What the browser does in place, for exports."""
    out = go.Figure(fig)
    shapes = [
        {**shape.to_plotly_json(), "x0": step, "x1": step, "visible": True}
        if shape.name == STEP_SHAPE
        else shape
        for shape in out.layout.shapes
    ]
    out.update_layout(shapes=shapes)
    for uid, values in (traces or {}).items():
        out.update_traces(values, selector={"uid": uid})
    return out


def trajectory(
    states: pd.DataFrame, steps: pd.DataFrame, items: pd.DataFrame, planted: list[int]
) -> go.Figure:
    """The user's states in the shared 2-D projection over a faint cloud of items by category. The path
    so far, the last steps and the current state are empty traces filled per step (:data:`STEP_TRACES`)."""
    fig = go.Figure()
    for category, group in items.groupby("category", sort=True):
        fig.add_trace(
            go.Scattergl(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=str(category),
                legendgroup="items",
                marker={"size": 4, "opacity": 0.18},
                hovertext=group["category"],
                hoverinfo="text",
                showlegend=False,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[],
            y=[],
            uid="path",
            mode="lines",
            name="earlier path",
            hoverinfo="skip",
            line={"color": MODEL_COLOUR, "width": 0.6},
            opacity=0.25,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[],
            y=[],
            uid="recent",
            mode="lines+markers",
            name=f"last {RECENT_PATH} steps",
            line={"color": MODEL_COLOUR, "width": 1.5},
            marker={"size": 4, "color": MODEL_COLOUR},
            hovertemplate="step %{text}<br>%{customdata[1]} %{customdata[0]}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[],
            y=[],
            uid="now",
            mode="markers",
            name="current step",
            marker={"size": 16, "color": "#FF2D55", "symbol": "star", "line": {"width": 1, "color": "#222"}},
        )
    )
    drifts = states[states["step"].isin(planted)]
    if len(drifts):
        fig.add_trace(
            go.Scatter(
                x=drifts["x"],
                y=drifts["y"],
                mode="markers",
                name="planted drift",
                marker={"size": 13, "symbol": "x", "color": "#000000"},
            )
        )
    fig.update_layout(
        title="State trajectory (shared 2-D projection of item embeddings)",
        height=420,
        margin=MARGIN,
        xaxis={
            "showticklabels": False,
            "title": None,
            "range": _span(items["x"], states["x"]),
            "autorange": False,
        },
        yaxis={
            "showticklabels": False,
            "title": None,
            "range": _span(items["y"], states["y"]),
            "autorange": False,
        },
        legend={"itemsizing": "constant", "font": {"size": 10}},
        uirevision="replay",
    )
    return fig


def trajectory_step(
    states: pd.DataFrame, steps: pd.DataFrame, step: int
) -> dict[str, dict[str, list[object]]]:
    """The trajectory's step traces at ``step`` (uid -> values): the path up to it, the last
    :data:`RECENT_PATH` steps (with step, event type and item for the hover) and the current state."""
    upto = states[states["step"] <= step]
    recent = upto.tail(RECENT_PATH)
    now = states[states["step"] == step]
    return {
        "path": {"x": upto["x"].tolist(), "y": upto["y"].tolist()},
        "recent": {
            "x": recent["x"].tolist(),
            "y": recent["y"].tolist(),
            "text": recent["step"].tolist(),
            "customdata": steps.loc[recent.index, ["item_name", "event_type"]]
            .astype(str)
            .to_numpy()
            .tolist(),
        },
        "now": {"x": now["x"].tolist(), "y": now["y"].tolist()},
    }


def trajectory_mark(states: pd.DataFrame, steps: pd.DataFrame, step: int) -> dict[str, object]:
    """What the step bridge draws over the trajectory at ``step`` (the same as :func:`trajectory_step`):
    ``path`` and ``recent`` as [x, y] points (recent ones with a hover label: step, event type, item),
    ``now`` as [x, y] (None before the first state)."""
    upto = states[states["step"] <= step]
    recent = upto.tail(RECENT_PATH)
    events = steps.loc[recent.index]
    labels = [
        f"step {s} · {event} {item}"
        for s, event, item in zip(recent["step"], events["event_type"], events["item_name"], strict=True)
    ]
    now = states[states["step"] == step]
    return {
        "path": upto[["x", "y"]].to_numpy().tolist(),
        "recent": [[x, y, label] for x, y, label in zip(recent["x"], recent["y"], labels, strict=True)],
        "now": [float(now["x"].iloc[0]), float(now["y"].iloc[0])] if len(now) else None,
    }


def _span(*columns: pd.Series, pad: float = 0.05) -> list[float]:
    """[low, high] around every value of ``columns``, widened by ``pad`` of the width on each side."""
    values = pd.concat([c.astype(float) for c in columns])
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    width = (high - low) or 1.0
    return [low - pad * width, high + pad * width]


def drift(steps: pd.DataFrame, cut: int | None, planted: list[int]) -> go.Figure:
    """Cosine drift per step (to the previous state and to the moving average), events as markers,
    detected change points dashed, planted drifts (when known) as black triangles."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps["step"],
            y=steps["drift_ema"],
            name="drift from recent average",
            line={"color": MODEL_COLOUR, "width": 2},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps["step"],
            y=steps["drift_prev"],
            name="drift from previous step",
            mode="markers",
            marker={"size": 6, "color": [EVENT_COLOURS.get(t, "#666666") for t in steps["event_type"]]},
            customdata=steps[["event_type", "item_name"]].to_numpy(),
            hovertemplate="step %{x}: %{customdata[0]} %{customdata[1]}<br>drift %{y:.3f}<extra></extra>",
        )
    )
    changes = [_vline(int(p), "#D55E00", "dash", 1.0) for p in steps.loc[steps["changepoint"], "step"]]
    if planted:
        top = float(steps[["drift_prev", "drift_ema"]].max().max() or 1.0)
        fig.add_trace(
            go.Scatter(
                x=planted,
                y=[top] * len(planted),
                mode="markers",
                name="planted drift",
                marker={"symbol": "triangle-down", "size": 12, "color": "#000000"},
            )
        )
    if steps["changepoint"].any():
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name="detected change point",
                line={"dash": "dash", "color": "#D55E00"},
            )
        )
    _mark_step(fig, cut, int(steps["step"].max()), changes)
    fig.update_layout(
        title="Interest drift per step",
        height=320,
        margin=MARGIN,
        xaxis_title="step",
        yaxis_title="cosine distance",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def interest_heatmap(interests: pd.DataFrame, cut: int | None, top: int = 12) -> go.Figure:
    """Category x step share of the user's decayed interest (the heaviest ``top`` categories)."""
    wide = interests.pivot_table(index="category", columns="step", values="share", fill_value=0.0)
    order = wide.sum(axis=1).sort_values(ascending=False).index[:top]
    wide = wide.loc[order]
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(),
            x=wide.columns,
            y=[str(c) for c in wide.index],
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            colorbar={"title": "share"},
            hovertemplate="step %{x}<br>%{y}: %{z:.0%}<extra></extra>",
        )
    )
    _mark_step(fig, cut, int(wide.columns.max()) if len(wide.columns) else 0)
    fig.update_layout(
        title="Interest by category", height=80 + 24 * len(order), margin=MARGIN, xaxis_title="step"
    )
    return fig


def running_hits(steps: pd.DataFrame, cut: int | None, metric: str = "hit") -> go.Figure:
    """Running hit@K (or MRR) over the judged steps so far: the model beside the baselines."""
    judged = steps[steps["judged"]]
    fig = go.Figure()
    series = {"GNN": metric, **{name: f"{name.lower()}_{metric}" for name in BASELINE_COLOURS}}
    for name, column in series.items():
        if column not in judged or not len(judged):
            continue
        values = judged[column].astype(float)
        running = values.expanding().mean()
        colour = MODEL_COLOUR if name == "GNN" else BASELINE_COLOURS[name]
        fig.add_trace(
            go.Scatter(
                x=judged["step"],
                y=running,
                name=name,
                line={"color": colour, "width": 3 if name == "GNN" else 1.5},
            )
        )
    _mark_step(fig, cut, int(steps["step"].max()))
    label = "hit@K" if metric == "hit" else "MRR@K"
    fig.update_layout(
        title=f"Running {label} of the next real event",
        height=300,
        margin=MARGIN,
        xaxis_title="step",
        yaxis_title=label,
        yaxis_range=[0, 1.02],
        legend={"orientation": "h", "y": -0.3},
    )
    return fig
