"""Sampled metrics and the Krichene–Rendle correction."""

from __future__ import annotations

import numpy as np
import pytest

from engine.evaluation.sampled import (
    corrected_values,
    correction_table,
    hit_rate_of_rank,
    ndcg_of_rank,
    sample_negatives,
)


def test_single_target_metrics() -> None:
    np.testing.assert_array_equal(hit_rate_of_rank(np.array([1, 10, 11]), 10), [1, 1, 0])
    np.testing.assert_allclose(ndcg_of_rank(np.array([1, 3, 11]), 10), [1.0, 0.5, 0.0])


@pytest.mark.parametrize("gamma", [0.0, 0.1])
def test_sampling_every_negative_needs_no_correction(gamma: float) -> None:
    # m = n - 1: the sampled rank is the full rank, so the corrected metric is the metric itself
    table = correction_table("ndcg", 5, 30, 29, gamma)
    np.testing.assert_allclose(table, ndcg_of_rank(np.arange(1, 31), 5), atol=1e-8)


def test_correction_is_closer_to_the_exact_metric_than_naive_sampling() -> None:
    rng = np.random.default_rng(0)
    n, m, k = 2_000, 100, 10
    full_rank = np.minimum(rng.geometric(1 / 60, size=20_000), n)  # a decent model: most targets near the top
    sampled_rank = 1 + rng.binomial(full_rank - 1, m / (n - 1))
    for metric, fn in (("hit_rate", hit_rate_of_rank), ("ndcg", ndcg_of_rank)):
        exact = fn(full_rank, k).mean()
        naive = fn(sampled_rank, k).mean()
        corrected = corrected_values(metric, k, sampled_rank, np.full(len(full_rank), n), m, 0.1).mean()
        assert naive > 2 * exact  # sampling inflates the number a lot
        assert abs(corrected - exact) < 0.25 * abs(naive - exact)


def test_negatives_avoid_forbidden_items() -> None:
    rng = np.random.default_rng(1)
    forbidden_items = np.zeros((3, 10), dtype=bool)
    forbidden_items[0, :9] = True  # user 0 may only get item 9
    forbidden_items[2, :] = True  # user 2 has no allowed item

    def forbidden(draws: np.ndarray) -> np.ndarray:
        return forbidden_items[np.arange(3)[:, None], np.maximum(draws, 0)]

    draws = sample_negatives(forbidden, 3, 10, 50, rng)
    assert (draws[0] == 9).all()
    assert (draws[1] >= 0).all()
    assert (draws[2] == -1).all()
