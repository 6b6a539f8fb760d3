"""Checkpoints: a saved model scores exactly as before, loads with weights_only, refuses other data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.model.checkpoint import Checkpoint
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.training.config import TrainConfig
from engine.training.planted import PlantedConfig, planted_timeline


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[GNNRecommender, Path]:
    timeline = planted_timeline(PlantedConfig(users=40))
    rec = GNNRecommender(ModelConfig(dim=16), TrainConfig(epochs=1, progress=False, tokens_per_batch=256))
    rec.fit(timeline)
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    rec.save(path)
    return rec, path


def test_round_trip_gives_the_same_scores(trained: tuple[GNNRecommender, Path]) -> None:
    rec, path = trained
    loaded = GNNRecommender.load(path, device="cpu")
    loaded.observe(planted_timeline(PlantedConfig(users=40)))
    users = ["u000", "u005", "nobody"]
    np.testing.assert_allclose(loaded.score(users), rec.score(users), atol=1e-6)
    assert list(loaded.catalogue) == list(rec.catalogue)


def test_file_holds_only_plain_containers(trained: tuple[GNNRecommender, Path]) -> None:
    _, path = trained
    payload = torch.load(path, weights_only=True)  # would raise on pickled custom objects
    assert payload["format"] == "interest-replay-model/1"
    assert payload["items"][:2] == ["i000", "i001"]
    assert payload["model_config"] == ModelConfig(dim=16).to_dict()


def test_loading_against_other_data_is_a_clear_error(trained: tuple[GNNRecommender, Path]) -> None:
    _, path = trained
    ckpt = Checkpoint.load(path)
    same = planted_timeline(PlantedConfig(users=40))
    ckpt.check_same_data(same)
    ckpt.check_compatible(same)
    other = planted_timeline(PlantedConfig(users=40, seed=5))
    with pytest.raises(DataError, match="trained on other data"):
        ckpt.check_same_data(other, path)
    foreign = planted_timeline(PlantedConfig(users=5))
    foreign.events["item_id"] = "sku-" + foreign.events["item_id"]
    with pytest.raises(DataError, match="trained on other data"):
        ckpt.check_compatible(foreign)
    # a few colliding ids do not make another catalogue compatible
    mostly_foreign = foreign.events.copy()
    mostly_foreign.loc[mostly_foreign.index[:3], "item_id"] = ckpt.vocab.items[:3]
    with pytest.raises(DataError, match=r"only \d+\.\d% of these events"):
        ckpt.check_compatible(Timeline(mostly_foreign))


def test_a_file_that_is_not_a_checkpoint_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_text("not a model")
    with pytest.raises(DataError, match="not a model checkpoint") as info:
        Checkpoint.load(bad)
    assert "weights_only" not in str(info.value)  # never relay torch's advice to unpickle
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(DataError, match="format"):
        Checkpoint.load(tmp_path / "other.pt")
