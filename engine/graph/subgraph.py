"""A per-user view of the interest graph for display: plain Python, no torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from engine.graph.interest_graph import InterestGraph, TimeLike

ITEM_PREFIX = "item:"
CATEGORY_PREFIX = "category:"


def user_subgraph(
    graph: InterestGraph,
    user_id: str,
    now: TimeLike = None,
    top_neighbours: int = 10,
    max_touched: int = 50,
) -> dict[str, Any]:
    """What one user touched plus the strongest neighbours of it, for display.

    Returns ``{"nodes": [...], "edges": [...]}``:

    - node ``{"id", "label", "kind", "weight", "touched"}``: ``id`` is ``"item:<item_id>"`` or
      ``"category:<category_id>"``; ``label`` the item name (else the id) or the category id; ``kind``
      "item" or "category"; ``weight`` for a touched item the user's decayed interest (sum of event
      strengths, decayed like edges), for a neighbour item the sum of its edge weights to the touched
      items, for a category the sum of the weights of its items in the view; ``touched`` bool (for a
      category: whether the user touched one of its items).
    - edge ``{"source", "target", "weight", "kind"}`` between node ids: "co" (item-item, decayed, each
      once) and "in" (item -> category).

    At most ``max_touched`` touched items (strongest first) and ``top_neighbours`` untouched items
    (highest weight, ties by id) are shown. An unknown user gives empty lists. Strings are not escaped.
    """
    mine = graph.user_items(user_id, now).head(max_touched)
    if mine.empty:
        return {"nodes": [], "edges": []}
    touched = graph.item_index(mine["item_id"].tolist())  # [T] graph indices
    touched_weight = mine["weight"].to_numpy()

    low, high, weight = graph.co_edge_arrays(now, touching=touched)
    low_in, high_in = np.isin(low, touched), np.isin(high, touched)
    one_end = low_in ^ high_in
    other = np.where(low_in, high, low)[one_end]
    candidates, inverse = np.unique(other, return_inverse=True)
    score = np.bincount(inverse, weights=weight[one_end], minlength=len(candidates))
    item_ids = np.asarray(graph.item_ids, dtype=object)
    order = np.lexsort((item_ids[candidates].astype(str), -score))[:top_neighbours]
    neighbours, neighbour_weight = candidates[order], score[order]

    shown = np.concatenate([touched, neighbours])
    shown_weight = np.concatenate([touched_weight, neighbour_weight])
    is_touched = np.r_[np.ones(len(touched), bool), np.zeros(len(neighbours), bool)]
    shown_ids = item_ids[shown].tolist()
    labels = graph.item_labels(shown_ids)
    nodes: list[dict[str, Any]] = [
        {
            "id": ITEM_PREFIX + i,
            "label": labels.get(i, i),
            "kind": "item",
            "weight": float(w),
            "touched": bool(t),
        }
        for i, w, t in zip(shown_ids, shown_weight, is_touched, strict=True)
    ]

    # edges among the shown items: those at the touched items (above) and those between neighbours
    n_low, n_high, n_weight = graph.co_edge_arrays(now, touching=neighbours)
    between = ~(np.isin(n_low, touched) | np.isin(n_high, touched))  # the others are listed already
    low, high = np.r_[low, n_low[between]], np.r_[high, n_high[between]]
    weight = np.r_[weight, n_weight[between]]
    inside = np.isin(low, shown) & np.isin(high, shown)
    edges: list[dict[str, Any]] = [
        {"source": ITEM_PREFIX + a, "target": ITEM_PREFIX + b, "weight": float(w), "kind": "co"}
        for a, b, w in zip(
            item_ids[low[inside]].tolist(),
            item_ids[high[inside]].tolist(),
            weight[inside].tolist(),
            strict=True,
        )
    ]

    if graph.config.category_edges:
        cat_of = graph.item_category_index()[shown]
        category_ids = graph.category_ids
        has = np.flatnonzero(cat_of >= 0)
        cats, inverse = np.unique(cat_of[has], return_inverse=True)
        cat_weight = np.bincount(inverse, weights=shown_weight[has], minlength=len(cats))
        cat_touched = np.bincount(inverse, weights=is_touched[has], minlength=len(cats)) > 0
        for c, w, t in zip(cats.tolist(), cat_weight.tolist(), cat_touched.tolist(), strict=True):
            cid = category_ids[c]
            nodes.append(
                {"id": CATEGORY_PREFIX + cid, "label": cid, "kind": "category", "weight": w, "touched": t}
            )
        for pos in has.tolist():
            edges.append(
                {
                    "source": ITEM_PREFIX + shown_ids[pos],
                    "target": CATEGORY_PREFIX + category_ids[int(cat_of[pos])],
                    "weight": float(graph.config.category_weight),
                    "kind": "in",
                }
            )
    return {"nodes": nodes, "edges": edges}
