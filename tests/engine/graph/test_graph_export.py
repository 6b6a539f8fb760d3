from __future__ import annotations

import numpy as np
import pytest
import torch
from graph_test_events import DAY, events

from engine.graph import GraphConfig, InterestGraph

T0 = 1_700_000_000.0
COLS = ("user_id", "item_id", "timestamp", "event_type", "category")


@pytest.fixture
def graph() -> InterestGraph:
    g = InterestGraph(GraphConfig(half_life_s=DAY, prune_every_s=None))
    g.add_events(
        events(
            [
                ("u1", "a", T0, "view", "shoes"),
                ("u1", "b", T0, "view", "shoes"),
                ("u1", "c", T0, "purchase", "books"),
                ("u2", "d", T0, "view", None),
            ],
            COLS,
        )
    )
    return g  # co edges a-b 1, a-c 3, b-c 3; d isolated without category


def as_set(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edge_index.t().tolist()))


def test_to_pyg_shapes_order_and_symmetry(graph: InterestGraph) -> None:
    catalogue = ["c", "new", "a", "b", "d"]
    data = graph.to_pyg(item_ids=catalogue)
    data.validate()
    n_items, n_cats = 5, 2
    assert data.num_nodes == n_items + n_cats
    assert data.category_ids == ["shoes", "books"]
    assert data.item_ids == catalogue
    assert data.edge_index.dtype == torch.long
    assert data.edge_index.shape[0] == 2
    assert data.edge_weight.dtype == torch.float32
    assert data.edge_weight.shape == (data.edge_index.shape[1],)
    assert data.node_type.tolist() == [0] * n_items + [1] * n_cats
    shoes, books = n_items + 0, n_items + 1
    assert data.item_category.tolist() == [books, -1, shoes, shoes, -1]

    pairs = as_set(data.edge_index)
    assert pairs == {(u, v) for u, v in pairs} | {(v, u) for u, v in pairs}  # both directions
    weights = {
        tuple(e): w for e, w in zip(data.edge_index.t().tolist(), data.edge_weight.tolist(), strict=True)
    }
    c, a, b = 0, 2, 3
    assert weights[(a, b)] == pytest.approx(1.0)
    assert weights[(c, a)] == weights[(a, c)] == pytest.approx(3.0)
    assert weights[(a, shoes)] == weights[(shoes, a)] == 1.0
    assert (c, books) in pairs
    # "new" (unknown) and "d" (no edges, no category) are isolated
    assert not any(1 in e or 4 in e for e in pairs)
    assert data.edge_type.tolist().count(0) == 6
    assert data.edge_type.tolist().count(1) == 6


def test_to_pyg_decays_to_now_and_drops_weak_edges(graph: InterestGraph) -> None:
    data = graph.to_pyg(now=T0 + DAY)
    co = data.edge_type == 0
    assert sorted(data.edge_weight[co].tolist()) == pytest.approx([0.5, 0.5, 1.5, 1.5, 1.5, 1.5])
    late = graph.to_pyg(now=T0 + 10 * DAY)  # every co edge under the 0.05 threshold
    assert int((late.edge_type == 0).sum()) == 0


def test_to_pyg_default_catalogue_is_graph_order(graph: InterestGraph) -> None:
    data = graph.to_pyg()
    assert data.item_ids == graph.item_ids == ["a", "b", "c", "d"]


def test_to_pyg_catalogue_subset_drops_edges_to_missing_items(graph: InterestGraph) -> None:
    data = graph.to_pyg(item_ids=["a", "b"])
    assert as_set(data.edge_index) == {(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)}


def test_to_hetero_matches_to_pyg(graph: InterestGraph) -> None:
    catalogue = ["c", "new", "a", "b", "d"]
    hetero = graph.to_hetero(item_ids=catalogue)
    hetero.validate()
    assert hetero["item"].num_nodes == 5
    assert hetero["category"].num_nodes == 2
    co = hetero["item", "co", "item"]
    assert co.edge_index.shape == (2, 6)
    assert co.edge_weight.dtype == torch.float32
    assert as_set(co.edge_index) == {(v, u) for u, v in as_set(co.edge_index)}
    member = hetero["item", "in", "category"].edge_index
    assert as_set(member) == {(0, 1), (2, 0), (3, 0)}
    reverse = hetero["category", "rev_in", "item"].edge_index
    assert torch.equal(reverse, member.flip(0))
    homo = graph.to_pyg(item_ids=catalogue)
    homo_co = homo.edge_index[:, homo.edge_type == 0]
    assert as_set(homo_co) == as_set(co.edge_index)


def test_export_of_an_empty_graph() -> None:
    data = InterestGraph().to_pyg(item_ids=["x", "y"])
    assert data.num_nodes == 2
    assert data.edge_index.shape == (2, 0)
    assert data.item_category.tolist() == [-1, -1]
    assert np.array_equal(data.node_type.numpy(), [0, 0])
