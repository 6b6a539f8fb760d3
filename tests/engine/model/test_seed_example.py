"""The article's worked example through InterestConv: the published numbers, and α and W moving them."""

from __future__ import annotations

import pytest

from engine.model.seed_example import seed_example


def test_the_article_numbers_for_equal_attention_and_identity() -> None:
    example = seed_example()
    assert example["alpha"] == pytest.approx([0.5, 0.5])
    assert example["h_sport"] == pytest.approx([0.75, 0.55, 0.70])
    assert example["self_term"] == pytest.approx([0.6, 0.2, 0.2])
    assert example["neighbour_sum"] == pytest.approx([0.15, 0.35, 0.5])


def test_the_chosen_alpha_comes_back_from_the_layers_softmax() -> None:
    example = seed_example(alpha_book=0.8)
    assert example["alpha"] == pytest.approx([0.8, 0.2])
    # by hand: [0.6, 0.2, 0.2] + 0.8 [0.2, 0.3, 0.5] + 0.2 [0.1, 0.4, 0.5]
    assert example["h_sport"] == pytest.approx([0.78, 0.52, 0.70])


def test_all_attention_on_one_neighbour() -> None:
    example = seed_example(alpha_book=0.0)
    assert example["alpha"] == pytest.approx([0.0, 1.0], abs=1e-5)
    assert example["h_sport"] == pytest.approx([0.7, 0.6, 0.7], abs=1e-5)


def test_w_diagonal_and_relu_clip_negative_sums() -> None:
    example = seed_example(alpha_book=0.5, w_diag=(1.0, -3.0, 2.0))
    # dim 2: -3 * 0.2 + 0.35 = -0.25 -> ReLU 0; dim 3: 2 * 0.2 + 0.5 = 0.9
    assert example["pre_activation"] == pytest.approx([0.75, -0.25, 0.9])
    assert example["h_sport"] == pytest.approx([0.75, 0.0, 0.9])


@pytest.mark.parametrize(("alpha", "diag"), [(1.5, (1, 1, 1)), (-0.1, (1, 1, 1)), (0.5, (1, 1))])
def test_bad_inputs_are_refused(alpha: float, diag: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match=r"alpha_book|w_diag"):
        seed_example(alpha, diag)
