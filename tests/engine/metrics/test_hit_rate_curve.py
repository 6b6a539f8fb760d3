"""Cumulative hit rate by list position: perfect, none, and one worked by hand."""

from __future__ import annotations

import numpy as np

from engine.metrics import hit_rate_at_k, hit_rate_curve


def test_every_first_item_a_target_is_one_everywhere() -> None:
    ranked = np.array([[3, 1, 2], [0, 2, 1]])
    assert hit_rate_curve(ranked, [[3], [0]], 3).tolist() == [1.0, 1.0, 1.0]


def test_no_hit_is_zero_and_no_targets_is_undefined() -> None:
    ranked = np.array([[3, 1, 2]])
    assert hit_rate_curve(ranked, [[9]], 3).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(hit_rate_curve(ranked, [[]], 3)).all()


def test_by_hand_with_a_user_without_targets_left_out() -> None:
    ranked = np.array([[5, 6, 7, 8], [1, 2, 3, 4], [9, 9, 9, 9], [0, 1, 2, 3]])
    targets = [[7], [1, 4], [], [8]]
    # judged users 0, 1, 3: first hits at positions 3, 1, never
    curve = hit_rate_curve(ranked, targets, 4)
    assert curve.tolist() == [1 / 3, 1 / 3, 2 / 3, 2 / 3]
    assert curve[-1] == np.nanmean(hit_rate_at_k(ranked, targets, 4))
