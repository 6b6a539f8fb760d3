"""Popularity-sampled negatives for the sampled softmax, with the probabilities logQ correction needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class NegativeSampler:
    r"""Draws ``count`` items per step with replacement, item :math:`j` with probability
    :math:`p_j \propto (1 + c_j)^{\alpha}` (:math:`c_j` training events, :math:`\alpha` the popularity
    power); ``log_q`` [n_items] holds :math:`\log q_j`, :math:`q_j = 1 - (1 - p_j)^S` the chance that
    :math:`j` is among the :math:`S` draws at least once (the quantity the logQ correction needs)."""

    p: Tensor  # [n_items]
    log_q: Tensor  # [n_items]
    count: int

    def draw(self, generator: torch.Generator) -> Tensor:
        """``count`` item rows [S], drawn with ``generator`` (per-epoch streams keep resuming exact)."""
        return torch.multinomial(self.p, self.count, replacement=True, generator=generator)


def popularity_sampler(
    items: np.ndarray, n_items: int, count: int, power: float, device: torch.device
) -> NegativeSampler | None:
    """The sampler over ``items`` (training events' item rows), or None when ``count`` covers the
    catalogue (then the loss takes a full softmax)."""
    if count >= n_items:
        return None
    counts = np.bincount(items, minlength=n_items).astype(np.float64) + 1.0
    p = counts**power
    p /= p.sum()
    q = -np.expm1(count * np.log1p(-p))
    return NegativeSampler(
        p=torch.tensor(p, dtype=torch.float, device=device),
        log_q=torch.tensor(np.log(q), dtype=torch.float, device=device),
        count=count,
    )
