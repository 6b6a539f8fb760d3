"""Popularity baselines (MostPop, RecentPop) and the recent-popularity scores every model uses for cold users.

Popularity counts events (all types), so an item viewed by many and bought by some ranks high; ties break
by item id (the base class sorts stably by index). RecentPop counts only the last window of the training
span and breaks its ties by all-time popularity, so items outside the window still come in a sensible
order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.data.timeline import Timeline
from engine.recommenders.base import Recommender
from engine.recommenders.stream import EventLog, StreamQueries, counts_before

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


def window_seconds(train: Timeline, window_share: float = RECENT_WINDOW_SHARE) -> float:
    """RecentPop's window in seconds: ``window_share`` of the training time span."""
    if not 0.0 < window_share <= 1.0:
        raise ValueError(f"window_share must be in (0, 1], got {window_share}")
    secs = train.seconds()
    return float(window_share * (secs.max() - secs.min())) if len(secs) else 0.0


def popularity_scores(recent: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``(recent + total / (max_total + 1)) / (max_recent + 1)`` along the last axis, float32: the
    window count first, all-time popularity (less than one window event) breaking its ties."""
    max_total = total.max(axis=-1, keepdims=True, initial=0.0)
    max_recent = recent.max(axis=-1, keepdims=True, initial=0.0)
    return ((recent + total / (max_total + 1.0)) / (max_recent + 1.0)).astype(np.float32)


def recent_popularity(
    train: Timeline, item_index: dict[str, int], window_share: float = RECENT_WINDOW_SHARE
) -> np.ndarray:
    """Scores in [0, 1] that rank items by events in the last ``window_share`` of the training span.

    Ties (and items absent from the window) are ordered by all-time popularity, which adds less than one
    window event (:func:`popularity_scores`). Shape [n_items], float32.
    """
    window = window_seconds(train, window_share)
    secs = train.seconds()
    start = float(secs.max() - window) if len(secs) else 0.0
    recent = item_counts(train, item_index, since_s=start)
    total = item_counts(train, item_index)
    return popularity_scores(recent, total)


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

    def stream_scorer(self, log: EventLog, queries: StreamQueries) -> Callable[[slice], np.ndarray]:
        """Counts of every event before each query (training and earlier test events alike)."""

        def scores_of(rows: slice) -> np.ndarray:
            counts = counts_before(log, queries[rows], self.n_items)  # [b, n_items]
            return (counts / np.maximum(counts.max(axis=1, keepdims=True), 1.0)).astype(np.float32)

        return scores_of


class RecentPop(Recommender):
    """Every user gets the same list: items by events in the last window of training, then all-time."""

    name = "RecentPop"

    def __init__(self, config: PopularityConfig | None = None) -> None:
        super().__init__()
        self.config = config or PopularityConfig()
        self._scores = np.empty(0, dtype=np.float32)
        self.window_s = 0.0  # the window in seconds, fixed at fit: a share of the training span

    def fit(self, train: Timeline) -> RecentPop:
        self._index(train)
        self._scores = recent_popularity(train, self.item_index, self.config.window_share)
        self.window_s = window_seconds(train, self.config.window_share)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(users), self.n_items))

    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(histories), self.n_items))

    def stream_scorer(self, log: EventLog, queries: StreamQueries) -> Callable[[slice], np.ndarray]:
        """The trend as of each event: its window (the fitted length, ending at the event's time) and
        all-time counts over every event before it, training and earlier test events alike."""

        def scores_of(rows: slice) -> np.ndarray:
            part = queries[rows]
            recent = counts_before(log, part, self.n_items, window_s=self.window_s)  # [b, n_items]
            total = counts_before(log, part, self.n_items)  # [b, n_items]
            return popularity_scores(recent, total)

        return scores_of
