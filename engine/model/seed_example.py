r"""The worked example this product started from, computed by :class:`InterestConv` itself.

Interests book, movie and sport with states :math:`h_{book} = [0.2, 0.3, 0.5]`,
:math:`h_{movie} = [0.1, 0.4, 0.5]`, :math:`h_{sport} = [0.6, 0.2, 0.2]`; the user browses sport, whose
neighbours are book and movie:

.. math::
    h'_{sport} = \sigma\big(W h_{sport} + \alpha_{book} h_{book} + \alpha_{movie} h_{movie}\big)

With :math:`W = I`, :math:`\sigma = \mathrm{ReLU}` and :math:`\alpha = 1/2` each this gives
:math:`[0.75, 0.55, 0.70]`.

The layer computes :math:`\alpha` as a softmax of attention scores; with zero attention vectors every
score is equal and the edge-weight term :math:`\beta \log w_{vu}` (:math:`\beta = 1`) makes
:math:`\alpha_{vu} = w_{vu} / \sum_k w_{vk}`, so the chosen :math:`\alpha` enter as edge weights and the
layer's own softmax hands them back unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from engine.model.interest_conv import InterestConv

INTERESTS: tuple[str, ...] = ("book", "movie", "sport")
STATES: tuple[tuple[float, float, float], ...] = ((0.2, 0.3, 0.5), (0.1, 0.4, 0.5), (0.6, 0.2, 0.2))
BOOK, MOVIE, SPORT = 0, 1, 2
MIN_ALPHA = 1e-6  # log(0) has no finite score: an alpha of 0 enters as this (its term is below 1e-6)


@torch.no_grad()
def seed_example(alpha_book: float = 0.5, w_diag: Sequence[float] = (1.0, 1.0, 1.0)) -> dict[str, Any]:
    """h_sport' for attention ``alpha_book`` on book (``1 - alpha_book`` on movie) and ``W = diag(w_diag)``.

    Returns plain lists: ``interests``, ``states`` (the three input vectors), ``alpha`` (book, movie, as
    the layer computed them), ``w_diag``, ``self_term`` (W h_sport), ``neighbour_sum``
    (Σ α h_u), ``pre_activation`` (their sum) and ``h_sport`` (after ReLU).
    """
    if not 0.0 <= alpha_book <= 1.0:
        raise ValueError(f"alpha_book must be in [0, 1], got {alpha_book}")
    diag = [float(w) for w in w_diag]
    if len(diag) != 3:
        raise ValueError(f"w_diag needs 3 values (one per dimension), got {len(diag)}")
    alphas = [alpha_book, 1.0 - alpha_book]

    conv = InterestConv(3, act="relu", edge_weight_term=True)
    conv.lin.weight.copy_(torch.diag(torch.tensor(diag)))  # W
    conv.att_dst.zero_()  # equal scores: alpha comes from the edge weights alone
    conv.att_src.zero_()
    conv.beta.fill_(1.0)
    conv.eval()

    h = torch.tensor(STATES)  # [3 interests, 3 dims]
    edge_index = torch.tensor([[BOOK, MOVIE], [SPORT, SPORT]])  # row 0: neighbour u, row 1: updated v
    edge_weight = torch.tensor(alphas).clamp_min(MIN_ALPHA)  # [2]
    out, (_, alpha) = conv(h, edge_index, edge_weight, return_attention=True)  # [3, 3], alpha [2, 1]
    alpha = alpha.flatten()
    self_term = conv.lin(h[SPORT])  # W h_sport: [3]
    neighbour_sum = alpha[0] * h[BOOK] + alpha[1] * h[MOVIE]  # [3]
    return {
        "interests": list(INTERESTS),
        "states": [list(s) for s in STATES],
        "alpha": [round(float(a), 6) for a in alpha],
        "w_diag": diag,
        "self_term": _plain(self_term),
        "neighbour_sum": _plain(neighbour_sum),
        "pre_activation": _plain(self_term + neighbour_sum),
        "h_sport": _plain(out[SPORT]),
    }


def _plain(vector: torch.Tensor) -> list[float]:
    """Rounded to 6 places: float32 noise (0.7500001) is not part of the example."""
    return [round(float(v), 6) for v in vector]
