"""Exports of an InterestGraph to PyTorch Geometric (homogeneous ``Data`` and ``HeteroData``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from torch_geometric.data import Data, HeteroData

    from engine.graph.interest_graph import InterestGraph, TimeLike


def to_pyg(
    graph: InterestGraph, item_ids: list[str] | np.ndarray | pd.Index | None = None, now: TimeLike = None
) -> Data:
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
    raise NotImplementedError


def to_hetero(
    graph: InterestGraph, item_ids: list[str] | np.ndarray | pd.Index | None = None, now: TimeLike = None
) -> HeteroData:
    """The graph as ``HeteroData`` with node types ``item`` (in ``item_ids`` order) and ``category``.

    Edge types (each with ``edge_index`` and float32 ``edge_weight``):
    ``('item', 'co', 'item')`` both directions; ``('item', 'in', 'category')`` and its reverse
    ``('category', 'rev_in', 'item')`` (PyG's ``ToUndirected`` naming).
    """
    raise NotImplementedError
