r"""ItemKNN: item–item cosine over the binary user–item matrix, scored from the user's recent items.

.. math::
    s(i, j) = \frac{|U_i \cap U_j|}{\sqrt{|U_i|\,|U_j|}}, \qquad
    \mathrm{score}(u, j) = \sum_{i \in R_u} s(i, j)

:math:`U_i` are the training users who touched item i, :math:`R_u` the user's last ``recent`` distinct
items. Only each item's ``neighbours`` most similar items are kept (a sparse [n_items, n_items] matrix),
so 50k items fit in memory; the similarity is built in blocks of items. Recent popularity scaled below
the smallest positive similarity fills the rest of the list and serves cold users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from engine.data.timeline import Timeline
from engine.recommenders.base import Recommender
from engine.recommenders.popularity import recent_popularity

SIM_BLOCK_CELLS = 16_000_000  # dense cells per similarity block (~64 MB of float32): bounds fit memory
_NONE = np.empty(0, dtype=np.int64)  # the history of a user never seen in training
FILL_WEIGHT = 1e-6  # popularity fill, far below any cosine between items that share a user


@dataclass
class ItemKNNConfig:
    neighbours: int = 100  # similar items kept per item: the usual ItemKNN default, sparse at 50k items
    recent: int = 20  # distinct recent items a user is scored from: "recent interests", not the whole past


class ItemKNN(Recommender):
    """Cosine item–item neighbourhoods; a user's scores sum the neighbourhoods of their recent items."""

    name = "ItemKNN"

    def __init__(self, config: ItemKNNConfig | None = None) -> None:
        super().__init__()
        self.config = config or ItemKNNConfig()
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)
        self.cold_scores = np.empty(0, dtype=np.float32)

    def fit(self, train: Timeline) -> ItemKNN:
        self._index(train)
        users = list(self.history)
        rows = np.repeat(np.arange(len(users)), [len(self.history[u]) for u in users])
        cols = np.concatenate([self.history[u] for u in users]) if users else np.empty(0, dtype=np.int64)
        interactions = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(users), self.n_items)
        )
        interactions.data[:] = 1.0  # binary: repeats of a pair count once (duplicates were summed)
        self.similarity = self._cosine_top(interactions)
        self.cold_scores = recent_popularity(train, self.item_index)
        return self

    def _cosine_top(self, interactions: sp.csr_matrix) -> sp.csr_matrix:
        """Sparse [n_items, n_items] cosine similarity keeping each row's top ``neighbours`` (no self)."""
        n_items = self.n_items
        by_item = interactions.T.tocsr()  # [n_items, n_users]
        degree = np.asarray(by_item.sum(axis=1)).ravel()
        inv_norm = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1.0)), 0.0).astype(np.float32)
        keep = min(self.config.neighbours, max(n_items - 1, 0))
        block = max(1, SIM_BLOCK_CELLS // max(n_items, 1))
        data, indices, indptr = [], [], [0]
        for start in range(0, n_items, block):
            stop = min(start + block, n_items)
            co = (by_item[start:stop] @ interactions).toarray()  # [b, n_items] co-occurrence counts
            co *= inv_norm[start:stop, None] * inv_norm[None, :]
            co[np.arange(stop - start), np.arange(start, stop)] = 0.0  # an item is not its own neighbour
            if keep == 0:
                indptr.extend([0] * (stop - start))
                continue
            top = (
                np.argpartition(-co, keep - 1, axis=1)[:, :keep]
                if keep < n_items
                else np.tile(np.arange(n_items), (stop - start, 1))
            )
            values = np.take_along_axis(co, top, axis=1)
            for row in range(stop - start):
                positive = values[row] > 0
                data.append(values[row][positive])
                indices.append(top[row][positive])
                indptr.append(indptr[-1] + int(positive.sum()))
        cat_data = np.concatenate(data) if data else np.empty(0, dtype=np.float32)
        cat_idx = np.concatenate(indices) if indices else np.empty(0, dtype=np.int64)
        return sp.csr_matrix(
            (cat_data.astype(np.float32), cat_idx, np.array(indptr)), shape=(n_items, n_items)
        )

    def _recent_matrix(self, histories: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[len(histories), n_items] with 1 at each history's last ``recent`` distinct items."""
        rows, cols = [], []
        for row, seq in enumerate(histories):
            if not len(seq):
                continue
            reversed_unique, first = np.unique(seq[::-1], return_index=True)
            recent = reversed_unique[np.argsort(first)][: self.config.recent]  # most recent first
            rows.append(np.full(len(recent), row))
            cols.append(recent)
        r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
        return sp.csr_matrix(
            (np.ones(len(c), dtype=np.float32), (r, c)), shape=(len(histories), self.n_items)
        )

    def score(self, users: Sequence[str]) -> np.ndarray:
        return self.score_histories([self.history.get(u, _NONE) for u in users])

    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        """Summed neighbourhoods of each history's recent items; empty histories: recent popularity."""
        scores = (self._recent_matrix(histories) @ self.similarity).toarray()  # [B, n_items]
        scores += FILL_WEIGHT * self.cold_scores[None, :]
        cold = np.array([len(h) == 0 for h in histories], dtype=bool)
        scores[cold] = self.cold_scores
        return scores.astype(np.float32, copy=False)
