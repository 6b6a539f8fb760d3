"""The leakage guard covers the GNN: its memory reports what it consumed; one fed the future is caught."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from engine.data.timeline import Timeline
from engine.evaluation import EvalConfig, LeakageError, Split, evaluate_model, time_split
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.training.config import TrainConfig
from engine.training.planted import PlantedConfig, planted_timeline

FULL = planted_timeline(PlantedConfig(users=12))  # 192 events, 60 items
CONFIG = EvalConfig(replicates=20)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny model: extra threads only contend
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def split() -> Split:
    return time_split(FULL, 0.8)


def _tiny(cls: type[GNNRecommender] = GNNRecommender) -> GNNRecommender:
    train = TrainConfig(epochs=1, min_epochs=1, tokens_per_batch=256, val_share=0.0, progress=False)
    return cls(ModelConfig(dim=16, id_dropout=0.0), train, device="cpu")


class ObservesTheFuture(GNNRecommender):
    """Trains honestly, then replays the whole log (post-cut events included) into its memory."""

    def fit(self, train: Timeline, resume_path: str | Path | None = None) -> ObservesTheFuture:
        super().fit(train, resume_path)
        self.observe(FULL)
        return self


class HidesWhatItObserved(ObservesTheFuture):
    """Subtler: replays the whole log, then restores its index to the training part; only the memory knows."""

    def fit(self, train: Timeline, resume_path: str | Path | None = None) -> HidesWhatItObserved:
        super().fit(train, resume_path)
        self._index(train)
        return self


def test_an_honest_gnn_passes_and_reports_its_memory_before_the_cut(split: Split) -> None:
    model = _tiny()
    result = evaluate_model(model, split, CONFIG)
    assert split.cut is not None
    assert model.observed_until is not None
    assert model.observed_until == split.train.events["timestamp"].max()
    assert model.observed_until < split.cut
    assert 0.0 <= result.metrics["ndcg@20"] <= 1.0


def test_a_gnn_that_observes_the_full_timeline_after_fit_is_caught(split: Split) -> None:
    with pytest.raises(LeakageError, match="at or after the cut"):
        evaluate_model(_tiny(ObservesTheFuture), split, CONFIG)


def test_a_gnn_memory_fed_the_future_is_caught_even_with_a_clean_index(split: Split) -> None:
    with pytest.raises(LeakageError, match="reports consuming events"):
        evaluate_model(_tiny(HidesWhatItObserved), split, CONFIG)
