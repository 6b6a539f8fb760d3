"""What one fit reads, prepared once and frozen: vocabulary, sequences, graphs, trend, negatives, tail.

Training reads a prefix graph and predicts only later targets (see ``TrainConfig.graph_share``);
validation reads the graph of every event before the validation tail, as a test would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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

    ``sequences`` are the training events (before the validation tail) grouped by user; ``graph`` the
    encoder's graph of the training events before ``graph_cut`` (only targets at or after it are
    predicted), ``fit_graph`` the graph of every training event (what validation reads). The trend
    holds ``trend_levels`` [S, n_items] snapshots, ``event_bucket`` [n_events] the snapshot each
    training event's prediction may read; ``event_seconds`` [n_events] each training event's time.
    """

    vocab: Vocabulary
    texts: dict[str, str]
    graph_config: GraphConfig
    use_sentences: bool
    sentence_dim: int
    sequences: UserSequences
    graph: GraphInputs
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

    graph_cut = float(np.quantile(fit_seconds, config.graph_share))
    before_cut = fit_seconds < graph_cut

    def graph_of(rows: np.ndarray | None) -> GraphInputs:
        part = fit_events if rows is None else fit_events[rows]
        return graph_inputs_from_events(
            part, vocab, vocab.items, texts, model_config, encoder_config, use_sentences
        ).to(device)

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
        graph=graph_of(before_cut if before_cut.any() else None),
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
