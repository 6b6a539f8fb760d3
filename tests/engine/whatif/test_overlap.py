"""Rank-biased overlap and Jaccard: perfect = 1, disjoint = 0, values worked out by hand."""

from __future__ import annotations

import random

import pytest

from engine.whatif.overlap import jaccard, rbo


def test_identical_lists_have_rbo_one() -> None:
    items = [f"i{n}" for n in range(10)]
    assert rbo(items, items) == pytest.approx(1.0)
    assert rbo(items, items, p=0.5) == pytest.approx(1.0)


@pytest.mark.parametrize("k", [4, 11, 20, 50])
def test_identical_lists_have_rbo_exactly_one(k: int) -> None:
    """Stability 0 for an unedited trace needs 1 - RBO == 0, not 2e-16 (the series alone gives that)."""
    items = [f"i{n}" for n in range(k)]
    assert rbo(items, items) == 1.0


def test_disjoint_lists_have_rbo_zero() -> None:
    assert rbo(["a", "b", "c"], ["d", "e", "f"]) == 0.0


def test_rbo_worked_out_by_hand() -> None:
    # a = [a, b, c], b = [b, a, d], p = 0.9, k = 3
    # overlaps X_1 = 0, X_2 = 2 ({a, b}), X_3 = 2; agreements A_d = X_d / d = 0, 1, 2/3
    # sum_d A_d p^d = 0 + 0.81 + (2/3)(0.729) = 1.296; (1 - p)/p = 1/9 -> 0.144
    # plus A_3 p^3 = (2/3)(0.729) = 0.486 -> RBO_ext = 0.63
    assert rbo(["a", "b", "c"], ["b", "a", "d"]) == pytest.approx(0.63)


def test_rbo_of_uneven_lists_worked_out_by_hand() -> None:
    # short = [b] (s = 1), long = [a, b] (l = 2), p = 0.9: X_1 = 0, X_2 = 1, X_s = 0
    # (1/9)(0/1 * 0.9 + 1/2 * 0.81 + 0) + ((X_l - X_s)/l + X_s/s) p^l = 0.045 + (1/2)(0.81) = 0.45
    assert rbo(["b"], ["a", "b"]) == pytest.approx(0.45)
    assert rbo(["a", "b"], ["b"]) == pytest.approx(0.45)


def test_a_prefix_of_a_list_agrees_fully() -> None:
    # the extrapolation assumes the short list goes on agreeing as it did
    assert rbo(["a", "b"], ["a", "b", "c", "d"]) == pytest.approx(1.0)


def test_empty_lists() -> None:
    assert rbo([], []) == 1.0
    assert rbo([], ["a"]) == 0.0


def test_top_ranks_weigh_more() -> None:
    base = ["a", "b", "c", "d", "e"]
    swap_top = ["b", "a", "c", "d", "e"]
    swap_bottom = ["a", "b", "c", "e", "d"]
    assert rbo(base, swap_top) < rbo(base, swap_bottom) < 1.0


def test_rbo_matches_the_formula_term_by_term() -> None:
    """The incremental overlap count against the formula evaluated with sets at every depth."""

    def by_formula(a: list[str], b: list[str], p: float) -> float:
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        s, l = len(short), len(long)
        x = [len(set(short[:d]) & set(long[:d])) for d in range(l + 1)]  # X_d (short stops at s)
        total = sum(x[d] / d * p**d for d in range(1, l + 1))
        total += sum(x[s] * (d - s) / (s * d) * p**d for d in range(s + 1, l + 1))
        return (1 - p) / p * total + ((x[l] - x[s]) / l + x[s] / s) * p**l

    rng = random.Random(3)
    pool = [f"i{n}" for n in range(12)]
    for _ in range(200):
        a = rng.sample(pool, rng.randint(1, 8))
        b = rng.sample(pool, rng.randint(1, 8))
        p = rng.choice([0.5, 0.9, 0.98])
        assert rbo(a, b, p) == pytest.approx(by_formula(a, b, p))
        assert rbo(a, b, p) == pytest.approx(rbo(b, a, p))
        assert 0.0 <= rbo(a, b, p) <= 1.0 + 1e-12


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5])
def test_p_outside_zero_one_is_an_error(p: float) -> None:
    with pytest.raises(ValueError, match="p must be in"):
        rbo(["a"], ["a"], p=p)


def test_jaccard() -> None:
    assert jaccard(["a", "b"], ["b", "a"]) == 1.0
    assert jaccard(["a"], ["b"]) == 0.0
    assert jaccard(["a", "b", "c"], ["b", "c", "d", "e"]) == pytest.approx(2 / 5)
    assert jaccard([], []) == 1.0
