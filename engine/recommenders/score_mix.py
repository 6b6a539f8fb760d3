r"""The GNN's score as a weighted sum of named parts, and the search that fits the weights.

.. math::
    \mathrm{score}(h, j) = w_{\mathrm{state}} \cos(u_h, z_j)
        + w_{\mathrm{transition}}\, \mathrm{transition}(h, j)
        + w_{\mathrm{cooccurrence}}\, \mathrm{cooccurrence}(h, j)
        + w_{\mathrm{popularity}}\, \mathrm{popularity}(j)

(the parts: :mod:`engine.recommenders.evidence`). The weights are a handful of non-negative scalars
fitted after the network, on queries from the validation tail of the training part
(:mod:`engine.training.mix_tail`), by coordinate search on the tail's NDCG@k: each weight in turn takes
the best value of a log grid (or 0), the others held, for a few sweeps. Parts are searched on a common
scale (each divided by its mean per-query standard deviation) and the weights stored in raw units, so
``combine`` needs no statistics. A mix with only ``state`` is today's plain cosine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from engine.recommenders.evidence import EVIDENCE_PARTS

MIX_PARTS: tuple[str, ...] = ("state", *EVIDENCE_PARTS)
GRID = tuple(float(v) for v in 10.0 ** np.linspace(-2.0, 1.0, 13))  # relative to the largest weight
SWEEPS = 3  # coordinate sweeps: the search settles after two on every tail tried


@dataclass(frozen=True)
class ScoreMix:
    """Weights of the score's parts (missing = 0); saved in the checkpoint as plain numbers."""

    weights: dict[str, float] = field(default_factory=lambda: {"state": 1.0})

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(MIX_PARTS))
        if unknown:
            raise ValueError(f"unknown score parts {unknown}; parts are {MIX_PARTS}")
        if any(not np.isfinite(w) or w < 0 for w in self.weights.values()):
            raise ValueError(f"score weights must be finite and >= 0, got {self.weights}")

    def weight(self, part: str) -> float:
        return float(self.weights.get(part, 0.0))

    @property
    def uses_evidence(self) -> bool:
        return any(self.weight(p) > 0 for p in EVIDENCE_PARTS)

    def weighted(self, state: Tensor, parts: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Each part times its weight (zero-weight evidence left out): state [B, n], parts {name: [B, n]}."""
        out = {"state": self.weight("state") * state}
        for name in EVIDENCE_PARTS:
            if self.weight(name) > 0:
                out[name] = self.weight(name) * parts[name]
        return out

    def combine(self, state: Tensor, parts: Mapping[str, Tensor]) -> Tensor:
        """The score [B, n]: the sum of :meth:`weighted`."""
        return torch.stack(list(self.weighted(state, parts).values())).sum(0)

    def to_state(self) -> dict[str, float]:
        return {name: float(w) for name, w in self.weights.items()}

    @classmethod
    def from_state(cls, state: Mapping[str, float] | None) -> ScoreMix:
        """From a checkpoint; an empty or missing entry is the plain cosine."""
        return cls({str(k): float(v) for k, v in state.items()}) if state else cls()


@dataclass(frozen=True)
class MixQueries:
    """Validation queries for fitting a mix: each a user at a moment, with the items to find.

    ``features`` [Q, P, n] the parts in ``MIX_PARTS`` order; ``excluded`` [Q, n] items that may not be
    listed (seen, or not yet in the catalogue); ``targets`` [Q, n] bool; ``weight`` [Q] each query's
    share of the objective (sums to 1).
    """

    features: Tensor
    excluded: Tensor
    targets: Tensor
    weight: Tensor

    def __len__(self) -> int:
        return int(self.features.shape[0])


def ndcg(scores: Tensor, targets: Tensor, k: int) -> Tensor:
    """NDCG@k of each row's top-k against its target set: scores [Q, n], targets [Q, n] bool -> [Q]."""
    k = min(k, scores.shape[1])
    top = torch.topk(scores, k, dim=1).indices  # [Q, k]
    discount = 1.0 / torch.log2(torch.arange(k, dtype=torch.float32) + 2.0)  # [k]
    dcg = (targets.gather(1, top).float() * discount).sum(1)
    ideal = torch.cumsum(discount, 0)[(targets.sum(1).clamp(1, k) - 1)]
    return dcg / ideal


def mix_objective(queries: MixQueries, weights: Tensor, k: int) -> float:
    """The queries' weighted mean NDCG@k under part weights [P] (in ``MIX_PARTS`` order)."""
    scores = torch.einsum("qpn,p->qn", queries.features, weights).masked_fill(queries.excluded, -torch.inf)
    return float((ndcg(scores, queries.targets, k) * queries.weight).sum())


def cross_entropy_weights(queries: MixQueries, steps: int = 50) -> Tensor:
    """Weights [P] >= 0 minimising the queries' softmax cross-entropy of their targets.

    The loss is convex in the weights (a log-sum-exp of scores linear in them, minus a linear term), so
    L-BFGS finds its minimum; ``softplus`` keeps the weights non-negative.
    """
    features = queries.features  # [Q, P, n]
    targets = queries.targets.float()
    per_target = queries.weight / targets.sum(1).clamp_min(1.0)  # [Q]
    theta = torch.zeros(features.shape[1], requires_grad=True)
    optimizer = torch.optim.LBFGS([theta], lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        logits = torch.einsum("qpn,p->qn", features, torch.nn.functional.softplus(theta))
        log_p = logits.masked_fill(queries.excluded, -torch.inf).log_softmax(1)  # [Q, n]
        loss = -((log_p.masked_fill(~queries.targets, 0.0) * targets).sum(1) * per_target).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return torch.nn.functional.softplus(theta.detach())


def coordinate_search(
    queries: MixQueries, start: Tensor, searched: list[int], k: int
) -> tuple[Tensor, float]:
    """From ``start`` [P] (scaled to largest weight 1), each searched weight in turn takes the best of 0
    and the grid, the others held, for up to ``SWEEPS`` sweeps."""
    weights = start / start.max()
    best = mix_objective(queries, weights, k)
    for _ in range(SWEEPS):
        moved = False
        for p in searched:
            for value in (0.0, *GRID):
                trial = weights.clone()
                trial[p] = value
                if trial.sum() <= 0:
                    continue
                score = mix_objective(queries, trial, k)
                if score > best + 1e-9:
                    best, weights, moved = score, trial, True
        if not moved:
            break
    return weights, best


def fit_mix(queries: MixQueries, k: int = 20, parts: tuple[str, ...] = MIX_PARTS) -> tuple[ScoreMix, float]:
    """Weights of ``parts`` (the others stay 0) that maximise the queries' NDCG@k.

    Two starts, each refined by :func:`coordinate_search` on NDCG@k: the plain cosine, and the minimum
    of the softmax cross-entropy (:func:`cross_entropy_weights`, a smooth convex stand-in for NDCG
    that sees every part at once). A move is kept only when it raises the objective, so the result is
    never worse on the tail than the cosine alone. Returns the mix and its objective.
    """
    if not len(queries):
        return ScoreMix(), float("nan")
    scale = queries.features.std(dim=2).mean(0).clamp_min(1e-12)  # [P]: the common scale of each part
    common = MixQueries(
        queries.features / scale[None, :, None], queries.excluded, queries.targets, queries.weight
    )
    searched = [MIX_PARTS.index(p) for p in parts]
    plain = torch.zeros(len(MIX_PARTS))
    plain[0] = 1.0
    weights, best = coordinate_search(common, plain, searched, k)
    if searched:
        used = torch.zeros(len(MIX_PARTS), dtype=torch.bool)
        used[[0, *searched]] = True
        subset = MixQueries(common.features[:, used], common.excluded, common.targets, common.weight)
        start = torch.zeros(len(MIX_PARTS))
        start[used] = cross_entropy_weights(subset)
        if start.max() > 0:
            other, score = coordinate_search(common, start, searched, k)
            if score > best:
                weights, best = other, score
    raw = weights / scale
    raw = raw / raw[0] if raw[0] > 0 else raw / raw.max()  # the state keeps weight 1 when it is used
    mix = ScoreMix({name: float(raw[i]) for i, name in enumerate(MIX_PARTS) if raw[i] > 0})
    return mix, best
