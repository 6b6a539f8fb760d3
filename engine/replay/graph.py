"""The interest graph of a replay: the items the user touched, their categories and their strongest
neighbours in the encoder's graph, each with the step it entered the picture."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.replay.model import ReplayModel
from engine.replay.trace import NO_CATEGORY, category_node, item_node


def graph_tables(
    model: ReplayModel, item_ids: np.ndarray, categories: pd.Series, names: pd.Series, neighbours: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``nodes`` (node, label, kind, category, entered_step) and ``edges`` (source, target, weight,
    alpha, entered_step); ``kind`` is ``item`` (touched), ``neighbour`` (a strong encoder neighbour of a
    touched item) or ``category``. Edge weights and α are the encoder graph's, where it has the edge."""
    nodes: dict[str, tuple[str, str, str, int]] = {}
    edges: dict[tuple[str, str], tuple[float, float, int]] = {}
    n_items = model.n_items
    category_ids = model.checkpoint.graph.category_ids
    category_weight = float(model.checkpoint.graph_config.category_weight)
    for step, (item, category, name) in enumerate(zip(item_ids, categories, names, strict=True)):
        item = str(item)
        cat = NO_CATEGORY if pd.isna(category) else str(category)
        node = item_node(item)
        label = str(name) if isinstance(name, str) and name else item
        if node in nodes:
            if nodes[node][1] == "item":
                continue
            step_in = nodes[node][3]  # shown as a neighbour before the user touched it
            nodes[node] = (label, "item", cat, step_in)
        else:
            nodes[node] = (label, "item", cat, step)
        if cat != NO_CATEGORY:
            nodes.setdefault(category_node(cat), (cat, "category", cat, step))
            # membership: the graph's constant weight; its α is filled in below when the encoder kept it
            edges.setdefault((node, category_node(cat)), (category_weight, np.nan, step))
        row = model.item_index.get(item)
        if row is None or neighbours == 0:
            continue
        sources, positions = model.in_edges(row)
        strongest = np.argsort(-model.edge_alpha[positions], kind="stable")
        taken = 0
        for j in strongest:
            src = int(sources[j])
            if src >= n_items:  # its category: drawn as the membership edge above
                cat_name = category_ids[src - n_items]
                key = (node, category_node(cat_name))
                if key in edges:
                    edges[key] = (*_edge(model, positions[j]), edges[key][2])
                continue
            other = model.catalogue[src]
            other_node = item_node(other)
            if other_node not in nodes:
                other_cat = model.categories[src] or NO_CATEGORY
                nodes[other_node] = (model.node_label(src), "neighbour", other_cat, step)
            edges.setdefault((other_node, node), (*_edge(model, positions[j]), step))
            taken += 1
            if taken >= neighbours:
                break
    node_table = pd.DataFrame(
        [(node, *values) for node, values in nodes.items()],
        columns=["node", "label", "kind", "category", "entered_step"],
    )
    edge_table = pd.DataFrame(
        [(*key, *values) for key, values in edges.items()],
        columns=["source", "target", "weight", "alpha", "entered_step"],
    )
    return node_table, edge_table.astype({"weight": float, "alpha": float, "entered_step": np.int64})


def _edge(model: ReplayModel, position: int) -> tuple[float, float]:
    return float(model.edge_weight[position]), float(model.edge_alpha[position])
