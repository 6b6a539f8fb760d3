"""Trainer: next-interaction prediction over each user's time-ordered events, early-stopped on a time tail.

``fit`` composes the parts: :mod:`~engine.training.data` prepares what the fit reads (frozen),
:mod:`~engine.training.epoch` runs an epoch, :mod:`~engine.training.validation` scores the tail and
:mod:`~engine.training.resume` keeps the progress between epochs. Nothing of one fit is kept on the
Trainer, so one Trainer may fit many timelines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.device import resolve_device
from engine.graph import GraphConfig
from engine.model.config import ModelConfig
from engine.model.inputs import GraphInputs, Vocabulary
from engine.model.model import InterestModel
from engine.training.config import TrainConfig
from engine.training.data import TrainingData, full_graph, prepare_training_data
from engine.training.epoch import train_epoch
from engine.training.resume import FitProgress, load_progress, save_progress
from engine.training.validation import TrendTable, validation_score

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class TrainProgress:
    """Where a fit stands: ``batch`` of ``batches`` done in ``epoch`` (1-based) of at most ``epochs``;
    ``record`` (loss, val_ndcg, seconds) once the epoch is over. Early stopping may end before ``epochs``."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    record: dict[str, float] | None = None


def should_stop(progress: FitProgress, config: TrainConfig, validates: bool) -> bool:
    """Stop after ``patience`` epochs without a better tail score, never before ``min_epochs``.

    A tail with no hit in any epoch cannot rank epochs: then training goes on to ``epochs``.
    """
    found_hits = progress.best_score > 0
    return (
        validates and found_hits and progress.bad >= config.patience and progress.epoch >= config.min_epochs
    )


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

    def fit(self, timeline: Timeline, resume_path: str | Path | None = None) -> TrainedModel:
        cfg, mcfg = self.config, self.model_config
        if len(timeline) == 0:
            raise DataError("cannot train on an empty timeline")
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        device = resolve_device(cfg.device)
        data = prepare_training_data(timeline, mcfg, cfg, self.base_graph_config, device)
        # the batch size this log gets, kept in the record: a refit on more events keeps it
        cfg = replace(cfg, tokens_per_batch=cfg.batch_tokens(int(data.sequences.lengths.sum())))

        torch.manual_seed(cfg.seed)  # same initial weights whatever ran before
        model = InterestModel(mcfg, data.n_items, len(data.vocab.categories), data.sentence_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        progress = FitProgress()
        resume = Path(resume_path) if resume_path is not None else None
        if resume is not None and resume.exists():
            progress = load_progress(resume, model, optimizer, data.fingerprint, mcfg, cfg)

        for epoch in range(progress.epoch, cfg.epochs):
            started = time.perf_counter()
            loss = train_epoch(model, optimizer, data, cfg, epoch, self._batch_report(epoch))
            trained = time.perf_counter()
            score = self._validate(model, data)
            seconds = time.perf_counter() - started
            record = {"epoch": epoch + 1, "loss": loss, "val_ndcg": score, "seconds": seconds}
            if self.on_progress is not None:
                self.on_progress(TrainProgress(epoch + 1, cfg.epochs, 1, 1, record))
            log.info(
                "epoch %d: loss %.4f, validation NDCG@%d %.4f (%.0f s training, %.0f s validation)",
                epoch + 1, loss, cfg.val_k, score, trained - started, seconds - (trained - started),
            )  # fmt: skip
            improved = data.validation is None or score > progress.best_score
            progress = progress.after_epoch(record, model, keep=improved)
            if resume is not None:
                save_progress(resume, progress, model, optimizer, data.fingerprint, mcfg, cfg)
            if should_stop(progress, cfg, data.validation is not None):
                break

        if data.validation is not None and progress.best_score <= 0:
            log.warning("the validation tail had no hit in any epoch: keeping the last epoch's weights")
        elif progress.best_state is not None:
            model.load_state_dict(progress.best_state)
        model.eval()
        return TrainedModel(
            model=model,
            vocab=data.vocab,
            texts=data.texts,
            graph=full_graph(timeline, data, mcfg).to(device),
            graph_config=data.graph_config,
            train_config=cfg,
            time_origin=data.time_origin,
            fingerprint=data.fingerprint,
            trend_half_life_s=data.trend.half_life_s,
            history=list(progress.history),
        )

    def _batch_report(self, epoch: int) -> Callable[[int, int], None] | None:
        """Tell ``on_progress`` about each batch of 0-based ``epoch``."""
        on_progress, epochs = self.on_progress, self.config.epochs
        if on_progress is None:
            return None
        return lambda done, batches: on_progress(TrainProgress(epoch + 1, epochs, done, batches))

    def _validate(self, model: InterestModel, data: TrainingData) -> float:
        """The tail score of ``model`` now (NaN without a tail)."""
        if data.validation is None:
            return float("nan")
        model.eval()
        with torch.no_grad():
            z = model.item_embeddings(data.fit_graph)  # [n_items, d]
        trend = TrendTable(data.trend, data.trend_levels)
        return validation_score(model, z, data.validation, data.time_origin, self.config.val_k, trend)
