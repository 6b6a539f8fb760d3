"""Refit: after the validation tail has chosen the epoch count (and the score mix), train once more on
every training event, the tail included.

Early stopping needs a tail the network never trains on; but the tail holds the newest behaviour, the
part a ``time`` or ``loo`` test continues from, and every baseline is fitted on it. So, as is usual
after tuning on a validation split, the network is trained again from scratch on all the events for the
number of epochs the tail chose, with the same settings and seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from engine.data.timeline import Timeline
from engine.graph import GraphConfig
from engine.model.config import ModelConfig
from engine.training.trainer import TrainedModel, Trainer, TrainProgress


def chosen_epochs(history: list[dict[str, float]], tolerance: float = 0.0) -> int | None:
    """The epoch (1-based) the tail chose: the last one whose validation NDCG is within ``tolerance``
    (a share) of the best, so the best itself with 0 (the last of equal bests); None when no epoch was
    judged.

    A tail's NDCG moves by a few percent between epochs from noise alone; among epochs it cannot tell
    apart, the refit takes the one trained longest.
    """
    scores = np.array([record.get("val_ndcg", np.nan) for record in history], dtype=np.float64)
    if not len(scores) or not np.isfinite(scores).any() or np.nanmax(scores) <= 0:
        return None
    close = np.flatnonzero(scores >= np.nanmax(scores) * (1.0 - tolerance))  # NaN compares False
    return int(close[-1]) + 1


def refit(
    train: Timeline,
    trained: TrainedModel,
    graph_config: GraphConfig | None = None,
    on_progress: Callable[[TrainProgress], None] | None = None,
) -> TrainedModel:
    """``trained`` retrained on all of ``train`` for its chosen epochs (itself when nothing was judged).

    The returned model keeps the first fit's history (the validation record of the choice).
    """
    epochs = chosen_epochs(trained.history, trained.train_config.epoch_tolerance)
    if epochs is None:
        return trained
    config = replace(trained.train_config, val_share=0.0, epochs=epochs, min_epochs=1)
    model_config: ModelConfig = trained.model_config
    again = Trainer(model_config, config, graph_config, on_progress).fit(train)
    return replace(again, train_config=trained.train_config, history=trained.history)
