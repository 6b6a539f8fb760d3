"""Accuracy metrics: a perfect list scores 1, no hit scores 0, and one value worked out by hand each."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from engine.metrics import (
    ACCURACY_METRICS,
    f1_at_k,
    hit_matrix,
    hit_rate_at_k,
    hit_rate_of_rank,
    mrr_at_k,
    mrr_of_rank,
    ndcg_at_k,
    ndcg_of_rank,
    precision_at_k,
    recall_at_k,
)

# user 0: targets {3, 7}; the list 5, 3, 9, 7 has hits at positions 2 and 4
RANKED = np.array([[5, 3, 9, 7]])
TARGETS = [[3, 7]]


@pytest.mark.parametrize("metric", list(ACCURACY_METRICS.values()), ids=list(ACCURACY_METRICS))
def test_perfect_list_scores_one(metric) -> None:
    # K targets ranked first: precision, recall, F1, NDCG, MRR and HR are all 1
    ranked = np.array([[4, 2, 9], [1, 0, 5]])
    targets = [[2, 4, 9], [0, 1, 5]]
    np.testing.assert_allclose(metric(ranked, targets, 3), [1.0, 1.0])


@pytest.mark.parametrize("metric", list(ACCURACY_METRICS.values()), ids=list(ACCURACY_METRICS))
def test_no_hit_scores_zero(metric) -> None:
    np.testing.assert_array_equal(metric(np.array([[1, 2, 3]]), [[8, 9]], 3), [0.0])


@pytest.mark.parametrize("metric", list(ACCURACY_METRICS.values()), ids=list(ACCURACY_METRICS))
def test_no_targets_is_undefined_not_zero(metric) -> None:
    values = metric(np.array([[1, 2], [3, 4]]), [[], [3]], 2)
    assert math.isnan(values[0])
    assert values[1] > 0


def test_precision_by_hand() -> None:
    assert precision_at_k(RANKED, TARGETS, 4)[0] == pytest.approx(2 / 4)
    assert precision_at_k(RANKED, TARGETS, 2)[0] == pytest.approx(1 / 2)


def test_recall_by_hand() -> None:
    assert recall_at_k(RANKED, TARGETS, 2)[0] == pytest.approx(1 / 2)
    assert recall_at_k(RANKED, TARGETS, 4)[0] == pytest.approx(1.0)


def test_f1_by_hand() -> None:
    # P@2 = 1/2, R@2 = 1/2 -> F1 = 1/2; and 2*H/(K+|T|) = 2*1/(2+2)
    assert f1_at_k(RANKED, TARGETS, 2)[0] == pytest.approx(0.5)


def test_ndcg_by_hand() -> None:
    # DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068; IDCG = 1 + 1/log2(3) = 1.63093
    expected = (0.6309297535714575 + 0.43067655807339306) / 1.6309297535714575
    assert ndcg_at_k(RANKED, TARGETS, 4)[0] == pytest.approx(expected)
    assert ndcg_at_k(RANKED, TARGETS, 4)[0] == pytest.approx(0.6509209298071326)


def test_ndcg_ideal_uses_min_k_targets() -> None:
    # 5 targets, K = 2, both slots hit: ideal DCG covers only min(K, |T|) = 2 positions -> 1
    assert ndcg_at_k(np.array([[0, 1]]), [[0, 1, 2, 3, 4]], 2)[0] == pytest.approx(1.0)


def test_mrr_by_hand() -> None:
    assert mrr_at_k(RANKED, TARGETS, 4)[0] == pytest.approx(1 / 2)
    assert mrr_at_k(np.array([[1, 2, 3]]), [[3]], 3)[0] == pytest.approx(1 / 3)
    assert mrr_at_k(np.array([[1, 2, 3]]), [[3]], 2)[0] == 0.0  # the hit lies beyond K


def test_hit_rate_by_hand() -> None:
    assert hit_rate_at_k(RANKED, TARGETS, 1)[0] == 0.0
    assert hit_rate_at_k(RANKED, TARGETS, 2)[0] == 1.0


def test_short_list_counts_missing_slots_as_misses() -> None:
    # one item ranked, padded with -1; K = 3: precision keeps K in the denominator
    ranked = np.array([[6, -1, -1]])
    assert precision_at_k(ranked, [[6]], 3)[0] == pytest.approx(1 / 3)
    assert recall_at_k(ranked, [[6]], 3)[0] == pytest.approx(1.0)
    # a list narrower than K behaves like one padded with -1
    assert precision_at_k(np.array([[6]]), [[6]], 3)[0] == pytest.approx(1 / 3)


def test_padding_never_matches_a_target() -> None:
    hits, n_targets = hit_matrix(np.array([[-1, -1]]), [[0]], 2)
    assert not hits.any()
    assert n_targets.tolist() == [1]


def test_sparse_and_list_targets_agree() -> None:
    rng = np.random.default_rng(0)
    ranked = np.stack([rng.permutation(50)[:10] for _ in range(30)])
    lists = [rng.choice(50, size=rng.integers(1, 6), replace=False) for _ in range(30)]
    rows = np.repeat(np.arange(30), [len(t) for t in lists])
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(lists))), shape=(30, 50))
    for metric in ACCURACY_METRICS.values():
        np.testing.assert_allclose(metric(ranked, lists, 10), metric(ranked, matrix, 10))


def test_vectorised_matches_a_per_user_loop() -> None:
    rng = np.random.default_rng(1)
    ranked = np.stack([rng.permutation(40)[:20] for _ in range(200)])
    targets = [set(rng.choice(40, size=rng.integers(1, 8), replace=False).tolist()) for _ in range(200)]
    discounts = 1 / np.log2(np.arange(2, 22))
    for user in range(200):
        rel = np.array([item in targets[user] for item in ranked[user]], dtype=float)
        idcg = discounts[: min(20, len(targets[user]))].sum()
        assert ndcg_at_k(ranked, targets, 20)[user] == pytest.approx(rel @ discounts / idcg)
        assert recall_at_k(ranked, targets, 20)[user] == pytest.approx(rel.sum() / len(targets[user]))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k(RANKED, TARGETS, 0)
    with pytest.raises(ValueError, match="2-D"):
        ndcg_at_k(np.array([1, 2]), TARGETS, 1)
    with pytest.raises(ValueError, match="cover"):
        ndcg_at_k(RANKED, [[1], [2]], 1)


def test_single_target_metrics_of_a_rank() -> None:
    np.testing.assert_array_equal(hit_rate_of_rank(np.array([1, 10, 11]), 10), [1, 1, 0])
    np.testing.assert_allclose(ndcg_of_rank(np.array([1, 3, 11]), 10), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(mrr_of_rank(np.array([1, 4, 10, 11]), 10), [1.0, 0.25, 0.1, 0.0])
