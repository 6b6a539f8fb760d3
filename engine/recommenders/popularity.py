"""Popularity baselines (MostPop, RecentPop) and the recent-popularity scores every model uses for cold users.

Popularity counts events (all types), so an item viewed by many and bought by some ranks high; ties break
by item id (the base class sorts stably by index). RecentPop counts only the last window of the training
span and breaks its ties by all-time popularity, so items outside the window still come in a sensible
order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.data.timeline import Timeline
from engine.recommenders.base import Recommender

# RecentPop's window as a share of the training time span: the last tenth of the log (about 9 days of a
# 3-month log, a day of the 9-day Taobao sample). A share, not days, so it fits logs of any length.
RECENT_WINDOW_SHARE = 0.1


def item_counts(train: Timeline, item_index: dict[str, int], since_s: float | None = None) -> np.ndarray:
    """Events per catalogue item, shape [n_items], float64; only events at or after ``since_s`` when given."""
    ev = train.events
    codes = ev["item_id"].map(item_index).to_numpy(dtype=np.int64)
    if since_s is not None:
        codes = codes[train.seconds() >= since_s]
    return np.bincount(codes, minlength=len(item_index)).astype(np.float64)


def recent_popularity(
    train: Timeline, item_index: dict[str, int], window_share: float = RECENT_WINDOW_SHARE
) -> np.ndarray:
    """Scores in [0, 1] that rank items by events in the last ``window_share`` of the training span.

    Ties (and items absent from the window) are ordered by all-time popularity, which adds less than one
    window event: ``score = (recent + total / (max_total + 1)) / (max_recent + 1)``. Shape [n_items], float32.
    """
    if not 0.0 < window_share <= 1.0:
        raise ValueError(f"window_share must be in (0, 1], got {window_share}")
    secs = train.seconds()
    start = float(secs.max() - window_share * (secs.max() - secs.min())) if len(secs) else 0.0
    recent = item_counts(train, item_index, since_s=start)
    total = item_counts(train, item_index)
    scores = (recent + total / (total.max(initial=0.0) + 1.0)) / (recent.max(initial=0.0) + 1.0)
    return scores.astype(np.float32)


def cold_rows(users: Sequence[str], history: dict[str, np.ndarray]) -> np.ndarray:
    """Row positions of the users with no training history (they get recent-popularity scores)."""
    return np.array([row for row, user in enumerate(users) if user not in history], dtype=np.int64)


@dataclass
class PopularityConfig:
    window_share: float = RECENT_WINDOW_SHARE  # RecentPop's window (share of the training span)


class MostPop(Recommender):
    """Every user gets the same list: items by number of training events, most first."""

    name = "MostPop"

    def __init__(self) -> None:
        super().__init__()
        self._scores = np.empty(0, dtype=np.float32)

    def fit(self, train: Timeline) -> MostPop:
        self._index(train)
        counts = item_counts(train, self.item_index)
        self._scores = (counts / max(counts.max(initial=0.0), 1.0)).astype(np.float32)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(users), self.n_items))

    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(histories), self.n_items))


class RecentPop(Recommender):
    """Every user gets the same list: items by events in the last window of training, then all-time."""

    name = "RecentPop"

    def __init__(self, config: PopularityConfig | None = None) -> None:
        super().__init__()
        self.config = config or PopularityConfig()
        self._scores = np.empty(0, dtype=np.float32)

    def fit(self, train: Timeline) -> RecentPop:
        self._index(train)
        self._scores = recent_popularity(train, self.item_index, self.config.window_share)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(users), self.n_items))

    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(histories), self.n_items))
