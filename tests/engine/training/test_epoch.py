"""An epoch's share of a large log: about ``epoch_events`` events, other users each epoch."""

from __future__ import annotations

import numpy as np

from engine.training.config import TrainConfig
from engine.training.epoch import epoch_batches

LENGTHS = np.random.default_rng(0).integers(1, 60, size=500)  # ~15k events


def test_a_small_log_trains_every_user_each_epoch() -> None:
    config = TrainConfig(tokens_per_batch=256, epoch_events=int(LENGTHS.sum()))
    batches = epoch_batches(LENGTHS, config, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(LENGTHS)))


def test_a_large_log_trains_a_new_share_of_users_each_epoch() -> None:
    config = TrainConfig(tokens_per_batch=256, epoch_events=4000)
    first = np.concatenate(epoch_batches(LENGTHS, config, np.random.default_rng([0, 0])))
    second = np.concatenate(epoch_batches(LENGTHS, config, np.random.default_rng([0, 1])))
    for users in (first, second):
        assert 4000 - 256 < LENGTHS[users].sum() <= 4000  # whole batches, up to the budget
        assert len(set(users.tolist())) == len(users)
    assert set(first.tolist()) != set(second.tolist())
