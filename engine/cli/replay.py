"""`replay`: one user's timeline through a trained model, step by step, written as a trace.

The trace is a folder of Parquet tables plus ``meta.json`` (``--out DIR``), or one JSON file
(``--out TRACE.json``); see "The replay trace" in the README for its tables. Nothing is written when the
user, the model or the output path is unusable (exit 2, one line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli.options import add_reading_options, check_writable, int_at_least, read_timeline
from engine.device import DEVICES
from engine.replay.config import ReplayConfig
from engine.replay.model import load_replay_model
from engine.replay.pseudonym import pseudonym_key
from engine.replay.replay import replay

NAME = "replay"
HELP = "replay one user's events through a trained model and write the per-step trace"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_options(parser)
    parser.add_argument("--model", required=True, metavar="MODEL.pt", help="a checkpoint written by train")
    parser.add_argument("--user", required=True, help="the user id to replay")
    parser.add_argument("--k", type=int_at_least(1), default=20, help="list length (default 20)")
    parser.add_argument(
        "--out", required=True, metavar="TRACE", help="a folder (Parquet tables) or a file ending in .json"
    )
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="recorded in the trace (default 0)")
    parser.add_argument(
        "--device", choices=DEVICES, default="auto", help="auto (CUDA when present), cpu or cuda"
    )
    parser.add_argument(
        "--pseudonymise",
        action="store_true",
        help="name the user by a keyed pseudonym in the trace (key: $INTEREST_REPLAY_PSEUDONYM_KEY, "
        "else one kept beside the model)",
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_writable(out)
    model = load_replay_model(args.model, args.device)
    timeline = read_timeline(args)
    key = pseudonym_key(Path(args.model).resolve().parent) if args.pseudonymise else None
    trace = replay(model, timeline, args.user, ReplayConfig(k=args.k, seed=args.seed), pseudonym_key=key)
    trace.save(out)
    summary = trace.summary()
    sys.stderr.write(
        f"replayed {summary['steps']} events of {trace.meta['user']} ({summary['judged_steps']} judged, "
        f"{summary['heldout_steps']} after training): hit@{args.k} {_fmt(summary['GNN hit@K'])} "
        f"(RecentPop {_fmt(summary['RecentPop hit@K'])}, SeqMarkov {_fmt(summary['SeqMarkov hit@K'])}, "
        f"ItemKNN {_fmt(summary['ItemKNN hit@K'])}) -> {out}\n"
    )
    return 0


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
