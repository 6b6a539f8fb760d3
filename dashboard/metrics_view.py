"""The Metrics page's tables and figures from plain evaluation tables; no Streamlit here.

Cells read "mean [lo, hi]" with the 95% bootstrap interval, as the ``evaluate`` command prints them.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

ACCURACY = ("ndcg", "hit_rate", "recall", "mrr", "precision")
BEYOND = ("coverage", "novelty", "diversity")
LABELS = {"hit_rate": "hit rate", "ndcg": "NDCG", "mrr": "MRR"}
MODEL_COLOUR = "#5B4FE9"  # the GNN, as on the Replay page
BASELINE_COLOURS = ("#9AA5B1", "#F4A259", "#5B8E7D", "#BC4B51", "#56B4E9", "#CC79A7")
MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}


def cell(value: float, lo: float = math.nan, hi: float = math.nan) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{value:.4f}"
    return f"{value:.4f} [{lo:.4f}, {hi:.4f}]"


def delta_cell(delta: float, lo: float, hi: float) -> str:
    if not all(math.isfinite(v) for v in (delta, lo, hi)):
        return "n/a"
    mark = " ▲" if lo > 0 else " ▼" if hi < 0 else ""  # the interval excludes 0: a real difference
    return f"{delta:+.4f} [{lo:+.4f}, {hi:+.4f}]{mark}"


def metric_table(
    metrics: pd.DataFrame,
    deltas: pd.DataFrame,
    models: list[str],
    k: int,
    names: tuple[str, ...],
    reference: str | None = None,
    headline: str = "ndcg",
) -> pd.DataFrame:
    """Models down, ``names`` at ``k`` across (text cells), and for accuracy tables the headline's paired
    difference from ``reference`` (the best baseline)."""
    rows = metrics[(metrics["k"] == k) & metrics["metric"].isin(names)]
    table = pd.DataFrame({"model": models})
    for name in names:
        values = rows[rows["metric"] == name].set_index("model")
        if values.empty:
            continue
        table[f"{LABELS.get(name, name)}@{k}"] = [
            cell(*values.loc[m, ["value", "lo", "hi"]]) if m in values.index else "n/a" for m in models
        ]
    if reference is not None and not deltas.empty:
        diff = deltas[(deltas["k"] == k) & (deltas["metric"] == headline)].set_index("model")
        table[f"Δ {LABELS.get(headline, headline)}@{k} vs {reference}"] = [
            "(best baseline)"
            if m == reference
            else delta_cell(*diff.loc[m, ["delta", "lo", "hi"]])
            if m in diff.index
            else "n/a"
            for m in models
        ]
    return table


def model_colours(models: list[str]) -> dict[str, str]:
    baselines = [m for m in models if m != "GNN"]
    colours = {m: BASELINE_COLOURS[i % len(BASELINE_COLOURS)] for i, m in enumerate(baselines)}
    colours["GNN"] = MODEL_COLOUR
    return colours


def hit_curves(curves: pd.DataFrame, models: list[str]) -> go.Figure:
    """Cumulative hit rate by list position (HR@1 … HR@K), one line per model; the GNN bold."""
    colours = model_colours(models)
    fig = go.Figure()
    for model in models:
        rows = curves[curves["model"] == model]
        fig.add_trace(
            go.Scatter(
                x=rows["position"],
                y=rows["hit_rate"],
                mode="lines+markers",
                name=model,
                line={"color": colours[model], "width": 3.5 if model == "GNN" else 2},
                marker={"size": 5},
                hovertemplate=f"{model}: hit@%{{x}} = %{{y:.3f}}<extra></extra>",
            )
        )
    fig.update_layout(
        height=360,
        margin=MARGIN,
        title="Cumulative hit rate by list position",
        xaxis_title="list position K",
        yaxis_title="users with a target in the top K",
        yaxis_tickformat=".0%",
        legend_title=None,
    )
    return fig


def delta_forest(deltas: pd.DataFrame, models: list[str], metric: str, k: int, reference: str) -> go.Figure:
    """Each model's paired difference from the best baseline with its 95% interval (0 = as good)."""
    rows = deltas[(deltas["metric"] == metric) & (deltas["k"] == k)].set_index("model")
    shown = [m for m in models if m in rows.index and m != reference]
    rows = rows.loc[shown]
    delta, lo, hi = (rows[c].to_numpy(dtype=float) for c in ("delta", "lo", "hi"))
    colours = model_colours(models)
    fig = go.Figure(
        go.Scatter(
            x=delta,
            y=shown,
            mode="markers",
            marker={"size": 11, "color": [colours[m] for m in shown]},
            error_x={"type": "data", "symmetric": False, "array": hi - delta, "arrayminus": delta - lo},
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line_dash="dot", line_color="#555555")
    fig.update_layout(
        height=max(220, 60 + 40 * len(shown)),
        margin=MARGIN,
        title=f"{LABELS.get(metric, metric)}@{k} minus {reference}'s, with 95% paired intervals",
        showlegend=False,
    )
    return fig


def heldout_curves(curves: pd.DataFrame, models: list[str], metric: str, k: int, x: str) -> go.Figure:
    """Cumulative ``metric`` ("hit_rate" or "mrr") at ``k`` as the held-out events go by, one line per
    model (the GNN bold); ``x`` is "event" (held-out event number) or "timestamp"."""
    colours = model_colours(models)
    label = f"{LABELS.get(metric, metric)}@{k}"
    fig = go.Figure()
    for model in models:
        rows = curves[curves["model"] == model]
        fig.add_trace(
            go.Scattergl(
                x=rows[x],
                y=rows[metric],
                mode="lines",
                name=model,
                line={"color": colours[model], "width": 3 if model == "GNN" else 1.5},
                customdata=rows["event"],
                hovertemplate=f"{model}: {label} = %{{y:.3f}} after %{{customdata:,}} events<extra></extra>",
            )
        )
    fig.update_layout(
        height=380,
        margin=MARGIN,
        title=f"Cumulative {label} over the held-out events",
        xaxis_title="held-out event (time order)" if x == "event" else "time (UTC)",
        yaxis_title=f"{label} so far",
        yaxis_rangemode="tozero",
        legend_title=None,
    )
    return fig
