r"""The GNN's score as a weighted sum of named parts, and the search that fits the weights.

.. math::
    \mathrm{score}(h, j) = w_{\mathrm{state}} \cos(u_h, z_j)
        + w_{\mathrm{transition}}\, \mathrm{transition}(h, j)
        + w_{\mathrm{cooccurrence}}\, \mathrm{cooccurrence}(h, j)
        + w_{\mathrm{popularity}}\, \mathrm{popularity}(j)
        + w_{\mathrm{category\_pop}}\, \mathrm{category\_pop}(h, j)

(the parts: :mod:`engine.recommenders.evidence`). The weights are a handful of non-negative scalars
fitted after the network, on queries from the validation tail of the training part
(:mod:`engine.training.mix_tail`), by coordinate search: each weight in turn takes the best value of a
log grid (or 0), the others held, for a few sweeps. The objective is the worst query kind's NDCG@k
ratio to the best single part that stands in for a simple baseline on that kind
(:func:`mix_objective`). Parts are searched on a common scale (each divided by its mean per-query
standard deviation) and the weights stored in raw units, so ``combine`` needs no statistics. A mix
with only ``state`` is today's plain cosine.

A fitted model keeps two mixes, picked by the moment a list is asked (:class:`SessionMixes`): within
``SESSION_GAP_S`` of the user's previous event (the next step of a session: a replay step, a ``stream``
event) the next item is what counts; after a break (``recommend``, a ``time`` or ``loo`` test) the
items of the coming days, where recent popularity weighs more. The session mix is fitted on the tail's
in-session queries, the returning mix on all of them (:func:`engine.training.mix_tail.fit_mixes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from engine.recommenders.evidence import EVIDENCE_PARTS

MIX_PARTS: tuple[str, ...] = ("state", *EVIDENCE_PARTS)
# the parts that stand in for the simple baselines (SeqMarkov, ItemKNN, RecentPop): the mix is judged
# against the best of these alone, not against parts no baseline has (``category_pop``)
REFERENCE_PARTS: tuple[str, ...] = ("transition", "cooccurrence", "popularity")
# the usual session timeout (30 minutes without an event ends a session): a query asked sooner after the
# user's previous event is in-session
SESSION_GAP_S = 30 * 60.0
GRID = tuple(float(v) for v in 10.0 ** np.linspace(-2.0, 1.0, 13))  # evidence weights, the state at 1
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


def in_session(gap_s: np.ndarray) -> np.ndarray:
    """Which queries are in-session: ``gap_s`` [Q] seconds since the user's previous event -> [Q] bool."""
    return np.asarray(gap_s, dtype=np.float64) < SESSION_GAP_S


@dataclass(frozen=True)
class SessionMixes:
    """The two mixes of a fitted model: ``session`` for queries within ``SESSION_GAP_S`` of the user's
    previous event, ``returning`` for queries after a break (see the module docstring)."""

    returning: ScoreMix = field(default_factory=ScoreMix)
    session: ScoreMix = field(default_factory=ScoreMix)

    @property
    def uses_evidence(self) -> bool:
        return self.returning.uses_evidence or self.session.uses_evidence

    def weight(self, part: str) -> float:
        """The larger of the two mixes' weights of ``part`` (> 0: some query reads it)."""
        return max(self.returning.weight(part), self.session.weight(part))

    def combine(self, state: Tensor, parts: Mapping[str, Tensor], session_rows: np.ndarray) -> Tensor:
        """The score [B, n]: each row by its own mix, ``session_rows`` [B] bool the in-session ones."""
        rows = torch.from_numpy(np.asarray(session_rows, dtype=bool)).to(state.device)
        if not bool(rows.any()):
            return self.returning.combine(state, parts)
        if bool(rows.all()):
            return self.session.combine(state, parts)
        session = self.session.combine(state, parts)
        return torch.where(rows[:, None], session, self.returning.combine(state, parts))


@dataclass(frozen=True)
class MixQueries:
    """Validation queries for fitting a mix: each a user at a moment, with the items to find.

    ``features`` [Q, P, n] the parts in ``MIX_PARTS`` order; ``excluded`` [Q, n] items that may not be
    listed (seen, or not yet in the catalogue); ``targets`` [Q, n] bool; ``group`` [Q] int64 the kind
    of query (0 .. G-1, e.g. a set of later items, or the next item), each kind judged on its own;
    ``learned`` [Q] (optional) each query's NDCG@k under a learned baseline (GRU4Rec (CE)), at the k
    the mix is fitted with, which then joins the parts alone as a reference (:func:`references`).
    """

    features: Tensor
    excluded: Tensor
    targets: Tensor
    group: Tensor
    learned: Tensor | None = None

    def rows(self, mask: Tensor) -> MixQueries:
        """The queries where ``mask`` [Q] (bool) holds, groups unchanged."""
        learned = None if self.learned is None else self.learned[mask]
        return MixQueries(
            self.features[mask], self.excluded[mask], self.targets[mask], self.group[mask], learned
        )

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @property
    def groups(self) -> int:
        return int(self.group.max()) + 1 if len(self) else 0


@dataclass(frozen=True)
class MixFit:
    """How a fitted mix reads the tail: per query kind, mean NDCG@k of the mix, of the cosine alone and
    of the reference (the best evidence part alone, the simple baselines' reading, or the learned
    baseline where the queries carry it and it reads better); ``objective`` the worst kind's ratio of
    the mix to that reference."""

    objective: float
    mix_ndcg: list[float]
    state_ndcg: list[float]
    reference_ndcg: list[float]


def ndcg(scores: Tensor, targets: Tensor, k: int) -> Tensor:
    """NDCG@k of each row's top-k against its target set: scores [Q, n], targets [Q, n] bool -> [Q]."""
    k = min(k, scores.shape[1])
    top = torch.topk(scores, k, dim=1).indices  # [Q, k]
    discount = 1.0 / torch.log2(torch.arange(k, dtype=torch.float32) + 2.0)  # [k]
    dcg = (targets.gather(1, top).float() * discount).sum(1)
    ideal = torch.cumsum(discount, 0)[(targets.sum(1).clamp(1, k) - 1)]
    return dcg / ideal


def group_ndcg(queries: MixQueries, weights: Tensor, k: int) -> Tensor:
    """Mean NDCG@k of each query kind [G] under part weights [P] (in ``MIX_PARTS`` order)."""
    scores = torch.einsum("qpn,p->qn", queries.features, weights).masked_fill(queries.excluded, -torch.inf)
    values = ndcg(scores, queries.targets, k)
    G = queries.groups
    total = torch.zeros(G).index_add_(0, queries.group, values)
    return total / torch.bincount(queries.group, minlength=G).clamp_min(1)


def references(queries: MixQueries, k: int) -> Tensor:
    """Per query kind [G], the best mean NDCG@k of one ``REFERENCE_PARTS`` part alone, or of the learned
    baseline where the queries carry its reading (1 where none scores); features in ``MIX_PARTS`` order."""
    P, G = queries.features.shape[1], queries.groups
    parts = [MIX_PARTS.index(name) for name in REFERENCE_PARTS if MIX_PARTS.index(name) < P]
    alone = [group_ndcg(queries, torch.eye(P)[p], k) for p in parts]
    if queries.learned is not None:
        counts = torch.bincount(queries.group, minlength=G).clamp_min(1)
        alone.append(torch.zeros(G).index_add_(0, queries.group, queries.learned.float()) / counts)
    if not alone:
        return torch.ones(G)
    best = torch.stack(alone).max(0).values
    return torch.where(best > 0, best, torch.ones_like(best))


def worst_ratio(ratios: Tensor) -> float:
    r""":math:`\min_g \rho_g`: "beat every simple baseline on every reading of the tail"; the mix that
    maximises it is the one whose weakest kind stands furthest above the best single part there."""
    return float(ratios.min())


def mix_objective(
    queries: MixQueries,
    weights: Tensor,
    k: int,
    reference: Tensor,
    reduce: Callable[[Tensor], float] = worst_ratio,
) -> float:
    r"""``reduce`` of the query kinds' ratios to their references,
    :math:`\rho_g = \mathrm{NDCG}_g(w) / r_g` [G] (default: the worst, :func:`worst_ratio`)."""
    return reduce(group_ndcg(queries, weights, k) / reference)


def cross_entropy_weights(queries: MixQueries, share: Tensor | None = None, steps: int = 50) -> Tensor:
    """Weights [P] >= 0 minimising the queries' softmax cross-entropy of their targets, each kind g
    weighing ``share[g]`` (default: equal).

    The loss is convex in the weights (a log-sum-exp of scores linear in them, minus a linear term), so
    L-BFGS finds its minimum; ``softplus`` keeps the weights non-negative.
    """
    features = queries.features  # [Q, P, n]
    targets = queries.targets.float()
    G = queries.groups
    share = torch.full((G,), 1.0 / G) if share is None else share
    counts = torch.bincount(queries.group, minlength=G).clamp_min(1)
    per_query = (share / counts)[queries.group]  # [Q]
    per_target = per_query / targets.sum(1).clamp_min(1.0)
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
    objective: Callable[[Tensor], float], start: Tensor, searched: list[int]
) -> tuple[Tensor, float]:
    """From ``start`` [P], each searched weight in turn takes the best of 0 and the grid, the others
    held, for up to ``SWEEPS`` sweeps; a move must raise the objective."""
    weights = start.clone()
    best = objective(weights)
    for _ in range(SWEEPS):
        moved = False
        for p in searched:
            for value in (0.0, *GRID):
                trial = weights.clone()
                trial[p] = value
                if trial.sum() <= 0:
                    continue
                score = objective(trial)
                if score > best + 1e-9:
                    best, weights, moved = score, trial, True
        if not moved:
            break
    return weights, best


def common_scale(features: Tensor) -> Tensor:
    """Each part's mean per-query standard deviation over the catalogue, [Q, P, n] -> [P]: the scale the
    search divides each part by, so that one weight grid fits every part."""
    return features.std(dim=2).mean(0).clamp_min(1e-12)


def fit_mix(
    queries: MixQueries,
    k: int = 20,
    parts: tuple[str, ...] = MIX_PARTS,
    reduce: Callable[[Tensor], float] = worst_ratio,
) -> tuple[ScoreMix, MixFit]:
    """Weights of ``parts`` (the others stay 0) that maximise :func:`mix_objective` (``reduce`` of the
    kinds' ratios) on the queries.

    On the common scale the state keeps weight 1 and each evidence part takes 0 or a grid value in
    [0.01, 10]: the memory always takes part in the score (replay and what-if read its path). Starts
    from the plain cosine and from the minima of the softmax cross-entropy with the kinds weighing 1:3,
    1:1 and 3:1 (:func:`cross_entropy_weights`, a smooth stand-in for NDCG that sees
    every part at once), each refined by :func:`coordinate_search`; the best wins. A move is kept only
    when it raises the objective, so the mix never reads the tail worse than the cosine alone.
    """
    if not len(queries):
        return ScoreMix(), MixFit(float("nan"), [], [], [])
    scale = common_scale(queries.features)  # [P]
    common = replace(queries, features=queries.features / scale[None, :, None])
    reference = references(common, k)

    def objective(weights: Tensor) -> float:
        return mix_objective(common, weights, k, reference, reduce)

    # the state always takes part (replay and what-if read the memory's path): only evidence is searched
    searched = [MIX_PARTS.index(p) for p in parts if p != "state"]
    plain = torch.zeros(len(MIX_PARTS))
    plain[0] = 1.0
    weights, best = coordinate_search(objective, plain, searched)
    used = torch.zeros(len(MIX_PARTS), dtype=torch.bool)
    used[[0, *searched]] = True
    subset = replace(common, features=common.features[:, used])
    for lead in (0.25, 0.5, 0.75) if searched else ():
        share = torch.tensor([lead, 1.0 - lead]) if common.groups == 2 else None
        start = torch.zeros(len(MIX_PARTS))
        start[used] = cross_entropy_weights(subset, share)
        if start[0] > 0:
            start = (start / start[0]).clamp(max=GRID[-1])  # state 1, evidence within the grid's range
            start[start < GRID[0]] = 0.0
            other, score = coordinate_search(objective, start, searched)
            if score > best:
                weights, best = other, score
    fit = MixFit(
        best,
        group_ndcg(common, weights, k).tolist(),
        group_ndcg(common, plain, k).tolist(),
        reference.tolist(),
    )
    raw = weights / scale
    raw = raw / raw[0]  # the state keeps weight 1
    mix = ScoreMix({name: float(raw[i]) for i, name in enumerate(MIX_PARTS) if raw[i] > 0})
    return mix, fit
