"""Benchmark: the GNN against every baseline through the one evaluation path, with an ablation.

For each run (data set x protocol) it evaluates the baselines and the GNN variants on the same split
(full-catalogue ranking, 95% bootstrap intervals over users, the same resamples for every model) and
prints NDCG@20 per model with the ratio to the best baseline; the target is GNN >= 1.10x on ml-100k
(``loo``, ``time``) and the synthetic default (``time``). The GNN's settings are the library
defaults, chosen on validation tails carved from training parts only (never on a test split).

Ablation (``--ablation``): ``memory only`` (no message passing: item embeddings from features),
``graph only`` (no recurrent memory: the user state is attention over recent events), ``both`` (the
default model) and ``+ trend`` (item embeddings moved by their recent activity, off by default).

Run: .venv/bin/python benchmarks/gnn_quality.py [--runs ml-100k:loo,ml-100k:time,synthetic:time,taobao:time]
     [--ablation] [--threads 2] [--json benchmarks/results/gnn_quality.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch

from engine.data.load import ReadOptions, load_events
from engine.data.timeline import Timeline
from engine.evaluation import EvalConfig, make_split
from engine.evaluation.evaluator import evaluate_model
from engine.model.config import ModelConfig
from engine.recommenders.base import Recommender
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.registry import BASELINES, create_model
from engine.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TARGET = 1.10
METRIC = "ndcg@20"

VARIANTS: dict[str, ModelConfig] = {
    "GNN": ModelConfig(),
    "GNN memory only": ModelConfig(use_graph=False),
    "GNN graph only": ModelConfig(use_memory=False),
    "GNN + trend": ModelConfig(trend=True),
}


def load(name: str) -> Timeline:
    if name == "synthetic":
        from engine.data.synthetic import SyntheticConfig, generate

        return generate(SyntheticConfig())[0]
    paths = {
        "ml-100k": ("ml-100k/ml-100k.inter", "movielens"),
        "taobao": ("taobao-sample/UserBehavior.csv", "taobao"),
        "otto": ("otto-sample/train.jsonl", "otto"),
    }
    relative, preset = paths[name]
    return load_events(SHARED_DATA / relative, ReadOptions(preset=preset))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="ml-100k:loo,ml-100k:time,synthetic:time,taobao:time")
    parser.add_argument("--ablation", action="store_true", help="also the memory-only/graph-only/+trend GNNs")
    parser.add_argument("--baselines", default=",".join(BASELINES), help="comma-separated baseline names")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (the target machine has 2)")
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write all numbers here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    variants = VARIANTS if args.ablation else {"GNN": VARIANTS["GNN"]}
    config = EvalConfig(ks=(10, 20), replicates=args.replicates, seed=args.seed)
    report: dict[str, Any] = {}
    for run in args.runs.split(","):
        dataset, protocol = run.split(":")
        split = make_split(load(dataset), protocol)
        print(f"\n== {dataset} / {protocol}: {split.n_users} test users, {len(split.catalogue)} items")
        factories: dict[str, Callable[[], Recommender]] = {
            name: partial(create_model, name, seed=args.seed) for name in args.baselines.split(",") if name
        }
        for name, model_config in variants.items():
            factories[name] = partial(
                GNNRecommender, model_config, TrainConfig(seed=args.seed, progress=False)
            )
        results: dict[str, dict[str, Any]] = {}
        for name, factory in factories.items():
            started = time.perf_counter()
            model = factory()
            result = evaluate_model(model, split, config)
            entry = {
                "metrics": result.metrics,
                "ci": result.ci,
                "fit_seconds": result.fit_seconds,
                "seconds": time.perf_counter() - started,
            }
            if isinstance(model, GNNRecommender) and model.checkpoint is not None:
                entry["epochs"] = model.checkpoint.history
            results[name] = entry
            low, high = result.ci[METRIC]
            print(f"{name:18s} {METRIC} {result.metrics[METRIC]:.4f} [{low:.4f}, {high:.4f}]"
                  f"  fit {result.fit_seconds:6.1f}s", flush=True)  # fmt: skip
        best_name = max(
            (n for n in results if not n.startswith("GNN")), key=lambda n: results[n]["metrics"][METRIC]
        )
        best = results[best_name]["metrics"][METRIC]
        for name in (n for n in results if n.startswith("GNN")):
            ratio = results[name]["metrics"][METRIC] / best if best > 0 else float("nan")
            results[name]["ratio_to_best_baseline"] = ratio
            mark = "meets" if ratio >= TARGET else "misses"
            print(f"{name:18s} / {best_name} = {ratio:.3f}x ({mark} the {TARGET:.2f}x target)")
        report[run] = {"users": int(split.n_users), "best_baseline": best_name, "models": results}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
