"""An epoch's share of a large log: about ``epoch_events`` events, other users each epoch."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_the_batch_size_follows_the_log_size_unless_set() -> None:
    config = TrainConfig()  # tokens_per_batch 0: by size, epochs of at most 400k events
    assert config.batch_tokens(90_000) == 1024  # an ml-100k training part: ~88 steps an epoch, not ~22
    assert config.batch_tokens(200_000) == 2048  # 64 steps of 2048 fit, 64 of 4096 do not
    assert config.batch_tokens(1_000_000) == 4096  # an epoch is 400k events: ~98 steps of 4096
    assert TrainConfig(tokens_per_batch=256).batch_tokens(1_000_000) == 256
    batches = epoch_batches(np.full(100, 1000), TrainConfig(), np.random.default_rng(0))  # 100k events
    assert max(len(rows) for rows in batches) == 1  # one 1000-event user per batch of 1024
    with pytest.raises(ValueError, match="tokens_per_batch"):
        TrainConfig(tokens_per_batch=-1)
