r"""Graph evidence beside the state cosine: what the training events say directly about the next item.

Four parts, each read from a user's history :math:`h = (i_1, \dots, i_t)` (catalogue indices, oldest
first) and from matrices fitted on training events only:

.. math::
    \mathrm{transition}(h, j) &= P(j \mid i_t) = \frac{n(i_t \to j)}{\sum_{j'} n(i_t \to j')} \\
    \mathrm{cooccurrence}(h, j) &= \sum_{i \in R(h)} s(i, j), \qquad
        s(i, j) = \frac{|U_i \cap U_j|}{\sqrt{|U_i|\,|U_j|}} \\
    \mathrm{popularity}(j) &= \mathrm{RecentPop}(j) \\
    \mathrm{category\_pop}(h, j) &= \frac{|\{i \in W(h) : c(i) = c(j)\}|}{|W(h)|} \cdot
        \frac{\mathrm{RecentPop}(j)}{\sum_{j' : c(j') = c(j)} \mathrm{RecentPop}(j')}

:math:`n(i \to j)` counts item j directly following item i in a training history (SeqMarkov's matrix),
:math:`s` is the item–item cosine over training users, each item's top neighbours kept (ItemKNN's
matrix), :math:`R(h)` the history's last ``recent`` distinct items and RecentPop the recent popularity
in [0, 1]. ``category_pop`` is the share of the history's last ``category_window`` events :math:`W(h)` in
the item's category :math:`c(j)`, times the item's share of its category's recent popularity: popular
items of the shelves the user browses (items without a category score 0). They are the snapshots of
those baselines a checkpoint already carries (and its items' categories), so scoring reads no training
data; at scoring time only the history is read (a prefix, in replay), never a later event. In the
``stream`` protocol the recent popularity both popularity parts read is the one as of each query
(``parts(histories, popularity)``), as the stream RecentPop reads it.

Shapes: ``parts(histories)`` -> {name: [len(histories), n_items] float32}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from engine.data.timeline import Timeline
from engine.recommenders.itemknn import ItemKNN
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.popularity import recent_popularity
from engine.recommenders.snapshot import csr_from_state

EVIDENCE_PARTS: tuple[str, ...] = ("transition", "cooccurrence", "popularity", "category_pop")
CATEGORY_WINDOW = 50  # last events the category shares are read from (validation tails: 10 and 50 level)


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
    category_of: np.ndarray | None = None  # [n] int64 category code, -1 without one (None: no categories)
    category_window: int = CATEGORY_WINDOW

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
        catalogue = sorted(item_index, key=item_index.__getitem__)
        categories = train.item_categories().reindex(catalogue).fillna("").astype(str)
        return replace(evidence.reindex(own, len(item_index)), category_of=category_codes(categories))

    @classmethod
    def from_snapshots(
        cls,
        baselines: Mapping[str, Mapping[str, torch.Tensor]],
        n_items: int,
        categories: Sequence[str] = (),
    ) -> GraphEvidence:
        """From a checkpoint's ``baselines`` (SeqMarkov, ItemKNN and RecentPop snapshots) and its items'
        ``categories`` ([n_items], "" where none; empty for a checkpoint written before they were kept)."""
        missing = [name for name in ("SeqMarkov", "ItemKNN", "RecentPop") if name not in baselines]
        if missing:
            raise KeyError(f"the checkpoint carries no {', '.join(missing)} snapshot")
        knn = baselines["ItemKNN"]
        return cls(
            csr_from_state(baselines["SeqMarkov"], n_items),
            csr_from_state(knn, n_items),
            baselines["RecentPop"]["scores"].cpu().numpy().astype(np.float32),
            int(knn["recent"]),
            category_codes(categories) if len(categories) == n_items else None,
        )

    def reindex(self, positions: np.ndarray, n_items: int) -> GraphEvidence:
        """The same evidence over a larger catalogue: item ``v`` moves to ``positions[v]``; items new to
        it have no evidence (empty rows and columns, popularity 0)."""
        n = self.n_items
        move = sp.csr_matrix((np.ones(n, dtype=np.float32), (np.arange(n), positions)), shape=(n, n_items))
        popularity = np.zeros(n_items, dtype=np.float32)
        popularity[positions] = self.popularity
        category_of = None
        if self.category_of is not None:
            category_of = np.full(n_items, -1, dtype=np.int64)
            category_of[positions] = self.category_of
        return GraphEvidence(
            sp.csr_matrix(move.T @ self.transitions @ move, dtype=np.float32),
            sp.csr_matrix(move.T @ self.similarity @ move, dtype=np.float32),
            popularity,
            self.recent,
            category_of,
            self.category_window,
        )

    @cached_property
    def category_share(self) -> np.ndarray:
        """Each item's share of its category's recent popularity, [n] (0 without a category)."""
        if self.category_of is None or not (self.category_of >= 0).any():
            return np.zeros(self.n_items, dtype=np.float32)
        return self._within_category(self.popularity[None, :])[0]

    def category_parts(
        self, histories: Sequence[np.ndarray], popularity: np.ndarray | None = None
    ) -> np.ndarray:
        """The ``category_pop`` part [B, n]: the share of each history's last ``category_window`` events in an
        item's category times the item's share of that category's recent popularity (``popularity``
        [B, n] as of each query, default the fitted snapshot)."""
        B, n = len(histories), self.n_items
        category_of = self.category_of
        if category_of is None or not (category_of >= 0).any():
            return np.zeros((B, n), dtype=np.float32)
        C = int(category_of.max()) + 1
        windows = [np.asarray(h, dtype=np.int64)[-self.category_window :] for h in histories]
        lengths = np.array([len(w) for w in windows], dtype=np.float32)  # [B]
        rows = np.repeat(np.arange(B), lengths.astype(np.int64))
        codes = category_of[np.concatenate(windows)] if B else np.empty(0, dtype=np.int64)
        has = codes >= 0
        counts = sp.csr_matrix(
            (np.ones(int(has.sum()), dtype=np.float32), (rows[has], codes[has])), shape=(B, C)
        ).toarray()  # [B, C] events per category in each window
        share = counts / np.maximum(lengths, 1.0)[:, None]  # [B, C]
        within = self.category_share if popularity is None else self._within_category(popularity)
        # items without a category have a within-category share of 0, whatever column they read
        return (share[:, np.maximum(category_of, 0)] * within).astype(np.float32)

    def _within_category(self, popularity: np.ndarray) -> np.ndarray:
        """Each item's share of its category's ``popularity`` [B, n], row by row [B, n] (0 without a
        category); needs at least one item with a category."""
        assert self.category_of is not None
        has = np.flatnonzero(self.category_of >= 0)
        codes = self.category_of[has]
        members = sp.csr_matrix(
            (np.ones(len(has), dtype=np.float32), (has, codes)), shape=(self.n_items, int(codes.max()) + 1)
        )  # [n, C] item -> its category
        totals = np.asarray((members.T @ popularity.T).T)  # [B, C]
        out = np.zeros(popularity.shape, dtype=np.float32)
        out[:, has] = popularity[:, has] / np.maximum(totals[:, codes], 1e-12)
        return out

    def parts(
        self, histories: Sequence[np.ndarray], popularity: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """The unweighted parts for each history, each [B, n_items] float32 (empty history: zeros,
        popularity aside). ``popularity`` [B, n]: the recent popularity as of each query, read by the
        popularity and category parts (default: the fitted snapshot for every query)."""
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
            "popularity": np.broadcast_to(
                self.popularity if popularity is None else popularity, (B, n)
            ).astype(np.float32),
            "category_pop": self.category_parts(histories, popularity),
        }


def category_codes(categories: Sequence[str] | pd.Series) -> np.ndarray:
    """Category names per item ("" or missing: none) -> codes [n] int64, -1 where none."""
    names = pd.Series(list(categories), dtype=object).fillna("").astype(str)
    codes, _ = pd.factorize(names.where(names != "", None), use_na_sentinel=True)
    return codes.astype(np.int64)
