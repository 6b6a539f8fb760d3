"""MostPop and RecentPop: global lists by event counts, the recent window first, ties by item id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.recommenders.popularity import MostPop, RecentPop, recent_popularity

DAY = 86_400


def _timeline(rows: list[tuple[str, str, int]]) -> Timeline:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


# "old" is popular early; "new" is popular in the last tenth of the span; "tie1"/"tie2" once each
ROWS = [
    ("a", "old", 0), ("b", "old", DAY), ("c", "old", 2 * DAY), ("d", "tie2", 3 * DAY), ("d", "tie1", 4 * DAY),
    ("a", "new", 95 * DAY), ("b", "new", 96 * DAY), ("e", "old", 50 * DAY), ("e", "x", 100 * DAY),
]  # fmt: skip


def test_mostpop_ranks_by_event_count_and_breaks_ties_by_id() -> None:
    model = MostPop().fit(_timeline(ROWS))
    top = model.recommend(["zz"], 5)["item_id"].tolist()
    assert top == ["old", "new", "tie1", "tie2", "x"]


def test_mostpop_excludes_seen_items() -> None:
    model = MostPop().fit(_timeline(ROWS))
    assert model.recommend(["a"], 2)["item_id"].tolist() == ["tie1", "tie2"]


def test_recentpop_puts_the_last_window_first() -> None:
    model = RecentPop().fit(_timeline(ROWS))
    top = model.recommend(["zz"], 3)["item_id"].tolist()
    assert top == ["new", "x", "old"]  # new: 2 in window; x: 1 in window; then all-time popularity


def test_recent_popularity_scores_lie_in_unit_interval() -> None:
    tl = _timeline(ROWS)
    index = {item: i for i, item in enumerate(sorted(tl.events["item_id"].unique()))}
    scores = recent_popularity(tl, index)
    assert scores.dtype == np.float32
    assert (scores > 0).all()
    assert (scores < 1).all()
