r"""Event-by-event scoring (the ``stream`` protocol): an event log, queries into it, what a query may read.

A query asks for the scores a fitted model gives *just before* the event at log position ``p``, for
that event's user at that event's time. It may read ``log[:p]`` only: every event strictly before it in
(time, file row) order, the user's own earlier events and everyone else's. Its own event and everything
after it are the future. The model's parameters stay as fitted; only what it reads from the log moves.

Models answer through :meth:`~engine.recommenders.base.Recommender.stream_scorer`; the evaluator
audits the contract by scoring sampled queries again on ``log.head(p)``, a log in which the future
does not exist (:mod:`engine.evaluation.guard`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class EventLog:
    """Events in stream order (time, then file row), coded against a fitted model's catalogue.

    ``user`` [N] codes into ``user_ids``; ``item`` [N] catalogue indices, -1 for an item the training
    catalogue does not hold; ``seconds`` [N] unix seconds (non-decreasing); ``event_type`` [N] codes of
    :data:`engine.model.memory.EVENT_VOCAB`.
    """

    user: np.ndarray
    item: np.ndarray
    seconds: np.ndarray
    event_type: np.ndarray
    user_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.user)

    def head(self, n: int) -> EventLog:
        """The first ``n`` events: the log as it stood just before event ``n``."""
        return EventLog(self.user[:n], self.item[:n], self.seconds[:n], self.event_type[:n], self.user_ids)

    @cached_property
    def known_by_user(self) -> dict[int, np.ndarray]:
        """User code -> log positions of their events on catalogue items, ascending."""
        positions = np.flatnonzero(self.item >= 0)
        users = self.user[positions]
        order = np.argsort(users, kind="stable")  # stable keeps log order inside a user
        users, positions = users[order], positions[order]
        bounds = (
            np.flatnonzero(np.r_[True, users[1:] != users[:-1], True])
            if len(users)
            else np.empty(0, np.int64)
        )
        return {int(users[a]): positions[a:b] for a, b in itertools.pairwise(bounds)}


@dataclass(frozen=True)
class StreamQueries:
    """``position`` [Q] (ascending) log positions of the events to predict; ``user`` [Q] their user codes
    and ``seconds`` [Q] their times (the only facts of the event itself a model is told)."""

    position: np.ndarray
    user: np.ndarray
    seconds: np.ndarray

    def __len__(self) -> int:
        return len(self.position)

    def __getitem__(self, rows: slice | np.ndarray) -> StreamQueries:
        return StreamQueries(self.position[rows], self.user[rows], self.seconds[rows])


def positions_before(log: EventLog, queries: StreamQueries) -> list[np.ndarray]:
    """Per query, the log positions of its user's catalogue events strictly before it (oldest first)."""
    by_user = log.known_by_user
    empty = np.empty(0, dtype=np.int64)
    out = []
    for user, position in zip(queries.user.tolist(), queries.position.tolist(), strict=True):
        mine = by_user.get(user, empty)
        out.append(mine[: int(np.searchsorted(mine, position, side="left"))])
    return out


def histories_before(log: EventLog, queries: StreamQueries) -> list[np.ndarray]:
    """Per query, the catalogue items of its user's events strictly before it, oldest first."""
    return [log.item[p] for p in positions_before(log, queries)]


def counts_before(
    log: EventLog, queries: StreamQueries, n_items: int, window_s: float | None = None
) -> np.ndarray:
    """Events per catalogue item in ``log[:p]`` for every query, [Q, n_items] float64; only the events
    of the last ``window_s`` seconds before the query's time when given (``t - window_s <= t_e``).

    Built incrementally along the (ascending) queries: O(events spanned + Q x n_items).
    """
    out = np.zeros((len(queries), n_items), dtype=np.float64)
    counts = np.zeros(n_items, dtype=np.float64)
    low = high = 0  # the events counted: log[low:high]
    for row, (position, seconds) in enumerate(zip(queries.position, queries.seconds, strict=True)):
        position = int(position)
        if position < high:  # queries out of order: start again
            counts[:] = 0.0
            low = high = 0
        start = 0 if window_s is None else int(np.searchsorted(log.seconds, seconds - window_s, side="left"))
        start = min(start, position)
        if start >= high:  # the window moved past everything counted
            counts[:] = 0.0
            low = high = start
        added = log.item[high:position]
        counts += np.bincount(added[added >= 0], minlength=n_items)
        if start > low:
            removed = log.item[low:start]
            counts -= np.bincount(removed[removed >= 0], minlength=n_items)
        low, high = max(low, start), position
        out[row] = counts
    return out


def decayed_counts_before(
    log: EventLog, queries: StreamQueries, n_items: int, half_life_s: float
) -> np.ndarray:
    r"""Each item's decayed activity just before every query, [Q, n_items] float64:

    .. math:: c_i(q) = \sum_{e \in \log[:p_q],\ i_e = i} 2^{-(t_q - t_e) / h}

    (:class:`engine.model.trend.ItemTrend`'s sum read at the query's own time and position, so ties in
    time are split by file order). Built incrementally along the (ascending) queries.
    """
    out = np.zeros((len(queries), n_items), dtype=np.float64)
    decayed = np.zeros(n_items, dtype=np.float64)
    high, at = 0, -np.inf  # events log[:high] summed, decayed to time ``at``
    for row, (position, seconds) in enumerate(zip(queries.position, queries.seconds, strict=True)):
        position, seconds = int(position), float(seconds)
        if position < high or seconds < at:  # queries out of order: start again
            decayed[:] = 0.0
            high, at = 0, -np.inf
        if np.isfinite(at):
            decayed *= 2.0 ** (-(seconds - at) / half_life_s)
        items, times = log.item[high:position], log.seconds[high:position]
        known = items >= 0
        weights = 2.0 ** (-(seconds - times[known]) / half_life_s)
        decayed += np.bincount(items[known], weights=weights, minlength=n_items)
        high, at = position, seconds
        out[row] = decayed
    return out
