"""The part of the encoder's graph some nodes' embeddings read: their in-neighbourhood, hop by hop.

A message-passing layer updates a node from its incoming edges only, so after ``hops`` layers a node's
output depends on nothing outside its ``hops``-hop in-neighbourhood. Encoding that subgraph gives the
same rows as encoding the whole graph, at the cost of the edges that reach the wanted nodes: a training
step that needs a few thousand of 50k item embeddings reads a small share of the edges.
"""

from __future__ import annotations

import torch
from torch import Tensor

from engine.model.features import TextBags
from engine.model.inputs import GraphInputs


def in_neighbourhood(edge_index: Tensor, nodes: Tensor, hops: int, num_nodes: int) -> tuple[Tensor, Tensor]:
    """The nodes ``nodes``' outputs read after ``hops`` layers, and the edges that carry it.

    Edges kept: those into a node whose output some layer needs (into ``nodes`` for the last layer,
    into their sources for the layer before, ...); nodes kept: ``nodes`` and every such edge's source.

    Shapes: edge_index [2, E], nodes [M] -> subset [S] (sorted node ids), edge_mask [E] bool.
    """
    src, dst = edge_index
    needed = torch.zeros(num_nodes, dtype=torch.bool, device=edge_index.device)
    needed[nodes] = True
    edge_mask = torch.zeros(src.numel(), dtype=torch.bool, device=edge_index.device)
    for _ in range(hops):
        into = needed[dst]  # edges into a node whose output this layer must compute
        edge_mask |= into
        needed = needed.clone()
        needed[src[into]] = True
    return needed.nonzero().flatten(), edge_mask


def _text_rows(text: TextBags, rows: Tensor) -> TextBags:
    """The bags of some texts, ``rows`` [S] -> TextBags of S texts."""
    ends = torch.cat([text.offsets[1:], text.offsets.new_tensor([text.indices.numel()])])
    lengths = (ends - text.offsets)[rows]  # [S]
    offsets = torch.cumsum(lengths, 0) - lengths
    within = torch.arange(int(lengths.sum()), device=rows.device) - torch.repeat_interleave(offsets, lengths)
    indices = text.indices[torch.repeat_interleave(text.offsets[rows], lengths) + within]
    return TextBags(indices, offsets)


def encoder_subgraph(graph: GraphInputs, nodes: Tensor, hops: int) -> tuple[GraphInputs, Tensor]:
    """The subgraph of ``graph`` that ``hops`` layers read for ``nodes`` [M], relabelled 0..S-1, and
    where each of ``nodes`` sits in it [M]. Its first ``n_items`` nodes are not the items any more:
    read the rows at the returned positions."""
    num_nodes = int(graph.node_type.numel())
    subset, edge_mask = in_neighbourhood(graph.edge_index, nodes, hops, num_nodes)
    position = torch.full((num_nodes,), -1, dtype=torch.long, device=subset.device)
    position[subset] = torch.arange(subset.numel(), device=subset.device)
    sub = GraphInputs(
        id_codes=graph.id_codes[subset],
        node_type=graph.node_type[subset],
        text=_text_rows(graph.text, subset),
        sentence=None if graph.sentence is None else graph.sentence[subset],
        edge_index=position[graph.edge_index[:, edge_mask]],
        edge_weight=graph.edge_weight[edge_mask],
        n_items=int((subset < graph.n_items).sum()),
        category_ids=(),
    )
    return sub, position[nodes]
