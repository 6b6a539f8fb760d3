"""The interest graph as drawn at one step: nodes sized by interest, the newest highlighted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.replay.trace import NO_CATEGORY, Trace, category_node, item_node

NEIGHBOUR_WEIGHT = 0.05  # share of the smallest touched item's weight given to a context neighbour


@dataclass(frozen=True)
class GraphView:
    """``nodes``: node, label, kind, category, weight (interest at the step), new (entered at it);
    ``edges``: source, target, weight, alpha, new. At most ``max_nodes`` nodes: the heaviest touched
    items, their categories, then neighbours of the kept items."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    step: int
    hidden: int  # nodes present by this step that did not fit


def graph_view(trace: Trace, step: int, max_nodes: int = 60) -> GraphView:
    step = int(np.clip(step, 0, max(trace.n_steps - 1, 0)))
    nodes = trace.nodes[trace.nodes["entered_step"] <= step].copy()
    weights = _item_weights(trace, step)
    categories = trace.interests[trace.interests["step"] == step].set_index("category")["strength"]
    nodes["weight"] = 0.0
    # an item the user touches later is only a neighbour until then
    later = (nodes["kind"] == "item") & ~nodes["node"].isin(weights.index)
    nodes.loc[later, "kind"] = "neighbour"
    is_item = nodes["kind"] == "item"
    nodes.loc[is_item, "weight"] = nodes.loc[is_item, "node"].map(weights).fillna(0.0)
    is_cat = nodes["kind"] == "category"
    nodes.loc[is_cat, "weight"] = nodes.loc[is_cat, "label"].map(categories).fillna(0.0)
    floor = float(nodes.loc[is_item, "weight"].min()) if is_item.any() else 1.0
    nodes.loc[nodes["kind"] == "neighbour", "weight"] = NEIGHBOUR_WEIGHT * floor
    nodes["new"] = nodes["entered_step"] == step
    kept = _keep(nodes, trace.edges, max_nodes)
    edges = trace.edges[
        trace.edges["source"].isin(kept["node"]) & trace.edges["target"].isin(kept["node"])
        & (trace.edges["entered_step"] <= step)
    ].copy()  # fmt: skip
    edges["new"] = edges["entered_step"] == step
    return GraphView(kept.reset_index(drop=True), edges.reset_index(drop=True), step, len(nodes) - len(kept))


def _item_weights(trace: Trace, step: int) -> pd.Series:
    r"""Each touched item's interest at ``step`` t, by node id: the same decayed, type-weighted sum as
    the category interests, :math:`\sum_{j \le t, i_j = i} w_j 2^{-(\tau_t - \tau_j)/h}`."""
    steps = trace.steps.iloc[: step + 1]
    half_life = float(trace.meta.get("config", {}).get("interest_half_life_s", 14 * 86_400.0))
    age = (steps["timestamp"].iloc[-1] - steps["timestamp"]).dt.total_seconds().to_numpy()
    decayed = steps["weight"].to_numpy(dtype=float) * np.exp2(-age / half_life)
    weight = pd.Series(decayed).groupby(steps["item_id"].to_numpy()).sum()
    weight.index = [item_node(str(i)) for i in weight.index]
    return weight


def _keep(nodes: pd.DataFrame, edges: pd.DataFrame, max_nodes: int) -> pd.DataFrame:
    if len(nodes) <= max_nodes:
        return nodes
    items = nodes[nodes["kind"] == "item"].sort_values(["new", "weight"], ascending=False)
    items = items.head(max(1, int(max_nodes * 0.6)))
    wanted_cats = {category_node(c) for c in items["category"] if c != NO_CATEGORY}
    cats = nodes[nodes["node"].isin(wanted_cats)]
    budget = max_nodes - len(items) - len(cats)
    linked = set(edges.loc[edges["target"].isin(items["node"]), "source"])
    neighbours = nodes[(nodes["kind"] == "neighbour") & nodes["node"].isin(linked)].head(max(budget, 0))
    return pd.concat([items, cats, neighbours])
