"""Benchmark: the GNN as a new user gets it, through the command line, scored by a separate harness.

Issue #12 judges the engine the way a user meets it: ``train`` with its defaults on an events file, then
``recommend --k 20`` for the test users, the lists scored with full ranking and seen items left out. This
script does exactly that on each run's training part (written with :func:`engine.data.writer.save_events`,
the plain layout the loader reads with no preset), in subprocesses, and scores the CSV lists against the
split's targets with :func:`engine.metrics.ranking.ndcg_at_k`. Beside it, the evaluator's reading of the
same run and seed (``--reference``: a ``gnn_quality.py`` JSON), so a gap between what we report and what a
user gets shows up. Only ``loo`` and ``time``: ``stream`` asks a list after every event, which
``recommend`` (one list per user, after their last event) does not.

Run: PYTHONPATH=. .venv/bin/python benchmarks/cli_harness.py --runs ml-100k:loo,ml-100k:time,synthetic:time
     [--seed 0] [--reference benchmarks/results/gnn_quality_session_a.json,...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from gnn_quality import METRIC, REPO, load

from engine.data.writer import save_events
from engine.evaluation import make_split
from engine.evaluation.protocols import Split
from engine.metrics.ranking import ndcg_at_k

K = 20


def cli(*args: str) -> float:
    """Run ``python -m engine ARGS`` in the repository; its wall time in seconds (raises on failure)."""
    started = time.perf_counter()
    # one thread, as gnn_quality.py --threads 1 trains (and the machine's other core stays free)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "engine", *args], cwd=REPO, check=True, env=env)
    return time.perf_counter() - started


def ranked_lists(recs: pd.DataFrame, split: Split) -> np.ndarray:
    """The CSV lists as catalogue indices [n_users, K] in the split's user order, -1 where shorter."""
    column = {item: i for i, item in enumerate(split.catalogue)}
    row = {str(user): i for i, user in enumerate(split.users)}
    ranked = np.full((split.n_users, K), -1, dtype=np.int64)
    for user, rank, item in recs[["user_id", "rank", "item_id"]].itertuples(index=False):
        if str(user) in row and 1 <= int(rank) <= K:
            ranked[row[str(user)], int(rank) - 1] = column.get(str(item), -1)
    return ranked


def reference(paths: list[Path], run: str, seed: int) -> float | None:
    """The evaluator's NDCG@20 of the default GNN on ``run`` with ``seed``, from gnn_quality JSONs."""
    for path in paths:
        report = json.loads(path.read_text())
        for entry in report.get(run, {}).get("models", {}).get("GNN", {}).get("seeds", []):
            if entry["seed"] == seed:
                return float(entry["metrics"][METRIC])
    return None


def harness(run: str, seed: int, work: Path) -> dict[str, Any]:
    """Train and recommend through the command line on ``run``'s training part (files under ``work``),
    and score the lists: NDCG@K, lists shorter than K (or naming an item outside the split's catalogue),
    seen items listed, and the seconds each command took."""
    dataset, protocol = run.split(":")
    split = make_split(load(dataset), protocol)
    events = save_events(split.train, work / f"{dataset}-{protocol}.parquet")
    users = work / f"{dataset}-{protocol}.users.txt"
    users.write_text("".join(f"{user}\n" for user in split.users))
    model, recs = work / f"{dataset}-{protocol}.pt", work / f"{dataset}-{protocol}.recs.csv"
    train_s = cli("train", "--events", str(events), "--out", str(model), "--seed", str(seed), "--quiet")
    recommend_s = cli(
        "recommend", "--events", str(events), "--model", str(model), "--users", str(users), "--k", str(K),
        "--out", str(recs),
    )  # fmt: skip
    lists = pd.read_csv(recs, dtype={"user_id": str, "item_id": str})
    ranked = ranked_lists(lists, split)
    ndcg = ndcg_at_k(ranked, split.targets, K)
    events_of = split.train.events.astype({"user_id": str, "item_id": str})
    history = events_of.groupby("user_id")["item_id"].agg(set)
    seen = sum(
        len(set(split.catalogue[ranked[u][ranked[u] >= 0]]) & history.get(str(user), set()))
        for u, user in enumerate(split.users)
    )
    return {
        "run": run,
        "seed": seed,
        "users": int(split.n_users),
        METRIC: float(np.nanmean(ndcg)),
        "short_lists": int((ranked < 0).any(axis=1).sum()),
        "seen_items_listed": seen,
        "train_s": round(train_s),
        "recommend_s": round(recommend_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="ml-100k:loo,ml-100k:time,synthetic:time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", default="", help="comma-separated gnn_quality.py JSONs")
    parser.add_argument("--json", type=Path, help="write the lines here")
    args = parser.parse_args()
    references = [Path(p) for p in args.reference.split(",") if p]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in args.runs.split(","):
            line = harness(run, args.seed, Path(tmp))
            line["evaluator"] = reference(references, run, args.seed)
            lines.append(line)
            print(json.dumps(line), flush=True)
            if args.json:
                args.json.write_text(json.dumps(lines, indent=2))


if __name__ == "__main__":
    main()
