from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from graph_test_events import DAY, HOUR, events

from engine.graph import GraphConfig, InterestGraph

T0 = 1_700_000_000.0


def edge_weights(g: InterestGraph, now: float | None = None) -> dict[tuple[str, str], float]:
    co = g.edges(now, include_categories=False)
    return {
        tuple(sorted((s, t))): w for s, t, w in zip(co["source"], co["target"], co["weight"], strict=True)
    }


def random_events(seed: int, n: int = 250) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = T0 + np.sort(rng.integers(0, int(10 * DAY), n)).astype(float)
    users = rng.integers(0, 12, n)
    items = rng.integers(0, 40, n)
    rows = [
        (
            f"u{u}",
            f"i{i}",
            t,
            rng.choice(["view", "like", "cart", "purchase", "share"]),
            None if i % 7 == 0 else f"c{i % 5}",
            None if u % 3 == 0 else f"s{u}-{int((t - T0) // DAY)}",
        )
        for u, i, t in zip(users, items, times, strict=True)
    ]
    return events(rows, ("user_id", "item_id", "timestamp", "event_type", "category", "session_id"))


# ---- incremental == batch ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_incremental_build_equals_batch_build(seed: int) -> None:
    frame = random_events(seed)
    cfg = GraphConfig(half_life_s=2 * DAY, window_s=6 * HOUR, prune_every_s=None)
    batch = InterestGraph(cfg)
    batch_delta = batch.add_events(frame)

    inc = InterestGraph(cfg)
    rng = np.random.default_rng(seed + 100)
    cuts = np.sort(rng.choice(np.arange(1, len(frame)), size=15, replace=False))
    added: set[tuple[str, str, str]] = set()
    for part in np.split(np.arange(len(frame)), cuts):
        delta = inc.add_events(frame.iloc[part])
        added |= set(zip(delta.added["source"], delta.added["target"], delta.added["kind"], strict=True))
    # single events too: the finest slicing
    single = InterestGraph(cfg)
    for i in range(len(frame)):
        single.add_events(frame.iloc[i : i + 1])

    expected = edge_weights(batch)
    assert len(expected) > 50
    for other in (inc, single):
        got = edge_weights(other)
        assert got.keys() == expected.keys()
        assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=1e-9)
        assert other.item_ids == batch.item_ids
        assert other.category_ids == batch.category_ids
        assert other.item_categories() == batch.item_categories()
        pd.testing.assert_frame_equal(other.user_items("u1"), batch.user_items("u1"))
    batch_added = set(
        zip(batch_delta.added["source"], batch_delta.added["target"], batch_delta.added["kind"], strict=True)
    )
    assert added == batch_added


def test_slices_must_come_in_time_order() -> None:
    g = InterestGraph()
    g.add_events(events([("u1", "a", T0 + 100, "view")]))
    with pytest.raises(ValueError, match="time order"):
        g.add_events(events([("u1", "b", T0, "view")]))


def test_empty_slice_changes_nothing() -> None:
    g = InterestGraph()
    delta = g.add_events(events([("u1", "a", T0, "view")]).iloc[:0])
    assert delta.is_empty
    assert g.num_items == 0
    assert math.isnan(g.latest_time)


# ---- weights and decay ---------------------------------------------------------------------------------
def test_decay_and_reinforcement_by_hand() -> None:
    h = 10 * HOUR
    g = InterestGraph(GraphConfig(half_life_s=h, window_s=h, prune_every_s=None))
    g.add_events(events([("u1", "a", T0, "view"), ("u1", "b", T0, "view")]))
    assert edge_weights(g) == {("a", "b"): 1.0}  # (1 + 1) / 2
    assert edge_weights(g, T0 + h)[("a", "b")] == pytest.approx(0.5)
    assert edge_weights(g, T0 + 3 * h)[("a", "b")] == pytest.approx(0.125)
    # reinforced two half-lives later by a view followed by a purchase: 1 * 1/4 + (1 + 5) / 2
    delta = g.add_events(events([("u2", "b", T0 + 2 * h, "view"), ("u2", "a", T0 + 2 * h, "purchase")]))
    assert edge_weights(g)[("a", "b")] == pytest.approx(0.25 + 3.0)
    assert delta.added.empty
    assert delta.reinforced[["source", "target"]].values.tolist() == [["a", "b"]]
    assert delta.reinforced["weight"].iloc[0] == pytest.approx(3.25)


def test_user_interest_weights_decay_like_edges() -> None:
    h = DAY
    g = InterestGraph(GraphConfig(half_life_s=h, prune_every_s=None))
    g.add_events(events([("u1", "a", T0, "purchase"), ("u1", "b", T0 + h, "view")]))
    mine = g.user_items("u1")
    assert mine["item_id"].tolist() == ["a", "b"]
    assert mine["weight"].tolist() == pytest.approx([2.5, 1.0])
    assert g.user_items("nobody").empty


@pytest.mark.parametrize(("weaker", "stronger"), [("view", "like"), ("like", "cart"), ("cart", "purchase")])
def test_stronger_events_make_stronger_edges(weaker: str, stronger: str) -> None:
    g = InterestGraph(GraphConfig(prune_every_s=None))
    g.add_events(
        events(
            [
                ("u1", "a", T0, "view"),
                ("u1", "weak", T0 + 1, weaker),
                ("u2", "a", T0 + 2, "view"),
                ("u2", "strong", T0 + 3, stronger),
            ]
        )
    )
    w = edge_weights(g, T0 + 3)
    assert w[("a", "strong")] > w[("a", "weak")]


def test_configured_strengths_are_used() -> None:
    cfg = GraphConfig(strengths={"view": 2.0, "purchase": 10.0}, default_strength=4.0, prune_every_s=None)
    g = InterestGraph(cfg)
    g.add_events(events([("u1", "a", T0, "view"), ("u1", "b", T0, "purchase"), ("u1", "c", T0, "cart")]))
    w = edge_weights(g)
    assert w[("a", "b")] == pytest.approx(6.0)
    assert w[("b", "c")] == pytest.approx(7.0)  # cart is not configured: default 4
    assert w[("a", "c")] == pytest.approx(3.0)


# ---- pruning ---------------------------------------------------------------------------------------------
def test_prune_removes_and_reports_weak_edges() -> None:
    h = DAY
    g = InterestGraph(GraphConfig(half_life_s=h, window_s=h, prune_threshold=0.3, prune_every_s=None))
    g.add_events(events([("u1", "a", T0, "view"), ("u1", "b", T0, "view")]))
    g.add_events(events([("u2", "c", T0 + 2 * h, "view"), ("u2", "d", T0 + 2 * h, "view")]))
    assert g.num_edges == 2
    # a-b decayed to 0.25 < 0.3: reads already leave it out, prune removes it
    assert set(edge_weights(g)) == {("c", "d")}
    delta = g.prune()
    assert g.num_edges == 1
    assert delta.removed[["source", "target", "kind"]].values.tolist() == [["a", "b", "co"]]
    assert delta.removed["weight"].iloc[0] == pytest.approx(0.25)
    assert delta.added.empty
    assert delta.reinforced.empty
    assert g.prune().removed.empty  # nothing left to remove
    # a pruned edge comes back as "added" when the pair co-occurs again
    again = g.add_events(events([("u3", "a", T0 + 3 * h, "view"), ("u3", "b", T0 + 3 * h, "view")]))
    assert again.added[["source", "target"]].values.tolist() == [["a", "b"]]
    assert edge_weights(g)[("a", "b")] == pytest.approx(1.0)


def test_prune_at_explicit_time() -> None:
    g = InterestGraph(GraphConfig(half_life_s=DAY, prune_threshold=0.3, prune_every_s=None))
    g.add_events(events([("u1", "a", T0, "view"), ("u1", "b", T0, "view")]))
    assert g.prune(T0 + DAY).removed.empty  # 0.5 >= 0.3
    assert len(g.prune(pd.Timestamp(T0 + 2 * DAY, unit="s", tz="UTC")).removed) == 1


def test_automatic_prune_runs_during_add_events() -> None:
    cfg = GraphConfig(half_life_s=DAY, prune_threshold=0.3, prune_every_s=DAY)
    g = InterestGraph(cfg)
    g.add_events(events([("u1", "a", T0, "view"), ("u1", "b", T0, "view")]))
    delta = g.add_events(events([("u2", "c", T0 + 3 * DAY, "view"), ("u2", "d", T0 + 3 * DAY, "view")]))
    assert delta.removed[["source", "target"]].values.tolist() == [["a", "b"]]
    assert delta.added[["source", "target"]].values.tolist() == [["c", "d"]]
    assert g.num_edges == 1


# ---- co-occurrence rules ---------------------------------------------------------------------------------
def test_window_separates_visits() -> None:
    g = InterestGraph(GraphConfig(window_s=3 * HOUR, prune_every_s=None))
    g.add_events(
        events(
            [("u1", "a", T0, "view"), ("u1", "b", T0 + 2 * HOUR, "view"), ("u1", "c", T0 + 6 * HOUR, "view")]
        )
    )
    assert set(edge_weights(g)) == {("a", "b")}


def test_sessions_separate_visits_within_the_window() -> None:
    cols = ("user_id", "item_id", "timestamp", "event_type", "session_id")
    rows = [
        ("u1", "a", T0, "view", "s1"),
        ("u1", "b", T0 + 60, "view", "s1"),
        ("u1", "c", T0 + 120, "view", "s2"),
        ("u1", "d", T0 + 180, "view", None),  # no session: the window decides
    ]
    g = InterestGraph(GraphConfig(prune_every_s=None))
    g.add_events(events(rows, cols))
    assert set(edge_weights(g)) == {("a", "b"), ("a", "d"), ("b", "d"), ("c", "d")}
    loose = InterestGraph(GraphConfig(respect_sessions=False, prune_every_s=None))
    loose.add_events(events(rows, cols))
    assert len(edge_weights(loose)) == 6


def test_different_users_never_co_occur() -> None:
    g = InterestGraph()
    g.add_events(events([("u1", "a", T0, "view"), ("u2", "b", T0, "view")]))
    assert g.num_edges == 0
    assert g.num_items == 2


def test_max_links_limits_the_predecessors() -> None:
    g = InterestGraph(GraphConfig(max_links=2, prune_every_s=None))
    g.add_events(events([("u1", x, T0 + i, "view") for i, x in enumerate("abcd")]))
    assert set(edge_weights(g)) == {("a", "b"), ("a", "c"), ("b", "c"), ("b", "d"), ("c", "d")}
    none = InterestGraph(GraphConfig(max_links=0))
    none.add_events(events([("u1", x, T0 + i, "view") for i, x in enumerate("abcd")]))
    assert none.num_edges == 0


def test_repeated_item_makes_no_self_loop() -> None:
    g = InterestGraph()
    g.add_events(events([("u1", "a", T0, "view"), ("u1", "a", T0 + 1, "cart"), ("u1", "b", T0 + 2, "view")]))
    # b links to both earlier events of a: (1 + 1) / 2 + (3 + 1) / 2, barely decayed
    assert edge_weights(g) == {("a", "b"): pytest.approx(3.0, rel=1e-5)}


# ---- nodes, categories, labels -----------------------------------------------------------------------------
def test_category_membership_edges_and_changes() -> None:
    cols = ("user_id", "item_id", "timestamp", "event_type", "category")
    g = InterestGraph()
    first = g.add_events(events([("u1", "a", T0, "view", "shoes"), ("u1", "b", T0 + 1, "view", None)], cols))
    assert first.new_items == ["a", "b"]
    assert first.new_categories == ["shoes"]
    assert first.added.query("kind == 'in'")[["source", "target"]].values.tolist() == [["a", "shoes"]]
    assert g.item_categories() == {"a": "shoes"}

    later = g.add_events(
        events([("u2", "a", T0 + 2, "view", "boots"), ("u2", "b", T0 + 3, "view", "boots")], cols)
    )
    assert later.new_items == []
    assert later.new_categories == ["boots"]
    assert later.removed[["source", "target", "kind"]].values.tolist() == [["a", "shoes", "in"]]
    added_in = later.added.query("kind == 'in'")
    assert sorted(added_in[["source", "target"]].values.tolist()) == [["a", "boots"], ["b", "boots"]]
    assert g.item_categories() == {"a": "boots", "b": "boots"}
    # a later event without a category keeps the membership
    g.add_events(events([("u3", "a", T0 + 4, "view", None)], cols))
    assert g.item_categories()["a"] == "boots"
    assert g.num_categories == 2
    assert g.category_ids == ["shoes", "boots"]


def test_category_edges_can_be_turned_off() -> None:
    g = InterestGraph(GraphConfig(category_edges=False))
    g.add_events(
        events(
            [("u1", "a", T0, "view", "shoes")], ("user_id", "item_id", "timestamp", "event_type", "category")
        )
    )
    assert g.num_categories == 0
    assert g.item_categories() == {}
    assert g.edges().query("kind == 'in'").empty


def test_item_labels_prefer_names() -> None:
    cols = ("user_id", "item_id", "timestamp", "event_type", "item_name")
    g = InterestGraph()
    g.add_events(events([("u1", "a", T0, "view", "Trail shoe"), ("u1", "b", T0, "view", None)], cols))
    assert g.item_labels() == {"a": "Trail shoe", "b": "b"}
    assert g.item_labels(["b", "unknown"]) == {"b": "b"}


def test_neighbours_are_strongest_first() -> None:
    g = InterestGraph()
    g.add_events(
        events(
            [
                ("u1", "a", T0, "view"),
                ("u1", "b", T0, "purchase"),
                ("u2", "a", T0, "view"),
                ("u2", "c", T0, "view"),
            ]
        )
    )
    near = g.neighbours("a", k=5)
    assert near["item_id"].tolist() == ["b", "c"]
    assert g.neighbours("a", k=1)["item_id"].tolist() == ["b"]
    assert g.neighbours("zzz").empty


def test_delta_summary_counts() -> None:
    delta = InterestGraph().add_events(events([("u1", "a", T0, "view"), ("u1", "b", T0, "view")]))
    assert delta.summary() == {"added": 1, "reinforced": 0, "removed": 0, "new_items": 2, "new_categories": 0}
    assert delta.time == T0


def test_unsorted_slice_is_ordered_by_time_and_numeric_ids_become_strings() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [7, 7, 7],
            "item_id": [3, 1, 2],
            "timestamp": pd.to_datetime([T0 + 2 * HOUR * 2, T0, T0 + 60], unit="s", utc=True),
            "event_type": ["view", "view", "view"],
        }
    )
    g = InterestGraph(GraphConfig(window_s=HOUR, prune_every_s=None))
    g.add_events(frame)
    assert g.item_ids == ["1", "2", "3"]  # time order, not frame order
    assert set(edge_weights(g)) == {("1", "2")}  # item 3 came 4 hours later
    g.add_events(frame.iloc[:1].assign(timestamp=pd.Timestamp(T0 + 5 * HOUR, unit="s", tz="UTC"), item_id=1))
    assert g.num_items == 3  # "1" again, not a new node
    assert set(edge_weights(g)) == {("1", "2"), ("1", "3")}


def test_real_movielens_sample_builds(shared_data) -> None:
    from engine.data.load import ReadOptions, load_events

    timeline = load_events(shared_data / "ml-100k", ReadOptions(preset="movielens"))
    g = InterestGraph(GraphConfig(half_life_s=365 * DAY, prune_every_s=None))
    delta = g.add_events(timeline.events)
    assert g.num_items == timeline.n_items
    assert len(delta.new_items) == timeline.n_items
    assert g.num_edges > 10_000
    data = g.to_pyg()
    assert data.edge_index.max() < data.num_nodes
    assert g.user_subgraph(str(timeline.events["user_id"].iloc[0]))["nodes"]
