"""Encoding the in-neighbourhood of some items gives exactly their rows of the whole graph's encoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.model.config import CONV_TYPES, ModelConfig
from engine.model.inputs import Vocabulary, build_graph_inputs
from engine.model.model import InterestModel
from engine.model.subgraph import in_neighbourhood


def _graph(config: ModelConfig, n_items: int = 40, n_edges: int = 300):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    items = [f"i{j:02d}" for j in range(n_items)]
    categories = ["c0", "c1", "c2"]
    vocab = Vocabulary(tuple(items), tuple(categories))
    texts = {item: f"word{j % 7} thing {j}" for j, item in enumerate(items)}
    src = rng.integers(0, n_items + 3, n_edges)
    dst = rng.integers(0, n_items + 3, n_edges)
    keep = src != dst
    edge_index = torch.from_numpy(np.stack([src[keep], dst[keep]]))
    weight = torch.from_numpy(rng.uniform(0.5, 3.0, int(keep.sum())).astype(np.float32))
    graph = build_graph_inputs(vocab, items, texts, config, edge_index, weight, categories)
    return graph, vocab


@pytest.mark.parametrize("conv", CONV_TYPES)
@pytest.mark.parametrize("layers", [1, 2])
def test_subgraph_rows_equal_the_whole_graphs_rows(conv: str, layers: int) -> None:
    config = ModelConfig(dim=8, heads=2, conv=conv, layers=layers, max_neighbors=5, sentence_model=False)
    graph, vocab = _graph(config)
    torch.manual_seed(0)
    model = InterestModel(config, len(vocab.items), len(vocab.categories)).eval()
    items = torch.tensor([3, 17, 4, 39, 3])  # any order, repeats allowed
    with torch.no_grad():
        whole = model.item_embeddings(graph)[items]
        part = model.item_embeddings_of(graph, items)
    torch.testing.assert_close(part, whole, atol=1e-6, rtol=1e-5)


def test_the_neighbourhood_holds_only_edges_into_needed_nodes() -> None:
    # 0 -> 1 -> 2 -> 3 and 4 -> 3: node 3's one-hop output reads 2 and 4 only
    edge_index = torch.tensor([[0, 1, 2, 4], [1, 2, 3, 3]])
    subset, mask = in_neighbourhood(edge_index, torch.tensor([3]), hops=1, num_nodes=5)
    assert subset.tolist() == [2, 3, 4]
    assert mask.tolist() == [False, False, True, True]
    subset, mask = in_neighbourhood(edge_index, torch.tensor([3]), hops=2, num_nodes=5)
    assert subset.tolist() == [1, 2, 3, 4]
    assert mask.tolist() == [False, True, True, True]
