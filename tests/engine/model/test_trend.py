"""Item trend: decayed activity read from past events only, and the cosine that folds it in."""

from __future__ import annotations

import numpy as np
import torch

from engine.model.config import ModelConfig
from engine.model.model import InterestModel
from engine.model.trend import ItemTrend


def test_levels_count_only_events_before_each_boundary_with_decay() -> None:
    items = np.array([0, 0, 1, 2])
    seconds = np.array([0.0, 10.0, 10.0, 20.0])
    trend = ItemTrend.from_events(
        items, seconds, 3, half_life_s=10.0, boundaries=np.array([10.0, 20.0, 30.0])
    )
    # at 10: only the event at 0 (decayed one half-life); the events at 10 are not yet "before"
    np.testing.assert_allclose(trend.levels[0], np.log1p([0.5, 0.0, 0.0]), rtol=1e-6)
    np.testing.assert_allclose(trend.levels[1], np.log1p([0.25 + 0.5, 0.5, 0.0]), rtol=1e-6)
    np.testing.assert_allclose(trend.levels[2], np.log1p([0.125 + 0.25, 0.25, 0.5]), rtol=1e-6)
    assert trend.bucket_of(np.array([10.0, 19.9, 20.0, 99.0])).tolist() == [0, 0, 1, 2]


def test_altering_later_events_leaves_earlier_snapshots_unchanged() -> None:
    rng = np.random.default_rng(0)
    items, seconds = rng.integers(0, 5, 200), np.sort(rng.uniform(0, 100, 200))
    bounds = np.linspace(0, 100, 11)
    trend = ItemTrend.from_events(items, seconds, 5, 20.0, bounds)
    later = seconds >= 50.0
    changed = items.copy()
    changed[later] = 4
    other = ItemTrend.from_events(changed, seconds, 5, 20.0, bounds)
    np.testing.assert_array_equal(trend.levels[:6], other.levels[:6])  # boundaries 0..50
    assert not np.array_equal(trend.levels[6:], other.levels[6:])


def test_cosine_with_per_row_levels_equals_moving_the_embeddings() -> None:
    torch.manual_seed(0)
    model = InterestModel(ModelConfig(dim=8, text_buckets=64, trend=True), n_items=5, n_categories=1)
    with torch.no_grad():
        model.trend_direction.normal_()  # type: ignore[union-attr]
    u, z = torch.randn(3, 8), torch.randn(5, 8)
    levels = torch.rand(3, 5) * 3
    fast = model.cosine(u, z, levels)
    for row in range(3):
        moved = model.at_trend(z, levels[row])
        torch.testing.assert_close(fast[row], InterestModel.scores(u[row : row + 1], moved)[0])


def test_residual_popularity_adds_beta_times_the_level_in_training_scores_only() -> None:
    torch.manual_seed(0)
    model = InterestModel(
        ModelConfig(dim=8, text_buckets=64, residual_popularity=True), n_items=5, n_categories=1
    )
    u, z = torch.randn(3, 8), torch.randn(5, 8)
    levels = torch.rand(3, 5) * 3
    beta = model.popularity_weight
    assert beta is not None
    assert beta.requires_grad
    plain = InterestModel.scores(u, z)  # [3, 5]
    torch.testing.assert_close(model.fitted_score(u, z, levels), plain + beta.detach() * levels)
    torch.testing.assert_close(model.cosine(u, z, levels), plain)  # serving: the state stays a cosine
    off = InterestModel(ModelConfig(dim=8, text_buckets=64), n_items=5, n_categories=1)
    assert off.popularity_weight is None
