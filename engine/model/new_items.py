"""Embeddings for items a checkpoint never saw, from their text and category alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from engine.model.checkpoint import Checkpoint
from engine.model.inputs import build_graph_inputs


@torch.no_grad()
def embed_new_items(
    checkpoint: Checkpoint,
    new_items: Sequence[str],
    texts: Mapping[str, str],
    item_category: Mapping[str, object],
) -> torch.Tensor:
    """Embeddings [len(new_items), d] through the checkpoint's own features and encoder.

    Each new item is a node with its text (name and category) and, when it has a category, an edge to
    and from that category's node: the same membership edge a training item has. Its id is unknown to
    the model, so the shared "unknown id" row stands in, as during training with id dropout.
    """
    model, z_known = checkpoint.model, checkpoint.item_embeddings
    if not new_items:
        return z_known.new_zeros((0, z_known.shape[1]))
    wanted = [item_category.get(item) for item in new_items]
    categories = list(
        dict.fromkeys([*checkpoint.vocab.categories, *(str(c) for c in wanted if isinstance(c, str))])
    )
    cat_node = {c: len(new_items) + i for i, c in enumerate(categories)}
    pairs = [(i, cat_node[c]) for i, c in enumerate(wanted) if isinstance(c, str)]
    src = [i for i, _ in pairs] + [c for _, c in pairs]
    dst = [c for _, c in pairs] + [i for i, _ in pairs]
    edge_index = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)
    edge_weight = torch.full((edge_index.shape[1],), float(checkpoint.graph_config.category_weight))
    graph = build_graph_inputs(
        checkpoint.vocab, list(new_items), {**checkpoint.texts, **texts}, model.config,
        edge_index, edge_weight, categories, use_sentences=checkpoint.sentence_dim > 0,
    ).to(z_known.device)  # fmt: skip
    return model.item_embeddings(graph)  # [n_new, d]
