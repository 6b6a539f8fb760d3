"""Training: the model learns a planted rule, never looks ahead, and is seeded and resumable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.model.config import ModelConfig
from engine.model.sequences import UserSequences
from engine.recommenders.gnn import GNNRecommender
from engine.training import TrainConfig, Trainer
from engine.training.data import TrainingData, prepare_training_data
from engine.training.loss import next_item_loss, plain_cosine
from engine.training.planted import PlantedConfig, next_item, planted_frame, planted_timeline

SMALL = ModelConfig(dim=32, id_dropout=0.0)
FAST = TrainConfig(epochs=8, tokens_per_batch=256, progress=False, val_share=0.0, lr=5e-3)


def planted_hit_rate(learned: GNNRecommender) -> float:
    """Share of users whose planted next item is in the top 5 after their first 7 events (the 8th is
    never seen)."""
    prefix = planted_frame().groupby("user_id").head(7)
    learned.observe(normalize(prefix))
    users = sorted(prefix["user_id"].unique())
    last = prefix.groupby("user_id")["item_id"].last()
    top, _ = learned.top_k(users, 5)
    hits = [next_item(last[u]) in set(learned.catalogue[top[row]]) for row, u in enumerate(users)]
    return float(np.mean(hits))


@pytest.fixture(scope="module")
def learned() -> GNNRecommender:
    return GNNRecommender(SMALL, FAST).fit(planted_timeline())


def test_loss_goes_down(learned: GNNRecommender) -> None:
    assert learned.checkpoint is not None
    assert learned.checkpoint.history is not None
    losses = [h["loss"] for h in learned.checkpoint.history]
    assert losses[-1] < 0.6 * losses[0]
    assert losses[-1] < np.log(60)  # below the loss of a uniform guess over the catalogue


def test_learns_the_planted_next_item_far_better_than_random(learned: GNNRecommender) -> None:
    assert planted_hit_rate(learned) > 0.6  # a random top-5 over ~53 unseen items hits ~0.09


def test_prediction_for_event_t_ignores_events_from_t_on(learned: GNNRecommender) -> None:
    """Altering events >= t (items, types, times) leaves the state that predicts event t unchanged."""
    assert learned.checkpoint is not None
    model, origin = learned.checkpoint.model, learned.checkpoint.time_origin
    frame, t = planted_frame(PlantedConfig(users=10)), 6
    altered = frame.copy()
    later = (altered.groupby("user_id").cumcount() >= t).to_numpy()
    altered.loc[later, "item_id"] = "i059"
    altered.loc[later, "event_type"] = "purchase"
    altered.loc[later, "timestamp"] = altered.loc[later, "timestamp"] + 86_400

    def predictor_of_event_t(rows: pd.DataFrame) -> torch.Tensor:
        """The training path: u[:, t-1], the state after events < t, is what predicts event t."""
        timeline = normalize(rows)
        seqs = UserSequences.from_events(timeline.events, timeline.seconds(), learned.item_index)
        batch = seqs.batch(np.arange(len(seqs)), origin=origin)
        with torch.no_grad():
            u, _ = model(learned.item_embeddings, batch.items, batch.types, batch.times, batch.lengths)
        return u[:, t - 1]

    original = predictor_of_event_t(frame)
    torch.testing.assert_close(predictor_of_event_t(altered), original, atol=1e-5, rtol=0)
    # and it equals a replay of the events before t alone
    replayed = learned.replay(normalize(frame.groupby("user_id").head(t)))
    users = normalize(frame).events["user_id"].unique()
    torch.testing.assert_close(
        torch.from_numpy(np.stack([replayed[u] for u in users])), original, atol=1e-5, rtol=0
    )


def test_same_seed_same_model_and_resume_continues_exactly(tmp_path: Path) -> None:
    timeline = planted_timeline(PlantedConfig(users=30))
    config = TrainConfig(epochs=3, tokens_per_batch=128, progress=False, val_share=0.0, seed=3)
    whole = Trainer(SMALL, config).fit(timeline)
    again = Trainer(SMALL, config).fit(timeline)
    for (name, a), b in zip(whole.model.state_dict().items(), again.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    resume = tmp_path / "progress.pt"
    first = TrainConfig(**{**config.to_dict(), "epochs": 2})
    Trainer(SMALL, first).fit(timeline, resume_path=resume)  # "interrupted" after two epochs
    resumed = Trainer(SMALL, config).fit(timeline, resume_path=resume)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    for a, b in zip(whole.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)


def test_resume_file_from_other_data_is_refused(tmp_path: Path) -> None:
    resume = tmp_path / "progress.pt"
    config = TrainConfig(epochs=1, tokens_per_batch=128, progress=False, val_share=0.0)
    Trainer(SMALL, config).fit(planted_timeline(PlantedConfig(users=20)), resume_path=resume)
    with pytest.raises(DataError, match="other data"):
        Trainer(SMALL, config).fit(planted_timeline(PlantedConfig(users=20, seed=9)), resume_path=resume)


def _month_long_walks() -> Timeline:
    rows = planted_frame(PlantedConfig(users=80, length=16))
    # spread each user's walk over the whole month so users are active on both sides of the cut
    rows["timestamp"] = rows["timestamp"] + rows.groupby("user_id").cumcount() * 86_400
    return normalize(rows)


def test_validation_tail_stops_early_and_keeps_the_best_epoch() -> None:
    timeline = _month_long_walks()
    config = TrainConfig(
        epochs=12, patience=1, min_epochs=3, tokens_per_batch=256, progress=False, val_share=0.2, lr=5e-3
    )
    trained = Trainer(SMALL, config).fit(timeline)
    scores = [h["val_ndcg"] for h in trained.history]
    assert all(np.isfinite(scores))
    assert max(scores) > 0  # the tail has hits, so epochs can be ranked and the stop may fire
    best_epoch = int(np.argmax(scores)) + 1
    # the stop fired: before the epoch budget, `patience` epochs after the best, not before min_epochs
    assert len(scores) < config.epochs
    assert len(scores) == best_epoch + config.patience
    assert len(scores) >= config.min_epochs
    # the returned weights are the best epoch's: training is seeded per epoch, so a run that ends at the
    # best epoch holds exactly those weights (the later epochs moved them on)
    until_best = Trainer(SMALL, replace(config, epochs=best_epoch)).fit(timeline)
    assert [h["val_ndcg"] for h in until_best.history] == scores[:best_epoch]
    kept, expected = trained.model.state_dict(), until_best.model.state_dict()
    assert kept.keys() == expected.keys()
    for name in kept:
        assert torch.equal(kept[name], expected[name]), name


def test_no_early_stop_before_min_epochs() -> None:
    # the same run as above stops at its first epoch without improvement after min_epochs = 3; with
    # min_epochs beyond that point it must go on
    config = TrainConfig(
        epochs=12, patience=1, min_epochs=9, tokens_per_batch=256, progress=False, val_share=0.2, lr=5e-3
    )
    trained = Trainer(SMALL, config).fit(_month_long_walks())
    assert len(trained.history) >= config.min_epochs


def test_sampled_softmax_matches_full_softmax_when_all_items_are_candidates() -> None:
    g = torch.Generator().manual_seed(0)
    u, z = torch.randn(5, 8, generator=g), torch.randn(12, 8, generator=g)
    targets = torch.tensor([0, 3, 3, 7, 11])
    cosine = plain_cosine(u, z)
    full = next_item_loss(cosine, targets, 0.1)
    sampled = next_item_loss(cosine, targets, 0.1, negatives=torch.arange(12), log_q=torch.zeros(12))
    torch.testing.assert_close(full, sampled)
    fewer = next_item_loss(cosine, targets, 0.1, negatives=torch.tensor([1, 2]), log_q=torch.zeros(12))
    assert fewer < full  # fewer competitors, lower loss


def test_training_with_sampled_negatives_runs_and_learns() -> None:
    config = TrainConfig(epochs=4, tokens_per_batch=256, progress=False, val_share=0.0, negatives=16, lr=5e-3)
    trained = Trainer(SMALL, config).fit(planted_timeline())
    losses = [h["loss"] for h in trained.history]
    assert losses[-1] < losses[0]


def test_cuda_request_without_a_gpu_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")

    with pytest.raises(DataError, match="CUDA"):
        Trainer(SMALL, TrainConfig(device="cuda", progress=False)).fit(
            planted_timeline(PlantedConfig(users=5))
        )


@pytest.mark.gpu
def test_trains_on_cuda() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    config = TrainConfig(epochs=1, device="cuda", progress=False, val_share=0.0)
    trained = Trainer(SMALL, config).fit(planted_timeline(PlantedConfig(users=20)))
    assert next(trained.model.parameters()).is_cuda
    assert [h["epoch"] for h in trained.history] == [1]
    assert np.isfinite(trained.history[0]["loss"])


@pytest.fixture
def graph_frames(monkeypatch: pytest.MonkeyPatch) -> list[pd.DataFrame]:
    """The events of every graph the training data builds, in build order."""
    import engine.training.data as data_module

    frames: list[pd.DataFrame] = []
    real = data_module.graph_inputs_from_events

    def recording(events: pd.DataFrame, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        frames.append(events)
        return real(events, *args, **kwargs)

    monkeypatch.setattr(data_module, "graph_inputs_from_events", recording)
    return frames


def prepared_planted(**fields: Any) -> tuple[Timeline, TrainingData]:
    """What a fit of 30 planted users reads, with these TrainConfig ``fields`` (no validation tail)."""
    timeline = planted_timeline(PlantedConfig(users=30))
    config = TrainConfig(epochs=1, progress=False, val_share=0.0, **fields)
    return timeline, prepare_training_data(timeline, SMALL, config, None, torch.device("cpu"))


def test_training_graph_holds_only_events_before_the_predicted_targets(
    graph_frames: list[pd.DataFrame],
) -> None:
    """The encoder's graph during training ends at a time cut, and only targets after it are predicted."""
    timeline, data = prepared_planted(graph_share=0.5)
    seconds = timeline.seconds()
    cut = float(np.quantile(seconds, 0.5))
    assert data.graph_cut == pytest.approx(cut)
    training_graph_events = graph_frames[0]
    assert len(training_graph_events) < len(timeline)
    assert (training_graph_events["timestamp"] < pd.Timestamp(cut, unit="s", tz="UTC")).all()
    # every event at or after the cut is left out of the training graph
    assert len(training_graph_events) == int((seconds < cut).sum())


def test_with_user_folds_no_user_is_encoded_on_a_graph_holding_their_own_events(
    graph_frames: list[pd.DataFrame],
) -> None:
    """graph_folds: one graph per fold of the other folds' events; every target is predicted."""
    timeline, data = prepared_planted(graph_folds=3)
    assert len(data.graphs) == 3
    assert data.graph_cut == -np.inf
    assert sorted(np.bincount(data.user_graph).tolist()) == [10, 10, 10]
    users = data.sequences.users
    for fold in range(3):
        own = set(users[data.user_graph == fold])
        graph_users = set(graph_frames[fold]["user_id"])
        assert own
        assert not own & graph_users
        assert graph_users == set(users) - own  # every other user's events
        assert len(graph_frames[fold]) == int((~timeline.events["user_id"].isin(own)).sum())


def test_user_folds_train_every_target_and_learn() -> None:
    """Batches never mix folds, every user is trained each epoch, and the planted rule is learned."""
    from engine.training.epoch import epoch_batches

    groups = np.array([0, 1, 0, 1, 0, 1])
    lengths = np.array([3, 4, 5, 6, 7, 8])
    config = TrainConfig(tokens_per_batch=64, epoch_events=0)
    batches = epoch_batches(lengths, config, np.random.default_rng(0), groups)
    assert sorted(np.concatenate(batches).tolist()) == list(range(6))
    assert all(len(set(groups[rows].tolist())) == 1 for rows in batches)

    learned = GNNRecommender(SMALL, replace(FAST, graph_folds=2)).fit(planted_timeline())
    assert planted_hit_rate(learned) > 0.6  # a random top-5 over ~53 unseen items hits ~0.09


@pytest.mark.parametrize(
    "model_config",
    [replace(SMALL, context_layers=1), replace(SMALL, residual_popularity=True)],
    ids=["context-layers", "residual-popularity"],
)
def test_options_beside_the_default_still_learn_the_planted_rule(model_config: ModelConfig) -> None:
    """The SASRec-style window encoder and the residual popularity logit train end to end."""
    learned = GNNRecommender(model_config, FAST).fit(planted_timeline())
    assert learned.checkpoint is not None
    assert learned.checkpoint.history is not None
    losses = [h["loss"] for h in learned.checkpoint.history]
    assert losses[-1] < 0.6 * losses[0]
    assert planted_hit_rate(learned) > 0.6  # a random top-5 over ~53 unseen items hits ~0.09
