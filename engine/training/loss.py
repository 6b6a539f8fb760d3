"""Next-item loss: softmax over cosine scores, full or with in-batch + popularity-sampled negatives."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

# candidates [C] item rows, or None for the whole catalogue -> cosine scores [P, C]
CosineFn = Callable[[Tensor | None], Tensor]


def next_item_loss(
    cosine: CosineFn,
    targets: Tensor,
    temperature: float,
    negatives: Tensor | None = None,
    log_q: Tensor | None = None,
) -> Tensor:
    r"""Cross-entropy of the target among candidate items, on cosine logits.

    .. math::
        \ell = -\log \frac{\exp(s(u, i^+) / T - \log q_{i^+})}
                          {\sum_{j \in C} \exp(s(u, j) / T - \log q_j)}

    :math:`s` is the model's cosine score. With ``negatives=None`` the candidates :math:`C` are the
    whole catalogue and :math:`q = 1`. Otherwise :math:`C` is the union of the batch's targets
    (in-batch negatives) and the sampled ``negatives``, and :math:`\log q_j` (the log sampling
    probability, ``log_q`` [n_items]) corrects the bias toward popular items (Yi et al., RecSys 2019).
    Each candidate appears once, so a target is never its own negative.

    Shapes: targets [P], negatives [S], log_q [n_items] -> scalar
    """
    if negatives is None:
        return nn.functional.cross_entropy(cosine(None) / temperature, targets)
    candidates, inverse = torch.unique(torch.cat([targets, negatives]), return_inverse=True)  # [C]
    labels = inverse[: targets.numel()]  # [P]: each target's column among the candidates
    logits = cosine(candidates) / temperature  # [P, C]
    if log_q is not None:
        logits = logits - log_q[candidates]
    return nn.functional.cross_entropy(logits, labels)


def plain_cosine(u: Tensor, z: Tensor) -> CosineFn:
    """The cosine of states u [P, d] with item embeddings z [n, d], restricted to candidates."""
    u = nn.functional.normalize(u, dim=-1)
    z = nn.functional.normalize(z, dim=-1)
    return lambda candidates: u @ (z if candidates is None else z[candidates]).T
