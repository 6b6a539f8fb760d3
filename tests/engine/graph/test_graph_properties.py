"""Property: however a stream is cut into slices, the graph comes out the same (no prune in between)."""

from __future__ import annotations

import numpy as np
from graph_test_events import HOUR, events
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.graph import GraphConfig, InterestGraph

T0 = 1_700_000_000.0
COLS = ("user_id", "item_id", "timestamp", "event_type", "category", "session_id")

event = st.tuples(
    st.sampled_from(["u1", "u2", "u3"]),
    st.sampled_from(["a", "b", "c", "d", "e"]),
    st.integers(0, 8 * 3600),
    st.sampled_from(["view", "like", "cart", "purchase"]),
    st.sampled_from([None, "x", "y"]),
    st.sampled_from([None, "s1", "s2"]),
)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(event, min_size=1, max_size=30),
    cuts=st.lists(st.integers(1, 29), max_size=6),
    max_links=st.integers(0, 4),
    respect_sessions=st.booleans(),
)
def test_any_slicing_gives_the_batch_graph(
    rows: list[tuple], cuts: list[int], max_links: int, respect_sessions: bool
) -> None:
    frame = events([(u, i, T0 + t, e, c, s) for u, i, t, e, c, s in rows], COLS)
    cfg = GraphConfig(
        window_s=2 * HOUR, max_links=max_links, respect_sessions=respect_sessions, prune_every_s=None
    )
    batch = InterestGraph(cfg)
    batch.add_events(frame)
    sliced = InterestGraph(cfg)
    for part in np.split(np.arange(len(frame)), sorted({c for c in cuts if c < len(frame)})):
        sliced.add_events(frame.iloc[part])

    key = ["kind", "source", "target"]
    want = batch.edges().sort_values(key, ignore_index=True)
    got = sliced.edges().sort_values(key, ignore_index=True)
    assert (
        want[["source", "target", "kind"]].values.tolist()
        == got[["source", "target", "kind"]].values.tolist()
    )
    assert np.allclose(want["weight"], got["weight"], rtol=1e-9)
    assert sliced.item_categories() == batch.item_categories()
    for user in ("u1", "u2", "u3"):
        assert np.allclose(sliced.user_items(user)["weight"], batch.user_items(user)["weight"])
