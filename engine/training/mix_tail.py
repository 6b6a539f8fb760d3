"""Queries from the validation tail of the training part, for fitting the score's mixing weights.

The tail is the trainer's: the latest ``val_share`` of the training events by time. Everything a query
reads comes from before the tail or from its own user's earlier events: the item embeddings are
computed on the graph of the events before the tail, the graph evidence (transitions, co-occurrence,
popularity) is fitted on those events only, and the network's weights were trained on them. Two kinds
of query, each judged on its own (:func:`engine.recommenders.score_mix.mix_objective`), as the
trainer's validation reads the tail both ways:

- ``set``: a user active on both sides, from their state at the cut, to find every item they touch in
  the tail that is new to them and was in the catalogue before it (the ``time`` protocol);
- ``next``: a tail event, from the state just before it (the user's earlier events, tail events
  included), to find that one item when it is new to the user (the ``loo`` / ``stream`` reading).

Items first seen in the tail are never listed (nothing before the tail knows them).

Each query also has its moment: the gap from the user's previous event to the query (to the cut for a
``set`` query, to the event for a ``next`` one). The in-session queries (gap under
:data:`~engine.recommenders.score_mix.SESSION_GAP_S`) fit the model's session mix; the returning mix
(:class:`~engine.recommenders.score_mix.SessionMixes`) is fitted on every query (:func:`fit_mixes`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import torch

from engine.data.timeline import Timeline
from engine.model.model import InterestModel
from engine.model.sequences import UserSequences, length_batches
from engine.recommenders.evidence import EVIDENCE_PARTS, GraphEvidence
from engine.recommenders.gru4rec import GRU4Rec, GRU4RecConfig
from engine.recommenders.score_mix import (
    MIX_PARTS,
    MixFit,
    MixQueries,
    SessionMixes,
    fit_mix,
    in_session,
    ndcg,
)
from engine.replay.batch import REPLAY_TOKENS, replay_users
from engine.training.graph import graph_inputs_from_events
from engine.training.trainer import TrainedModel

log = logging.getLogger(__name__)
MAX_CELLS = 6_000_000  # query x item cells held per part: ~100 MB for the four parts
NEXT_SHARE = 0.5  # share of the cells for next-item queries (set queries are few: users, not events)
KINDS: tuple[str, ...] = ("set", "next")  # query kinds, in MixQueries.group order
# fewest in-session queries the session mix is fitted on, and of a kind for it to be judged there:
# NDCG@20 of fewer queries moves by several percent from one query to the next
MIN_SESSION_QUERIES = 50
MIN_KIND_QUERIES = 20
LEARNED_CHUNK = 512  # queries GRU4Rec scores at once for the learned reference


@dataclass(frozen=True)
class TailQueries:
    """Raw material of :class:`MixQueries`: per query its state [Q, d], history, targets, kind and gap."""

    states: torch.Tensor  # [Q, d]
    histories: list[np.ndarray]  # catalogue indices, oldest first
    targets: list[np.ndarray]  # catalogue indices to find
    kind: np.ndarray  # [Q] "set" | "next"
    gap_s: np.ndarray  # [Q] seconds from the user's previous event to the query


def tail_cut(seconds: np.ndarray, val_share: float) -> float | None:
    """The trainer's validation cut (the 1 - val_share quantile of event times), None without a tail."""
    if val_share <= 0 or not len(seconds):
        return None
    cut = float(np.quantile(seconds, 1.0 - val_share))
    fit = seconds < cut
    return cut if fit.any() and not fit.all() else None


@torch.no_grad()
def tail_queries(
    model: InterestModel,
    z: torch.Tensor,
    everything: UserSequences,
    cut: float,
    in_catalogue: np.ndarray,
    time_origin: float,
    max_queries: tuple[int, int],
    seed: int,
) -> TailQueries:
    """Set and next-item queries of the tail at ``cut`` (see the module docstring).

    ``everything``: all training events as sequences; ``in_catalogue`` [n] items seen before the cut;
    ``max_queries``: at most this many (set, next) queries, drawn at random beyond it.
    """
    rng = np.random.default_rng(seed)
    device = z.device
    before = everything.seconds < cut  # [n_events]
    first = np.zeros(len(before), dtype=bool)
    first[everything.offsets[:-1][everything.lengths > 0]] = True
    users = np.repeat(np.arange(len(everything)), everything.lengths)  # [n_events]
    n_before = np.bincount(users[before], minlength=len(everything))  # events before the cut per user

    # set queries: users on both sides; targets new to them and in the catalogue before the cut
    set_rows, set_targets = [], []
    for user in np.flatnonzero((n_before > 0) & (n_before < everything.lengths)):
        lo, mid, hi = (
            everything.offsets[user],
            everything.offsets[user] + n_before[user],
            everything.offsets[user + 1],
        )
        history = everything.items[lo:mid]
        later = np.unique(everything.items[mid:hi])
        later = later[in_catalogue[later] & ~np.isin(later, history)]
        if len(later):
            set_rows.append(user)
            set_targets.append(later)
    keep = _draw(len(set_rows), max_queries[0], rng)
    set_rows = [set_rows[i] for i in keep]
    set_targets = [set_targets[i] for i in keep]

    # next-item queries: tail events after an earlier event of the user, new to the user, known before the cut
    wanted = np.flatnonzero(~before & ~first & ~everything.repeat & in_catalogue[everything.items])
    wanted = wanted[_draw(len(wanted), max_queries[1], rng)]

    fit = _prefix(everything, n_before)
    set_states, _ = replay_users(model, z, fit, time_origin)
    states = [set_states[torch.from_numpy(np.asarray(set_rows, dtype=np.int64)).to(device)]]
    histories = [
        everything.items[everything.offsets[u] : everything.offsets[u] + n_before[u]] for u in set_rows
    ]
    next_states = _states_before(model, z, everything, wanted, time_origin)
    states.append(next_states)
    for row in wanted:
        histories.append(everything.items[everything.offsets[users[row]] : row])
    targets = set_targets + [everything.items[row : row + 1] for row in wanted]
    kind = np.array(["set"] * len(set_rows) + ["next"] * len(wanted), dtype=object)
    last_before = everything.offsets[np.asarray(set_rows, dtype=np.int64)] + n_before[set_rows] - 1
    gap_s = np.r_[
        cut - everything.seconds[last_before], everything.seconds[wanted] - everything.seconds[wanted - 1]
    ]
    return TailQueries(torch.cat(states), histories, targets, kind, gap_s.astype(np.float64))


def _draw(n: int, most: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(n) if n <= most else np.sort(rng.choice(n, most, replace=False))


def _prefix(sequences: UserSequences, counts: np.ndarray) -> UserSequences:
    """Each user's first ``counts[u]`` events."""
    users = np.repeat(np.arange(len(sequences)), sequences.lengths)  # [n_events]
    keep = np.arange(len(users)) - sequences.offsets[users] < counts[users]
    return UserSequences(
        sequences.users,
        np.r_[0, np.cumsum(counts)].astype(np.int64),
        sequences.items[keep],
        sequences.types[keep],
        sequences.seconds[keep],
        sequences.repeat[keep],
    )


@torch.no_grad()
def _states_before(
    model: InterestModel, z: torch.Tensor, sequences: UserSequences, wanted: np.ndarray, origin: float
) -> torch.Tensor:
    """The user state just before each ``wanted`` event row (that row's user has an earlier event) [W, d]."""
    device = z.device
    out = torch.empty(len(wanted), z.shape[1], device=device)
    position = {int(row): i for i, row in enumerate(wanted)}
    users = np.unique(np.searchsorted(sequences.offsets, wanted, side="right") - 1)
    lengths = np.zeros(len(sequences), dtype=np.int64)
    lengths[users] = sequences.lengths[users]
    for rows in length_batches(lengths, REPLAY_TOKENS, rng=None):
        batch = sequences.batch(rows, origin=origin).to(device)
        u, _ = model(z, batch.items, batch.types, batch.times, batch.lengths)  # [B, L, d]
        event_rows = batch.rows[:, 1:].cpu().numpy()  # the event each u[:, t] predicts
        valid = np.arange(1, event_rows.shape[1] + 1)[None, :] < batch.lengths.cpu().numpy()[:, None]
        for b, t in zip(*np.nonzero(valid & np.isin(event_rows, wanted)), strict=True):
            out[position[int(event_rows[b, t])]] = u[b, t]
    return out


def mix_queries(
    tail: TailQueries, z: torch.Tensor, evidence: GraphEvidence, in_catalogue: np.ndarray
) -> MixQueries:
    """Features [Q, P, n] (cosine, then the evidence parts), exclusions, targets and query kinds."""
    n = z.shape[0]
    Q = len(tail.histories)
    cosine = InterestModel.scores(tail.states, z).cpu()  # [Q, n]
    parts = evidence.parts(tail.histories)
    features = torch.stack([cosine, *(torch.from_numpy(parts[p]) for p in EVIDENCE_PARTS)], dim=1)
    excluded = torch.from_numpy(np.broadcast_to(~in_catalogue, (Q, n)).copy())
    targets = torch.zeros(Q, n, dtype=torch.bool)
    for q, (history, items) in enumerate(zip(tail.histories, tail.targets, strict=True)):
        excluded[q, torch.from_numpy(history)] = True
        targets[q, torch.from_numpy(items)] = True
    kinds = [k for k in KINDS if (tail.kind == k).any()]  # groups 0.. in KINDS order, empty kinds left out
    group = np.array([kinds.index(kind) for kind in tail.kind], dtype=np.int64)
    return MixQueries(features.float(), excluded, targets, torch.from_numpy(group))


def validation_queries(train: Timeline, trained: TrainedModel) -> tuple[MixQueries, TailQueries] | None:
    """The tail's queries for ``trained`` (fitted on ``train``), their features read from before the
    tail only (see the module docstring); None without a tail."""
    cfg = trained.train_config
    seconds = train.seconds()
    cut = tail_cut(seconds, cfg.val_share)
    if cut is None:
        return None
    vocab = trained.vocab
    item_rows = {item: i for i, item in enumerate(vocab.items)}
    n = len(vocab.items)
    fit = train.subset(seconds < cut)
    evidence = GraphEvidence.fit(fit, item_rows)
    in_catalogue = np.zeros(n, dtype=bool)
    in_catalogue[fit.events["item_id"].map(item_rows).to_numpy(dtype=np.int64)] = True
    model = trained.model
    device = next(model.parameters()).device
    use_sentences = model.features.sentence is not None
    graph = graph_inputs_from_events(
        fit.events, vocab, vocab.items, trained.texts, model.config, trained.graph_config, use_sentences
    ).to(device)
    model.eval()
    with torch.no_grad():
        z = model.item_embeddings(graph)  # [n, d]: the graph of the events before the tail
    everything = UserSequences.from_events(train.events, seconds, item_rows)
    most = max(MAX_CELLS // max(n, 1), 2)
    budget = (int(most * (1 - NEXT_SHARE)), int(most * NEXT_SHARE))
    tail = tail_queries(model, z, everything, cut, in_catalogue, trained.time_origin, budget, cfg.seed)
    if not len(tail.histories):
        return None
    queries = mix_queries(tail, z, evidence, in_catalogue)
    if cfg.learned_reference:
        learned = learned_reference(
            fit,
            vocab.items,
            tail.histories,
            queries.excluded,
            queries.targets,
            cfg.val_k,
            cfg.seed,
            cfg.device,
        )
        queries = replace(queries, learned=learned)
    return queries, tail


def learned_reference(
    fit: Timeline,
    items: tuple[str, ...],
    histories: list[np.ndarray],
    excluded: torch.Tensor,
    targets: torch.Tensor,
    k: int,
    seed: int,
    device: str = "auto",
) -> torch.Tensor:
    """Each query's NDCG@k [Q] under GRU4Rec (CE) with its default knobs, fitted on ``fit`` (the events
    before the tail, as the evidence) and reading the query's history (catalogue indices into ``items``),
    with the query's ``excluded`` items and ``targets`` ([Q, n] bool, catalogue columns): the learned
    baseline the goal also judges by. ``device``: the training's (auto | cpu | cuda)."""
    gru = GRU4Rec(GRU4RecConfig(seed=seed, device=device)).fit(fit)
    own = np.array([gru.item_index.get(item, -1) for item in items], dtype=np.int64)  # [n] -> GRU4Rec's
    scores = torch.full(targets.shape, -torch.inf)  # [Q, n]: items GRU4Rec never saw are not listed
    known = np.flatnonzero(own >= 0)
    for start in range(0, len(histories), LEARNED_CHUNK):
        part = [own[h][own[h] >= 0] for h in histories[start : start + LEARNED_CHUNK]]
        scored = torch.from_numpy(gru.score_histories(part))  # [b, n_own]
        scores[start : start + len(part), torch.from_numpy(known)] = scored[:, torch.from_numpy(own[known])]
    return ndcg(scores.masked_fill(excluded, -torch.inf), targets, k)


def _subset(queries: MixQueries, tail: TailQueries, rows: np.ndarray) -> tuple[MixQueries, list[str]]:
    """The queries ``rows`` [Q] (bool) whose kind has at least ``MIN_KIND_QUERIES`` of them there, their
    groups renumbered over the kinds kept (in ``KINDS`` order), and those kinds."""
    kinds = [kind for kind in KINDS if (rows & (tail.kind == kind)).sum() >= MIN_KIND_QUERIES]
    keep = rows & np.isin(tail.kind, kinds)
    group = np.array([kinds.index(kind) for kind in tail.kind[keep]], dtype=np.int64)
    subset = replace(queries.rows(torch.from_numpy(keep)), group=torch.from_numpy(group))
    return subset, kinds


def fit_mixes(
    queries: MixQueries, tail: TailQueries, k: int, parts: tuple[str, ...] = MIX_PARTS
) -> tuple[SessionMixes, dict[str, float]]:
    """The returning mix fitted on every query, the session mix on the in-session queries alone (the
    returning mix again when they are too few), and the tail's NDCG@k of each mix, the plain cosine and
    the best single part, per kind of query.

    The returning mix is not fitted on the returning queries alone: a tail holds few of them (120 of
    1,924 on ml-100k's `time` training part: the users on both sides of the cut and the next events
    after a break), and a mix fitted on those alone read 10-14% below this one on the inner `time` and
    `loo` tests (benchmarks/results/gnn_quality.md).
    """
    report = {"tail_queries": float(len(queries))}
    returning, fit = fit_mix(queries, k, parts)
    everyone = np.ones(len(tail.kind), dtype=bool)
    _report(report, "tail", fit, [kind for kind in KINDS if (tail.kind == kind).any()], tail, everyone)
    if queries.learned is not None:
        for kind in KINDS:
            if (tail.kind == kind).any():
                report[f"tail_{kind}_ndcg_gru4rec"] = float(
                    queries.learned[torch.from_numpy(tail.kind == kind)].mean()
                )
    rows = in_session(tail.gap_s)
    report["tail_session_queries"] = float(rows.sum())
    session_queries, kinds = _subset(queries, tail, rows)
    if len(session_queries) < MIN_SESSION_QUERIES or not kinds:
        return SessionMixes(returning, returning), report
    session, fit = fit_mix(session_queries, k, parts)
    _report(report, "tail_session", fit, kinds, tail, rows)
    return SessionMixes(returning, session), report


def _report(
    report: dict[str, float], prefix: str, fit: MixFit, kinds: list[str], tail: TailQueries, rows: np.ndarray
) -> None:
    """Add ``fit``'s objective and, per kind of the queries ``rows`` [Q] (bool), their number and the
    NDCG@k of the mix, the plain cosine and the best single part to ``report``, keys under ``prefix``."""
    report[f"{prefix}_objective"] = fit.objective
    for i, kind in enumerate(kinds):
        report[f"{prefix}_{kind}_queries"] = float((rows & (tail.kind == kind)).sum())
        report[f"{prefix}_{kind}_ndcg_mix"] = fit.mix_ndcg[i]
        report[f"{prefix}_{kind}_ndcg_state"] = fit.state_ndcg[i]
        report[f"{prefix}_{kind}_ndcg_best_part"] = fit.reference_ndcg[i]


def fit_score_mix(
    train: Timeline, trained: TrainedModel, parts: tuple[str, ...] = MIX_PARTS
) -> tuple[SessionMixes, dict[str, float]]:
    """Fit the mixing weights of ``parts`` for ``trained`` on the validation tail of ``train`` (the
    events it was fitted on), per moment (:func:`fit_mixes`); plain cosines when there is no tail or no
    part beside the state."""
    found = validation_queries(train, trained) if set(parts) - {"state"} else None
    if found is None:
        return SessionMixes(), {}
    queries, tail = found
    mixes, report = fit_mixes(queries, tail, trained.train_config.val_k, parts)
    log.info(
        "score mixes: returning %s, session %s; tail %s",
        mixes.returning.weights,
        mixes.session.weights,
        report,
    )
    return mixes, report
