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
  with the mean of the *other* runs' weights: what a log with no usable tail would get from a prior
  chosen elsewhere, beside the plain cosine it gets today.

``--cache DIR`` keeps each run's queries (plain tensors, read back with ``weights_only=True``), so the
offline part can be rerun without training.

Run: .venv/bin/python benchmarks/gnn_tail_objective.py --runs synthetic:time,ml-100k:time,ml-100k:loo
     --seeds 0,1 [--prior] [--cache /tmp/tails] [--jsonl benchmarks/results/gnn_tail_objective.jsonl]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from gnn_quality import load
from gnn_tail_sweep import emit
from torch import Tensor

from engine.evaluation import make_split
from engine.model.config import ModelConfig
from engine.recommenders.score_mix import (
    MIX_PARTS,
    MixQueries,
    fit_mix,
    group_ndcg,
    references,
    worst_ratio,
)
from engine.training.config import TrainConfig
from engine.training.mix_tail import validation_queries
from engine.training.trainer import Trainer

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


def tail(run: str, seed: int, threads: int, cache: Path | None) -> MixQueries | None:
    """The run's tail queries (trained with the defaults), from ``cache`` when there."""
    path = cache / f"{run.replace(':', '_')}_{seed}.pt" if cache else None
    if path and path.exists():
        saved = torch.load(path, weights_only=True)
        return MixQueries(*(saved[f] for f in FIELDS))
    dataset, protocol = run.split(":")
    train = make_split(load(dataset), protocol).train  # the training part only
    config = TrainConfig(progress=False, threads=threads, seed=seed)
    trained = Trainer(ModelConfig(), config).fit(train)
    found = validation_queries(train, trained)
    if found is None:
        return None
    queries = found[0]
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({f: getattr(queries, f) for f in FIELDS}, path)
    return queries


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
    scale = queries.features.std(dim=2).mean(0).clamp_min(1e-12)
    weights = torch.tensor([raw.get(p, 0.0) for p in MIX_PARTS]) * scale
    return weights / weights[0]


def read(queries: MixQueries, common: Tensor) -> list[float]:
    """Per kind NDCG@K of the mix with ``common`` weights (on the queries' common scale)."""
    scale = queries.features.std(dim=2).mean(0).clamp_min(1e-12)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="synthetic:time,ml-100k:time,ml-100k:loo")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prior", action="store_true", help="also the leave-one-run-out prior mix")
    parser.add_argument("--small", default="", help="sizes N: fit on N queries per kind, read the rest")
    parser.add_argument("--no-cross", action="store_true", help="skip the cross-fitted objectives")
    parser.add_argument("--cache", type=Path, help="keep each run's tail queries here")
    parser.add_argument("--jsonl", type=Path, help="append one line per run here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fitted: dict[tuple[str, int], tuple[MixQueries, Tensor]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        for run in args.runs.split(","):
            started = time.perf_counter()
            queries = tail(run, seed, args.threads, args.cache)
            if queries is None:
                emit({"run": run, "seed": seed, "tail": "none"}, args.jsonl)
                continue
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
                "seconds": round(time.perf_counter() - started),
            }
            emit(line, args.jsonl)
    if args.prior:
        for line in priors(fitted, [int(n) for n in args.small.split(",") if n]):
            emit(line, args.jsonl)


if __name__ == "__main__":
    main()
