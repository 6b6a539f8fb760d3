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
    assert payload["format"] == "interest-replay-model/2"
    assert payload["items"][:2] == ["i000", "i001"]
    assert payload["model_config"] == ModelConfig(dim=16).to_dict()
    # the score's part weights after a break and within a session, fitted on the validation tail
    for key in ("score_mix", "session_mix"):
        mix = payload[key]
        assert mix
        assert all(isinstance(k, str) and isinstance(v, float) for k, v in mix.items())


def test_a_file_without_a_session_mix_loads_with_none(
    trained: tuple[GNNRecommender, Path], tmp_path: Path
) -> None:
    """Files written before the two moments hold one mix: the session mix loads as None (= that mix)."""
    _, path = trained
    payload = torch.load(path, weights_only=True)
    del payload["session_mix"]
    older = tmp_path / "older.pt"
    torch.save(payload, older)
    loaded = Checkpoint.load(older)
    assert loaded.session_mix is None
    assert loaded.score_mix == Checkpoint.load(path).score_mix


def test_replay_facts_round_trip(trained: tuple[GNNRecommender, Path]) -> None:
    rec, path = trained
    saved, loaded = rec.checkpoint, Checkpoint.load(path)
    assert saved is not None
    n = len(loaded.vocab.items)
    assert loaded.item_first_seen is not None
    assert loaded.item_first_seen.shape == (n,)
    assert np.isfinite(loaded.item_first_seen).all()
    assert loaded.trained_until == pytest.approx(
        float(planted_timeline(PlantedConfig(users=40)).seconds().max())
    )
    assert len(loaded.item_names) == len(loaded.item_categories) == n
    assert torch.equal(loaded.graph.edge_index, saved.graph.edge_index)
    # the encoder's attention sums to 1 over each target's incoming edges
    sums = torch.zeros(int(loaded.graph.edge_index.max()) + 1).index_add(
        0, loaded.graph.edge_index[1], loaded.graph.alpha
    )
    np.testing.assert_allclose(sums[sums > 0].numpy(), 1.0, atol=1e-5)
    assert set(loaded.baselines) == {"RecentPop", "SeqMarkov", "ItemKNN"}


def test_restored_baselines_score_histories_as_fitted_ones(trained: tuple[GNNRecommender, Path]) -> None:
    from engine.recommenders.itemknn import ItemKNN
    from engine.recommenders.markov import SeqMarkov
    from engine.recommenders.popularity import RecentPop
    from engine.recommenders.snapshot import restore

    timeline = planted_timeline(PlantedConfig(users=40))
    ckpt = Checkpoint.load(path=trained[1])
    histories = [np.array([0, 3, 5]), np.array([], dtype=np.int64), np.array([7])]
    for fitted in (RecentPop().fit(timeline), SeqMarkov().fit(timeline), ItemKNN().fit(timeline)):
        assert list(fitted.catalogue) == list(ckpt.vocab.items)
        restored = restore(fitted.name, ckpt.baselines[fitted.name], ckpt.vocab.items)
        np.testing.assert_array_equal(restored.score_histories(histories), fitted.score_histories(histories))


def test_an_older_checkpoint_asks_for_retraining(tmp_path: Path) -> None:
    torch.save({"format": "interest-replay-model/1"}, tmp_path / "old.pt")
    with pytest.raises(DataError, match="older version"):
        Checkpoint.load(tmp_path / "old.pt")


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
