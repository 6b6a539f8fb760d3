"""Benchmark: would a category part lift the GNN's score mix? Read on validation tails only.

A candidate fifth evidence part, tried offline before building it into the score: the user's share of
recent events in each category times the item's share of its category's events,

    category(h, j) = (1 / m) * #{i in last m events of h : c(i) = c(j)} * n_j / sum_{j' : c(j') = c(j)} n_j'

with ``n_j`` the item's events before the tail (``count``) or the same decayed with a half-life of 10% of
the span (``recent``). For each run it trains the GNN with the defaults on the protocol's training part,
builds the tail's queries exactly as ``train`` does (:func:`engine.training.mix_tail.validation_queries`),
adds the category part and fits the mix twice: with the category part among the single parts the mix
must beat, and with only the simple baselines' analogues as references (transition, co-occurrence,
popularity). Per query kind (``set``, ``next``) it reports the NDCG@20 of the category part alone and of
each mix beside the current mix. ``--pareto N`` also draws N random weightings of the current parts plus
the category part over the last 10 events and over the last event alone, and reports the ones no other
beats on both kinds (the trade-off between the ``set`` and ``next`` readings). No test split is read.

Run: .venv/bin/python benchmarks/gnn_tail_category.py --runs synthetic:time,ml-100k:time,ml-100k:loo
     [--jsonl benchmarks/results/gnn_tail_category.jsonl]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from gnn_quality import load
from gnn_tail_sweep import emit

import engine.recommenders.score_mix as score_mix
from engine.data.timeline import Timeline
from engine.evaluation import make_split
from engine.model.config import ModelConfig
from engine.recommenders.score_mix import MixFit, MixQueries
from engine.training.config import TrainConfig
from engine.training.mix_tail import tail_cut, validation_queries
from engine.training.trainer import Trainer

WINDOWS = (10, 50)  # last m events the category shares are read from


def category_part(
    train: Timeline, items: list[str], cut: float, histories: list[np.ndarray], m: int, decayed: bool
) -> np.ndarray:
    """The category part [Q, n] of each history (catalogue indices, oldest first), from events before
    ``cut``."""
    rows = {item: i for i, item in enumerate(items)}
    categories = train.item_categories()
    _, category_of = np.unique([str(categories.get(item, "")) for item in items], return_inverse=True)
    C, n = int(category_of.max()) + 1, len(items)
    seconds = train.seconds()
    fit = train.subset(seconds < cut)
    item_rows = fit.events["item_id"].map(rows).to_numpy(np.int64)
    times = fit.seconds()
    weights = 2.0 ** (-(times.max() - times) / (0.1 * (times.max() - times.min()))) if decayed else None
    counts = np.bincount(item_rows, weights=weights, minlength=n)  # [n]
    within = counts / np.maximum(np.bincount(category_of, weights=counts, minlength=C)[category_of], 1e-12)
    out = np.zeros((len(histories), n), dtype=np.float32)
    for q, history in enumerate(histories):
        window = history[-m:]
        share = np.bincount(category_of[window], minlength=C) / max(len(window), 1)  # [C]
        out[q] = share[category_of] * within
    return out


def fit_with(queries: MixQueries, extra: np.ndarray, baseline_references: bool) -> tuple[dict, MixFit]:
    """Fit the mix with the extra part appended (as ``category``)."""
    features = torch.cat([queries.features, torch.from_numpy(extra)[:, None]], dim=1)
    extended = MixQueries(features, queries.excluded, queries.targets, queries.group)
    parts, references = score_mix.MIX_PARTS, score_mix.references
    score_mix.MIX_PARTS = (*parts, "category")
    if baseline_references:  # only the simple baselines' analogues are references, not the new part

        def analogues(q: MixQueries, k: int) -> torch.Tensor:
            return references(MixQueries(q.features[:, : len(parts)], q.excluded, q.targets, q.group), k)

        score_mix.references = analogues  # type: ignore[assignment]
    try:
        mix, fit = score_mix.fit_mix(extended, 20, score_mix.MIX_PARTS)
    finally:
        score_mix.MIX_PARTS, score_mix.references = parts, references
    alone = score_mix.group_ndcg(extended, torch.eye(features.shape[1])[-1], 20).tolist()
    return {"weights": mix.weights, "category_alone": [round(v, 4) for v in alone]}, fit


def pareto_front(queries: MixQueries, extras: list[np.ndarray], samples: int, seed: int) -> list[dict]:
    """Random weightings (log-uniform in [0.01, 30] on the common scale, each part off with p = 0.3)
    of the parts plus ``extras``; the weightings no other beats on both query kinds, best ``set`` first."""
    features = torch.cat([queries.features, *(torch.from_numpy(e)[:, None] for e in extras)], dim=1)
    scale = score_mix.common_scale(features)  # [P]
    common = MixQueries(features / scale[None, :, None], queries.excluded, queries.targets, queries.group)
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(samples):
        weights = 10 ** rng.uniform(-2, 1.5, size=features.shape[1])
        weights[rng.random(len(weights)) < 0.3] = 0.0
        if rng.random() < 0.8:
            weights[0] = 1.0
        ndcg = score_mix.group_ndcg(common, torch.tensor(weights, dtype=torch.float32), 20).tolist()
        points.append((ndcg[0], ndcg[1], weights))
    front, best_next = [], -1.0
    for set_ndcg, next_ndcg, weights in sorted(points, key=lambda p: -p[0]):
        if next_ndcg > best_next:
            best_next = next_ndcg
            front.append(
                {"set": round(set_ndcg, 4), "next": round(next_ndcg, 4), "weights": weights.round(3).tolist()}
            )
    return front


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="synthetic:time,ml-100k:time,ml-100k:loo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jsonl", type=Path, help="append one line per run here")
    parser.add_argument("--pareto", type=int, default=0, help="random weightings for the set/next trade-off")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for run in args.runs.split(","):
        dataset, protocol = run.split(":")
        train = make_split(load(dataset), protocol).train  # the training part only
        started = time.perf_counter()
        config = TrainConfig(progress=False, threads=args.threads, seed=args.seed)
        trained = Trainer(ModelConfig(), config).fit(train)
        found = validation_queries(train, trained)
        cut = tail_cut(train.seconds(), config.val_share)
        if found is None or cut is None:
            continue
        queries, tail = found
        _, current = score_mix.fit_mix(queries, 20)
        line: dict = {
            "run": run,
            "seed": args.seed,
            "fit_s": round(time.perf_counter() - started),
            "kinds": ["set", "next"],
            "current": {
                "objective": round(current.objective, 4),
                "mix": [round(v, 4) for v in current.mix_ndcg],
            },
        }
        for decayed in (False, True):
            for m in WINDOWS:
                extra = category_part(train, list(trained.vocab.items), cut, tail.histories, m, decayed)
                for baseline_references in (False, True):
                    info, fit = fit_with(queries, extra, baseline_references)
                    reference = "baseref" if baseline_references else "selfref"
                    label = f"{'recent' if decayed else 'count'}_m{m}_{reference}"
                    line[label] = {
                        "objective": round(fit.objective, 4),
                        "mix": [round(v, 4) for v in fit.mix_ndcg],
                        **info,
                    }
        if args.pareto:
            items = list(trained.vocab.items)
            extras = [category_part(train, items, cut, tail.histories, m, False) for m in (10, 1)]
            line["pareto_parts"] = [*score_mix.MIX_PARTS, "category_m10", "category_m1"]
            line["pareto"] = pareto_front(queries, extras, args.pareto, args.seed)
        emit(line, args.jsonl)


if __name__ == "__main__":
    main()
