"""Refit: the epoch count the tail chose, and a second training on every event that keeps the record."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import engine.training.config
import engine.training.epoch
from engine.data.synthetic import SyntheticConfig, generate
from engine.model.config import ModelConfig
from engine.model.sequences import length_batches
from engine.training.config import TrainConfig
from engine.training.refit import chosen_epochs, refit
from engine.training.trainer import Trainer


def test_chosen_epochs_is_the_best_validated_epoch() -> None:
    assert chosen_epochs([{"val_ndcg": 0.1}, {"val_ndcg": 0.3}, {"val_ndcg": 0.2}]) == 2
    assert chosen_epochs([{"val_ndcg": math.nan}, {"val_ndcg": 0.2}]) == 2
    assert chosen_epochs([{"val_ndcg": math.nan}]) is None  # no tail: nothing to choose
    assert chosen_epochs([{"val_ndcg": 0.0}, {"val_ndcg": 0.0}]) is None  # no hit in any epoch
    assert chosen_epochs([]) is None


def test_chosen_epochs_with_a_tolerance_is_the_last_epoch_close_to_the_best() -> None:
    history = [{"val_ndcg": v} for v in (0.10, 0.160, 0.150, 0.157, 0.140, math.nan)]
    assert chosen_epochs(history) == 2
    assert chosen_epochs(history, tolerance=0.02) == 4  # 0.157 >= 0.98 * 0.160; 0.150 and 0.140 are not
    assert chosen_epochs(history, tolerance=0.07) == 4  # 0.150 is close too, but epoch 4 is later
    assert chosen_epochs(history, tolerance=0.15) == 5
    assert chosen_epochs([{"val_ndcg": 0.0}], tolerance=0.5) is None


def test_epoch_tolerance_is_a_share() -> None:
    with pytest.raises(ValueError, match="epoch_tolerance"):
        TrainConfig(epoch_tolerance=1.0)


def test_refit_trains_again_on_everything_and_keeps_the_first_record() -> None:
    timeline, _ = generate(SyntheticConfig(n_users=24, n_items=240, n_categories=6, days=20, seed=5))
    config = TrainConfig(epochs=3, min_epochs=1, progress=False, tokens_per_batch=256, min_val_users=1)
    first = Trainer(ModelConfig(dim=8, sentence_model=False), config).fit(timeline)
    assert chosen_epochs(first.history) is not None
    again = refit(timeline, first)
    assert again.history == first.history
    assert again.train_config == first.train_config
    assert again.model is not first.model
    changed = [
        not torch.equal(a, b) for a, b in zip(first.model.parameters(), again.model.parameters(), strict=True)
    ]
    assert any(changed)  # more events, other batches: other weights
    untouched = Trainer(
        ModelConfig(dim=8, sentence_model=False),
        TrainConfig(epochs=1, progress=False, tokens_per_batch=256, val_share=0.0),
    ).fit(timeline)
    assert refit(timeline, untouched) is untouched  # nothing was validated: nothing to refit


def test_a_fit_records_the_batch_size_its_log_got_and_the_refit_trains_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timeline, _ = generate(SyntheticConfig(n_users=24, n_items=240, n_categories=6, days=20, seed=5))
    config = TrainConfig(epochs=2, min_epochs=1, progress=False, min_val_users=1)  # batch by size
    first = Trainer(ModelConfig(dim=8, sentence_model=False), config).fit(timeline)
    assert config.tokens_per_batch == 0
    assert first.train_config.tokens_per_batch == 1024  # a small log: the smallest batch
    # a step threshold between the fit's events (before the tail) and all events: by size alone the
    # refit would now take 2048, but it must train with the batch the tail chose its epochs with
    fit_events, all_events = int(0.9 * len(timeline)), len(timeline)
    monkeypatch.setattr(engine.training.config, "MIN_EPOCH_STEPS", (fit_events + all_events) / 2 / 2048)
    assert TrainConfig().batch_tokens(all_events) == 2048
    used: list[int] = []

    def recording(lengths: np.ndarray, tokens: int, rng: np.random.Generator | None) -> list[np.ndarray]:
        used.append(tokens)
        return length_batches(lengths, tokens, rng)

    monkeypatch.setattr(engine.training.epoch, "length_batches", recording)
    again = refit(timeline, first)
    assert used
    assert set(used) == {1024}
    assert again.train_config.tokens_per_batch == 1024
