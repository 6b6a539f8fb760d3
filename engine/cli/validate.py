"""`validate`: load an events file and print what it holds and what loading dropped or repaired."""

from __future__ import annotations

import argparse
import json

from engine.cli.options import add_reading_options, read_timeline
from engine.data.timeline import Timeline

NAME = "validate"
HELP = "check an events file: users, items, categories, event types, time span and the validation report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_options(parser)
    parser.add_argument("--json", action="store_true", help="print the summary and report as JSON")


def format_summary(timeline: Timeline) -> str:
    s = timeline.summary()
    kinds = ", ".join(f"{k} {v:,}" for k, v in s["event_types"].items())
    return "\n".join(
        [
            f"file:        {s['source']}",
            f"events:      {s['events']:,}",
            f"users:       {s['users']:,}",
            f"items:       {s['items']:,}",
            f"categories:  {s['categories']:,}",
            f"event types: {kinds}",
            f"time span:   {s['start']} .. {s['end']} ({s['days']:.1f} days)",
            "validation:  " + timeline.report.to_text(),
        ]
    )


def run(args: argparse.Namespace) -> int:
    timeline = read_timeline(args)
    if args.json:
        print(json.dumps({"summary": timeline.summary(), "report": timeline.report.to_dict()}, indent=2))
    else:
        print(format_summary(timeline))
    return 0
