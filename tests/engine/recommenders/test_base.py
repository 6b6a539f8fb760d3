"""The shared ranking path of every recommender: full-catalogue top-k, seen items excluded, ties by id."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.recommenders.base import Recommender


class FixedScores(Recommender):
    """Scores given by hand: one row for every user."""

    name = "Fixed"

    def __init__(self, scores: dict[str, list[float]]) -> None:
        super().__init__()
        self.fixed = scores

    def fit(self, train: Timeline) -> FixedScores:
        self._index(train)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return np.array([self.fixed[u] for u in users], dtype=np.float32)


def _timeline() -> Timeline:
    raw = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2", "u2"],
            "item_id": ["d", "a", "b", "c", "e"],
            "timestamp": [10, 20, 30, 40, 50],
            "event_type": ["view"] * 5,
        }
    )
    return normalize(raw)


def test_index_builds_sorted_catalogue_and_time_ordered_history() -> None:
    model = FixedScores({}).fit(_timeline())
    assert list(model.catalogue) == ["a", "b", "c", "d", "e"]
    assert model.history["u1"].tolist() == [3, 0]  # d then a, in time order
    assert model.history["u2"].tolist() == [1, 2, 4]


def test_top_k_excludes_seen_and_breaks_ties_by_item_id() -> None:
    #                         a    b    c    d    e
    model = FixedScores({"u1": [0.9, 0.5, 0.5, 0.1, 0.5], "u2": [0.2, 0.9, 0.9, 0.9, 0.3]}).fit(_timeline())
    idx, scores = model.top_k(["u1", "u2"], k=2)
    assert [model.catalogue[i] for i in idx[0]] == ["b", "c"]  # a, d seen; b/c/e tie -> b, c by id
    assert [model.catalogue[i] for i in idx[1]] == ["d", "a"]  # b, c, e seen
    assert scores[0].tolist() == [0.5, 0.5]


def test_recommend_drops_items_that_cannot_be_recommended() -> None:
    model = FixedScores({"u2": [0.2, 0.9, 0.9, 0.9, 0.3]}).fit(_timeline())
    recs = model.recommend(["u2"], k=10)
    assert list(recs.columns) == ["user_id", "rank", "item_id", "score"]
    assert recs["item_id"].tolist() == ["d", "a"]  # only two unseen items exist
    assert recs["rank"].tolist() == [1, 2]


def test_top_k_partition_path_matches_a_full_sort() -> None:
    rng = np.random.default_rng(0)
    n_items = 5
    raw = rng.integers(0, 3, size=(40, n_items)).astype(np.float32)  # many ties
    users = [f"u{i}" for i in range(40)]
    model = FixedScores(dict(zip(users, raw.tolist(), strict=True))).fit(_timeline())
    idx, _ = model.top_k(users, k=3, exclude_seen=False)
    expected = np.argsort(-raw, axis=1, kind="stable")[:, :3]
    np.testing.assert_array_equal(idx, expected)


def test_history_scoring_equals_user_scoring_for_the_sequence_baselines() -> None:
    from engine.data.synthetic import SyntheticConfig, generate
    from engine.recommenders.itemknn import ItemKNN
    from engine.recommenders.markov import SeqMarkov
    from engine.recommenders.popularity import RecentPop

    timeline, _ = generate(SyntheticConfig(n_users=20, n_items=80, n_categories=4, days=10, seed=2))
    users = sorted(timeline.events["user_id"].unique())[:5]
    for model in (RecentPop(), SeqMarkov(), ItemKNN()):
        model.fit(timeline)
        by_user = model.score(users)
        by_history = model.score_histories([model.history[u] for u in users])
        np.testing.assert_array_equal(by_user, by_history)
        cold = model.score_histories([np.empty(0, dtype=np.int64)])
        np.testing.assert_array_equal(cold[0], model.score(["nobody"])[0])
