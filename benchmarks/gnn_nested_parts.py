"""Benchmark: which parts of the fitted score help or hurt each protocol? Read inside a training part.

For each run (data set x protocol) it splits the protocol's *training part* again with the same protocol
(an inner train and an inner test, both inside the training part; no test split is read), evaluates the
simple baselines there, trains the GNN on the inner train exactly as ``train`` does (score mix fitted on
the tail, refit) and scores the inner test with the fitted mix, with the same mix less its popularity
part, less both popularity parts (``popularity``, ``category_pop``), and with the state cosine alone.
The weights are not refitted for the reduced mixes: the question is what each part contributes to the
score ``train`` ships.

``--pop-scales 0.25,0.5`` also reads the fitted mix with its popularity weight scaled (the trade-off
between the next-item and the set readings, one model). ``--config label=json`` trains a configuration
other than the defaults (``train`` / ``model`` fields as in ``gnn_tail_sweep.py``), so a change to the
state model is judged inside the training part before any tail or test reads it; ``--no-baselines``
skips the baselines (their lines for the seed are on record). Each line keeps the tail's report.

Run: .venv/bin/python benchmarks/gnn_nested_parts.py --runs ml-100k:loo,ml-100k:stream,ml-100k:time
     [--seed 0] [--config 'bs1024={"train": {"tokens_per_batch": 1024}}'] [--no-baselines]
     [--jsonl benchmarks/results/gnn_nested_parts.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from gnn_quality import load
from gnn_tail_sweep import emit

from engine.evaluation import EvalConfig, make_split
from engine.evaluation.evaluator import evaluate_model, measure_fitted
from engine.evaluation.guard import guarded_training
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.registry import BASELINES, create_model
from engine.recommenders.score_mix import ScoreMix
from engine.training.config import TrainConfig

METRIC = "ndcg@20"


def without(mix: ScoreMix, *parts: str) -> ScoreMix:
    return ScoreMix({name: w for name, w in mix.weights.items() if name not in parts})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="ml-100k:loo,ml-100k:stream,ml-100k:time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", default="default={}", help="label=json: train / model fields changed")
    parser.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    parser.add_argument("--jsonl", type=Path, help="append one line per run here")
    parser.add_argument(
        "--pop-scales", default="", help="also read the mix with its popularity weight times each of these"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    evaluation = EvalConfig(ks=(20,), replicates=200)
    label, _, text = args.config.partition("=")
    fields = json.loads(text or "{}")
    train_config = replace(
        TrainConfig(progress=False, threads=args.threads, seed=args.seed), **fields.get("train", {})
    )
    model_config = replace(ModelConfig(), **fields.get("model", {}))
    for run in args.runs.split(","):
        dataset, protocol = run.split(":")
        inner = make_split(make_split(load(dataset), protocol).train, protocol)
        line: dict = {"run": run, "label": label, "fields": fields, "seed": args.seed}
        line["inner_test_users"] = len(inner.users)
        for name in [] if args.no_baselines else BASELINES:
            result = evaluate_model(create_model(name, seed=args.seed), inner, evaluation)
            line[name] = round(result.metrics[METRIC], 4)
        rec = GNNRecommender(model_config, train_config)
        started = time.perf_counter()
        rec.fit(guarded_training(inner))
        line["fit_s"] = round(time.perf_counter() - started)
        history = rec.checkpoint.history if rec.checkpoint is not None else None
        line["val_ndcg"] = [round(r["val_ndcg"], 4) for r in history or [] if "val_ndcg" in r]
        fitted = rec.mix
        line["weights"] = {name: round(w, 4) for name, w in fitted.weights.items()}
        line["tail"] = {name: round(v, 4) for name, v in rec.mix_report.items()}
        mixes = {
            "mix": fitted,
            "mix less popularity": without(fitted, "popularity"),
            "mix less popularity and category_pop": without(fitted, "popularity", "category_pop"),
            "cosine": ScoreMix(),
        }
        for scale in (float(v) for v in args.pop_scales.split(",") if v):
            scaled = {**fitted.weights, "popularity": scale * fitted.weight("popularity")}
            mixes[f"mix popularity x{scale:g}"] = ScoreMix({k: w for k, w in scaled.items() if w > 0})
        for part, mix in mixes.items():
            rec.mix = mix
            line[part] = round(measure_fitted(rec, inner, evaluation).metrics[METRIC], 4)
        emit(line, args.jsonl)


if __name__ == "__main__":
    main()
