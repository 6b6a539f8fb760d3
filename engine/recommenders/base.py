"""The one interface every recommender answers: fit a timeline, score the whole catalogue for users."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from engine import ranking
from engine.data.timeline import Timeline
from engine.recommenders.index import training_index
from engine.recommenders.stream import EventLog, StreamQueries, histories_before

SCORE_CHUNK = 1024  # users scored at once: bounds memory at SCORE_CHUNK x n_items floats


class Recommender(ABC):
    """Fit on a timeline, then score every catalogue item for a batch of users.

    After ``fit``: ``catalogue`` holds the item ids (index = item index) and ``history`` maps each known
    user to the item indices they touched, in time order (used to exclude seen items). Scores are
    higher-is-better; users never seen get the model's cold-start scores (e.g. recent popularity).
    """

    name: str = "Recommender"

    def __init__(self) -> None:
        self.catalogue: np.ndarray = np.empty(0, dtype=object)
        self.item_index: dict[str, int] = {}
        self.history: dict[str, np.ndarray] = {}

    # -- to implement ------------------------------------------------------------------------------
    @abstractmethod
    def fit(self, train: Timeline) -> Recommender:
        """Learn from ``train`` only; must call ``self._index(train)`` first. Returns self."""

    @abstractmethod
    def score(self, users: Sequence[str]) -> np.ndarray:
        """Scores for every catalogue item, shape [len(users), n_items], float32."""

    # -- shared ------------------------------------------------------------------------------------
    def _index(self, train: Timeline) -> None:
        """Build the catalogue (items sorted by id, so ties break by id) and per-user histories."""
        index = training_index(train)
        self.catalogue, self.item_index, self.history = index.catalogue, index.item_index, index.history

    @property
    def n_items(self) -> int:
        return len(self.catalogue)

    def top_k(self, users: Sequence[str], k: int, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Item indices and scores of each user's top-k, shapes [len(users), k'] with k' = min(k, n_items).

        Ranked over the full catalogue through :mod:`engine.ranking` in chunks of users (never a
        users x items matrix all at once); seen items get -inf when ``exclude_seen``; ties break by
        item index (= item id order).
        """
        k = min(k, self.n_items)
        users = list(users)

        def scores_of(part: slice) -> torch.Tensor:
            # [b, n_items], a copy the ranking may overwrite
            return torch.from_numpy(np.array(self.score(users[part]), dtype=np.float32))

        def seen_of(part: slice) -> list[np.ndarray | None]:
            return [self.history.get(user) for user in users[part]]

        excluded = seen_of if exclude_seen else None
        return ranking.ranked_in_chunks(len(users), k, scores_of, excluded, SCORE_CHUNK)

    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        """Scores [len(histories), n_items] for explicit histories (catalogue indices, oldest first).

        What the fitted model would list after each history, with its parameters frozen: replay and
        the event-by-event protocols read a user's prefix this way. An empty history gets the model's
        cold-start scores. Models that cannot read an explicit history raise NotImplementedError.
        """
        raise NotImplementedError(f"{self.name} cannot score explicit histories")

    def stream_scorer(self, log: EventLog, queries: StreamQueries) -> Callable[[slice], np.ndarray]:
        """``scores_of(rows)`` -> scores [len(rows), n_items] of ``queries[rows]``, each from ``log[:p]``.

        The ``stream`` protocol's entry (:mod:`engine.recommenders.stream`): the model's parameters stay
        as fitted and each query reads only the events strictly before its own. The default scores each
        query's user history before it with :meth:`score_histories`; models whose state is more than the
        user's history (popularity as of the event, a memory stepped over it) override this. The work
        shared by all queries may be done here, before the first call.
        """

        def scores_of(rows: slice) -> np.ndarray:
            return self.score_histories(histories_before(log, queries[rows]))

        return scores_of

    def recommend(self, users: Sequence[str], k: int, exclude_seen: bool = True) -> pd.DataFrame:
        """Ranked lists as a frame: ``user_id, rank, item_id, score`` (ranks 1..k, seen items dropped)."""
        idx, scores = self.top_k(users, k, exclude_seen)
        rows = []
        for row, user in enumerate(users):
            valid = np.isfinite(scores[row])
            for rank, (item, score) in enumerate(zip(idx[row][valid], scores[row][valid], strict=True), 1):
                rows.append((user, rank, self.catalogue[item], float(score)))
        return pd.DataFrame(rows, columns=["user_id", "rank", "item_id", "score"])
