"""What the model reads from the data: node vocabulary, node texts and the interest graph as tensors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.model.config import ModelConfig
from engine.model.encoder import strongest_edges
from engine.model.features import TextBags, sentence_embeddings


@dataclass(frozen=True)
class Vocabulary:
    """The ids the model has embedding rows for: training catalogue items and categories, in row order."""

    items: tuple[str, ...]
    categories: tuple[str, ...]

    def item_codes(self, item_ids: Sequence[str]) -> np.ndarray:
        """Item ids -> id rows, -1 for items the model never saw. Shape [n] int64."""
        lookup = {item: i for i, item in enumerate(self.items)}
        return np.fromiter((lookup.get(str(i), -1) for i in item_ids), dtype=np.int64, count=len(item_ids))

    def category_codes(self, category_ids: Sequence[str]) -> np.ndarray:
        lookup = {cat: i for i, cat in enumerate(self.categories)}
        return np.fromiter(
            (lookup.get(str(c), -1) for c in category_ids), dtype=np.int64, count=len(category_ids)
        )


def item_texts(events: pd.DataFrame) -> dict[str, str]:
    """Item id -> text for its features: the latest name (never the bare id) and category.

    Ids are left out on purpose: hashing "1234" and "1235" would make unrelated items look alike.
    """
    name = events["item_name"] if "item_name" in events else pd.Series(None, index=events.index)
    category = events["category"] if "category" in events else pd.Series(None, index=events.index)
    text = name.fillna("").astype(str) + " " + category.fillna("").astype(str)
    last = pd.Series(text.str.strip().to_numpy(), index=events["item_id"].to_numpy())
    last = last[~last.index.duplicated(keep="last")]
    return {str(k): str(v) for k, v in last.items()}


@dataclass(frozen=True)
class GraphInputs:
    """The interest graph as the encoder reads it; the first ``n_items`` nodes are the scored items.

    ``id_codes`` [N] embedding rows (-1 unknown), ``node_type`` [N] (0 item, 1 category), ``text`` the
    hashed n-gram bags of the N node texts, ``sentence`` [N, S] or None, ``edge_index`` [2, E] and
    ``edge_weight`` [E] float32 after keeping each node's strongest edges.
    """

    id_codes: Tensor
    node_type: Tensor
    text: TextBags
    sentence: Tensor | None
    edge_index: Tensor
    edge_weight: Tensor
    n_items: int
    category_ids: tuple[str, ...] = ()  # the category nodes' ids, nodes n_items.. in order

    def to(self, device: torch.device | str) -> GraphInputs:
        return GraphInputs(
            self.id_codes.to(device),
            self.node_type.to(device),
            self.text.to(device),
            None if self.sentence is None else self.sentence.to(device),
            self.edge_index.to(device),
            self.edge_weight.to(device),
            self.n_items,
            self.category_ids,
        )


def build_graph_inputs(
    vocab: Vocabulary,
    item_ids: Sequence[str],
    texts: dict[str, str],
    config: ModelConfig,
    edge_index: Tensor | None = None,
    edge_weight: Tensor | None = None,
    category_ids: Sequence[str] = (),
    use_sentences: bool = False,
) -> GraphInputs:
    """Tensors for ``item_ids`` (the first nodes) and ``category_ids`` (the next), with the graph's edges.

    ``edge_index``/``edge_weight`` follow the node order of ``InterestGraph.to_pyg(item_ids)``; without
    them the items are isolated (memory-only model, or new items with no known neighbours).
    """
    n_items, n_nodes = len(item_ids), len(item_ids) + len(category_ids)
    id_codes = np.concatenate([vocab.item_codes(item_ids), vocab.category_codes(category_ids)])
    node_type = np.r_[np.zeros(n_items, np.int64), np.ones(len(category_ids), np.int64)]
    node_texts = [texts.get(str(i), "") for i in item_ids] + [str(c) for c in category_ids]
    bags = TextBags.from_texts(node_texts, config.text_buckets, config.char_ngram)
    sentence = None
    if use_sentences:
        found = sentence_embeddings(node_texts)
        sentence = None if found is None else torch.from_numpy(found)
    if edge_index is None or edge_weight is None:
        edge_index, edge_weight = torch.zeros(2, 0, dtype=torch.long), torch.zeros(0)
    edge_index, edge_weight = strongest_edges(
        edge_index.long(), edge_weight.float(), config.max_neighbors, n_nodes
    )
    return GraphInputs(
        torch.from_numpy(id_codes),
        torch.from_numpy(node_type),
        bags,
        sentence,
        edge_index,
        edge_weight,
        n_items,
        tuple(str(c) for c in category_ids),
    )
