"""Benchmark: which parts of the fitted score help or hurt each protocol? Read inside a training part.

For each run (data set x protocol) it splits the protocol's *training part* again with the same protocol
(an inner train and an inner test, both inside the training part; no test split is read), evaluates the
simple baselines there, trains the GNN on the inner train exactly as ``train`` does (score mix fitted on
the tail, refit) and scores the inner test with the fitted mix, with the same mix less its popularity
part, less both popularity parts (``popularity``, ``category_pop``), with the state cosine alone, and
with the returning mix for every query (what the session mix adds).
The weights are not refitted for the reduced mixes: the question is what each part contributes to the
score ``train`` ships.

``--pop-scales 0.25,0.5`` also reads the fitted mix with its popularity weight scaled (the trade-off
between the next-item and the set readings, one model). ``--config label=json`` trains a configuration
other than the defaults (``train`` / ``model`` fields as in ``gnn_tail_sweep.py``), so a change to the
state model is judged inside the training part before any tail or test reads it; ``--no-baselines``
skips the baselines (their lines for the seed are on record). ``--kind-mixes`` also reads mixes fitted
on one kind of tail query only (``set``: a user's later items from the cut; ``next``: the next event):
what each protocol would gain if its queries could be told apart. Each line keeps the tail's report.

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

import engine.recommenders.gnn as gnn_module
from engine.data.timeline import Timeline
from engine.evaluation import EvalConfig, make_split
from engine.evaluation.evaluator import evaluate_model, measure_fitted
from engine.evaluation.guard import guarded_training
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.registry import BASELINES, create_model
from engine.recommenders.score_mix import MIX_PARTS, ScoreMix, SessionMixes, fit_mix
from engine.training.config import TrainConfig
from engine.training.mix_tail import KINDS, fit_score_mix, validation_queries
from engine.training.trainer import TrainedModel

METRIC = "ndcg@20"


def without(mixes: SessionMixes, *parts: str) -> SessionMixes:
    """Both moments' mixes less ``parts``."""
    less = [
        ScoreMix({name: w for name, w in mix.weights.items() if name not in parts}) for mix in mixes_of(mixes)
    ]
    return SessionMixes(*less)


def mixes_of(mixes: SessionMixes) -> tuple[ScoreMix, ScoreMix]:
    return mixes.returning, mixes.session


def popularity_times(mixes: SessionMixes, scale: float) -> SessionMixes:
    """Both moments' mixes with the popularity weight times ``scale``."""
    scaled = []
    for mix in mixes_of(mixes):
        weights = {**mix.weights, "popularity": scale * mix.weight("popularity")}
        scaled.append(ScoreMix({k: w for k, w in weights.items() if w > 0}))
    return SessionMixes(*scaled)


def kind_mixes(found: dict[str, ScoreMix]) -> None:
    """Make every GNN fit also store, in ``found``, a mix fitted on each kind of tail query alone."""

    def fit_and_split(
        train: Timeline, trained: TrainedModel, parts: tuple[str, ...] = MIX_PARTS
    ) -> tuple[SessionMixes, dict[str, float]]:
        found.clear()
        queries = validation_queries(train, trained)
        if queries is not None:
            mix_queries, tail = queries
            for kind in KINDS:
                mask = torch.from_numpy(tail.kind == kind)
                if mask.any():
                    alone = torch.zeros(int(mask.sum()), dtype=torch.long)  # one kind: group 0
                    one = replace(mix_queries.rows(mask), group=alone)
                    found[kind] = fit_mix(one, trained.train_config.val_k, parts)[0]
        return fit_score_mix(train, trained, parts)

    gnn_module.fit_score_mix = fit_and_split


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
    parser.add_argument("--kind-mixes", action="store_true", help="also read mixes fitted on one tail kind")
    args = parser.parse_args()
    per_kind: dict[str, ScoreMix] = {}
    if args.kind_mixes:
        kind_mixes(per_kind)
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
        line["weights"] = {name: round(w, 4) for name, w in fitted.returning.weights.items()}
        line["weights session"] = {name: round(w, 4) for name, w in fitted.session.weights.items()}
        line["tail"] = {name: round(v, 4) for name, v in rec.mix_report.items()}
        mixes: dict[str, SessionMixes] = {
            "mix": fitted,
            "mix less popularity": without(fitted, "popularity"),
            "mix less popularity and category_pop": without(fitted, "popularity", "category_pop"),
            "cosine": SessionMixes(),
            "returning mix only": SessionMixes(fitted.returning, fitted.returning),
        }
        for scale in (float(v) for v in args.pop_scales.split(",") if v):
            mixes[f"mix popularity x{scale:g}"] = popularity_times(fitted, scale)
        for kind, one in per_kind.items():
            mixes[f"mix fitted on {kind}"] = SessionMixes(one, one)
            line[f"weights {kind}"] = {name: round(w, 4) for name, w in one.weights.items()}
        for part, both in mixes.items():
            rec.mix = both
            line[part] = round(measure_fitted(rec, inner, evaluation).metrics[METRIC], 4)
        emit(line, args.jsonl)


if __name__ == "__main__":
    main()
