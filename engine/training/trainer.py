"""Trainer: next-interaction prediction over each user's time-ordered events, early-stopped on a time tail.

The prediction for a user's event t is made from the memory after events 1..t-1 only; the memory takes
event t in afterwards. A user's memory depends on nothing but that user's own events and the item
embeddings, so replaying users' sequences in parallel is the same as replaying the global stream.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.device import resolve_device
from engine.graph import GraphConfig
from engine.metrics.ranking import ndcg_at_k
from engine.model.config import ModelConfig
from engine.model.features import sentence_embeddings
from engine.model.inputs import GraphInputs, Vocabulary, item_texts
from engine.model.model import InterestModel
from engine.model.sequences import SequenceBatch, UserSequences, length_batches
from engine.model.trend import ItemTrend
from engine.replay.batch import REPLAY_TOKENS, replay_users
from engine.training.config import TrainConfig
from engine.training.graph import encoder_graph_config, graph_inputs_from_events
from engine.training.loss import CosineFn, next_item_loss, plain_cosine

log = logging.getLogger(__name__)
VALIDATION_CHUNK = 512  # validation users ranked at once: bounds memory at 512 x n_items floats
NEXT_ITEM_MAX = 20_000  # tail events ranked for next-item validation: plenty for a stable mean


def _trend_cosine(
    model: InterestModel, u: torch.Tensor, z: torch.Tensor, levels: torch.Tensor | None
) -> CosineFn:
    """Scores of states u [P, d] against candidate items, each row at its own trend levels [P, n]."""
    if levels is None:
        return plain_cosine(u, z)

    def cosine(candidates: torch.Tensor | None) -> torch.Tensor:
        if candidates is None:
            return model.cosine(u, z, levels)
        return model.cosine(u, z[candidates], levels[:, candidates])

    return cosine


@dataclass
class TrainedModel:
    """A trained model with everything needed to embed its catalogue and replay users."""

    model: InterestModel
    vocab: Vocabulary
    texts: dict[str, str]
    graph: GraphInputs  # over the full training data; nodes 0..n_items-1 = vocab.items
    graph_config: GraphConfig
    train_config: TrainConfig
    time_origin: float  # seconds; memory times are relative to it
    fingerprint: str
    trend_half_life_s: float  # the trend's half-life in seconds, fixed at training time
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def model_config(self) -> ModelConfig:
        return self.model.config


@dataclass
class _ValidationSet:
    rows: np.ndarray  # users (rows of the fit sequences) with targets, [V]
    targets: list[np.ndarray]  # their unseen items after the cut
    everything: UserSequences | None = None  # fit + tail events, for next-item validation
    next_rows: np.ndarray | None = None  # event rows of ``everything`` predicted one at a time [T]


@dataclass(frozen=True)
class TrainProgress:
    """Where a fit stands: ``batch`` of ``batches`` done in ``epoch`` (1-based) of at most ``epochs``;
    ``record`` (loss, val_ndcg, seconds) once the epoch is over. Early stopping may end before ``epochs``."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    record: dict[str, float] | None = None


class Trainer:
    """Train an InterestModel on a timeline; ``fit`` returns a TrainedModel."""

    def __init__(
        self,
        model_config: ModelConfig | None = None,
        train_config: TrainConfig | None = None,
        graph_config: GraphConfig | None = None,
        on_progress: Callable[[TrainProgress], None] | None = None,
    ) -> None:
        """``on_progress`` is called after every batch and every epoch (the dashboard's progress bar)."""
        self.model_config = model_config or ModelConfig()
        self.config = train_config or TrainConfig()
        self.on_progress = on_progress
        self.base_graph_config = graph_config
        # set by fit: trend snapshots [B, n_items] and each training event's snapshot [n_events]
        self._trend_levels = torch.zeros(1, 0)
        self._event_bucket = torch.zeros(0, dtype=torch.long)
        # set by fit: the training graph's time cut and each training event's time [n_events]
        self._graph_cut = float("-inf")
        self._event_seconds = torch.zeros(0, dtype=torch.float64)

    # -- public ----------------------------------------------------------------------------------
    def fit(self, timeline: Timeline, resume_path: str | Path | None = None) -> TrainedModel:
        cfg, mcfg = self.config, self.model_config
        if len(timeline) == 0:
            raise DataError("cannot train on an empty timeline")
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        device = resolve_device(cfg.device)
        events = timeline.events
        seconds = timeline.seconds()
        vocab = Vocabulary(
            items=tuple(sorted(events["item_id"].astype(str).unique())),
            categories=tuple(sorted(events["category"].dropna().astype(str).unique())),
        )
        item_rows = {item: i for i, item in enumerate(vocab.items)}
        texts = item_texts(events)
        graph_config = encoder_graph_config(events, self.base_graph_config)
        use_sentences = mcfg.sentence_model and sentence_embeddings(["probe"]) is not None
        sentence_dim = 0
        if use_sentences:
            probe = sentence_embeddings(["probe"])
            sentence_dim = 0 if probe is None else int(probe.shape[1])

        fit_mask, val_targets = self._validation_split(events, seconds, item_rows)
        fit_events = events[fit_mask]
        sequences = UserSequences.from_events(fit_events, seconds[fit_mask], item_rows)
        validation = self._validation_set(val_targets, sequences)
        if validation is not None:
            self._add_next_item_targets(validation, events, seconds, fit_mask, item_rows)
        # Training reads a prefix graph and predicts only later targets (see TrainConfig.graph_share);
        # validation reads the graph of every event before the validation tail, as a test would.
        fit_seconds = seconds[fit_mask]
        self._graph_cut = float(np.quantile(fit_seconds, cfg.graph_share))
        before_cut = fit_seconds < self._graph_cut
        graph = graph_inputs_from_events(
            fit_events[before_cut] if before_cut.any() else fit_events,
            vocab, vocab.items, texts, mcfg, graph_config, use_sentences,
        ).to(device)  # fmt: skip
        fit_graph = graph_inputs_from_events(
            fit_events, vocab, vocab.items, texts, mcfg, graph_config, use_sentences
        ).to(device)
        self._event_seconds = torch.from_numpy(np.asarray(sequences.seconds, dtype=np.float64)).to(device)
        log_q, sample_p = self._negative_distribution(sequences, len(vocab.items), device)
        trend = ItemTrend.over_span(
            sequences.items, sequences.seconds, len(vocab.items), mcfg.trend_half_life_share
        )
        self._trend_levels = torch.from_numpy(trend.levels).to(device)  # [B, n_items]
        self._event_bucket = torch.from_numpy(trend.bucket_of(sequences.seconds)).to(device)  # [n_events]

        torch.manual_seed(cfg.seed)  # same initial weights whatever ran before
        model = InterestModel(mcfg, len(vocab.items), len(vocab.categories), sentence_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        fingerprint = timeline.fingerprint()
        progress: dict[str, Any] = {
            "epoch": 0,
            "best_score": -np.inf,
            "best_state": None,
            "bad": 0,
            "history": [],
        }
        if resume_path is not None and Path(resume_path).exists():
            progress = self._resume(Path(resume_path), model, optimizer, fingerprint)

        for epoch in range(int(progress["epoch"]), cfg.epochs):
            started = time.perf_counter()
            loss = self._train_epoch(model, optimizer, graph, sequences, log_q, sample_p, epoch, device)
            score = self._validate(model, fit_graph, sequences, validation, float(seconds.min()))
            record = {
                "epoch": epoch + 1,
                "loss": loss,
                "val_ndcg": score,
                "seconds": time.perf_counter() - started,
            }
            progress["history"].append(record)
            if self.on_progress is not None:
                self.on_progress(TrainProgress(epoch + 1, cfg.epochs, 1, 1, record))
            log.info("epoch %d: loss %.4f, validation NDCG@%d %.4f", epoch + 1, loss, cfg.val_k, score)
            if validation is None or score > progress["best_score"]:
                progress.update(best_score=score, best_state=copy.deepcopy(model.state_dict()), bad=0)
            else:
                progress["bad"] += 1
            progress["epoch"] = epoch + 1
            if resume_path is not None:
                self._save_progress(Path(resume_path), model, optimizer, progress, fingerprint)
            # A tail with no hit in any epoch cannot rank epochs: then train on, and keep the last epoch.
            found_hits = progress["best_score"] > 0
            if (
                validation is not None
                and found_hits
                and progress["bad"] >= cfg.patience
                and epoch + 1 >= cfg.min_epochs
            ):
                break

        if validation is not None and progress["best_score"] <= 0:
            log.warning("the validation tail had no hit in any epoch: keeping the last epoch's weights")
        elif progress["best_state"] is not None:
            model.load_state_dict(progress["best_state"])
        model.eval()
        full_graph = (
            graph_inputs_from_events(events, vocab, vocab.items, texts, mcfg, graph_config, use_sentences)
            if validation is not None
            else fit_graph
        )
        return TrainedModel(
            model=model,
            vocab=vocab,
            texts=texts,
            graph=full_graph.to(device),
            graph_config=graph_config,
            train_config=cfg,
            time_origin=float(seconds.min()),
            fingerprint=fingerprint,
            trend_half_life_s=trend.half_life_s,
            history=progress["history"],
        )

    # -- steps -----------------------------------------------------------------------------------
    def _train_epoch(
        self,
        model: InterestModel,
        optimizer: torch.optim.Optimizer,
        graph: GraphInputs,
        sequences: UserSequences,
        log_q: torch.Tensor | None,
        sample_p: torch.Tensor | None,
        epoch: int,
        device: torch.device,
    ) -> float:
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, epoch])  # per-epoch streams: resuming replays them exactly
        generator = torch.Generator(device=device).manual_seed(cfg.seed * 1_000_003 + epoch)
        torch.manual_seed(cfg.seed * 7_919 + epoch)  # dropout masks
        model.train()
        batches = length_batches(sequences.lengths, cfg.tokens_per_batch, rng)
        total, count = 0.0, 0
        bar = tqdm(batches, desc=f"epoch {epoch + 1}", disable=not cfg.progress, leave=False, unit="batch")
        for done, rows in enumerate(bar):
            if self.on_progress is not None:
                self.on_progress(TrainProgress(epoch + 1, cfg.epochs, done, len(batches)))
            batch = sequences.batch(rows).to(device)
            u_prev, targets, buckets = self._predictions(model, graph, batch, generator)
            if not len(targets):
                continue
            z = model.item_embeddings(graph)  # [n_items, d], recomputed: encoder weights changed
            negatives = None
            if sample_p is not None:
                negatives = torch.multinomial(sample_p, cfg.negatives, replacement=True, generator=generator)
            u = u_prev(z)
            # [P, n_items]: each prediction's own moment (None when the model has no trend)
            levels = self._trend_levels[buckets] if model.trend_direction is not None else None
            loss = next_item_loss(
                _trend_cosine(model, u, z, levels), targets, cfg.temperature, negatives, log_q
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            total += float(loss.detach()) * len(targets)
            count += len(targets)
            bar.set_postfix(loss=f"{total / max(count, 1):.3f}")
        return total / max(count, 1)

    def _predictions(
        self, model: InterestModel, graph: GraphInputs, batch: SequenceBatch, generator: torch.Generator
    ) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor, torch.Tensor]:
        """Which positions are predicted: a function from item embeddings to their user states [P, d],
        the targets [P] and the trend snapshot each prediction may read [P].

        Position t+1 is predicted from u[:, t], the state after events <= t: never from event t+1; the
        trend is read at event t's bucket start, so it too holds only events before event t.
        """
        B, L = batch.items.shape
        device = batch.items.device
        position = torch.arange(L - 1, device=device).expand(B, L - 1)  # [B, L-1]
        mask = position + 1 < batch.lengths[:, None]  # target exists
        # the target is one of the next `horizon` events (the next one when horizon = 1)
        ahead = torch.randint(1, self.config.horizon + 1, (B, L - 1), device=device, generator=generator)
        target_position = torch.minimum(position + ahead, (batch.lengths[:, None] - 1).clamp_min(0))
        if self.config.skip_repeat_targets:
            mask = mask & ~batch.repeat.gather(1, target_position)
        # only targets after the training graph's cut: the graph holds no edge they made
        mask = mask & (self._event_seconds[batch.rows.gather(1, target_position)] >= self._graph_cut)
        targets = batch.items.gather(1, target_position)[mask]  # [P]
        buckets = self._event_bucket[batch.rows[:, :-1][mask]]  # [P]

        def states(z: torch.Tensor) -> torch.Tensor:
            u, _ = model(z, batch.items, batch.types, batch.times, batch.lengths)  # [B, L, d]
            return u[:, :-1][mask]  # [P, d]

        return states, targets, buckets

    @torch.no_grad()
    def _validate(
        self,
        model: InterestModel,
        graph: GraphInputs,
        sequences: UserSequences,
        validation: _ValidationSet | None,
        origin: float,
    ) -> float:
        if validation is None:
            return float("nan")
        model.eval()
        z = model.item_embeddings(graph)
        states, _ = replay_users(model, z, sequences, origin)
        k = self.config.val_k
        ranked = np.empty((len(validation.rows), min(k, z.shape[0])), dtype=np.int64)
        for start in range(0, len(validation.rows), VALIDATION_CHUNK):  # bounds [users, n_items] memory
            users = validation.rows[start : start + VALIDATION_CHUNK]
            u = states[torch.from_numpy(users)]
            if model.trend_direction is None:
                scores = InterestModel.scores(u, z)  # [b, n_items]
            elif model.config.trend_time == "user":  # each user at the trend of their own last event
                last_event = torch.from_numpy(sequences.offsets[users + 1] - 1)
                scores = model.cosine(u, z, self._trend_levels[self._event_bucket[last_event]])
            else:  # everyone at the trend after the last training event
                scores = InterestModel.scores(u, model.at_trend(z, self._trend_levels[-1]))
            for row, user in enumerate(users):
                seen = sequences.items[sequences.offsets[user] : sequences.offsets[user + 1]]
                scores[row, torch.from_numpy(seen)] = -torch.inf
            ranked[start : start + len(users)] = (
                torch.topk(scores, ranked.shape[1], dim=1).indices.cpu().numpy()
            )
        set_ndcg = float(np.nanmean(ndcg_at_k(ranked, validation.targets, k)))
        next_ndcg = self._next_item_ndcg(model, z, validation, origin)
        # the tail read both ways the evaluation reads a future: a set of new items, and the next one
        return set_ndcg if np.isnan(next_ndcg) else 0.5 * (set_ndcg + next_ndcg)

    @torch.no_grad()
    def _next_item_ndcg(
        self, model: InterestModel, z: torch.Tensor, validation: _ValidationSet, origin: float
    ) -> float:
        """NDCG@k of each tail event ranked (full catalogue) from the state just before it."""
        seqs, wanted = validation.everything, validation.next_rows
        if seqs is None or wanted is None or not len(wanted):
            return float("nan")
        k, device = self.config.val_k, z.device
        is_wanted = torch.zeros(len(seqs.items) + 1, dtype=torch.bool, device=device)
        is_wanted[torch.from_numpy(wanted)] = True
        z_now = model.at_trend(z, self._trend_levels[-1]) if model.trend_direction is not None else z
        gains: list[torch.Tensor] = []
        for rows in length_batches(seqs.lengths, REPLAY_TOKENS, rng=None):
            batch = seqs.batch(rows, origin=origin).to(device)
            L = batch.items.shape[1]
            valid = torch.arange(1, L, device=device)[None, :] < batch.lengths[:, None]  # [B, L-1]
            pick = valid & is_wanted[batch.rows[:, 1:]]
            if not pick.any():
                continue
            u, _ = model(z, batch.items, batch.types, batch.times, batch.lengths)
            states, targets = u[:, :-1][pick], batch.items[:, 1:][pick]  # [T', d], [T']
            for start in range(0, len(targets), VALIDATION_CHUNK):
                scores = InterestModel.scores(states[start : start + VALIDATION_CHUNK], z_now)  # [t, n_items]
                target = targets[start : start + VALIDATION_CHUNK]
                mine = scores.gather(1, target[:, None])
                rank = (scores > mine).sum(1)  # items strictly ahead of the target
                gains.append(torch.where(rank < k, 1.0 / torch.log2(rank.double() + 2.0), 0.0))
        return float(torch.cat(gains).mean()) if gains else float("nan")

    def _add_next_item_targets(
        self,
        validation: _ValidationSet,
        events: pd.DataFrame,
        seconds: np.ndarray,
        fit_mask: np.ndarray,
        item_rows: dict[str, int],
    ) -> None:
        """Tail events with an earlier event of the same user, new to that user (at most NEXT_ITEM_MAX)."""
        everything = UserSequences.from_events(events, seconds, item_rows)
        tail_start = float(seconds[~fit_mask].min())
        first = np.zeros(len(everything.items), dtype=bool)
        first[everything.offsets[:-1][everything.lengths > 0]] = True
        candidates = np.flatnonzero((everything.seconds >= tail_start) & ~first & ~everything.repeat)
        if len(candidates) > NEXT_ITEM_MAX:
            rng = np.random.default_rng(self.config.seed)
            candidates = np.sort(rng.choice(candidates, NEXT_ITEM_MAX, replace=False))
        validation.everything, validation.next_rows = everything, candidates

    # -- data ------------------------------------------------------------------------------------
    def _validation_split(
        self, events: pd.DataFrame, seconds: np.ndarray, item_rows: dict[str, int]
    ) -> tuple[np.ndarray, pd.Series | None]:
        """Events before the time cut train; users active on both sides validate on their new items.

        Returns the training mask and, per validating user, the item rows first touched after the cut
        (None when there is no usable tail: then every event trains and nothing stops early).
        """
        cfg = self.config
        everything = np.ones(len(events), dtype=bool)
        if cfg.val_share <= 0:
            return everything, None
        cut = float(np.quantile(seconds, 1.0 - cfg.val_share))
        fit_mask = seconds < cut
        if fit_mask.all() or not fit_mask.any():
            return everything, None
        pairs = pd.DataFrame(
            {"u": events["user_id"].to_numpy(), "i": events["item_id"].map(item_rows).to_numpy()}
        )
        before, after = pairs[fit_mask], pairs[~fit_mask]
        known = pd.MultiIndex.from_frame(before.drop_duplicates())
        # as in the time protocol: targets are new to the user and in the catalogue before the cut
        after = after[
            ~pd.MultiIndex.from_frame(after).isin(known)
            & after["u"].isin(before["u"])
            & after["i"].isin(before["i"])
        ]
        if after["u"].nunique() < cfg.min_val_users:
            return everything, None
        return fit_mask, after.groupby("u", sort=False)["i"].unique()

    @staticmethod
    def _validation_set(targets: pd.Series | None, sequences: UserSequences) -> _ValidationSet | None:
        if targets is None:
            return None
        rows = pd.Index(sequences.users).get_indexer(targets.index)
        order = np.argsort(rows)
        return _ValidationSet(rows[order], [np.asarray(targets.iloc[j], dtype=np.int64) for j in order])

    def _negative_distribution(
        self, sequences: UserSequences, n_items: int, device: torch.device
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Sampling probabilities ∝ popularity^power (and their logs) or (None, None) for a full softmax."""
        cfg = self.config
        if cfg.negatives >= n_items:
            return None, None
        counts = np.bincount(sequences.items, minlength=n_items).astype(np.float64) + 1.0
        p = counts**cfg.popularity_power
        p /= p.sum()
        # q_j = chance item j is among the S draws (>= once), the quantity logQ correction needs
        q = -np.expm1(cfg.negatives * np.log1p(-p))
        return torch.tensor(np.log(q), dtype=torch.float, device=device), torch.tensor(
            p, dtype=torch.float, device=device
        )

    # -- resume ----------------------------------------------------------------------------------
    def _save_progress(
        self,
        path: Path,
        model: InterestModel,
        optimizer: torch.optim.Optimizer,
        progress: dict[str, Any],
        fingerprint: str,
    ) -> None:
        payload = {
            "fingerprint": fingerprint,
            "model_config": self.model_config.to_dict(),
            "train_config": self.config.to_dict(),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            **{k: v for k, v in progress.items()},
        }
        tmp = path.with_name(path.name + ".tmp")
        torch.save(payload, tmp)
        tmp.replace(path)  # atomic: an interrupted save never leaves a broken resume file

    def _resume(
        self, path: Path, model: InterestModel, optimizer: torch.optim.Optimizer, fingerprint: str
    ) -> dict[str, Any]:
        try:  # tensors only, never unpickled: a resume file is untrusted input like any other
            payload = torch.load(path, map_location=next(model.parameters()).device, weights_only=True)
        except Exception as err:
            raise DataError(
                f"{path}: not a resume file written by `train` (read as plain tensors only); "
                "delete it to start over"
            ) from err
        same = (
            payload.get("fingerprint") == fingerprint
            and payload.get("model_config") == self.model_config.to_dict()
            and {k: v for k, v in payload.get("train_config", {}).items() if k not in ("epochs", "progress")}
            == {k: v for k, v in self.config.to_dict().items() if k not in ("epochs", "progress")}
        )
        if not same:
            raise DataError(
                f"{path}: this resume file was written for other data or settings; delete it to start over"
            )
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        log.info("resuming after epoch %d", payload["epoch"])
        return {k: payload[k] for k in ("epoch", "best_score", "best_state", "bad", "history")}
