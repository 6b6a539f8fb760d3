"""The one ranking path: scores -> exclude what may not be listed -> top-K, ties broken by item index.

Every list the product shows or measures (evaluation, training validation, ``recommend``, replay) is made
here, so two numbers about "the top 20" can never disagree on ties or on what was excluded. Item indices
follow the catalogue order, which is sorted by item id, so "ties by index" is "ties by item id".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

CHUNK = 1024  # rows ranked at once: bounds memory at CHUNK x n_items floats

Excluded = Sequence[np.ndarray | Tensor | None]


def exclude(scores: Tensor, excluded: Sequence[np.ndarray | Tensor | None]) -> Tensor:
    """Set ``scores[row, excluded[row]] = -inf`` in place and return ``scores``.

    ``excluded`` holds, per row, the item indices that may not be listed (seen items, items not yet in
    the catalogue); ``None`` or an empty array excludes nothing.

    Shapes: scores [B, n], len(excluded) == B.
    """
    if len(excluded) != scores.shape[0]:
        raise ValueError(f"{len(excluded)} exclusion lists for {scores.shape[0]} rows")
    rows, cols = [], []
    for row, items in enumerate(excluded):
        if items is None or len(items) == 0:
            continue
        items_t = torch.as_tensor(np.asarray(items) if not isinstance(items, Tensor) else items)
        cols.append(items_t.to(torch.long))
        rows.append(torch.full((len(items_t),), row, dtype=torch.long))
    if rows:
        scores[torch.cat(rows).to(scores.device), torch.cat(cols).to(scores.device)] = -torch.inf
    return scores


def top_k(scores: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Each row's ``k`` best columns, best first; equal scores keep the lower column index first.

    Exact for ties at the cut: a row whose k-th score is shared with columns outside ``torch.topk``'s
    pick is re-ranked with a stable sort. Excluded (-inf) columns sort last; callers drop non-finite
    scores when fewer than ``k`` items may be listed.

    Shapes: scores [B, n] -> indices [B, k'] int64, scores [B, k'] with k' = min(k, n).
    """
    B, n = scores.shape
    k = min(int(k), n)
    if k <= 0 or B == 0:
        return scores.new_empty((B, 0), dtype=torch.long), scores.new_empty((B, 0))
    values, index = torch.topk(scores, k, dim=1)  # [B, k], sorted descending, ties in any order
    kth = values[:, -1:]  # [B, 1]
    cut_ties = (scores == kth).sum(1) > (values == kth).sum(1)  # the pick split a tie at the cut
    for row in torch.nonzero(cut_ties).flatten().tolist():
        order = torch.sort(scores[row], descending=True, stable=True).indices[:k]
        index[row], values[row] = order, scores[row, order]
    # inside the pick: order by (-score, index): sort by index, then stably by score
    index, by_index = index.sort(dim=1)
    values = values.gather(1, by_index)
    by_score = torch.sort(values, dim=1, descending=True, stable=True).indices
    return index.gather(1, by_score), values.gather(1, by_score)


def top_k_numpy(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k` for a numpy score matrix [B, n] -> (indices [B, k'] int64, scores [B, k'] float32)."""
    tensor = torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32))
    index, values = top_k(tensor, k)
    return index.numpy(), values.numpy()


def rank_of(scores: Tensor, targets: Tensor) -> Tensor:
    """1-based position each target would take in its row's full ranking (the order of :func:`top_k`).

    rank = 1 + #(columns scoring higher) + #(columns scoring equal with a lower index).

    Shapes: scores [B, n], targets [B] column indices -> ranks [B] int64.
    """
    mine = scores.gather(1, targets[:, None])  # [B, 1]
    columns = torch.arange(scores.shape[1], device=scores.device)[None, :]  # [1, n]
    # a column before the target is ahead on an equal score, one after it only on a higher one
    ahead = torch.where(columns < targets[:, None], scores >= mine, scores > mine)  # [B, n]
    return ahead.sum(1, dtype=torch.int32).long() + 1  # int32 sums run faster than bool -> int64


def ranked_in_chunks(
    n_rows: int,
    k: int,
    scores_of: Callable[[slice], Tensor],
    excluded_of: Callable[[slice], Excluded] | None = None,
    chunk: int = CHUNK,
) -> tuple[np.ndarray, np.ndarray]:
    """Score -> exclude -> :func:`top_k` for ``n_rows`` rows, ``chunk`` rows at a time.

    ``scores_of(rows)`` returns the scores of a slice of rows [b, n] (a tensor the ranking may
    overwrite); ``excluded_of(rows)`` each row's items that may not be listed (None: nothing excluded).
    Never holds more than ``chunk`` x n scores at once.

    Shapes: -> indices [n_rows, k'] int64 and scores [n_rows, k'] float32, k' = min(k, n); excluded
    items left in a short list have score -inf.
    """
    index_parts, value_parts = [], []
    for start in range(0, n_rows, chunk):
        part = slice(start, min(start + chunk, n_rows))
        scores = scores_of(part)  # [b, n]
        if excluded_of is not None:
            exclude(scores, excluded_of(part))
        index, values = top_k(scores, k)
        index_parts.append(index.cpu().numpy())
        value_parts.append(values.float().cpu().numpy())
    if not index_parts:
        return np.empty((0, max(int(k), 0)), dtype=np.int64), np.empty((0, max(int(k), 0)), np.float32)
    return np.concatenate(index_parts), np.concatenate(value_parts)
