"""Benchmark: GNN training and recommendation speed, each reported beside its target as a ratio.

Measured in one run, on ``--threads`` torch threads (the target machine has 2 CPU cores):

- ``train ml-100k``: a full ``Trainer.fit`` on ml-100k with the default settings (target <= 300 s);
- ``recommend 10k users x 50k items``: load a checkpoint, read the events, replay every user, rank the
  whole 50k catalogue for 10k users and write the CSV, as ``python -m engine recommend`` does
  (target <= 60 s); the model is trained (1 epoch) on a synthetic shop with 50k items;
- ``replay step + top-20``: one event through one user's memory (``memory.step``) and the top-20 of
  50k items by cosine, median over many events (target <= 20 ms);
- with ``--batches 4096:400000,1024:100000``: one epoch of ``Trainer.fit`` on the 50k-item shop for each
  ``tokens_per_batch:epoch_events`` pair (validation off), its steps, seconds and seconds per step;
- with ``--million`` (or ``--only-million``): ``python -m engine generate --users 6000 --items 50000
  --categories 40 --seed 1`` (1,022,109 events), then the default ``python -m engine train`` on it in a
  child process, early stopping included (target <= 20 min, <= 4 GB peak RSS).

Run: .venv/bin/python benchmarks/gnn_speed.py [--threads 2] [--million | --only-million] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.cli.main import main as cli_main
from engine.data.load import ReadOptions, load_events
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.training import TrainConfig, Trainer
from engine.training.trainer import TrainProgress

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COLUMNS = ["user_id", "item_id", "timestamp", "event_type", "category"]


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def write_csv(timeline: Timeline, path: Path) -> None:
    frame = timeline.events[COLUMNS].copy()
    frame["timestamp"] = timeline.seconds().astype(np.int64)
    frame.to_csv(path, index=False)


def big_shop(users: int, items: int, sessions: float, seed: int = 11) -> Timeline:
    config = SyntheticConfig(
        n_users=users, n_items=items, n_categories=200, days=30, sessions_per_user=sessions, seed=seed
    )
    return generate(config)[0]


def bench_train_ml100k(out: dict[str, Any]) -> None:
    path = SHARED_DATA / "ml-100k" / "ml-100k.inter"
    if not path.exists():
        print(f"skip train ml-100k: {path} not found")
        return
    timeline = load_events(path, ReadOptions(preset="movielens"))
    started = time.perf_counter()
    trained = Trainer(ModelConfig(), TrainConfig(progress=False)).fit(timeline)
    seconds = time.perf_counter() - started
    out["train_ml100k_s"] = seconds
    out["train_ml100k_epochs"] = len(trained.history)
    epochs = len(trained.history)
    print(f"train ml-100k: {seconds:.1f} s for {epochs} epochs; target 300 s, ratio {seconds / 300:.2f}")


def bench_recommend(out: dict[str, Any], folder: Path, users: int, items: int) -> GNNRecommender:
    timeline = big_shop(users=users, items=items, sessions=3.0)
    print(f"synthetic shop: {len(timeline):,} events, {timeline.n_users:,} users, {timeline.n_items:,} items")
    events, model_path, users_path = folder / "events.csv", folder / "model.pt", folder / "users.txt"
    write_csv(timeline, events)
    started = time.perf_counter()
    rec = GNNRecommender(ModelConfig(), TrainConfig(epochs=1, val_share=0.0, progress=False)).fit(timeline)
    out["train_50k_items_one_epoch_s"] = time.perf_counter() - started
    rec.save(model_path)
    user_ids = list(timeline.events["user_id"].unique()[:users])
    users_path.write_text("\n".join(user_ids) + "\n")
    started = time.perf_counter()
    code = cli_main(
        ["recommend", "--model", str(model_path), "--events", str(events), "--users", str(users_path),
         "--k", "20", "--out", str(folder / "recs.csv")]
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert code == 0
    out["recommend_10k_users_50k_items_s"] = seconds
    print(f"recommend {len(user_ids):,} users x {rec.n_items:,} items: {seconds:.1f} s; target 60 s, "
          f"ratio {seconds / 60:.2f}")  # fmt: skip
    return rec


@torch.no_grad()
def bench_replay_step(out: dict[str, Any], rec: GNNRecommender, steps: int = 300) -> None:
    assert rec.checkpoint is not None
    assert rec.memory is not None
    memory, origin = rec.checkpoint.model.memory, rec.checkpoint.time_origin
    scoring = torch.nn.functional.normalize(rec.score_embeddings, dim=1)  # once per checkpoint
    state = rec.memory.index(torch.tensor([0]))
    rng = np.random.default_rng(0)
    items = torch.from_numpy(rng.integers(0, rec.n_items, steps))
    t = float(state.last_t[0])
    timings = []
    for step in range(steps):
        started = time.perf_counter()
        state = memory.step(
            state, rec.item_embeddings[items[step : step + 1]], torch.tensor([0]), torch.tensor([t])
        )
        u = torch.nn.functional.normalize(memory.readout(state), dim=1)  # [1, d]
        top = torch.topk(u @ scoring.T, 20)  # [1, 20]
        timings.append(time.perf_counter() - started)
        t += 30.0
        del top
    median_ms = 1000 * float(np.median(timings))
    out["replay_step_top20_ms"] = median_ms
    print(f"replay step + top-20 of {rec.n_items:,} items: median {median_ms:.2f} ms; target 20 ms, "
          f"ratio {median_ms / 20:.2f} (origin {origin:.0f})")  # fmt: skip


def bench_batches(out: dict[str, Any], pairs: list[tuple[int, int]], users: int, items: int) -> None:
    """One training epoch on the big shop for each ``(tokens_per_batch, epoch_events)``, in one run."""
    timeline = big_shop(users=users, items=items, sessions=3.0)
    print(f"synthetic shop: {len(timeline):,} events, {timeline.n_items:,} items")
    for tokens, events in pairs:
        config = TrainConfig(
            epochs=1, val_share=0.0, progress=False, tokens_per_batch=tokens, epoch_events=events
        )
        seen: list[TrainProgress] = []
        trained = Trainer(ModelConfig(), config, on_progress=seen.append).fit(timeline)
        seconds = trained.history[0]["seconds"]
        steps = max((p.batches for p in seen if p.record is None), default=1)
        key = f"epoch_{tokens}_{events}"
        out[key] = {"seconds": seconds, "steps": steps}
        print(f"{key}: {steps} steps, {seconds:.1f} s, {seconds / steps:.3f} s per step")


MILLION = ["--users", "6000", "--items", "50000", "--categories", "40", "--seed", "1"]  # 1,022,109 events
# MovieLens-1M-sized: 6k users, 3.7k items, about 1M events (target: 15 minutes)
ML1M_SIZED = ["--users", "6000", "--items", "3700", "--categories", "18", "--seed", "1"]


def bench_million(
    out: dict[str, Any],
    folder: Path,
    threads: int,
    spec: list[str] = MILLION,
    key: str = "train_1m",
    target_min: float = 20.0,
) -> None:
    """``generate`` a 1M-event log (``spec``), then the default ``train`` on it in a child process on
    ``threads`` torch threads: wall time (early stopping, score mix and refit included) and the child's
    peak RSS, recorded under ``key``."""
    events, model = folder / f"{key}.parquet", folder / f"{key}.pt"
    run = [sys.executable, "-m", "engine"]
    subprocess.run([*run, "generate", *spec, "--out", str(events)], check=True, capture_output=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    train = [*run, "train", "--events", str(events), "--out", str(model), "--quiet"]
    child = subprocess.Popen(train, env=env)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS, not generate's
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"train exited with {os.waitstatus_to_exitcode(status)}")
    rss = usage.ru_maxrss / 1024**2
    checkpoint = GNNRecommender.load(model).checkpoint
    history = checkpoint.history if checkpoint is not None and checkpoint.history else []
    out[f"{key}_s"], out[f"{key}_peak_rss_gb"], out[f"{key}_epochs"] = seconds, rss, len(history)
    out[f"{key}_epoch_s"] = [round(h["seconds"], 1) for h in history]
    out[f"{key}_val_ndcg"] = [round(h["val_ndcg"], 4) for h in history]
    ratio = seconds / 60 / target_min
    print(f"{key}: {' '.join(spec)}: {len(history)} epochs judged, {seconds / 60:.1f} min (target "
          f"{target_min:.0f}, ratio {ratio:.2f}); peak RSS {rss:.2f} GB (target 4)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--million", action="store_true", help="also train on 1M generated events (slow)")
    parser.add_argument("--only-million", action="store_true", help="the 1M-event run alone")
    parser.add_argument("--ml1m", action="store_true", help="a MovieLens-1M-sized run (6k users, 3.7k items)")
    parser.add_argument("--skip-train", action="store_true", help="skip the ml-100k training run")
    parser.add_argument("--users", type=int, default=10_000, help="users to recommend for (target: 10k)")
    parser.add_argument("--items", type=int, default=50_000, help="catalogue size (target: 50k)")
    parser.add_argument("--batches", help="tokens_per_batch:epoch_events pairs to time one epoch each")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out: dict[str, Any] = {"threads": args.threads}
    if args.batches:
        pairs = [(int(t), int(e)) for t, e in (pair.split(":") for pair in args.batches.split(","))]
        bench_batches(out, pairs, args.users, args.items)
    only = args.only_million or args.ml1m or args.batches
    if not args.skip_train and not only:
        bench_train_ml100k(out)
    if not only:
        with tempfile.TemporaryDirectory() as folder:
            rec = bench_recommend(out, Path(folder), args.users, args.items)
            bench_replay_step(out, rec)
    if args.million or args.only_million:
        with tempfile.TemporaryDirectory() as folder:
            bench_million(out, Path(folder), args.threads)
    if args.ml1m:
        with tempfile.TemporaryDirectory() as folder:
            bench_million(out, Path(folder), args.threads, ML1M_SIZED, "train_ml1m_sized", 15.0)
    out["peak_rss_gb"] = peak_rss_gb()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
