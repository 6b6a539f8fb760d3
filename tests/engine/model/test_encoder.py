"""Graph encoder: edge pruning, every conv type, and the memory-only ablation passes no messages."""

from __future__ import annotations

import pytest
import torch

from engine.model.config import CONV_TYPES, ModelConfig
from engine.model.encoder import GraphEncoder, strongest_edges


def test_strongest_edges_keeps_top_k_incoming_per_node() -> None:
    edge_index = torch.tensor([[1, 2, 3, 0, 0], [0, 0, 0, 1, 2]])
    weight = torch.tensor([0.5, 3.0, 2.0, 1.0, 1.0])
    kept, kept_w = strongest_edges(edge_index, weight, k=2, num_nodes=4)
    pairs = {(int(s), int(d)) for s, d in kept.T}
    assert pairs == {(2, 0), (3, 0), (0, 1), (0, 2)}  # node 0 loses its weakest in-edge (1 -> 0)
    assert sorted(kept_w.tolist()) == [1.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("conv", CONV_TYPES)
def test_each_conv_maps_nodes_to_dim_and_uses_neighbours(conv: str) -> None:
    torch.manual_seed(0)
    encoder = GraphEncoder(ModelConfig(dim=8, heads=2, conv=conv, layers=2, dropout=0.0)).eval()
    x = torch.randn(4, 8)
    edge_index = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    weight = torch.ones(4)
    out = encoder(x, edge_index, weight)
    assert out.shape == (4, 8)
    moved = x.clone()
    moved[1] = torch.randn(8)  # node 1 is node 0's only neighbour
    again = encoder(moved, edge_index, weight)
    assert not torch.allclose(out[0], again[0])
    assert torch.allclose(out[2:], again[2:], atol=1e-6)  # nodes 2, 3 are not connected to 0, 1


def test_memory_only_ablation_ignores_the_graph() -> None:
    encoder = GraphEncoder(ModelConfig(dim=8, use_graph=False)).eval()
    x = torch.randn(3, 8)
    with_edges = encoder(x, torch.tensor([[0, 1], [1, 0]]), torch.ones(2))
    without = encoder(x, torch.zeros(2, 0, dtype=torch.long), torch.zeros(0))
    assert torch.allclose(with_edges, without)
