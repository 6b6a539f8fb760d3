"""k-means on state directions: k by silhouette, lengths ignored, too few users, a k too large."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.errors import DataError
from engine.segments.cluster import SegmentConfig, fit_segments


def _three_groups(per_group: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """States around three orthogonal directions, with random lengths; the true group of each."""
    rng = np.random.default_rng(seed)
    directions = np.eye(8)[:3]  # [3, 8]
    truth = np.repeat(np.arange(3), per_group)
    states = directions[truth] + 0.05 * rng.standard_normal((len(truth), 8))
    states *= rng.uniform(0.1, 10.0, size=(len(truth), 1))  # lengths must not matter
    return states, truth


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a)) == len(set(b))


def test_silhouette_finds_the_three_directions() -> None:
    states, truth = _three_groups()
    segmentation = fit_segments(states)
    assert segmentation.chosen_by == "silhouette"
    assert segmentation.k == 3
    assert set(segmentation.silhouettes) == set(range(2, 11))
    assert max(segmentation.silhouettes, key=segmentation.silhouettes.__getitem__) == 3
    assert _same_partition(segmentation.assign(states), truth)


def test_a_given_k_is_used() -> None:
    states, _ = _three_groups()
    segmentation = fit_segments(states, SegmentConfig(k=5))
    assert segmentation.k == 5
    assert segmentation.chosen_by == "given"
    assert not segmentation.silhouettes
    assert set(segmentation.assign(states)) <= set(range(5))


def test_the_fit_on_a_sample_assigns_everyone() -> None:
    states, truth = _three_groups(per_group=200)
    segmentation = fit_segments(states, SegmentConfig(fit_sample=60, silhouette_sample=50))
    assert segmentation.k == 3
    assert _same_partition(segmentation.assign(states), truth)


def test_two_users_make_one_segment() -> None:
    segmentation = fit_segments(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert segmentation.k == 1
    assert segmentation.chosen_by == "too few users"
    assert segmentation.assign(np.array([[1.0, 0.0], [0.0, 1.0]])).tolist() == [0, 0]


def test_more_segments_than_distinct_users_is_an_error() -> None:
    with pytest.raises(DataError, match="only 2 users differ"):
        fit_segments(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]]), SegmentConfig(k=3))
    with pytest.raises(DataError, match="no user states"):
        fit_segments(np.empty((0, 4)))
