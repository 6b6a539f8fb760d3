"""Exports of an InterestGraph to PyTorch Geometric (homogeneous ``Data`` and ``HeteroData``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch_geometric.data import Data, HeteroData

if TYPE_CHECKING:
    from engine.graph.interest_graph import IdList, InterestGraph, TimeLike


def _parts(
    graph: InterestGraph, item_ids: IdList | None, now: TimeLike
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Catalogue ids, co-occurrence edges in catalogue positions ``(src, dst, weight)`` each once, and
    each catalogue item's category index (-1 none)."""
    ids = graph.item_ids if item_ids is None else [str(v) for v in item_ids]
    # graph index -> catalogue position (-1 when the item is not in the catalogue)
    position = np.full(graph.num_items, -1, dtype=np.int64)
    graph_idx = graph.item_index(ids)
    known = graph_idx >= 0
    position[graph_idx[known]] = np.flatnonzero(known)
    low, high, weight = graph.co_edge_arrays(now)
    src, dst = position[low], position[high]
    inside = (src >= 0) & (dst >= 0)
    item_cat = np.full(len(ids), -1, dtype=np.int64)
    if graph.config.category_edges:
        item_cat[known] = graph.item_category_index()[graph_idx[known]]
    return ids, src[inside], dst[inside], weight[inside], item_cat


def to_pyg(graph: InterestGraph, item_ids: IdList | None = None, now: TimeLike = None) -> Data:
    """The graph as one homogeneous ``Data``.

    Nodes: the first ``len(item_ids)`` are the items in the given order (default: ``graph.item_ids``;
    items unknown to the graph become isolated nodes), then one node per category of the graph.

    Attributes:
        edge_index ``[2, E]`` long, every edge in both directions; edges with an end outside
            ``item_ids`` and co-occurrence edges decayed under the prune threshold are left out.
        edge_weight ``[E]`` float32, decayed to ``now`` (default: latest event time); membership edges
            carry ``config.category_weight``.
        edge_type ``[E]`` long: 0 item-item, 1 item-category (either direction).
        node_type ``[N]`` long: 0 item, 1 category.
        item_category ``[n_items]`` long: node index of the item's category node, -1 if none.
        item_ids ``list[str]``, category_ids ``list[str]``, num_nodes ``int``.
    """
    ids, src, dst, weight, item_cat = _parts(graph, item_ids, now)
    n_items, n_cats = len(ids), graph.num_categories
    member = np.flatnonzero(item_cat >= 0)  # catalogue positions with a category
    cat_node = n_items + item_cat[member]  # [M]
    cat_w = np.full(len(member), graph.config.category_weight)
    edge_src = np.concatenate([src, dst, member, cat_node])  # [2E + 2M]
    edge_dst = np.concatenate([dst, src, cat_node, member])
    edge_weight = np.concatenate([weight, weight, cat_w, cat_w])
    edge_type = np.repeat([0, 1], [2 * len(src), 2 * len(member)])
    item_category = np.where(item_cat >= 0, n_items + item_cat, -1)
    return Data(
        edge_index=torch.from_numpy(np.stack([edge_src, edge_dst]).astype(np.int64)),  # [2, E]
        edge_weight=torch.from_numpy(edge_weight.astype(np.float32)),  # [E]
        edge_type=torch.from_numpy(edge_type.astype(np.int64)),  # [E]
        node_type=torch.cat([torch.zeros(n_items, dtype=torch.long), torch.ones(n_cats, dtype=torch.long)]),
        item_category=torch.from_numpy(item_category.astype(np.int64)),  # [n_items]
        item_ids=list(ids),
        category_ids=graph.category_ids,
        num_nodes=n_items + n_cats,
    )


def to_hetero(graph: InterestGraph, item_ids: IdList | None = None, now: TimeLike = None) -> HeteroData:
    """The graph as ``HeteroData`` with node types ``item`` (in ``item_ids`` order) and ``category``.

    Edge types (each with ``edge_index`` long and float32 ``edge_weight``):
    ``('item', 'co', 'item')`` both directions; ``('item', 'in', 'category')`` and its reverse
    ``('category', 'rev_in', 'item')`` (PyG's ``ToUndirected`` naming). ``data.item_ids`` and
    ``data.category_ids`` hold the ids in node order.
    """
    ids, src, dst, weight, item_cat = _parts(graph, item_ids, now)
    member = np.flatnonzero(item_cat >= 0)
    cats = item_cat[member]
    cat_w = torch.full((len(member),), graph.config.category_weight, dtype=torch.float32)
    co_w = torch.from_numpy(np.concatenate([weight, weight]).astype(np.float32))

    data = HeteroData()
    data["item"].num_nodes = len(ids)
    data["category"].num_nodes = graph.num_categories
    data["item", "co", "item"].edge_index = torch.from_numpy(
        np.stack([np.concatenate([src, dst]), np.concatenate([dst, src])]).astype(np.int64)
    )  # [2, 2E]
    data["item", "co", "item"].edge_weight = co_w
    data["item", "in", "category"].edge_index = torch.from_numpy(np.stack([member, cats]).astype(np.int64))
    data["item", "in", "category"].edge_weight = cat_w
    data["category", "rev_in", "item"].edge_index = torch.from_numpy(
        np.stack([cats, member]).astype(np.int64)
    )
    data["category", "rev_in", "item"].edge_weight = cat_w.clone()
    data.item_ids = list(ids)
    data.category_ids = graph.category_ids
    return data
