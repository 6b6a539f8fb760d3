"""Benchmark: GNN configurations judged on the validation tail of a training part (never a test split).

For each run (data set x protocol) and each configuration it trains the GNN on the protocol's training
part, fits the score mix on that part's validation tail and reports what the tail reads: the best
validation NDCG@20 of the epochs, and per query kind (``set``: the ``time`` reading, ``next``: the
``loo`` / ``stream`` reading) the NDCG@20 of the state cosine alone, of the fitted mix and of the best
single evidence part. ``--state-reference`` fits the mix a second time with the state cosine counted
among the single parts the mix must beat (the mix may then not lose to the cosine on any kind).

``--nested`` also splits the training part itself with the run's protocol (an inner train and an inner
test, both inside the training part), trains the GNN with each configuration on the inner train exactly
as ``train`` does (score mix, refit) and scores it on the inner test beside the simple baselines: a way to
compare settings the tail itself cannot judge (e.g. the tail's own length) without reading a test split.

Configurations are ``label=json`` with ``train`` / ``model`` fields changed from the defaults, e.g.
``'folds2={"train": {"graph_folds": 2}}'`` or ``'dim128={"model": {"dim": 128}}'``; ``default={}``;
``recommender`` fields are keywords of the nested run's ``GNNRecommender``, e.g.
``'cosine={"recommender": {"score_parts": ["state"]}}'``.

Run: .venv/bin/python benchmarks/gnn_tail_sweep.py --runs ml-100k:time,ml-100k:loo
     --configs 'default={}' 'folds2={"train": {"graph_folds": 2}}' [--state-reference] [--nested] [--seed 0]
     [--jsonl benchmarks/results/gnn_tail_sweep.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from gnn_quality import load

import engine.recommenders.score_mix as score_mix
from engine.evaluation import EvalConfig, make_split
from engine.evaluation.evaluator import evaluate_model
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.registry import BASELINES, create_model
from engine.recommenders.score_mix import MixQueries, group_ndcg
from engine.training.config import TrainConfig
from engine.training.mix_tail import fit_score_mix
from engine.training.trainer import Trainer


def emit(line: dict[str, Any], jsonl: Path | None) -> None:
    """Print one JSON line and append it to ``jsonl`` when given."""
    print(json.dumps(line), flush=True)
    if jsonl:
        with jsonl.open("a") as out:
            out.write(json.dumps(line) + "\n")


def references_with_state(queries: MixQueries, k: int) -> torch.Tensor:
    """Per query kind, the best NDCG@k of one part alone, the state cosine included."""
    P = queries.features.shape[1]
    alone = torch.stack([group_ndcg(queries, torch.eye(P)[p], k) for p in range(P)])
    best = alone.max(0).values
    return torch.where(best > 0, best, torch.ones_like(best))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="ml-100k:time,ml-100k:loo")
    parser.add_argument("--configs", nargs="+", default=["default={}"], help="label=json overrides")
    parser.add_argument("--state-reference", action="store_true", help="also the state-inclusive objective")
    parser.add_argument("--nested", action="store_true", help="also score on a split of the training part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jsonl", type=Path, help="append one line per configuration here")
    args = parser.parse_args()
    objectives = {"evidence parts": score_mix.references}
    if args.state_reference:
        objectives["state and evidence parts"] = references_with_state
    for run in args.runs.split(","):
        dataset, protocol = run.split(":")
        train = make_split(load(dataset), protocol).train  # the training part only
        inner = make_split(train, protocol) if args.nested else None
        evaluation = EvalConfig(ks=(20,), replicates=200)
        if inner is not None:
            baselines = {
                name: evaluate_model(create_model(name, seed=args.seed), inner, evaluation).metrics["ndcg@20"]
                for name in BASELINES
            }
            emit({"run": run, "seed": args.seed, "inner_baselines": baselines}, args.jsonl)
        for spec in args.configs:
            label, _, text = spec.partition("=")
            fields: dict[str, Any] = json.loads(text or "{}")
            train_config = replace(
                TrainConfig(progress=False, threads=args.threads, seed=args.seed), **fields.get("train", {})
            )
            model_config = replace(ModelConfig(), **fields.get("model", {}))
            started = time.perf_counter()
            trained = Trainer(model_config, train_config).fit(train)
            fit_seconds = time.perf_counter() - started
            history = [round(r["val_ndcg"], 4) for r in trained.history]
            nested = None
            if inner is not None:
                model = GNNRecommender(model_config, train_config, **fields.get("recommender", {}))
                nested = round(evaluate_model(model, inner, evaluation).metrics["ndcg@20"], 4)
            for objective, reference in objectives.items():
                score_mix.references = reference  # fit_mix reads the module's function
                try:
                    mix, report = fit_score_mix(train, trained)
                finally:
                    score_mix.references = objectives["evidence parts"]
                line = {
                    "run": run,
                    "label": label,
                    "fields": fields,
                    "seed": args.seed,
                    "objective": objective,
                    "fit_s": round(fit_seconds),
                    "val_ndcg": history,
                    "best": max(history) if history else None,
                    "inner_test_ndcg": nested,
                    "mix": mix.returning.weights,
                    "session_mix": mix.session.weights,
                    "tail": {k: round(v, 4) for k, v in report.items()},
                }
                emit(line, args.jsonl)


if __name__ == "__main__":
    main()
