r"""Beyond-accuracy metrics of ranked lists: catalogue coverage, novelty and intra-list diversity.

Inputs follow :mod:`engine.metrics.ranking`: ``ranked`` is an int array ``[n_users, L]`` of item indices,
best first, padded with ``-1``; only the first ``min(k, L)`` positions count. Per-user metrics return a
float64 array ``[n_users]`` with NaN where the value is undefined (stated per function); coverage is one
number for the whole set of lists. Work is chunked over users, so memory stays bounded for 100k users.
"""

from __future__ import annotations

import numpy as np

USER_CHUNK = 8192  # users per block in the pairwise metrics: bounds memory at USER_CHUNK x k x k


def _top(ranked: np.ndarray, k: int) -> np.ndarray:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    ranked = np.asarray(ranked, dtype=np.int64)
    if ranked.ndim != 2:
        raise ValueError(f"ranked must be 2-D [n_users, L], got shape {ranked.shape}")
    return ranked[:, :k]


def coverage(ranked: np.ndarray, n_items: int, k: int) -> float:
    r"""Share of the catalogue that appears in at least one user's top K.

    .. math:: \mathrm{Coverage@K} = \frac{\left|\bigcup_u \mathrm{top}_K(u)\right|}{|I|}

    Empty catalogue or no users: 0. Every item recommended to someone: 1.
    """
    top = _top(ranked, k)
    if n_items <= 0 or top.size == 0:
        return 0.0
    shown = np.unique(top[top >= 0])
    return float(len(shown) / n_items)


def novelty(ranked: np.ndarray, popularity: np.ndarray, n_users: int, k: int) -> np.ndarray:
    r"""Mean self-information of the recommended items (Zhou et al., PNAS 2010).

    .. math:: \mathrm{Nov@K}_u = \frac{1}{|L_u|} \sum_{i \in L_u} -\log_2 p_i, \qquad
              p_i = \frac{\max(\mathrm{pop}_i, 1)}{N}

    ``popularity[i]`` is the number of training users who touched item i and ``n_users`` = N those
    users; an item nobody touched counts as touched once (finite self-information of log2 N). L_u is the
    list's first K valid items. An empty list: NaN. Higher = less popular, more surprising items.
    """
    top = _top(ranked, k)
    popularity = np.asarray(popularity, dtype=np.float64)
    info = -np.log2(np.maximum(popularity, 1.0) / max(n_users, 1))  # [n_items]
    valid = top >= 0
    bits = np.where(valid, info[np.where(valid, top, 0)], 0.0)
    counts = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, bits.sum(axis=1) / counts, np.nan)


def intra_list_diversity_category(ranked: np.ndarray, item_category: np.ndarray, k: int) -> np.ndarray:
    r"""Share of pairs in the top K whose items belong to different categories.

    .. math:: \mathrm{ILD^{cat}@K}_u = \frac{1}{|P_u|} \sum_{(i,j) \in P_u} \mathbb{1}[c_i \ne c_j]

    ``item_category[i]`` is an int code per item, ``-1`` where unknown; P_u are the unordered pairs of
    the list's items with known categories. Fewer than two such items: NaN. All one category: 0;
    all different: 1.
    """
    top = _top(ranked, k)
    codes = np.asarray(item_category, dtype=np.int64)
    out = np.empty(len(top), dtype=np.float64)
    for start in range(0, len(top), USER_CHUNK):
        block = top[start : start + USER_CHUNK]
        cats = np.where(block >= 0, codes[np.where(block >= 0, block, 0)], -1)  # [B, k]
        known = cats >= 0
        pair_known = known[:, :, None] & known[:, None, :]  # [B, k, k]
        differ = (cats[:, :, None] != cats[:, None, :]) & pair_known
        n_known = known.sum(axis=1)
        n_pairs = n_known * (n_known - 1)  # ordered pairs, both halves of the symmetric matrix
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + len(block)] = np.where(n_pairs > 0, differ.sum(axis=(1, 2)) / n_pairs, np.nan)
    return out


def intra_list_diversity_embedding(ranked: np.ndarray, item_embeddings: np.ndarray, k: int) -> np.ndarray:
    r"""Mean pairwise cosine distance between the embeddings of the top-K items.

    .. math:: \mathrm{ILD^{emb}@K}_u = \frac{1}{|P_u|} \sum_{(i,j) \in P_u}
              \left(1 - \frac{e_i \cdot e_j}{\lVert e_i \rVert \lVert e_j \rVert}\right)

    ``item_embeddings`` is ``[n_items, d]``; a zero vector counts as orthogonal to everything. P_u are the
    unordered pairs of valid items. Fewer than two items: NaN. Identical directions: 0; orthogonal: 1.
    """
    top = _top(ranked, k)
    emb = np.asarray(item_embeddings, dtype=np.float64)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    unit = np.divide(emb, norms, out=np.zeros_like(emb), where=norms > 0)
    out = np.empty(len(top), dtype=np.float64)
    for start in range(0, len(top), USER_CHUNK):
        block = top[start : start + USER_CHUNK]
        valid = block >= 0
        vecs = unit[np.where(valid, block, 0)] * valid[:, :, None]  # [B, k, d]
        gram = np.einsum("bid,bjd->bij", vecs, vecs)  # [B, k, k]
        not_self = ~np.eye(block.shape[1], dtype=bool)[None]  # a list item is not paired with itself
        pair_valid = valid[:, :, None] & valid[:, None, :] & not_self
        n_valid = valid.sum(axis=1)
        n_pairs = n_valid * (n_valid - 1)
        dist = np.where(pair_valid, 1.0 - gram, 0.0).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + len(block)] = np.where(n_pairs > 0, dist / n_pairs, np.nan)
    return out
