r"""Graph evidence beside the state cosine: what the training events say directly about the next item.

Three parts, each read from a user's history :math:`h = (i_1, \dots, i_t)` (catalogue indices, oldest
first) and from matrices fitted on training events only:

.. math::
    \mathrm{transition}(h, j) &= P(j \mid i_t) = \frac{n(i_t \to j)}{\sum_{j'} n(i_t \to j')} \\
    \mathrm{cooccurrence}(h, j) &= \sum_{i \in R(h)} s(i, j), \qquad
        s(i, j) = \frac{|U_i \cap U_j|}{\sqrt{|U_i|\,|U_j|}} \\
    \mathrm{popularity}(j) &= \mathrm{RecentPop}(j)

:math:`n(i \to j)` counts item j directly following item i in a training history (SeqMarkov's matrix),
:math:`s` is the item–item cosine over training users, each item's top neighbours kept (ItemKNN's
matrix), :math:`R(h)` the history's last ``recent`` distinct items and RecentPop the recent popularity
in [0, 1]. They are the snapshots of those baselines a checkpoint already carries, so scoring reads no
training data; at scoring time only the history is read (a prefix, in replay), never a later event.

Shapes: ``parts(histories)`` -> {name: [len(histories), n_items] float32}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from engine.data.timeline import Timeline
from engine.recommenders.itemknn import ItemKNN
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.popularity import recent_popularity
from engine.recommenders.snapshot import csr_from_state

EVIDENCE_PARTS: tuple[str, ...] = ("transition", "cooccurrence", "popularity")


def recent_distinct(history: np.ndarray, count: int) -> np.ndarray:
    """The last ``count`` distinct items of ``history``, most recent first."""
    if not len(history):
        return np.empty(0, dtype=np.int64)
    reversed_unique, first = np.unique(history[::-1], return_index=True)
    return reversed_unique[np.argsort(first)][:count].astype(np.int64)


@dataclass(frozen=True)
class GraphEvidence:
    """The fitted matrices over one catalogue (index = item index)."""

    transitions: sp.csr_matrix  # [n, n] P(j | i), rows of items never followed are empty
    similarity: sp.csr_matrix  # [n, n] item-item cosine, each row's top neighbours
    popularity: np.ndarray  # [n] recent popularity in [0, 1]
    recent: int  # distinct recent items the co-occurrence part reads

    @property
    def n_items(self) -> int:
        return len(self.popularity)

    @classmethod
    def fit(cls, train: Timeline, item_index: Mapping[str, int]) -> GraphEvidence:
        """Fit on ``train`` (every item of it must be in ``item_index``), over ``item_index``'s catalogue."""
        markov, knn = SeqMarkov().fit(train), ItemKNN().fit(train)
        own = np.array([item_index[item] for item in markov.catalogue], dtype=np.int64)  # own -> target
        evidence = cls(
            markov.transitions, knn.similarity, recent_popularity(train, markov.item_index), knn.config.recent
        )
        return evidence.reindex(own, len(item_index))

    @classmethod
    def from_snapshots(
        cls, baselines: Mapping[str, Mapping[str, torch.Tensor]], n_items: int
    ) -> GraphEvidence:
        """From a checkpoint's ``baselines`` (SeqMarkov, ItemKNN and RecentPop snapshots)."""
        missing = [name for name in ("SeqMarkov", "ItemKNN", "RecentPop") if name not in baselines]
        if missing:
            raise KeyError(f"the checkpoint carries no {', '.join(missing)} snapshot")
        knn = baselines["ItemKNN"]
        return cls(
            csr_from_state(baselines["SeqMarkov"], n_items),
            csr_from_state(knn, n_items),
            baselines["RecentPop"]["scores"].cpu().numpy().astype(np.float32),
            int(knn["recent"]),
        )

    def reindex(self, positions: np.ndarray, n_items: int) -> GraphEvidence:
        """The same evidence over a larger catalogue: item ``v`` moves to ``positions[v]``; items new to
        it have no evidence (empty rows and columns, popularity 0)."""
        n = self.n_items
        move = sp.csr_matrix((np.ones(n, dtype=np.float32), (np.arange(n), positions)), shape=(n, n_items))
        popularity = np.zeros(n_items, dtype=np.float32)
        popularity[positions] = self.popularity
        return GraphEvidence(
            sp.csr_matrix(move.T @ self.transitions @ move, dtype=np.float32),
            sp.csr_matrix(move.T @ self.similarity @ move, dtype=np.float32),
            popularity,
            self.recent,
        )

    def parts(self, histories: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """The unweighted parts for each history, each [B, n_items] float32 (empty history: zeros,
        popularity aside)."""
        B, n = len(histories), self.n_items
        last = np.array([h[-1] if len(h) else 0 for h in histories], dtype=np.int64)
        has_last = np.array([len(h) > 0 for h in histories], dtype=np.float32)
        transition = sp.diags(has_last) @ self.transitions[last] if B else sp.csr_matrix((0, n))
        recent = [recent_distinct(np.asarray(h), self.recent) for h in histories]
        rows = np.repeat(np.arange(B), [len(r) for r in recent])
        cols = np.concatenate(recent) if B else np.empty(0, dtype=np.int64)
        window = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(B, n))
        return {
            "transition": np.asarray(transition.toarray(), dtype=np.float32),
            "cooccurrence": np.asarray((window @ self.similarity).toarray(), dtype=np.float32),
            "popularity": np.broadcast_to(self.popularity, (B, n)).astype(np.float32),
        }
