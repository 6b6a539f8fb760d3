"""`train`: fit the interest model on an events file and write a checkpoint.

Training is resumable: after every epoch the progress is kept beside the output (``MODEL.pt.partial``);
rerunning the same command continues from it, and it is removed once the model is written.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from engine.cli.options import add_reading_options, int_at_least, read_timeline
from engine.data.errors import DataError
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.training.config import DEVICES, TrainConfig

NAME = "train"
HELP = "train the interest model (graph encoder + temporal memory) on an events file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_options(parser)
    parser.add_argument("--out", required=True, metavar="MODEL.pt", help="where to write the checkpoint")
    parser.add_argument(
        "--epochs",
        type=int_at_least(1),
        default=TrainConfig.epochs,
        help=f"most training epochs; early stopping may end sooner (default {TrainConfig.epochs})",
    )
    parser.add_argument(
        "--device", choices=DEVICES, default="auto", help="auto (CUDA when present), cpu or cuda"
    )
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="random seed, >= 0 (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise DataError("--out names a folder; give a file path such as model.pt")
    if not out.parent.exists():
        raise DataError(f"--out: the folder {out.parent} does not exist")
    timeline = read_timeline(args)
    if len(timeline) == 0:
        raise DataError("no usable events to train on", path=args.events)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    train_config = TrainConfig(
        epochs=args.epochs, device=args.device, seed=args.seed, progress=not args.quiet
    )
    partial = out.with_name(out.name + ".partial")
    recommender = GNNRecommender(ModelConfig(), train_config).fit(timeline, resume_path=partial)
    recommender.save(out)
    partial.unlink(missing_ok=True)
    history = (recommender.checkpoint.history if recommender.checkpoint else None) or []
    best = max((h["val_ndcg"] for h in history if h["val_ndcg"] == h["val_ndcg"]), default=float("nan"))
    sys.stderr.write(
        f"trained on {len(timeline):,} events ({timeline.n_users:,} users, {timeline.n_items:,} items) in "
        f"{len(history)} epochs; best validation NDCG@{train_config.val_k} {best:.4f}; wrote {out}\n"
    )
    return 0
