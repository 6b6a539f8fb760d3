"""A small trained checkpoint and its replay model, shared by the replay tests (trained once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.replay.model import ReplayModel, load_replay_model
from engine.training.config import TrainConfig

CUT_QUANTILE = 0.8  # train on events before this quantile of time, as the demo does
# a hand-set mix that reads every part (the fixture trains without a validation tail, so none is fitted)
FIXTURE_MIX = {"state": 0.8, "transition": 0.5, "cooccurrence": 0.05, "popularity": 0.3, "category_pop": 0.4}


@pytest.fixture(scope="session")
def replay_data() -> Timeline:
    timeline, _ = generate(SyntheticConfig(n_users=24, n_items=240, n_categories=6, days=20, seed=5))
    return timeline


@pytest.fixture(scope="session")
def replay_checkpoint(replay_data: Timeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    seconds = replay_data.seconds()
    train = replay_data.subset(seconds <= np.quantile(seconds, CUT_QUANTILE))
    config = TrainConfig(epochs=2, min_epochs=1, tokens_per_batch=512, progress=False, val_share=0.0)
    rec = GNNRecommender(ModelConfig(dim=16, trend=True), config).fit(train)
    assert rec.checkpoint is not None
    rec.checkpoint.score_mix = dict(FIXTURE_MIX)
    rec.checkpoint.session_mix = dict(FIXTURE_MIX)  # both moments: what replay reads, and recommend
    path = tmp_path_factory.mktemp("replay") / "model.pt"
    rec.save(path)
    yield path
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def replay_model(replay_checkpoint: Path) -> ReplayModel:
    return load_replay_model(replay_checkpoint, device="cpu")


@pytest.fixture(scope="session")
def busiest_user(replay_data: Timeline) -> str:
    return str(replay_data.events["user_id"].value_counts().index[0])
