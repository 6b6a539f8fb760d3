"""The lists made at each step of a replay, and where the next real event ranks in them.

The score at step t is the model's mix (:mod:`engine.recommenders.score_mix`): the weighted state cosine
plus the weighted graph evidence read from the prefix of known items up to t (never a later event). A
step's list is asked right after its event, so it takes the model's session mix.
At step t (after event t, before event t+1) a list may hold neither an item the user touched up to t nor
an item first seen after t: the catalogue as of t. Ranking, exclusion and ties go through
:mod:`engine.ranking`, the one path every list of the product takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from engine.model.trend import ItemTrend
from engine.ranking import exclude, rank_of, top_k
from engine.replay.model import ReplayModel


@dataclass(frozen=True)
class StepLists:
    """Per step: the model's top-K (``items``/``scores`` [L, K], -1 / -inf where fewer may be listed),
    the next event's full-catalogue rank for the model (``rank``) and each baseline (``baseline_rank``),
    0 where the step is not judged (``judged`` false: last step, next item unknown, already touched or
    not yet in the catalogue); ``evidence`` the weighted evidence parts of each listed item's score
    (name -> [L, K], only the parts the mix uses)."""

    items: np.ndarray  # [L, K] int64
    scores: np.ndarray  # [L, K] float32
    judged: np.ndarray  # [L] bool
    rank: np.ndarray  # [L] int64
    baseline_rank: dict[str, np.ndarray]  # name -> [L] int64
    levels: Tensor | None  # [L, n_items] trend level each step read, None without a trend
    evidence: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [L, K] float32


def mixed_scores(
    model: ReplayModel, cosine: Tensor, prefixes: list[np.ndarray]
) -> tuple[Tensor, dict[str, Tensor]]:
    """The score [b, n] of states with cosine [b, n] after ``prefixes``, and its weighted evidence parts."""
    if model.evidence is None:
        weight = model.mix.weight("state")
        return (cosine if weight == 1.0 else weight * cosine), {}
    raw = {name: torch.from_numpy(v).to(cosine.device) for name, v in model.evidence.parts(prefixes).items()}
    weighted = model.mix.weighted(cosine, raw)
    score = torch.stack(list(weighted.values())).sum(0)
    return score, {name: part for name, part in weighted.items() if name != "state"}


def judged_steps(model: ReplayModel, rows: np.ndarray, known: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Steps whose next event can be listed: known, new to the user, in the catalogue at step t."""
    L = len(rows)
    judged = np.zeros(L, dtype=bool)
    if L < 2:
        return judged
    nxt = rows[1:]
    nxt_known = known[1:]
    seen_before = np.zeros(L - 1, dtype=bool)
    first_pos: dict[int, int] = {}
    for t, (row, is_known) in enumerate(zip(rows, known, strict=True)):
        if is_known and row not in first_pos:
            first_pos[int(row)] = t
    for t in range(L - 1):
        seen_before[t] = nxt_known[t] and first_pos.get(int(nxt[t]), L) <= t
    in_catalogue = np.zeros(L - 1, dtype=bool)
    safe = np.where(nxt_known, nxt, 0)
    in_catalogue[nxt_known] = model.first_seen[safe[nxt_known]] <= seconds[:-1][nxt_known]
    judged[:-1] = nxt_known & ~seen_before & in_catalogue
    return judged


def trend_levels(model: ReplayModel, seconds: np.ndarray) -> Tensor | None:
    """The item trend each step reads (as of its own time, training events only), [L, n_items]."""
    ckpt = model.checkpoint
    if ckpt.model.trend_direction is None or ckpt.trend_bounds is None or ckpt.trend_levels is None:
        return None
    trend = ItemTrend(ckpt.trend_bounds, ckpt.trend_levels, ckpt.trend_half_life_s)
    buckets = torch.from_numpy(trend.bucket_of(seconds))
    return torch.from_numpy(trend.levels)[buckets].to(model.device)


@torch.no_grad()
def step_lists(
    model: ReplayModel,
    u: Tensor,
    rows: np.ndarray,
    known: np.ndarray,
    seconds: np.ndarray,
    k: int,
    chunk: int,
    only: np.ndarray | None = None,
) -> StepLists:
    """Lists and next-event ranks for every step, ``chunk`` steps at a time (bounds chunk x n floats).

    ``only`` [L] bool: judge just these steps (the others are not judged, and steps before the first of
    them are not listed), for callers that need a part of the timeline, e.g. its held-out suffix."""
    L, n = len(rows), model.n_items
    net = model.checkpoint.model
    z = model.checkpoint.item_embeddings
    judged = judged_steps(model, rows, known, seconds)
    first = 0
    if only is not None:
        judged &= only
        first = int(np.argmax(only)) if only.any() else L
    nxt = np.r_[rows[1:], 0] if L else rows
    nxt = np.where(judged, nxt, 0)
    levels = trend_levels(model, seconds)
    first_seen = torch.from_numpy(model.first_seen).to(model.device)
    K = min(k, n)
    items = np.full((L, K), -1, dtype=np.int64)
    scores = np.full((L, K), -np.inf, dtype=np.float32)
    rank = np.zeros(L, dtype=np.int64)
    baseline_rank = {name: np.zeros(L, dtype=np.int64) for name in model.baselines}
    evidence: dict[str, np.ndarray] = {}
    for lo in range(first, L, chunk):
        hi = min(lo + chunk, L)
        part = slice(lo, hi)
        prefixes = [rows[: t + 1][known[: t + 1]] for t in range(lo, hi)]  # touched up to each step
        future = first_seen[None, :] > torch.from_numpy(seconds[part]).to(model.device)[:, None]  # [b, n]
        level = None if levels is None else levels[part]
        s, parts = mixed_scores(model, net.cosine(u[part], z, level), prefixes)  # [b, n]
        s = exclude(s.masked_fill(future, -torch.inf), prefixes)
        index, values = top_k(s, K)
        items[part], scores[part] = index.cpu().numpy(), values.cpu().numpy()
        for name, values_n in parts.items():
            evidence.setdefault(name, np.zeros((L, K), dtype=np.float32))[part] = (
                values_n.gather(1, index).cpu().numpy()
            )
        # ranks are read only where the step is judged (0 elsewhere): rank those rows alone, for the
        # model and the baselines (rows are independent, so the ranks are the same as ranking all)
        mine = np.flatnonzero(judged[part])  # [j] rows of this chunk
        if not len(mine):
            continue
        mine_t = torch.from_numpy(mine).to(model.device)
        targets = torch.from_numpy(nxt[part][mine]).to(model.device)  # [j]
        rank[lo + mine] = rank_of(s[mine_t], targets).cpu().numpy()
        judged_prefixes = [prefixes[j] for j in mine]
        for name, baseline in model.baselines.items():
            b = torch.from_numpy(np.array(baseline.score_histories(judged_prefixes), dtype=np.float32))
            b = exclude(b.to(model.device).masked_fill(future[mine_t], -torch.inf), judged_prefixes)
            baseline_rank[name][lo + mine] = rank_of(b, targets).cpu().numpy()  # [j]
    items[~np.isfinite(scores)] = -1
    rank[~judged] = 0
    for ranks in baseline_rank.values():
        ranks[~judged] = 0
    for values_lk in evidence.values():
        values_lk[items < 0] = 0.0
    return StepLists(items, scores, judged, rank, baseline_rank, levels, evidence)
