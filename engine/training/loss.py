"""Next-item loss: softmax over cosine scores, full or with in-batch + popularity-sampled negatives."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def next_item_loss(
    u: Tensor,
    targets: Tensor,
    z: Tensor,
    temperature: float,
    negatives: Tensor | None = None,
    log_q: Tensor | None = None,
) -> Tensor:
    r"""Cross-entropy of the target among candidate items, on cosine logits.

    .. math::
        \ell = -\log \frac{\exp(s(u, i^+) / T - \log q_{i^+})}
                          {\sum_{j \in C} \exp(s(u, j) / T - \log q_j)}, \qquad
        s(u, j) = \cos(u, z_j)

    With ``negatives=None`` the candidates :math:`C` are the whole catalogue and :math:`q = 1`. Otherwise
    :math:`C` is the union of the batch's targets (in-batch negatives) and the sampled ``negatives``,
    and :math:`\log q_j` (the log sampling probability, ``log_q`` [n_items]) corrects the bias toward
    popular items (Yi et al., RecSys 2019). Each candidate appears once, so a target is never its own
    negative.

    Shapes: u [P, d], targets [P], z [n_items, d], negatives [S], log_q [n_items] -> scalar
    """
    u = nn.functional.normalize(u, dim=-1)
    z = nn.functional.normalize(z, dim=-1)
    if negatives is None:
        logits = u @ z.T / temperature  # [P, n_items]
        return nn.functional.cross_entropy(logits, targets)
    candidates, inverse = torch.unique(torch.cat([targets, negatives]), return_inverse=True)  # [C]
    labels = inverse[: targets.numel()]  # [P]: each target's column among the candidates
    logits = u @ z[candidates].T / temperature  # [P, C]
    if log_q is not None:
        logits = logits - log_q[candidates]
    return nn.functional.cross_entropy(logits, labels)
