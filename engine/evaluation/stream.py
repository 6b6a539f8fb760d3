r"""Ranking and averaging for the ``stream`` protocol: one full-catalogue list per test event.

Each query (event) is ranked through :mod:`engine.ranking` from the model's
:meth:`~engine.recommenders.base.Recommender.stream_scorer`, in chunks of queries, with the user's items
before the event excluded (unless repeat-aware); sampled queries are then scored again on the log cut
just before them and must agree (:func:`engine.evaluation.guard.audit_stream`).

Two averages of a per-event metric :math:`m_e`, both reported:

.. math:: \bar m_{\mathrm{event}} = \frac{\sum_u S_u}{\sum_u n_u}, \qquad
          \bar m_{\mathrm{user}} = \frac{1}{|U|} \sum_u \frac{S_u}{n_u}, \qquad S_u = \sum_{e \in u} m_e

The event average weighs heavy users by their events; the user average weighs every user once. Both
intervals resample users (:func:`engine.evaluation.bootstrap.bootstrap_ratios`, the same draws for both
and for every model), since a user's events are not independent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from engine import ranking
from engine.evaluation.bootstrap import bootstrap_ratios
from engine.evaluation.guard import audit_stream
from engine.evaluation.protocols import Split
from engine.recommenders.base import Recommender
from engine.recommenders.stream import histories_before

USER_PREFIX = "user_"  # the user average of metric "ndcg@20" is "user_ndcg@20"


def rank_stream(
    model: Recommender,
    split: Split,
    k: int,
    exclude_seen: bool,
    chunk: int,
    on_chunk: Callable[[int], object] | None = None,
) -> np.ndarray:
    """Top-k item indices [Q, k] for every query of a ``stream`` split, -1 past a short list; audited."""
    stream = split.stream
    if stream is None:
        raise ValueError(f"rank_stream needs a stream split, got protocol {split.protocol!r}")
    log, queries = stream.log, stream.queries
    scorer = model.stream_scorer(log, queries)
    audited = audit_rows(len(queries))
    kept: dict[int, np.ndarray] = {}

    def scores_of(part: slice) -> torch.Tensor:
        scores = np.array(scorer(part), dtype=np.float32)  # [b, n_items], a copy the ranking may overwrite
        for row in audited:
            if part.start <= row < part.stop:
                kept[row] = scores[row - part.start].copy()
        if on_chunk is not None:
            on_chunk(part.stop - part.start)
        return torch.from_numpy(scores)

    def seen_of(part: slice) -> list[np.ndarray | None]:
        return list(histories_before(log, queries[part]))

    idx, values = ranking.ranked_in_chunks(
        len(queries), k, scores_of, seen_of if exclude_seen else None, chunk
    )
    audit_stream(model, split, kept)
    ranked = np.full((len(queries), k), -1, dtype=np.int64)
    ranked[:, : idx.shape[1]] = np.where(np.isfinite(values), idx, -1)
    return ranked


AUDITED = 3  # queries scored again on the log cut just before them


def audit_rows(n_queries: int) -> list[int]:
    """The queries the guard scores again: the first (the most future after it), the middle, the last."""
    return sorted({int(r) for r in np.linspace(0, n_queries - 1, min(AUDITED, n_queries)).round()})


def by_user(values: np.ndarray, query_user: np.ndarray, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-user sums of finite values [n_users] and their counts [n_users]."""
    finite = np.isfinite(values)
    sums = np.bincount(query_user[finite], weights=values[finite], minlength=n_users)
    return sums, np.bincount(query_user[finite], minlength=n_users).astype(np.float64)


def stream_means(
    per_event: dict[str, np.ndarray], split: Split, replicates: int, seed: int
) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Event and user averages of every metric (keys ``m`` and ``user_m``), the per-user means behind
    the user averages, and the bootstrap replicates of both ([replicates] each, users resampled)."""
    stream = split.stream
    assert stream is not None
    names = list(per_event)
    sums_rows, count_rows, user_rows = [], [], []
    per_user: dict[str, np.ndarray] = {}
    for name in names:
        sums, counts = by_user(per_event[name], stream.query_user, split.n_users)
        with np.errstate(invalid="ignore", divide="ignore"):
            user_mean = sums / counts  # NaN for a user whose metric is never defined
        per_user[USER_PREFIX + name] = user_mean
        sums_rows.append(sums)
        count_rows.append(counts)
        user_rows.append(user_mean)
    valid_user = [np.isfinite(m).astype(np.float64) for m in user_rows]
    all_sums = np.vstack([*sums_rows, *[np.nan_to_num(m) for m in user_rows]])
    all_counts = np.vstack([*count_rows, *valid_user])
    reps = bootstrap_ratios(all_sums, all_counts, replicates, seed)  # [2 n_metrics, B]
    keys = [*names, *(USER_PREFIX + n for n in names)]
    means: dict[str, float] = {}
    for row, key in enumerate(keys):
        total = all_counts[row].sum()
        means[key] = float(all_sums[row].sum() / total) if total > 0 else float("nan")
    return means, per_user, {key: reps[row] for row, key in enumerate(keys)}
