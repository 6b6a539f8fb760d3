"""`recommend`: top-k lists from a trained model, each user's state rebuilt by replaying their events.

Output CSV ``user_id,rank,item_id,score``: users in USERS.txt order, ranks 1..k (fewer only when fewer
unseen items exist), ties broken by item id, items the user touched in FILE left out; users without
events in FILE get the cold-start list (recent popularity in FILE).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from engine.cli.options import add_reading_options, int_at_least, read_timeline
from engine.data.errors import DataError
from engine.recommenders.gnn import GNNRecommender

NAME = "recommend"
HELP = "recommend top-k items per user with a trained model, replaying each user's events from FILE"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_options(parser)
    parser.add_argument("--model", required=True, metavar="MODEL.pt", help="a checkpoint written by train")
    parser.add_argument(
        "--users",
        required=True,
        metavar="USERS.txt",
        help="one user id per line, no header; blank lines ignored",
    )
    parser.add_argument("--k", type=int_at_least(1), default=20, help="list length (default 20)")
    parser.add_argument("--out", required=True, metavar="RECS.csv", help="where to write the lists")


def read_users(path: str) -> list[str]:
    """User ids, one per line, in file order; surrounding blanks stripped, blank lines skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError("the users file is not UTF-8 text", path=path) from err
    return [line.strip() for line in text.splitlines() if line.strip()]


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir() or not out.parent.exists():
        raise DataError(f"--out: cannot write {out} (a folder, or its folder does not exist)")
    users = read_users(args.users)
    recommender = GNNRecommender.load(args.model, device="cpu")
    timeline = read_timeline(args)
    assert recommender.checkpoint is not None
    recommender.checkpoint.check_compatible(timeline, path=args.model)
    recommender.observe(timeline)
    lists = recommender.recommend(users, args.k, exclude_seen=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "rank", "item_id", "score"])
        for row in lists.itertuples(index=False):
            writer.writerow([row.user_id, row.rank, row.item_id, f"{row.score:.6f}"])
    return 0
