"""Graph evidence parts: hand-worked transitions and co-occurrence, shapes, reindexing, snapshots."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.recommenders.evidence import GraphEvidence, recent_distinct
from engine.recommenders.popularity import recent_popularity
from engine.recommenders.registry import create_model
from engine.recommenders.snapshot import snapshot

# u1: a -> b -> c, u2: a -> b, u3: a -> c, at one-minute steps
ROWS = [
    ("u1", "a", 0),
    ("u1", "b", 60),
    ("u1", "c", 120),
    ("u2", "a", 10),
    ("u2", "b", 70),
    ("u3", "a", 20),
    ("u3", "c", 80),
]


def tiny() -> Timeline:
    frame = pd.DataFrame(ROWS, columns=["user_id", "item_id", "timestamp"])
    frame["timestamp"] += 1_700_000_000
    frame["event_type"] = "view"
    return normalize(frame, "tiny")


@pytest.fixture(scope="module")
def evidence() -> GraphEvidence:
    return GraphEvidence.fit(tiny(), {"a": 0, "b": 1, "c": 2})


def test_transition_is_the_last_items_row_of_observed_successors(evidence: GraphEvidence) -> None:
    parts = evidence.parts([np.array([0]), np.array([0, 1]), np.array([2])])
    # a was followed by b twice and by c once; b by c once; c by nothing
    np.testing.assert_allclose(parts["transition"][0], [0.0, 2 / 3, 1 / 3], atol=1e-6)
    np.testing.assert_allclose(parts["transition"][1], [0.0, 0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(parts["transition"][2], [0.0, 0.0, 0.0])


def test_cooccurrence_sums_the_cosines_of_the_recent_items(evidence: GraphEvidence) -> None:
    # users of a: {u1, u2, u3}, of b: {u1, u2}, of c: {u1, u3}
    ab = ac = 2 / math.sqrt(3 * 2)
    bc = 1 / math.sqrt(2 * 2)
    parts = evidence.parts([np.array([0, 1])])
    np.testing.assert_allclose(parts["cooccurrence"][0], [ab, ab, ac + bc], atol=1e-6)


def test_popularity_is_recent_popularity_and_shapes_are_batch_by_catalogue(evidence: GraphEvidence) -> None:
    parts = evidence.parts([np.array([0]), np.empty(0, dtype=np.int64)])
    for values in parts.values():
        assert values.shape == (2, 3)
        assert values.dtype == np.float32
    expected = recent_popularity(tiny(), {"a": 0, "b": 1, "c": 2})
    np.testing.assert_allclose(parts["popularity"][1], expected)
    assert not parts["transition"][1].any()  # an empty history has no last item
    assert not parts["cooccurrence"][1].any()


def test_recent_distinct_keeps_the_newest_occurrence_order() -> None:
    assert recent_distinct(np.array([5, 1, 5, 2, 1]), 2).tolist() == [1, 2]
    assert recent_distinct(np.array([5, 1, 5, 2, 1]), 10).tolist() == [1, 2, 5]


def test_reindex_moves_items_and_gives_new_items_no_evidence(evidence: GraphEvidence) -> None:
    # catalogue a, new, b, c: old item v moves to positions[v]
    moved = evidence.reindex(np.array([0, 2, 3]), 4)
    parts = moved.parts([np.array([0])])
    np.testing.assert_allclose(parts["transition"][0], [0.0, 0.0, 2 / 3, 1 / 3], atol=1e-6)
    assert parts["popularity"][0, 1] == 0.0
    assert moved.transitions[1].nnz == 0


def test_snapshots_in_the_checkpoint_give_the_same_evidence(evidence: GraphEvidence) -> None:
    baselines = {
        name: snapshot(create_model(name).fit(tiny())) for name in ("SeqMarkov", "ItemKNN", "RecentPop")
    }
    restored = GraphEvidence.from_snapshots(baselines, 3)
    histories = [np.array([0, 1]), np.array([2, 0])]
    for name, values in restored.parts(histories).items():
        np.testing.assert_allclose(values, evidence.parts(histories)[name], atol=1e-6, err_msg=name)
    with pytest.raises(KeyError, match="ItemKNN"):
        GraphEvidence.from_snapshots(
            {"SeqMarkov": baselines["SeqMarkov"], "RecentPop": baselines["RecentPop"]}, 3
        )


def test_category_part_by_hand_and_through_the_checkpoint() -> None:
    """a, b in shelf X, c in Y: the history's share of each shelf times the item's share of its shelf's
    recent popularity; items without a category score 0."""
    frame = tiny().events.copy()
    frame["category"] = frame["item_id"].map({"a": "X", "b": "X", "c": "Y"})
    timeline = Timeline(frame, "tiny")
    items = {"a": 0, "b": 1, "c": 2, "d": 3}  # d: in the catalogue, never seen, no category
    evidence = GraphEvidence.fit(timeline, items)
    np.testing.assert_array_equal(evidence.category_of, [0, 0, 1, -1])
    p = recent_popularity(timeline, {"a": 0, "b": 1, "c": 2})
    history = np.array([0, 2, 0])  # a, c, a: 2/3 of the events in X, 1/3 in Y
    part = evidence.parts([history, np.empty(0, dtype=np.int64)])["category_pop"]
    expected = [2 / 3 * p[0] / (p[0] + p[1]), 2 / 3 * p[1] / (p[0] + p[1]), 1 / 3, 0.0]
    np.testing.assert_allclose(part[0], expected, atol=1e-6)
    assert not part[1].any()  # an empty history reads no shelf
    # only the last category_window events count
    windowed = replace(evidence, category_window=1)
    np.testing.assert_allclose(windowed.parts([history])["category_pop"][0, 2], 0.0)
    # from the checkpoint's snapshots and item categories, over a reindexed catalogue
    baselines = {
        name: snapshot(create_model(name).fit(timeline)) for name in ("SeqMarkov", "ItemKNN", "RecentPop")
    }
    restored = GraphEvidence.from_snapshots(baselines, 3, ["X", "X", "Y"]).reindex(np.array([0, 1, 2]), 4)
    np.testing.assert_allclose(restored.parts([history])["category_pop"], part[:1], atol=1e-6)
    assert GraphEvidence.from_snapshots(baselines, 3).category_of is None  # an older checkpoint: no part
    # the popularity as of each query (the stream protocol) replaces the snapshot in both parts
    asked = np.array([[0.2, 0.6, 0.5, 0.9], [0.2, 0.6, 0.5, 0.9]], dtype=np.float32)
    fresh = evidence.parts([history, history], asked)
    np.testing.assert_allclose(fresh["popularity"], asked)
    np.testing.assert_allclose(fresh["category_pop"][0], [2 / 3 * 0.25, 2 / 3 * 0.75, 1 / 3, 0.0], atol=1e-6)
    same = evidence.parts([history], evidence.popularity[None, :])
    np.testing.assert_allclose(same["category_pop"], part[:1], atol=1e-6)
