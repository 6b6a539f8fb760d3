"""`generate`: write a synthetic timeline with planted interest drift, and its ground truth beside it."""

from __future__ import annotations

import argparse
from dataclasses import fields

from engine.cli.main import UsageError
from engine.cli.options import int_at_least
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.writer import event_file_format, save_events, save_truth, truth_path_for

NAME = "generate"
HELP = "write a synthetic event log with planted interest drift (CSV or Parquet) and its ground truth"

_DEFAULTS = {f.name: f.default for f in fields(SyntheticConfig)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--users", type=int, default=_DEFAULTS["n_users"], help="number of users (default %(default)s)"
    )
    parser.add_argument(
        "--items", type=int, default=_DEFAULTS["n_items"], help="number of items (default %(default)s)"
    )
    parser.add_argument(
        "--categories",
        type=int,
        default=_DEFAULTS["n_categories"],
        help="number of categories (default %(default)s)",
    )
    parser.add_argument(
        "--days", type=int, default=_DEFAULTS["days"], help="days covered (default %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int_at_least(0), default=_DEFAULTS["seed"], help="random seed (default %(default)s)"
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="events file to write (.csv or .parquet); the ground truth goes to FILE-stem.truth.json",
    )


def run(args: argparse.Namespace) -> int:
    try:
        event_file_format(args.out)
        config = SyntheticConfig(
            n_users=args.users,
            n_items=args.items,
            n_categories=args.categories,
            days=args.days,
            seed=args.seed,
        )
    except ValueError as err:
        raise UsageError(str(err)) from err
    timeline, truth = generate(config)
    events_path = save_events(timeline, args.out)
    truth_path = save_truth(truth, truth_path_for(events_path))
    s = timeline.summary()
    print(
        f"wrote {s['events']} events ({s['users']} users, {s['items']} items, {s['categories']} categories, "
        f"{s['days']:.0f} days) to {events_path}"
    )
    print(f"wrote ground truth ({len(truth.drifting_users())} users with planted drift) to {truth_path}")
    return 0
