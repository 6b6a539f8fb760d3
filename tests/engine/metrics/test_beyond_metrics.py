"""Coverage, novelty and intra-list diversity: extremes and one value worked out by hand each."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.metrics import coverage, intra_list_diversity_category, intra_list_diversity_embedding, novelty


def test_coverage() -> None:
    ranked = np.array([[0, 1, 2], [2, 3, -1]])
    assert coverage(ranked, 10, 3) == pytest.approx(4 / 10)
    assert coverage(ranked, 10, 1) == pytest.approx(2 / 10)  # items 0 and 2
    assert coverage(np.array([[0, 1], [1, 0]]), 2, 2) == 1.0
    assert coverage(np.empty((0, 3), dtype=int), 5, 3) == 0.0


def test_novelty_by_hand() -> None:
    # 8 users; item 0 touched by 8 (p = 1, 0 bits), item 1 by 2 (p = 1/4, 2 bits), item 2 by 1 (3 bits)
    popularity = np.array([8, 2, 1, 0])
    values = novelty(np.array([[0, 1], [1, 2], [3, -1], [-1, -1]]), popularity, 8, 2)
    assert values[0] == pytest.approx(1.0)
    assert values[1] == pytest.approx(2.5)
    assert values[2] == pytest.approx(3.0)  # never touched counts as touched once
    assert math.isnan(values[3])  # empty list


def test_category_diversity() -> None:
    cats = np.array([0, 0, 1, 2, -1])
    values = intra_list_diversity_category(np.array([[0, 1], [2, 3], [0, 4]]), cats, 2)
    assert values[0] == 0.0  # one category
    assert values[1] == 1.0  # all different
    assert math.isnan(values[2])  # one known category: no pair
    # by hand: items 0, 1, 2 -> categories 0, 0, 1: pairs (0,1) same, (0,2) and (1,2) differ -> 2/3
    assert intra_list_diversity_category(np.array([[0, 1, 2]]), cats, 3)[0] == pytest.approx(2 / 3)


def test_embedding_diversity() -> None:
    emb = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    values = intra_list_diversity_embedding(np.array([[0, 1], [0, 2], [0, -1]]), emb, 2)
    assert values[0] == pytest.approx(0.0)  # same direction
    assert values[1] == pytest.approx(1.0)  # orthogonal
    assert math.isnan(values[2])
    # by hand: items 0, 2, 3: distances 1, 1 - 1/sqrt2, 1 - 1/sqrt2 -> mean
    expected = (1 + 2 * (1 - 1 / math.sqrt(2))) / 3
    assert intra_list_diversity_embedding(np.array([[0, 2, 3]]), emb, 3)[0] == pytest.approx(expected)
