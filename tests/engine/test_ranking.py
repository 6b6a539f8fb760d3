"""The one ranking path: exclusion, exact ties at the cut, rank_of agreeing with top_k."""

from __future__ import annotations

import numpy as np
import torch

from engine import ranking


def test_top_k_orders_by_score_then_index() -> None:
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.9, 0.2]])
    index, values = ranking.top_k(scores, 3)
    assert index.tolist() == [[1, 3, 2]]
    np.testing.assert_allclose(values.numpy(), [[0.9, 0.9, 0.5]])


def test_a_tie_cut_at_k_keeps_the_lowest_indices() -> None:
    # six items tie at the cut: torch.topk may pick any of them, the ranking must pick the lowest ids
    scores = torch.tensor([[0.3, 0.3, 0.3, 0.9, 0.3, 0.3, 0.3]])
    index, _ = ranking.top_k(scores, 3)
    assert index.tolist() == [[3, 0, 1]]


def test_excluded_items_are_never_listed_before_allowed_ones() -> None:
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.1], [0.5, 0.5, 0.5, 0.5]])
    ranking.exclude(scores, [np.array([0, 2]), None])
    index, values = ranking.top_k(scores, 3)
    assert index[0].tolist()[:2] == [1, 3]
    assert not np.isfinite(values[0, 2].item())
    assert index[1].tolist() == [0, 1, 2]


def test_k_larger_than_the_catalogue_lists_every_item() -> None:
    index, _ = ranking.top_k(torch.tensor([[0.2, 0.4]]), 10)
    assert index.tolist() == [[1, 0]]


def test_rank_of_is_the_position_in_top_k() -> None:
    rng = np.random.default_rng(0)
    scores = torch.from_numpy(rng.integers(0, 5, size=(20, 30)).astype(np.float32))  # many ties
    index, _ = ranking.top_k(scores, 30)
    for row in range(20):
        targets = index[row]
        ranks = ranking.rank_of(scores[row].expand(30, -1), targets)
        assert ranks.tolist() == list(range(1, 31))


def test_numpy_wrapper_matches() -> None:
    scores = np.array([[0.1, 0.3, 0.3]], dtype=np.float32)
    index, values = ranking.top_k_numpy(scores, 2)
    assert index.tolist() == [[1, 2]]
    assert values.dtype == np.float32


def test_chunked_ranking_equals_one_pass_and_excludes_each_rows_items() -> None:
    rng = np.random.default_rng(1)
    scores = torch.from_numpy(rng.integers(0, 4, size=(37, 12)).astype(np.float32))  # many ties
    excluded = [rng.choice(12, size=row % 5, replace=False) for row in range(37)]
    whole, whole_values = ranking.top_k(ranking.exclude(scores.clone(), excluded), 6)

    def scores_of(part: slice) -> torch.Tensor:
        return scores[part].clone()

    index, values = ranking.ranked_in_chunks(37, 6, scores_of, lambda part: excluded[part], chunk=5)
    np.testing.assert_array_equal(index, whole.numpy())
    np.testing.assert_array_equal(values, whole_values.numpy())
    for row in range(37):
        listed = set(index[row][np.isfinite(values[row])].tolist())
        assert not listed & set(excluded[row].tolist())
