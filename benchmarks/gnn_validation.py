"""Validation benchmark: a protocol applied to a test split's training part only, to choose defaults.

``make_split(make_split(data, protocol).train, protocol)``: the inner split's test events all lie in
the outer training part, so a default chosen here never read the outer test events. The GNN's
defaults that are not fitted inside ``fit`` (refit, the state kept in the score mix) were chosen on
these splits; ``gnn_quality.md`` lists what each tried setting measured.

Variants: ``mix`` (the score mix fitted on the tail, no refit), ``mix-refit`` (the default),
``cosine-refit`` (the plain cosine, refit).

Run: .venv/bin/python benchmarks/gnn_validation.py --runs ml-100k:loo,ml-100k:time,synthetic:time
     [--variants mix,mix-refit] [--baselines MostPop,RecentPop,ItemKNN,SeqMarkov,GRU4Rec] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch
from gnn_quality import load

from engine.evaluation import EvalConfig, make_split
from engine.evaluation.evaluator import evaluate_model
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.registry import BASELINES, create_model
from engine.recommenders.score_mix import MIX_PARTS
from engine.training.config import TrainConfig

VARIANTS: dict[str, dict[str, Any]] = {
    "mix": {"refit": False},
    "mix-refit": {"refit": True},
    "cosine-refit": {"refit": True, "score_parts": ("state",)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="ml-100k:loo,ml-100k:time,synthetic:time")
    parser.add_argument("--variants", default="mix,mix-refit")
    parser.add_argument("--baselines", default=",".join(BASELINES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = EvalConfig(ks=(10, 20), replicates=200, seed=0)
    for run in args.runs.split(","):
        dataset, protocol = run.split(":")
        split = make_split(make_split(load(dataset), protocol).train, protocol)  # never the outer test
        scores = {
            name: evaluate_model(create_model(name, seed=args.seed), split, config).metrics["ndcg@20"]
            for name in args.baselines.split(",")
            if name
        }
        print(json.dumps({"run": run, "users": int(split.n_users), "baselines": scores}), flush=True)
        best = max(scores, key=lambda name: scores[name]) if scores else None
        for variant in args.variants.split(","):
            started = time.perf_counter()
            keywords = {"score_parts": MIX_PARTS, **VARIANTS[variant]}
            train_config = TrainConfig(seed=args.seed, progress=False, threads=args.threads)
            model = GNNRecommender(train_config=train_config, **keywords)
            value = evaluate_model(model, split, config).metrics["ndcg@20"]
            print(json.dumps({
                "run": run, "variant": variant, "ndcg@20": value,
                "ratio": value / scores[best] if best else None, "best": best,
                "score_mix": model.checkpoint.score_mix if model.checkpoint else {},
                "tail": model.mix_report, "seconds": time.perf_counter() - started,
            }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
