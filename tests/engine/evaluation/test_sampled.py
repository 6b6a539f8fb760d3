"""Sampled metrics and the Krichene–Rendle correction."""

from __future__ import annotations

import numpy as np
import pytest

from engine.evaluation.sampled import (
    SINGLE_TARGET_METRICS,
    corrected_values,
    correction_table,
    sample_negatives,
    sampled_rank_pmf,
)
from engine.metrics.ranking import hit_rate_of_rank, ndcg_of_rank


def _simulate_sampled_rank(full_rank: np.ndarray, n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """The evaluator's procedure on a catalogue of n candidates ordered by score (index i has full rank
    i + 1): each target draws m negatives with ``sample_negatives`` (its own item forbidden); its sampled
    rank is one plus the negatives that outrank it."""
    target = full_rank - 1  # [N] item index of each target

    def forbidden(draws: np.ndarray) -> np.ndarray:
        return draws == target[:, None]

    negatives = sample_negatives(forbidden, len(target), n, m, rng)  # [N, m]
    assert (negatives >= 0).all()
    return 1 + (negatives < target[:, None]).sum(axis=1)


@pytest.mark.parametrize(("n", "m"), [(1000, 100), (30, 29), (50, 200), (2, 5)])
def test_each_full_rank_gives_a_law_over_the_sampled_ranks(n: int, m: int) -> None:
    prob = sampled_rank_pmf(n, m)
    assert prob.shape == (n, m + 1)
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, atol=1e-9)  # no mass lost, even at R = n


def test_sampled_rank_law_matches_the_sampling_procedure() -> None:
    rng = np.random.default_rng(2)
    n, m, draws = 1000, 100, 4000
    prob = sampled_rank_pmf(n, m)
    for full in (1, 5, 50, 300, 1000):
        sampled = _simulate_sampled_rank(np.full(draws, full), n, m, rng)
        observed = np.bincount(sampled - 1, minlength=m + 1) / draws
        assert 0.5 * np.abs(observed - prob[full - 1]).sum() < 0.06  # total variation
        assert sampled.mean() == pytest.approx(1 + m * (full - 1) / (n - 1), abs=0.2)


@pytest.mark.parametrize("gamma", [0.0, 0.1])
def test_correction_tracks_the_exact_metric_under_the_real_sampling(gamma: float) -> None:
    rng = np.random.default_rng(0)
    n, m, k = 2_000, 100, 10
    full_rank = np.minimum(rng.geometric(1 / 60, size=20_000), n)  # a decent model: most targets near the top
    sampled_rank = _simulate_sampled_rank(full_rank, n, m, rng)
    for metric, fn in SINGLE_TARGET_METRICS.items():
        table = correction_table(metric, k, n, m, gamma)
        assert np.isfinite(table).all()
        assert np.abs(table).max() < 10  # a sane value per sampled rank, not an ill-conditioned blow-up
        exact = fn(full_rank, k).mean()
        naive = fn(sampled_rank, k).mean()
        corrected = corrected_values(metric, k, sampled_rank, np.full(len(full_rank), n), m, gamma).mean()
        assert naive > 2 * exact  # sampling inflates the number a lot
        assert abs(corrected - exact) < 0.1 * abs(naive - exact)


@pytest.mark.parametrize("gamma", [0.0, 0.1])
def test_correction_approaches_the_exact_metric_as_more_negatives_are_drawn(gamma: float) -> None:
    # with replacement, even m = n - 1 draws do not reveal the full rank; the bias of the corrected value,
    # E[x_r | R] - M(R) averaged over R, shrinks as m grows
    n, k = 1000, 10
    exact = ndcg_of_rank(np.arange(1, n + 1), k)
    bias = []
    for m in (10, 100, n - 1):
        expected = sampled_rank_pmf(n, m) @ correction_table("ndcg", k, n, m, gamma)  # [n]
        bias.append(float(np.sqrt(np.mean((expected - exact) ** 2))))
    assert bias[0] > bias[1] > bias[2]
    assert bias[2] < 0.01


@pytest.mark.parametrize("gamma", [0.0, 0.1])
def test_drawing_n_minus_one_negatives_is_not_the_full_ranking(gamma: float) -> None:
    # with replacement, m = n - 1 draws miss some better items and repeat others: the naive HR@1 is
    # inflated, and the correction must not treat the sampled rank as the full rank
    rng = np.random.default_rng(3)
    n, k = 100, 1
    full_rank = np.minimum(rng.geometric(1 / 4, size=20_000), n)
    sampled_rank = _simulate_sampled_rank(full_rank, n, n - 1, rng)
    exact = hit_rate_of_rank(full_rank, k).mean()
    naive = hit_rate_of_rank(sampled_rank, k).mean()
    corrected = corrected_values("hit_rate", k, sampled_rank, np.full(len(full_rank), n), n - 1, gamma).mean()
    assert naive > exact + 0.05
    assert abs(corrected - exact) < 0.2 * abs(naive - exact)


@pytest.mark.parametrize("gamma", [0.0, 0.1])
def test_two_candidates_the_sampled_rank_reveals_the_full_rank(gamma: float) -> None:
    # one non-relevant item: every draw is it, so r = 1 iff R = 1 and r = m + 1 iff R = 2
    table = correction_table("ndcg", 2, 2, 5, gamma)
    assert table[0] == pytest.approx(1.0, abs=1e-6)
    assert table[-1] == pytest.approx(1 / np.log2(3), abs=1e-6)


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
