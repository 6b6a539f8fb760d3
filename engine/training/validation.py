"""Validation on a time tail: what early stopping reads, ranked exactly as the evaluation ranks.

The latest ``val_share`` of the training events is the tail. Its targets follow the one target rule
(:mod:`engine.targets`: items new to the user and known before the cut), and every list goes through the
one ranking path (:mod:`engine.ranking`: scores -> exclude the seen prefix -> top-K, ties by item index),
over the catalogue known before the cut. The tail is read the two ways the evaluation reads a future:

- **set**: each validating user's state after their events before the cut ranks their new tail items
  (NDCG@k), as the ``time`` protocol does;
- **next item**: each tail event new to its user is ranked from the state just before it, with the
  user's events up to then excluded (NDCG@k of a single target), as replay does.

The score is the mean of the two. On large logs it costs little: at most ``TrainConfig.val_users``
validating users (a fixed sample, the same every epoch, so epochs compare on the same users) and at
most ``NEXT_ITEM_MAX`` next-item targets among them, ranked ``VALIDATION_CHUNK`` rows at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine import ranking
from engine.metrics.ranking import ndcg_at_k, ndcg_of_rank
from engine.model.model import InterestModel
from engine.model.sequences import UserSequences, length_batches
from engine.model.trend import ItemTrend
from engine.replay.batch import REPLAY_TOKENS, replay_users
from engine.targets import event_targets, future_targets
from engine.training.config import TrainConfig

VALIDATION_CHUNK = 256  # rows ranked at once: bounds memory at 256 x n_items floats
NEXT_ITEM_MAX = 5_000  # next-item targets ranked (the same ones every epoch): NDCG@20's std. error ~0.004


@dataclass(frozen=True)
class ValidationSet:
    """The validating users (row ``v`` of ``fit`` and of ``everything`` is the same user).

    ``fit``: their events before the cut; ``targets[v]``: their tail targets (item rows); ``everything``:
    their events before and after the cut; ``next_rows``: event rows of ``everything`` ranked one at a
    time [T]; ``catalogue``: bool [n_items], the items known before the cut (the only ones listed).
    """

    fit: UserSequences
    targets: list[np.ndarray]
    everything: UserSequences
    next_rows: np.ndarray
    catalogue: np.ndarray


def tail_cut(seconds: np.ndarray, config: TrainConfig) -> float | None:
    """The time that starts the validation tail, or None when no event would train or validate."""
    if config.val_share <= 0:
        return None
    cut = float(np.quantile(seconds, 1.0 - config.val_share))
    before = seconds < cut
    return None if before.all() or not before.any() else cut


def validation_set(
    events: pd.DataFrame,
    seconds: np.ndarray,
    cut: float,
    fit: UserSequences,
    item_rows: dict[str, int],
    config: TrainConfig,
) -> ValidationSet | None:
    """The tail after ``cut`` as a ValidationSet; None with fewer than ``min_val_users`` users.

    ``fit`` holds every user's events before the cut (their histories); validating users beyond
    ``val_users`` are sampled with the training seed.
    """
    before = seconds < cut
    catalogue = np.zeros(len(item_rows), dtype=bool)
    catalogue[fit.items] = True
    item_index = {item: row for item, row in item_rows.items() if catalogue[row]}
    histories = {user: fit.items[fit.offsets[u] : fit.offsets[u + 1]] for u, user in enumerate(fit.users)}
    targets = future_targets(events.loc[~before, ["user_id", "item_id"]], item_index, histories)
    if len(targets.users) < config.min_val_users:
        return None
    rng = np.random.default_rng(config.seed)
    chosen = np.arange(len(targets.users))
    if len(chosen) > config.val_users:
        chosen = np.sort(rng.choice(chosen, config.val_users, replace=False))
    users = targets.users[chosen]
    mine = events["user_id"].isin(users).to_numpy()
    everything = UserSequences.from_events(events[mine], seconds[mine], item_rows)
    fit_part = mine & before
    validating = UserSequences.from_events(events[fit_part], seconds[fit_part], item_rows)
    if not np.array_equal(validating.users, everything.users):  # both in first-appearance order
        raise AssertionError("validating users must keep one row order before and after the cut")
    by_user = dict(zip(targets.users, targets.items, strict=True))
    rows_targets = [by_user[user] for user in validating.users]
    # the one target rule event by event (as the stream protocol reads it): a tail event of a known item,
    # new to its user at that point, after an earlier event of theirs
    row_user = np.repeat(np.arange(len(everything)), everything.lengths)
    known_items = np.where(catalogue[everything.items], everything.items, -1)
    next_rows = event_targets(row_user, known_items, everything.seconds >= cut).rows
    if len(next_rows) > NEXT_ITEM_MAX:
        next_rows = np.sort(rng.choice(next_rows, NEXT_ITEM_MAX, replace=False))
    return ValidationSet(validating, rows_targets, everything, next_rows, catalogue)


@dataclass(frozen=True)
class TrendTable:
    """The item trend validation reads: snapshots ``trend`` and their ``levels`` [S, n_items] on the
    model's device."""

    trend: ItemTrend
    levels: Tensor


def snapshot_levels(model: InterestModel, table: TrendTable | None, seconds: np.ndarray) -> Tensor | None:
    """The trend levels [P, n_items] of states standing at ``seconds`` [P]: each at its own time's
    snapshot (``trend_time="user"``, as training and replay read it) or all at the latest; None when
    the model has no trend."""
    if (model.trend_direction is None and model.popularity_weight is None) or table is None:
        return None
    trend, levels = table.trend, table.levels
    if model.config.trend_time == "latest":
        buckets = np.full(len(seconds), len(levels) - 1)
    else:
        buckets = trend.bucket_of(seconds)
    return levels[torch.from_numpy(buckets).to(levels.device)]


def _outside(validation: ValidationSet, device: torch.device) -> Tensor:
    """Item rows not in the catalogue before the cut [O]: never listed."""
    return torch.from_numpy(np.flatnonzero(~validation.catalogue)).to(device)


@torch.no_grad()
def set_lists(
    model: InterestModel,
    z: Tensor,
    validation: ValidationSet,
    origin: float,
    k: int,
    trend: TrendTable | None = None,
) -> np.ndarray:
    """Each validating user's top-k [V, k'] (item rows, -1 past a short list) from their state after
    their events before the cut, through :func:`engine.ranking.ranked_in_chunks`."""
    fit = validation.fit
    states, _ = replay_users(model, z, fit, origin)  # [V, d]
    last_seconds = fit.seconds[np.maximum(fit.offsets[1:] - 1, 0)]  # [V]
    user_levels = snapshot_levels(model, trend, last_seconds)
    outside = _outside(validation, z.device)

    def scores_of(part: slice) -> Tensor:
        level = None if user_levels is None else user_levels[part]
        return model.fitted_score(states[part], z, level).index_fill_(1, outside, -torch.inf)  # [b, n_items]

    def seen_of(part: slice) -> list[np.ndarray]:
        return [fit.items[fit.offsets[v] : fit.offsets[v + 1]] for v in range(len(fit))[part]]

    index, values = ranking.ranked_in_chunks(
        len(fit), min(k, len(validation.catalogue)), scores_of, seen_of, VALIDATION_CHUNK
    )
    return np.where(np.isfinite(values), index, -1)


@torch.no_grad()
def next_item_ranks(
    model: InterestModel,
    z: Tensor,
    validation: ValidationSet,
    origin: float,
    trend: TrendTable | None = None,
) -> np.ndarray:
    """The 1-based full-catalogue rank [T] of each ``next_rows`` event, from the state just before it,
    with the user's events up to then excluded (:func:`engine.ranking.rank_of`)."""
    seqs, wanted = validation.everything, validation.next_rows
    device = z.device
    is_wanted = torch.zeros(len(seqs.items) + 1, dtype=torch.bool, device=device)
    is_wanted[torch.from_numpy(wanted).to(device)] = True
    outside = _outside(validation, device)
    was_training = model.training
    model.eval()
    ranks: list[np.ndarray] = []
    for rows in length_batches(seqs.lengths, REPLAY_TOKENS, rng=None):
        batch = seqs.batch(rows, origin=origin).to(device)
        L = batch.items.shape[1]
        valid = torch.arange(1, L, device=device)[None, :] < batch.lengths[:, None]  # [B, L-1]
        pick = valid & is_wanted[batch.rows[:, 1:]]
        if not pick.any():
            continue
        u, _ = model(z, batch.items, batch.types, batch.times, batch.lengths)  # [B, L, d]
        states, targets = u[:, :-1][pick], batch.items[:, 1:][pick]  # [T', d], [T']
        stands_at = batch.rows[:, :-1][pick].cpu().numpy()  # the event each state stands after [T']
        starts = seqs.offsets[rows[pick.nonzero()[:, 0].cpu().numpy()]]  # its user's first event [T']
        state_levels = snapshot_levels(model, trend, seqs.seconds[stands_at])
        for lo in range(0, len(targets), VALIDATION_CHUNK):
            part = slice(lo, lo + VALIDATION_CHUNK)
            level = None if state_levels is None else state_levels[part]
            scores = model.fitted_score(states[part], z, level).index_fill_(
                1, outside, -torch.inf
            )  # [t, n_items]
            prefixes = zip(starts[part], stands_at[part], strict=True)
            seen = [seqs.items[start : end + 1] for start, end in prefixes]  # touched up to each state
            ranking.exclude(scores, seen)
            ranks.append(ranking.rank_of(scores, targets[part]).cpu().numpy())
    model.train(was_training)
    return np.concatenate(ranks) if ranks else np.empty(0, dtype=np.int64)


def validation_score(
    model: InterestModel,
    z: Tensor,
    validation: ValidationSet,
    origin: float,
    k: int,
    trend: TrendTable | None = None,
) -> float:
    """Mean of the set NDCG@k and the next-item NDCG@k (the set alone when no next item is ranked)."""
    lists = set_lists(model, z, validation, origin, k, trend)
    set_ndcg = float(np.nanmean(ndcg_at_k(lists, validation.targets, k)))
    ranks = next_item_ranks(model, z, validation, origin, trend)
    if not len(ranks):
        return set_ndcg
    return 0.5 * (set_ndcg + float(ndcg_of_rank(ranks, k).mean()))
