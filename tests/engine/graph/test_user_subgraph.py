from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from graph_test_events import events

from engine.graph import GraphConfig, InterestGraph

T0 = 1_700_000_000.0
COLS = ("user_id", "item_id", "timestamp", "event_type", "category", "item_name")


@pytest.fixture
def graph() -> InterestGraph:
    g = InterestGraph(GraphConfig(prune_every_s=None))
    g.add_events(
        events(
            [
                ("u1", "a", T0, "purchase", "shoes", "Trail shoe"),
                ("u1", "b", T0 + 1, "view", "shoes", None),
                # other users link a and b to neighbours n1 (strong), n2, n3 (weak)
                ("u2", "a", T0 + 2, "view", "shoes", None),
                ("u2", "n1", T0 + 3, "purchase", "books", None),
                ("u2", "b", T0 + 4, "view", "shoes", None),
                ("u3", "b", T0 + 5, "view", "shoes", None),
                ("u3", "n2", T0 + 6, "view", None, None),
                ("u4", "x", T0 + 7, "view", None, None),
                ("u4", "n3", T0 + 8, "view", None, None),
                ("u4", "a", T0 + 9, "view", "shoes", None),
            ],
            COLS,
        )
    )
    return g


def test_subgraph_holds_touched_items_and_strongest_neighbours(graph: InterestGraph) -> None:
    view = graph.user_subgraph("u1", top_neighbours=2)
    nodes = {n["id"]: n for n in view["nodes"]}
    items = {k for k, n in nodes.items() if n["kind"] == "item"}
    # n1 scores 3 + 3 (edges to a and b); n3 and x score exactly 1 (linked at the latest time) and tie,
    # broken by id; n2 scores a little under 1 (its edge decayed for 3 s)
    assert items == {"item:a", "item:b", "item:n1", "item:n3"}
    assert nodes["item:n1"]["weight"] == pytest.approx(6.0, rel=1e-4)
    assert nodes["item:n3"]["weight"] == 1.0
    assert graph.user_subgraph("u1", top_neighbours=3)["nodes"][4]["id"] == "item:x"
    assert nodes["item:a"]["touched"]
    assert nodes["item:a"]["label"] == "Trail shoe"
    assert nodes["item:a"]["weight"] == pytest.approx(5.0, rel=1e-4)
    assert not nodes["item:n1"]["touched"]
    assert "item:x" not in nodes
    assert nodes["category:shoes"]["kind"] == "category"
    assert nodes["category:shoes"]["touched"]
    assert not nodes["category:books"]["touched"]

    edge_set = {(e["source"], e["target"], e["kind"]) for e in view["edges"]}
    assert ("item:a", "item:b", "co") in edge_set
    assert ("item:a", "category:shoes", "in") in edge_set
    assert ("item:n1", "category:books", "in") in edge_set
    ids = set(nodes)
    assert all(e["source"] in ids and e["target"] in ids for e in view["edges"])
    assert all(set(n) == {"id", "label", "kind", "weight", "touched"} for n in view["nodes"])
    assert all(set(e) == {"source", "target", "weight", "kind"} for e in view["edges"])
    assert all(isinstance(n["weight"], float) for n in view["nodes"])


def test_subgraph_limits(graph: InterestGraph) -> None:
    view = graph.user_subgraph("u1", top_neighbours=0)
    assert {n["id"] for n in view["nodes"] if n["kind"] == "item"} == {"item:a", "item:b"}
    from engine.graph.subgraph import user_subgraph

    only_top = user_subgraph(graph, "u1", top_neighbours=0, max_touched=1)
    assert [n["id"] for n in only_top["nodes"] if n["kind"] == "item"] == ["item:a"]


def test_unknown_user_gives_an_empty_view(graph: InterestGraph) -> None:
    assert graph.user_subgraph("nobody") == {"nodes": [], "edges": []}


def test_subgraph_is_plain_python_without_torch(graph: InterestGraph) -> None:
    view = graph.user_subgraph("u1")
    assert "torch" not in repr(type(view["nodes"][0]["weight"]))
    # the graph package itself does not import torch until an export is asked for
    code = "import sys, engine.graph; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])
