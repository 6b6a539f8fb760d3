"""Leakage guards: a model handed, or reading, an event at or after the cut is caught by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.evaluation import EvalConfig, LeakageError, evaluate_model, loo_split, time_split
from engine.evaluation.guard import check_handed, verify_fitted
from engine.recommenders.base import Recommender
from engine.recommenders.popularity import MostPop


def _timeline() -> Timeline:
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"i{rng.integers(30)}", int(t)) for t in range(400) for u in [rng.integers(20)]]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


FULL = _timeline()
CONFIG = EvalConfig(replicates=20)


class PeekingModel(Recommender):
    """Deliberately leaking: it ignores the training timeline it is handed and fits on the full log."""

    name = "Peeking"

    def __init__(self, everything: Timeline) -> None:
        super().__init__()
        self.everything = everything

    def fit(self, train: Timeline) -> PeekingModel:
        self._index(self.everything)  # reads events at and after the cut
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return np.zeros((len(users), self.n_items), dtype=np.float32)


class AppendingModel(PeekingModel):
    """Subtler: indexes the training part correctly, then appends one user's future events."""

    def fit(self, train: Timeline) -> AppendingModel:
        self._index(train)
        future = self.everything.events
        future = future[future["item_id"].isin(self.item_index)]
        user = str(future["user_id"].iloc[-1])
        extra = future.loc[future["user_id"] == user, "item_id"].map(self.item_index).to_numpy()
        self.history[user] = np.r_[self.history.get(user, np.empty(0, dtype=np.int64)), extra[-1:]]
        return self


class MemoryModel(MostPop):
    """A temporal-memory model that reports the latest event time it consumed."""

    def __init__(self, observed_until: pd.Timestamp) -> None:
        super().__init__()
        self.observed_until = observed_until


def test_a_model_that_fits_on_the_full_log_is_caught() -> None:
    split = time_split(FULL, 0.8)
    with pytest.raises(LeakageError, match="at or after the cut"):
        evaluate_model(PeekingModel(FULL), split, CONFIG)


def test_a_model_that_appends_future_events_is_caught() -> None:
    split = time_split(FULL, 0.8)
    with pytest.raises(LeakageError, match="history of user"):
        evaluate_model(AppendingModel(FULL), split, CONFIG)


def test_leave_last_out_leak_is_caught() -> None:
    split = loo_split(FULL)
    with pytest.raises(LeakageError):
        evaluate_model(PeekingModel(FULL), split, CONFIG)


def test_a_memory_that_consumed_post_cut_events_is_caught() -> None:
    split = time_split(FULL, 0.8)
    assert split.cut is not None
    with pytest.raises(LeakageError, match="reports consuming events"):
        evaluate_model(MemoryModel(split.cut), split, CONFIG)
    model = MemoryModel(split.cut - pd.Timedelta(seconds=1))
    evaluate_model(model, split, CONFIG)  # strictly before the cut: fine


def test_handing_a_post_cut_event_to_training_is_caught() -> None:
    split = time_split(FULL, 0.8)
    leaky = replace(split, train=FULL)  # a buggy caller hands the whole log
    with pytest.raises(LeakageError, match="events at or after the cut"):
        evaluate_model(MostPop(), leaky, CONFIG)


def test_handing_a_held_out_event_is_caught_without_a_cut() -> None:
    split = loo_split(FULL)
    with pytest.raises(LeakageError, match="held-out test events"):
        check_handed(FULL, split)


def test_honest_models_pass() -> None:
    for split in (time_split(FULL, 0.8), loo_split(FULL)):
        model = MostPop()
        evaluate_model(model, split, CONFIG)
        verify_fitted(model, split)
        check_handed(split.train, split)


def test_the_model_gets_a_private_copy() -> None:
    split = time_split(FULL, 0.8)
    seen: list[Timeline] = []

    class Recording(MostPop):
        def fit(self, train: Timeline) -> Recording:
            seen.append(train)
            return super().fit(train)

    evaluate_model(Recording(), split, CONFIG)
    assert seen[0].events is not split.train.events
    assert seen[0].events.equals(split.train.events)
