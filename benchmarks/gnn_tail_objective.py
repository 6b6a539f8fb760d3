"""Benchmark: which objective should fit the score mix, and what should a log without a tail get?

Read on validation tails only, never on a test split. For each run (data set x protocol) and seed it
trains the GNN with the defaults on the protocol's training part and builds the tail's queries exactly
as ``train`` does (:func:`engine.training.mix_tail.validation_queries`). Then, offline:

- **Objectives, cross-fitted.** The queries are split in two halves (at random within each kind). For
  each candidate objective the mix is fitted on one half and read on the other, both ways. Per kind
  (``set``: the ``time`` reading, ``next``: the ``loo`` / ``stream`` reading) it reports the held-out
  NDCG@20 and its ratio to the best simple-baseline analogue alone on the same half. An objective that
  fits noise reads worse held out, so a gain here is not the objective rewarding itself.
- **Priors** (``--prior``, over every run in the command): the mix fitted on each run's whole tail, in
  ``fit_mix``'s common scale (each part divided by its mean per-query spread), and each run's tail read
  with the mean of the weights of the runs on *other data sets*: what a log with no usable tail would get
  from a prior chosen elsewhere, beside the plain cosine it gets today. ``--small N,..`` also fits the
  mix on N random queries per kind and reads the rest, beside the prior and the cosine there.
- **Candidate sixth parts** (``--interactions``, ``--transitions``, ``--multi-interest``): personal
  popularity (popularity times a function of the state cosine), directed transitions from more than the
  last item (decayed sums over the last m events, two-step transitions) and multi-interest reads of the
  item embeddings (best cosine to any recent item, or to one of 3 k-means centroids of recent events).
  Each is added to the five parts; the mix is fitted on the whole tail (references: the simple
  baselines' analogues only) and cross-fitted as above.

``--cache DIR`` keeps each run's queries (plain tensors, read back with ``weights_only=True``), so the
offline part can be rerun without training.

Run: .venv/bin/python benchmarks/gnn_tail_objective.py --runs synthetic:time,ml-100k:time,ml-100k:loo
     --seeds 0,1 [--prior [--small 10,30]] [--interactions] [--transitions] [--multi-interest]
     [--no-cross]
     [--cache /tmp/tails] [--jsonl benchmarks/results/gnn_tail_objective.jsonl]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from gnn_quality import load
from gnn_tail_category import fit_with
from gnn_tail_sweep import emit
from torch import Tensor

from engine.data.timeline import Timeline
from engine.evaluation import make_split
from engine.model.config import ModelConfig
from engine.recommenders.evidence import GraphEvidence, recent_distinct
from engine.recommenders.score_mix import (
    MIX_PARTS,
    MixQueries,
    common_scale,
    fit_mix,
    group_ndcg,
    references,
    worst_ratio,
)
from engine.training.config import TrainConfig
from engine.training.graph import graph_inputs_from_events
from engine.training.mix_tail import tail_cut, validation_queries
from engine.training.trainer import TrainedModel, Trainer

K = 20
FIELDS = ("features", "excluded", "targets", "group")
DRAWS = 4  # random draws per small-tail size


def worst_plus_mean(share: float) -> Callable[[Tensor], float]:
    def reduce(ratios: Tensor) -> float:
        return float(ratios.min() + share * ratios.mean())

    return reduce


def geometric(ratios: Tensor) -> float:
    return float(ratios.clamp_min(1e-9).log().mean().exp())


OBJECTIVES: dict[str, Callable[[Tensor], float]] = {
    "worst": worst_ratio,
    "worst+0.25mean": worst_plus_mean(0.25),
    "worst+1mean": worst_plus_mean(1.0),
    "geometric": geometric,
}


def tail(
    run: str, seed: int, threads: int, cache: Path | None
) -> tuple[MixQueries, dict[str, Tensor]] | None:
    """The run's tail queries (trained with the defaults) and candidate transition parts over their
    histories (:func:`transition_candidates`), from ``cache`` when there."""
    path = cache / f"{run.replace(':', '_')}_{seed}.pt" if cache else None
    if path and path.exists():
        saved = torch.load(path, weights_only=True)
        if "candidates" in saved:
            return MixQueries(*(saved[f] for f in FIELDS)), saved["candidates"]
    dataset, protocol = run.split(":")
    train = make_split(load(dataset), protocol).train  # the training part only
    config = TrainConfig(progress=False, threads=threads, seed=seed)
    trained = Trainer(ModelConfig(), config).fit(train)
    found = validation_queries(train, trained)
    cut = tail_cut(train.seconds(), config.val_share)
    if found is None or cut is None:
        return None
    queries, tail_ = found
    rows = {item: i for i, item in enumerate(trained.vocab.items)}
    evidence = GraphEvidence.fit(train.subset(train.seconds() < cut), rows)
    candidates = transition_candidates(evidence.transitions, tail_.histories)
    candidates.update(interest_candidates(tail_embeddings(train, trained, cut), tail_.histories))
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({**{f: getattr(queries, f) for f in FIELDS}, "candidates": candidates}, path)
    return queries, candidates


@torch.no_grad()
def tail_embeddings(train: Timeline, trained: TrainedModel, cut: float) -> Tensor:
    """The item embeddings [n, d] the tail's queries read: the graph of the events before the cut."""
    fit = train.subset(train.seconds() < cut)
    model, vocab = trained.model, trained.vocab
    device = next(model.parameters()).device
    graph = graph_inputs_from_events(
        fit.events,
        vocab,
        vocab.items,
        trained.texts,
        model.config,
        trained.graph_config,
        model.features.sentence is not None,
    ).to(device)
    model.eval()
    return model.item_embeddings(graph).cpu()


def interest_candidates(z: Tensor, histories: list[np.ndarray]) -> dict[str, Tensor]:
    """Multi-interest parts [Q, n] read from the item embeddings (PinnerSage-style, no learned state):
    ``maxsim{m}`` the best cosine of an item to any of the last m distinct items; ``kmeans3`` the best
    cosine to one of 3 spherical k-means centroids of the last 50 events (5 Lloyd steps)."""
    unit = torch.nn.functional.normalize(z, dim=1)  # [n, d]
    out = {}
    for m in (10, 50):
        rows = []
        for history in histories:
            recent = torch.from_numpy(recent_distinct(history, m))
            rows.append((unit[recent] @ unit.T).max(0).values if len(recent) else torch.zeros(len(unit)))
        out[f"maxsim{m}"] = torch.stack(rows)
    rows = []
    for history in histories:
        points = unit[torch.from_numpy(np.asarray(history[-50:], dtype=np.int64))]  # [m, d]
        picks = sorted({len(points) - 1, len(points) // 2, 0})
        centroids = points[picks]  # [k, d]
        for _ in range(5):
            nearest = (points @ centroids.T).argmax(1)  # [m]
            centroids = torch.stack(
                [
                    points[nearest == c].mean(0) if (nearest == c).any() else centroids[c]
                    for c in range(len(picks))
                ]
            )
            centroids = torch.nn.functional.normalize(centroids, dim=1)
        rows.append((centroids @ unit.T).max(0).values)
    out["kmeans3"] = torch.stack(rows)
    return out


def transition_candidates(transitions: sp.csr_matrix, histories: list[np.ndarray]) -> dict[str, Tensor]:
    """Directed transitions from more than the last item, each [Q, n]: ``rt{m}_{d}`` sums
    P(j | i_{t-k}) d^k over the last m events; ``t2`` the two-step P(j | i_t) of T @ T."""
    out = {}
    n = transitions.shape[0]
    for m, decay in ((3, 0.5), (5, 0.7), (10, 0.8)):
        rows, cols, values = [], [], []
        for q, history in enumerate(histories):
            last = history[-m:][::-1]  # most recent first
            rows.extend([q] * len(last))
            cols.extend(last.tolist())
            values.extend((decay ** np.arange(len(last))).tolist())
        weights = sp.csr_matrix((values, (rows, cols)), shape=(len(histories), n), dtype=np.float32)
        out[f"rt{m}_{decay}"] = torch.from_numpy((weights @ transitions).toarray().astype(np.float32))
    last = np.array([h[-1] for h in histories], dtype=np.int64)
    two = (transitions[last] @ transitions).toarray().astype(np.float32)
    out["t2"] = torch.from_numpy(two)
    return out


def subset(queries: MixQueries, rows: np.ndarray) -> MixQueries:
    index = torch.from_numpy(rows)
    return MixQueries(*(getattr(queries, f)[index] for f in FIELDS))


def halves(queries: MixQueries, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of the query rows, split at random within each kind."""
    rng = np.random.default_rng(seed)
    group = queries.group.numpy()
    first = np.zeros(len(group), dtype=bool)
    for g in np.unique(group):
        rows = rng.permutation(np.flatnonzero(group == g))
        first[rows[: len(rows) // 2]] = True
    return np.flatnonzero(first), np.flatnonzero(~first)


def common_weights(queries: MixQueries, raw: dict[str, float]) -> Tensor:
    """A mix's raw weights on ``fit_mix``'s common scale of ``queries``, the state at 1 [P]."""
    scale = common_scale(queries.features)
    weights = torch.tensor([raw.get(p, 0.0) for p in MIX_PARTS]) * scale
    return weights / weights[0]


def read(queries: MixQueries, common: Tensor) -> list[float]:
    """Per kind NDCG@K of the mix with ``common`` weights (on the queries' common scale)."""
    scale = common_scale(queries.features)
    return group_ndcg(queries, common / scale, K).tolist()


def cross_fit(queries: MixQueries, seed: int) -> dict[str, dict[str, list[float]]]:
    """Per objective, the held-out NDCG@K per kind and its ratio to the half's best reference part,
    averaged over the two directions."""
    a, b = halves(queries, seed)
    out: dict[str, dict[str, list[float]]] = {}
    for name, reduce in OBJECTIVES.items():
        ndcgs, ratios = [], []
        for fit_rows, read_rows in ((a, b), (b, a)):
            mix, _ = fit_mix(subset(queries, fit_rows), K, MIX_PARTS, reduce)
            held = subset(queries, read_rows)
            weights = torch.tensor([mix.weight(p) for p in MIX_PARTS])
            values = group_ndcg(held, weights, K)
            ndcgs.append(values)
            ratios.append(values / references(held, K))
        out[name] = {
            "ndcg": [round(v, 4) for v in torch.stack(ndcgs).mean(0).tolist()],
            "ratio": [round(v, 4) for v in torch.stack(ratios).mean(0).tolist()],
        }
    return out


def priors(fitted: dict[tuple[str, int], tuple[MixQueries, Tensor]], small: list[int]) -> list[dict]:
    """Per run, the tail read with the mean common-scale weights of the runs on other data sets (the
    prior), with the plain cosine and with its own fitted mix; and per ``small`` size N, the mean over
    draws of a mix fitted on N random queries of each kind, read on the rest beside the prior there."""
    lines = []
    plain = torch.zeros(len(MIX_PARTS))
    plain[0] = 1.0
    for (run, seed), (queries, own) in fitted.items():
        others = [w for (r, _), (_, w) in fitted.items() if r.split(":")[0] != run.split(":")[0]]
        if not others:
            continue
        prior = torch.stack(others).mean(0)
        line: dict = {
            "run": run,
            "seed": seed,
            "prior_common_weights": [round(v, 4) for v in prior.tolist()],
            "reference": [round(v, 4) for v in references(queries, K).tolist()],
            "cosine": [round(v, 4) for v in read(queries, plain)],
            "prior": [round(v, 4) for v in read(queries, prior)],
            "fitted": [round(v, 4) for v in read(queries, own)],
        }
        rng = np.random.default_rng(seed)
        group = queries.group.numpy()
        for n in small:
            rows = []
            for _ in range(DRAWS):
                chosen = np.concatenate(
                    [rng.choice(np.flatnonzero(group == g), n, replace=False) for g in np.unique(group)]
                )
                rest = subset(queries, np.setdiff1d(np.arange(len(group)), chosen))
                mix, _ = fit_mix(subset(queries, chosen), K)
                weights = torch.tensor([mix.weight(p) for p in MIX_PARTS])
                rows.append([group_ndcg(rest, weights, K).tolist(), read(rest, prior), read(rest, plain)])
            mean = np.mean(rows, axis=0).round(4).tolist()
            line[f"small_{n}"] = {"fitted": mean[0], "prior": mean[1], "cosine": mean[2]}
        lines.append(line)
    return lines


def interactions(queries: MixQueries) -> dict[str, Tensor]:
    """Candidate sixth parts [Q, n] built from the cached parts: popularity weighed by how close each
    item is to the user's state (personal popularity, where ``category_pop`` needs categories)."""
    cosine = queries.features[:, MIX_PARTS.index("state")]
    popularity = queries.features[:, MIX_PARTS.index("popularity")]
    return {
        "pop_x_relu_cos": popularity * cosine.clamp_min(0.0),
        "pop_x_exp_cos_0.2": popularity * torch.exp((cosine - 1.0) / 0.2),
        "pop_x_exp_cos_0.1": popularity * torch.exp((cosine - 1.0) / 0.1),
    }


def with_part(queries: MixQueries, extra: Tensor) -> MixQueries:
    return MixQueries(
        torch.cat([queries.features, extra[:, None]], dim=1), queries.excluded, queries.targets, queries.group
    )


def candidate_lines(queries: MixQueries, candidates: dict[str, Tensor], seed: int) -> dict[str, dict]:
    """Per candidate sixth part: the whole tail's objective with it (references: the simple baselines'
    analogues) and the cross-fitted held-out reading, beside the current parts'."""
    a, b = halves(queries, seed)
    out = {}
    for name, extra in candidates.items():
        info, fit = fit_with(queries, extra.numpy(), baseline_references=True)
        extended = with_part(queries, extra)
        ndcgs, ratios = [], []
        for fit_rows, read_rows in ((a, b), (b, a)):
            half_info, _ = fit_with(subset(queries, fit_rows), extra[fit_rows].numpy(), True)
            weights = torch.tensor([half_info["weights"].get(p, 0.0) for p in (*MIX_PARTS, "category")])
            held = subset(extended, read_rows)
            values = group_ndcg(held, weights, K)
            ndcgs.append(values)
            ratios.append(values / references(subset(queries, read_rows), K))
        out[name] = {
            "objective": round(fit.objective, 4),
            "mix": [round(v, 4) for v in fit.mix_ndcg],
            "weights": {k: round(v, 4) for k, v in info["weights"].items()},
            "alone": info["category_alone"],
            "cross_fit": {
                "ndcg": [round(v, 4) for v in torch.stack(ndcgs).mean(0).tolist()],
                "ratio": [round(v, 4) for v in torch.stack(ratios).mean(0).tolist()],
            },
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="synthetic:time,ml-100k:time,ml-100k:loo")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prior", action="store_true", help="also the leave-one-run-out prior mix")
    parser.add_argument("--small", default="", help="sizes N: fit on N queries per kind, read the rest")
    parser.add_argument("--interactions", action="store_true", help="also try personal-popularity parts")
    parser.add_argument("--transitions", action="store_true", help="also try longer transition parts")
    parser.add_argument("--multi-interest", action="store_true", help="also try multi-interest parts")
    parser.add_argument("--no-cross", action="store_true", help="skip the cross-fitted objectives")
    parser.add_argument("--cache", type=Path, help="keep each run's tail queries here")
    parser.add_argument("--jsonl", type=Path, help="append one line per run here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fitted: dict[tuple[str, int], tuple[MixQueries, Tensor]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        for run in args.runs.split(","):
            started = time.perf_counter()
            found = tail(run, seed, args.threads, args.cache)
            if found is None:
                emit({"run": run, "seed": seed, "tail": "none"}, args.jsonl)
                continue
            queries, extra = found
            mix, fit = fit_mix(queries, K)
            fitted[(run, seed)] = (queries, common_weights(queries, mix.weights))
            counts = torch.bincount(queries.group).tolist()
            line = {
                "run": run,
                "seed": seed,
                "queries": counts,
                "kinds": ["set", "next"][: len(counts)],
                "whole_tail": {
                    "objective": round(fit.objective, 4),
                    "mix": [round(v, 4) for v in fit.mix_ndcg],
                },
                "common_weights": [round(v, 4) for v in fitted[(run, seed)][1].tolist()],
                "cross_fit": None if args.no_cross else cross_fit(queries, seed),
                "interactions": candidate_lines(queries, interactions(queries), seed)
                if args.interactions
                else None,
                "transitions": candidate_lines(
                    queries, {k: v for k, v in extra.items() if k.startswith(("rt", "t2"))}, seed
                )
                if args.transitions
                else None,
                "multi_interest": candidate_lines(
                    queries, {k: v for k, v in extra.items() if k.startswith(("maxsim", "kmeans"))}, seed
                )
                if args.multi_interest
                else None,
                "seconds": round(time.perf_counter() - started),
            }
            emit(line, args.jsonl)
    if args.prior:
        for line in priors(fitted, [int(n) for n in args.small.split(",") if n]):
            emit(line, args.jsonl)


if __name__ == "__main__":
    main()
