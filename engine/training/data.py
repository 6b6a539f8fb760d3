"""What one fit reads, prepared once and frozen: vocabulary, sequences, graphs, trend, negatives, tail.

Training reads either a prefix graph and predicts only later targets (``TrainConfig.graph_share``), or,
with ``TrainConfig.graph_folds``, each user's sequence on the graph of the other users' folds and predicts
every target; validation reads the graph of every event before the validation tail, as a test would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.graph import GraphConfig
from engine.model.config import ModelConfig
from engine.model.features import sentence_embeddings
from engine.model.inputs import GraphInputs, Vocabulary, item_texts
from engine.model.sequences import UserSequences
from engine.model.trend import ItemTrend
from engine.training.config import TrainConfig
from engine.training.graph import encoder_graph_config, graph_inputs_from_events
from engine.training.negatives import NegativeSampler, popularity_sampler
from engine.training.validation import ValidationSet, tail_cut, validation_set


@dataclass(frozen=True)
class TrainingData:
    """Everything a fit reads besides the weights; built by :func:`prepare_training_data`.

    ``sequences`` are the training events (before the validation tail) grouped by user; ``graphs`` the
    encoder's graphs, ``user_graph`` [U] the one each user's sequence is encoded on: one graph of the
    training events before ``graph_cut`` (only targets at or after it are predicted), or with folds one
    graph per fold of every other fold's events (``graph_cut`` is then -inf: every target is predicted);
    ``fit_graph`` the graph of every training event (what validation reads). The trend
    holds ``trend_levels`` [S, n_items] snapshots, ``event_bucket`` [n_events] the snapshot each
    training event's prediction may read; ``event_seconds`` [n_events] each training event's time.
    """

    vocab: Vocabulary
    texts: dict[str, str]
    graph_config: GraphConfig
    use_sentences: bool
    sentence_dim: int
    sequences: UserSequences
    graphs: tuple[GraphInputs, ...]
    user_graph: np.ndarray
    fit_graph: GraphInputs
    graph_cut: float
    event_seconds: Tensor
    trend: ItemTrend
    trend_levels: Tensor
    event_bucket: Tensor
    negatives: NegativeSampler | None
    validation: ValidationSet | None
    time_origin: float
    fingerprint: str

    @property
    def n_items(self) -> int:
        return len(self.vocab.items)


def _sentence_width(model_config: ModelConfig) -> tuple[bool, int]:
    """Whether node features include sentence embeddings, and their width (0 when not)."""
    probe = sentence_embeddings(["probe"]) if model_config.sentence_model else None
    return probe is not None, 0 if probe is None else int(probe.shape[1])


def prepare_training_data(
    timeline: Timeline,
    model_config: ModelConfig,
    config: TrainConfig,
    graph_config: GraphConfig | None,
    device: torch.device,
) -> TrainingData:
    """Split off the validation tail, group events by user, build both graphs, the trend and negatives."""
    if len(timeline) == 0:
        raise DataError("cannot train on an empty timeline")
    events = timeline.events
    seconds = timeline.seconds()
    vocab = Vocabulary(
        items=tuple(sorted(events["item_id"].astype(str).unique())),
        categories=tuple(sorted(events["category"].dropna().astype(str).unique())),
    )
    item_rows = {item: i for i, item in enumerate(vocab.items)}
    texts = item_texts(events)
    encoder_config = encoder_graph_config(events, graph_config)
    use_sentences, sentence_dim = _sentence_width(model_config)

    cut = tail_cut(seconds, config)
    fit_mask = np.ones(len(events), dtype=bool) if cut is None else seconds < cut
    sequences = UserSequences.from_events(events[fit_mask], seconds[fit_mask], item_rows)
    validation = None
    if cut is not None:
        validation = validation_set(events, seconds, cut, sequences, item_rows, config)
        if validation is None:  # too few validating users: every event trains, nothing stops early
            fit_mask = np.ones(len(events), dtype=bool)
            sequences = UserSequences.from_events(events, seconds, item_rows)
    fit_events, fit_seconds = events[fit_mask], seconds[fit_mask]

    def graph_of(rows: np.ndarray | None) -> GraphInputs:
        part = fit_events if rows is None else fit_events[rows]
        return graph_inputs_from_events(
            part, vocab, vocab.items, texts, model_config, encoder_config, use_sentences
        ).to(device)

    graphs, user_graph, graph_cut = _encoder_graphs(
        graph_of, sequences, fit_events["user_id"].to_numpy(), fit_seconds, config
    )
    trend = ItemTrend.over_span(
        sequences.items, sequences.seconds, len(vocab.items), model_config.trend_half_life_share
    )
    return TrainingData(
        vocab=vocab,
        texts=texts,
        graph_config=encoder_config,
        use_sentences=use_sentences,
        sentence_dim=sentence_dim,
        sequences=sequences,
        graphs=graphs,
        user_graph=user_graph,
        fit_graph=graph_of(None),
        graph_cut=graph_cut,
        event_seconds=torch.from_numpy(np.asarray(sequences.seconds, dtype=np.float64)).to(device),
        trend=trend,
        trend_levels=torch.from_numpy(trend.levels).to(device),  # [S, n_items]
        event_bucket=torch.from_numpy(trend.bucket_of(sequences.seconds)).to(device),  # [n_events]
        negatives=popularity_sampler(
            sequences.items, len(vocab.items), config.negatives, config.popularity_power, device
        ),
        validation=validation,
        time_origin=float(seconds.min()),
        fingerprint=timeline.fingerprint(),
    )


def user_folds(n_users: int, folds: int, seed: int) -> np.ndarray:
    """Each user's fold [n_users] in 0..folds-1: a seeded shuffle dealt round-robin (sizes differ by <= 1)."""
    fold = np.empty(n_users, dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(n_users)] = np.arange(n_users) % folds
    return fold


def _encoder_graphs(
    graph_of: Callable[[np.ndarray | None], GraphInputs],
    sequences: UserSequences,
    fit_users: np.ndarray,
    fit_seconds: np.ndarray,
    config: TrainConfig,
) -> tuple[tuple[GraphInputs, ...], np.ndarray, float]:
    """The encoder's graphs, the graph of each user of ``sequences`` [U] and the time from which
    targets are predicted; ``fit_users`` / ``fit_seconds`` [n_events] the fit events' users and times."""
    n_users = len(sequences)
    if config.graph_folds >= 2 and n_users >= config.graph_folds:
        fold = user_folds(n_users, config.graph_folds, config.seed)  # [U]
        row_of = pd.Series(np.arange(n_users), index=pd.Index(sequences.users))
        event_fold = fold[row_of.reindex(fit_users).to_numpy(dtype=np.int64)]  # [n_events]
        graphs = tuple(graph_of(event_fold != f) for f in range(config.graph_folds))
        return graphs, fold, float("-inf")
    graph_cut = float(np.quantile(fit_seconds, config.graph_share))
    before_cut = fit_seconds < graph_cut
    graph = graph_of(before_cut if before_cut.any() else None)
    return (graph,), np.zeros(n_users, dtype=np.int64), graph_cut


def full_graph(timeline: Timeline, data: TrainingData, model_config: ModelConfig) -> GraphInputs:
    """The graph of every event of ``timeline`` (tail included): what the trained model embeds with."""
    if data.validation is None:
        return data.fit_graph
    return graph_inputs_from_events(
        timeline.events,
        data.vocab,
        data.vocab.items,
        data.texts,
        model_config,
        data.graph_config,
        data.use_sentences,
    )
