r"""Accuracy metrics over ranked lists and target sets, vectorised over users.

Every function takes

- ``ranked``: int array ``[n_users, L]`` of item indices, best first. ``-1`` pads a list that holds fewer
  than ``L`` items (a user with fewer unseen items than K). A list is assumed free of duplicates.
- ``targets``: the relevant items per user, either a ``scipy.sparse`` matrix ``[n_users, n_items]``
  whose non-zero columns are the targets, or a sequence of ``n_users`` integer collections.
- ``k``: the cut-off. Only the first ``min(k, L)`` positions count; positions past the end of a short
  list (or padded with ``-1``) are misses, and the denominators below still use ``k``.

and returns a float64 array ``[n_users]``: one value per user, so callers can average, bootstrap or
compare users. **A user with no targets gets NaN** (every metric here is undefined without a relevant
item); averaging with ``np.nanmean`` then skips them instead of counting them as zero.

Notation: :math:`T_u` the target set, :math:`\mathrm{rel}_u(i) \in \{0,1\}` whether the item at
1-based position :math:`i` is in :math:`T_u`, :math:`H_u@K = \sum_{i \le K} \mathrm{rel}_u(i)`.
Work is O(n_users * k) after one sort of the (user, item) keys: 100k users cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp

Targets: TypeAlias = sp.spmatrix | sp.sparray | Sequence[Iterable[int]]


def target_matrix(targets: Targets, n_users: int | None = None, n_items: int | None = None) -> sp.csr_matrix:
    """Targets as a CSR matrix ``[n_users, n_items]`` with 1 where an item is relevant (duplicates merged)."""
    if sp.issparse(targets):
        matrix = sp.csr_matrix(targets, dtype=np.float64)
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        matrix.data[:] = 1.0
        return matrix
    rows = [np.unique(np.fromiter(t, dtype=np.int64)) for t in targets]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    indices = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    indptr = np.r_[0, np.cumsum(lengths)]
    width = n_items if n_items is not None else (int(indices.max()) + 1 if len(indices) else 0)
    height = n_users if n_users is not None else len(rows)
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(height, width))


def hit_matrix(ranked: np.ndarray, targets: Targets, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hits, n_targets)``: bool ``[n_users, k]`` (is position i a target) and int ``[n_users]`` (|T_u|).

    Vectorised: each (user, item) pair becomes one int64 key, and membership is one ``np.isin`` over
    the sorted target keys, never a users x items dense matrix.
    """
    ranked = np.asarray(ranked, dtype=np.int64)
    if ranked.ndim != 2:
        raise ValueError(f"ranked must be 2-D [n_users, L], got shape {ranked.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    n_users = ranked.shape[0]
    matrix = target_matrix(targets)
    if matrix.shape[0] != n_users:
        raise ValueError(f"targets cover {matrix.shape[0]} users but ranked has {n_users} rows")
    top = ranked[:, :k]
    if top.shape[1] < k:  # a list shorter than k: the missing positions are misses
        top = np.pad(top, ((0, 0), (0, k - top.shape[1])), constant_values=-1)
    width = max(int(matrix.shape[1]), int(top.max(initial=-1)) + 1, 1)
    user_of_target = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(matrix.indptr))
    target_keys = user_of_target * width + matrix.indices.astype(np.int64)
    ranked_keys = np.arange(n_users, dtype=np.int64)[:, None] * width + top
    hits = np.isin(ranked_keys, target_keys) & (top >= 0)
    return hits, np.diff(matrix.indptr).astype(np.int64)


def _undefined_where_empty(values: np.ndarray, n_targets: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64)
    out[n_targets == 0] = np.nan
    return out


def precision_at_k(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Share of the K slots that hold a target.

    .. math:: \mathrm{P@K}_u = \frac{H_u@K}{K}

    The denominator is K even when the list is shorter (empty slots are misses), so a model cannot gain
    by returning fewer items. No targets: NaN. Perfect list (first K all targets): 1; no hit: 0.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    return _undefined_where_empty(hits.sum(axis=1) / k, n_targets)


def recall_at_k(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Share of the targets found in the top K.

    .. math:: \mathrm{R@K}_u = \frac{H_u@K}{|T_u|}

    With more targets than K the best reachable value is K/|T_u| < 1 (the usual definition; NDCG below
    normalises by what is reachable instead). No targets: NaN. All targets in the top K: 1; none: 0.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _undefined_where_empty(hits.sum(axis=1) / n_targets, n_targets)


def f1_at_k(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Harmonic mean of precision and recall at K (0 when both are 0).

    .. math:: \mathrm{F1@K}_u = \frac{2\,\mathrm{P@K}_u\,\mathrm{R@K}_u}{\mathrm{P@K}_u + \mathrm{R@K}_u}
       = \frac{2\,H_u@K}{K + |T_u|}

    No targets: NaN. It reaches 1 only when |T_u| = K and the top K are exactly the targets.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    return _undefined_where_empty(2.0 * hits.sum(axis=1) / (k + n_targets), n_targets)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))  # 1/log2(i+1), i = 1..k


def ndcg_at_k(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Normalised discounted cumulative gain with binary gains.

    .. math::
        \mathrm{DCG@K}_u = \sum_{i=1}^{K} \frac{\mathrm{rel}_u(i)}{\log_2(i+1)}, \qquad
        \mathrm{IDCG@K}_u = \sum_{i=1}^{\min(K, |T_u|)} \frac{1}{\log_2(i+1)}, \qquad
        \mathrm{NDCG@K}_u = \frac{\mathrm{DCG@K}_u}{\mathrm{IDCG@K}_u}

    The ideal list puts min(K, |T_u|) targets first, so a perfect list scores 1 even when |T_u| > K.
    No targets: NaN; no hit: 0.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    discounts = _discounts(k)
    dcg = hits.astype(np.float64) @ discounts
    ideal_cum = np.r_[0.0, np.cumsum(discounts)]
    idcg = ideal_cum[np.minimum(n_targets, k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return _undefined_where_empty(dcg / idcg, n_targets)


def mrr_at_k(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Reciprocal rank of the first target within the top K (0 when none is there).

    .. math:: \mathrm{MRR@K}_u = \max_{i \le K} \frac{\mathrm{rel}_u(i)}{i}

    No targets: NaN. A target first: 1; first hit at position 3: 1/3; no hit: 0.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    first = np.argmax(hits, axis=1)
    values = np.asarray(np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0))
    return _undefined_where_empty(values, n_targets)


def hit_rate_at_k(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Whether at least one target is in the top K.

    .. math:: \mathrm{HR@K}_u = \mathbb{1}\left[H_u@K > 0\right]

    No targets: NaN. With one target per user (leave-last-out) it equals recall at K.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    return _undefined_where_empty(np.asarray(hits.any(axis=1), dtype=np.float64), n_targets)


def hit_rate_curve(ranked: np.ndarray, targets: Targets, k: int) -> np.ndarray:
    r"""Cumulative hit rate by list position: the mean of HR@j over users with targets, for j = 1..K.

    .. math:: c_j = \frac{1}{|U^+|} \sum_{u \in U^+} \mathbb{1}\left[H_u@j > 0\right], \quad j = 1, \dots, K

    Non-decreasing in j, ``c_K`` = the mean HR@K. No user with targets: all NaN. Shape ``[k]``.
    """
    hits, n_targets = hit_matrix(ranked, targets, k)
    judged = n_targets > 0
    if not judged.any():
        return np.full(k, np.nan)
    return np.asarray(np.logical_or.accumulate(hits[judged], axis=1).mean(axis=0), dtype=np.float64)


def hit_rate_of_rank(rank: np.ndarray, k: int) -> np.ndarray:
    """HR@k of a single target at 1-based ``rank`` (its position in the full ranking): 1 if rank <= k."""
    return (np.asarray(rank) <= k).astype(np.float64)


def mrr_of_rank(rank: np.ndarray, k: int) -> np.ndarray:
    """MRR@k of a single target at 1-based ``rank``: 1/rank if rank <= k, else 0 (what Replay's ``rr`` is)."""
    rank = np.asarray(rank, dtype=np.float64)
    return np.where(rank <= k, 1.0 / np.maximum(rank, 1.0), 0.0)


def ndcg_of_rank(rank: np.ndarray, k: int) -> np.ndarray:
    """NDCG@k of a single target at 1-based ``rank``: 1/log2(rank + 1) if rank <= k, else 0."""
    rank = np.asarray(rank, dtype=np.float64)
    return np.where(rank <= k, 1.0 / np.log2(rank + 1.0), 0.0)
