"""Bootstrap intervals over users: they contain the mean, shrink with more users, and are reproducible."""

from __future__ import annotations

import numpy as np

from engine.evaluation.bootstrap import bootstrap_ci, bootstrap_means


def test_interval_contains_the_mean_and_shrinks_with_users() -> None:
    rng = np.random.default_rng(0)
    small = rng.random(100)
    large = rng.random(10_000)
    lo_s, hi_s = bootstrap_ci(small, 500, seed=1)[0]
    lo_l, hi_l = bootstrap_ci(large, 500, seed=1)[0]
    assert lo_s < small.mean() < hi_s
    assert lo_l < large.mean() < hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 5  # ~ 1/sqrt(100) of the width


def test_width_matches_the_normal_approximation() -> None:
    values = np.random.default_rng(2).random(2_000)
    lo, hi = bootstrap_ci(values, 2_000, seed=0)[0]
    expected = 2 * 1.96 * values.std() / np.sqrt(len(values))
    assert abs((hi - lo) - expected) < 0.15 * expected


def test_constant_values_give_a_point_interval() -> None:
    np.testing.assert_allclose(bootstrap_ci(np.full(50, 0.25), 100)[0], [0.25, 0.25])


def test_same_seed_same_resamples_for_every_row() -> None:
    values = np.random.default_rng(3).random((2, 300))
    a = bootstrap_means(values, 50, seed=7)
    b = bootstrap_means(values[::-1], 50, seed=7)
    np.testing.assert_allclose(a, b[::-1])


def test_nan_users_are_left_out_and_all_nan_gives_nan() -> None:
    values = np.array([[1.0, np.nan, 1.0, 1.0], [np.nan] * 4])
    bounds = bootstrap_ci(values, 100)
    np.testing.assert_allclose(bounds[0], [1.0, 1.0])
    assert np.isnan(bounds[1]).all()


def test_blocks_give_the_same_answer_as_one_pass(monkeypatch) -> None:
    import engine.evaluation.bootstrap as bootstrap

    values = np.random.default_rng(4).random(1_000)
    whole = bootstrap_means(values, 40, seed=5)
    monkeypatch.setattr(bootstrap, "BLOCK_CELLS", 3_000)  # 3 replicates a block
    np.testing.assert_allclose(bootstrap_means(values, 40, seed=5), whole)
