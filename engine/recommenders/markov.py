r"""SeqMarkov: first-order Markov chain over consecutive items in each user's time-ordered history.

.. math::
    P(j \mid i) = \frac{n(i \to j)}{\sum_{j'} n(i \to j')}, \qquad
    \mathrm{score}(u, j) = P(j \mid \text{last item of } u)

:math:`n(i \to j)` counts how often item j directly follows item i in a training history (a repeat of the
same item, i -> i, is not a transition). The transition matrix is sparse. Where the last item has no
observed successor, or to order the items it never led to, recent popularity fills in below every
transition probability; cold users get recent popularity alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from engine.data.timeline import Timeline
from engine.recommenders.base import Recommender
from engine.recommenders.popularity import recent_popularity

_NONE = np.empty(0, dtype=np.int64)  # the history of a user never seen in training
FILL_WEIGHT = 1e-6  # popularity fill, below any transition probability of a catalogue under 1M items


class SeqMarkov(Recommender):
    """Next item predicted from the last item alone, by observed item-to-item transition frequencies."""

    name = "SeqMarkov"

    def __init__(self) -> None:
        super().__init__()
        self.transitions = sp.csr_matrix((0, 0), dtype=np.float32)
        self.cold_scores = np.empty(0, dtype=np.float32)

    def fit(self, train: Timeline) -> SeqMarkov:
        self._index(train)
        sources, targets = [], []
        for seq in self.history.values():
            if len(seq) < 2:
                continue
            moved = seq[1:] != seq[:-1]
            sources.append(seq[:-1][moved])
            targets.append(seq[1:][moved])
        src = np.concatenate(sources) if sources else np.empty(0, dtype=np.int64)
        dst = np.concatenate(targets) if targets else np.empty(0, dtype=np.int64)
        counts = sp.csr_matrix(
            (np.ones(len(src), dtype=np.float64), (src, dst)), shape=(self.n_items, self.n_items)
        )
        counts.sum_duplicates()
        out_degree = np.asarray(counts.sum(axis=1)).ravel()
        scale = np.where(out_degree > 0, 1.0 / np.maximum(out_degree, 1.0), 0.0)
        self.transitions = sp.csr_matrix(sp.diags(scale) @ counts, dtype=np.float32)
        self.cold_scores = recent_popularity(train, self.item_index)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return self.score_histories([self.history.get(u, _NONE) for u in users])

    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        """Transition probabilities out of each history's last item; empty histories: recent popularity."""
        last = np.array([h[-1] if len(h) else 0 for h in histories], dtype=np.int64)
        scores = self.transitions[last].toarray()  # [B, n_items]
        scores += FILL_WEIGHT * self.cold_scores[None, :]
        cold = np.array([len(h) == 0 for h in histories], dtype=bool)
        scores[cold] = self.cold_scores
        return scores.astype(np.float32, copy=False)
