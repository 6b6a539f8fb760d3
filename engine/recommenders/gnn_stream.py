r"""The GNN in the ``stream`` protocol: the memory stepped over every event before each query.

Weights and item embeddings stay as fitted. For a query at log position p of user u, the state is
:math:`u_t`, the memory's readout after the user's last catalogue event t before p (training and earlier
test events alike), and the items are read at the trend as of the query's own time and position:

.. math:: s_q = \cos\big(u_t,\ z + \lambda(q)\, w\big), \qquad
          \lambda_i(q) = \log\big(1 + \textstyle\sum_{e \in \log[:p],\ i_e = i} 2^{-(t_q - t_e)/h}\big)

(no trend term when the model has none), mixed with the graph evidence of the query's earlier events as
the checkpoint's score mix says (:mod:`engine.recommenders.score_mix`): the session mix when the query
comes within ``SESSION_GAP_S`` of the user's previous event, the returning mix otherwise. Every user's
states come from one batched pass of the memory over their events up to their last query
(``UserMemory.forward`` keeps the state after every position, as replay's trace does), not one pass per
query: O(events) memory work for the whole stream. A query whose user has no catalogue event before it
gets the model's cold-start scores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch

from engine.model.sequences import UserSequences, length_batches
from engine.recommenders.popularity import popularity_scores
from engine.recommenders.score_mix import in_session
from engine.recommenders.stream import (
    EventLog,
    StreamQueries,
    counts_before,
    decayed_counts_before,
    histories_before,
    positions_before,
)
from engine.replay.batch import REPLAY_TOKENS

if TYPE_CHECKING:
    from engine.recommenders.gnn import GNNRecommender


@torch.no_grad()
def query_states(
    rec: GNNRecommender, log: EventLog, queries: StreamQueries
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """States [Q, d] after each query's last earlier catalogue event, which queries have one [Q], and
    the seconds from that event to the query [Q] (inf without one)."""
    ckpt = rec._require()
    net, z = ckpt.model, rec.item_embeddings
    before = positions_before(log, queries)  # per query: its user's earlier catalogue events
    warm = np.array([len(p) > 0 for p in before], dtype=bool)
    last_position = np.array([p[-1] if len(p) else -1 for p in before], dtype=np.int64)  # [Q]
    users = np.unique(queries.user[warm])
    # each user's events up to the last one any of their queries reads
    by_user = log.known_by_user
    spans = []
    for user in users.tolist():
        mine = by_user[user]
        needed = last_position[warm & (queries.user == user)].max()
        spans.append(mine[: int(np.searchsorted(mine, needed, side="right"))])
    lengths = np.array([len(s) for s in spans], dtype=np.int64)
    rows = np.concatenate(spans) if spans else np.empty(0, dtype=np.int64)
    sequences = UserSequences(
        users=users.astype(object),
        offsets=np.r_[0, np.cumsum(lengths)].astype(np.int64),
        items=log.item[rows],
        types=log.event_type[rows],
        seconds=log.seconds[rows],
        repeat=np.zeros(len(rows), dtype=bool),  # the memory does not read it
    )
    # log position -> row of the stacked per-event states
    row_of_position = np.full(len(log), -1, dtype=np.int64)
    row_of_position[rows] = np.arange(len(rows))
    states = torch.zeros(len(rows), z.shape[1], device=z.device)  # [n_events, d]
    was_training = net.training
    net.eval()
    for batch_rows in length_batches(lengths, REPLAY_TOKENS, rng=None):
        batch = sequences.batch(batch_rows, origin=ckpt.time_origin).to(z.device)
        u, _ = net(z, batch.items, batch.types, batch.times, batch.lengths)  # [B, L, d]
        valid = torch.arange(u.shape[1], device=z.device)[None, :] < batch.lengths[:, None]  # [B, L]
        states[batch.rows[valid]] = u[valid]
    net.train(was_training)
    out = torch.zeros(len(queries), z.shape[1], device=z.device)  # [Q, d]
    if warm.any():
        out[torch.from_numpy(np.flatnonzero(warm)).to(z.device)] = states[
            torch.from_numpy(row_of_position[last_position[warm]]).to(z.device)
        ]
    gap_s = np.full(len(queries), np.inf)
    gap_s[warm] = queries.seconds[warm] - log.seconds[last_position[warm]]
    return out, warm, gap_s


def mixed_scores(
    rec: GNNRecommender, log: EventLog, part: StreamQueries, cosine: torch.Tensor, gap_s: np.ndarray
) -> torch.Tensor:
    """The checkpoint's score mix [b, n_items] of the cosine with the evidence of each query's earlier
    events, each query by its moment's mix (``gap_s`` [b]: seconds since the user's previous event);
    the recent popularity that the popularity and category parts read is as of the query (its window
    ending at the query's time), as the stream RecentPop does."""
    session = in_session(gap_s)
    if rec.evidence is None:
        return rec.mix.combine(cosine, {}, session)
    popularity = None
    if rec.mix.weight("popularity") > 0 or rec.mix.weight("category_pop") > 0:
        recent = counts_before(log, part, rec.n_items, window_s=rec.popularity_window_s)  # [b, n_items]
        popularity = popularity_scores(recent, counts_before(log, part, rec.n_items))
    parts = rec.evidence.parts(histories_before(log, part), popularity)
    return rec.mix.combine(cosine, {name: torch.from_numpy(value) for name, value in parts.items()}, session)


def gnn_stream_scorer(
    rec: GNNRecommender, log: EventLog, queries: StreamQueries
) -> Callable[[slice], np.ndarray]:
    """``GNNRecommender.stream_scorer`` (see the module docstring): states first, scores per chunk."""
    ckpt = rec._require()
    net, z = ckpt.model, rec.item_embeddings
    states, warm, gap_s = query_states(rec, log, queries)

    @torch.no_grad()
    def scores_of(rows: slice) -> np.ndarray:
        part = queries[rows]
        levels = None
        if net.trend_direction is not None:
            decayed = decayed_counts_before(log, part, rec.n_items, ckpt.trend_half_life_s)  # [b, n_items]
            levels = torch.from_numpy(np.log1p(decayed).astype(np.float32)).to(z.device)
        cosine = net.cosine(states[rows], z, levels).float().cpu()  # [b, n_items]
        scores = mixed_scores(rec, log, part, cosine, gap_s[rows]).numpy()
        scores[~warm[rows]] = rec.cold_scores
        return scores

    return scores_of
