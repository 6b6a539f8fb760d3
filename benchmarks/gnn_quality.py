"""Benchmark: the GNN against every baseline through the one evaluation path, over seeds, with an ablation.

For each run (data set x protocol) it evaluates the baselines and the GNN variants on the same split
(full-catalogue ranking, 95% bootstrap intervals over users, the same resamples for every model) and
reports NDCG@20 per model, the ratio to the best baseline and the paired interval of the difference; the
target is GNN >= 1.10x on ml-100k (``loo``, ``time``) and the synthetic default (``time``). The GNN's
settings are the library defaults, chosen on validation tails carved from training parts only (never
on a test split); its score mix is fitted on the tail of each training part, and that tail's reading
(NDCG of the mix, of the cosine alone and of the best single evidence part, per query kind) is kept.

Variants (``--ablation``): ``GNN`` (the default: state cosine + graph evidence, refit), ``GNN cosine
only`` (the score mix limited to the state, as before the parts), ``GNN memory only`` / ``GNN graph
only`` (no message passing / no recurrent memory, with the mix), ``GNN user-fold graphs`` (the encoder
trained on leave-user-out graphs, ``TrainConfig.graph_folds=4``, instead of the prefix graph); ablations
train with the first seed only.

Run: .venv/bin/python benchmarks/gnn_quality.py [--runs ml-100k:loo,ml-100k:time,synthetic:time]
     [--seeds 0,1,2] [--ablation | --variants "GNN cosine only,GNN memory only"] [--threads 1]
     [--json benchmarks/results/gnn_quality.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.data.load import ReadOptions, load_events
from engine.data.timeline import Timeline
from engine.evaluation import EvalConfig, compare_to_best, make_split
from engine.evaluation.evaluator import ModelResult, evaluate_model
from engine.model.config import ModelConfig
from engine.recommenders.base import Recommender
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.registry import BASELINES, create_model
from engine.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TARGET = 1.10
METRIC = "ndcg@20"

# name -> (model config, GNNRecommender keywords, TrainConfig fields changed from the defaults)
VARIANTS: dict[str, tuple[ModelConfig, dict[str, Any], dict[str, Any]]] = {
    "GNN": (ModelConfig(), {}, {}),
    "GNN cosine only": (ModelConfig(), {"score_parts": ("state",)}, {}),
    "GNN memory only": (ModelConfig(use_graph=False), {}, {}),
    "GNN graph only": (ModelConfig(use_memory=False), {}, {}),
    "GNN user-fold graphs": (ModelConfig(), {}, {"graph_folds": 4}),
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


def _entry(result: ModelResult, started: float) -> dict[str, Any]:
    return {
        "metrics": result.metrics,
        "ci": result.ci,
        "fit_seconds": result.fit_seconds,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="ml-100k:loo,ml-100k:time,synthetic:time")
    parser.add_argument(
        "--ablation", action="store_true", help="also the cosine-only/memory-only/graph-only GNNs"
    )
    parser.add_argument(
        "--variants", help="comma-separated GNN variants to run (default: GNN, or every one with --ablation)"
    )
    parser.add_argument("--baselines", default=",".join(BASELINES), help="comma-separated baseline names")
    parser.add_argument(
        "--seeds", default="0", help="GNN training seeds, comma-separated (baselines: the first)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (the target machine has 2)")
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--json", type=Path, help="write all numbers here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = VARIANTS if args.ablation else {"GNN": VARIANTS["GNN"]}
    if args.variants:
        variants = {name: VARIANTS[name] for name in args.variants.split(",")}
    config = EvalConfig(ks=(10, 20), replicates=args.replicates, seed=0)
    report: dict[str, Any] = {}
    for run in args.runs.split(","):
        dataset, protocol = run.split(":")
        split = make_split(load(dataset), protocol)
        print(
            f"\n== {dataset} / {protocol}: {split.n_users} test users, {len(split.catalogue)} items",
            flush=True,
        )
        factories: dict[str, Callable[[], Recommender]] = {
            name: partial(create_model, name, seed=seeds[0]) for name in args.baselines.split(",") if name
        }
        results: dict[str, ModelResult] = {}
        entries: dict[str, dict[str, Any]] = {}
        for name, factory in factories.items():
            started = time.perf_counter()
            results[name] = evaluate_model(factory(), split, config)
            entries[name] = _entry(results[name], started)
            print(f"{name:18s} {METRIC} {results[name].metrics[METRIC]:.4f}", flush=True)
        best_name = max(entries, key=lambda n: entries[n]["metrics"][METRIC])
        best = entries[best_name]["metrics"][METRIC]
        for name, (model_config, keywords, train_fields) in variants.items():
            per_seed = []
            for seed in seeds if name == "GNN" else seeds[:1]:  # ablations: the first seed only
                started = time.perf_counter()
                train_config = replace(
                    TrainConfig(progress=False), seed=seed, threads=args.threads, **train_fields
                )
                model = GNNRecommender(model_config, train_config, **keywords)
                result = evaluate_model(model, split, config)
                comparison = compare_to_best({**results, name: result}, config, baselines=list(factories))
                entry = _entry(result, started)
                entry["seed"] = seed
                entry["delta_vs_best"] = comparison.deltas[name][METRIC] if comparison else None
                entry["score_mix"] = model.checkpoint.score_mix if model.checkpoint else {}
                entry["session_mix"] = model.checkpoint.session_mix if model.checkpoint else None
                entry["tail"] = model.mix_report
                entry["epochs"] = len(model.checkpoint.history or []) if model.checkpoint else 0
                entry["ratio_to_best_baseline"] = result.metrics[METRIC] / best if best > 0 else float("nan")
                per_seed.append(entry)
                low, high = result.ci[METRIC]
                delta = entry["delta_vs_best"]
                print(f"{name:18s} seed {seed} {METRIC} {result.metrics[METRIC]:.4f} [{low:.4f}, {high:.4f}] "
                      f"{entry['ratio_to_best_baseline']:.3f}x {best_name}, paired delta {delta}, "
                      f"mix {entry['score_mix']}, fit {result.fit_seconds:.0f}s", flush=True)  # fmt: skip
            values = np.array([e["metrics"][METRIC] for e in per_seed])
            entries[name] = {
                "seeds": per_seed,
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "ratio_mean": float(values.mean() / best) if best > 0 else float("nan"),
            }
            mark = "meets" if entries[name]["ratio_mean"] >= TARGET else "misses"
            print(f"{name:18s} mean {values.mean():.4f} / {best_name} = {entries[name]['ratio_mean']:.3f}x "
                  f"({mark} the {TARGET:.2f}x target)", flush=True)  # fmt: skip
        report[run] = {"users": int(split.n_users), "best_baseline": best_name, "models": entries}
        if args.json:  # after every run: a long benchmark keeps what it measured
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
