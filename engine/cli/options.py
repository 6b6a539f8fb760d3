"""Options shared by the commands: reading events (--events, --preset, --map, --event-map), whole
numbers, and the check that an output path can be written."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from engine.data.errors import DataError
from engine.data.load import PRESETS, ReadOptions, load_events, parse_pairs
from engine.data.timeline import Timeline


def add_reading_options(parser: argparse.ArgumentParser, *, events_required: bool = True) -> None:
    group = parser.add_argument_group("reading events")
    group.add_argument(
        "--events",
        required=events_required,
        metavar="FILE",
        help="events file: CSV/TSV (any delimiter), Parquet, JSONL, or a RecBole .inter file",
    )
    group.add_argument("--preset", choices=sorted(PRESETS), help="a known data set layout")
    group.add_argument(
        "--map",
        dest="column_map",
        metavar="KEY=COL,...",
        help="name the columns: user=,item=,time=,type=,category=,name=,session= "
        "(a header name, or a 0-based column number for headerless files)",
    )
    group.add_argument(
        "--event-map",
        metavar="RAW=EVENT,...",
        help="map event values, e.g. addtocart=cart,transaction=purchase",
    )
    group.add_argument(
        "--strict", action="store_true", help="fail on the first bad row instead of dropping and counting it"
    )
    group.add_argument(
        "--keep-outliers", action="store_true", help="keep rows whose timestamps lie far outside the rest"
    )


def read_options(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(
        preset=args.preset,
        column_map=parse_pairs(args.column_map, "--map"),
        event_map=parse_pairs(args.event_map, "--event-map"),
        strict=args.strict,
        drop_outliers=not args.keep_outliers,
    )


def read_timeline(args: argparse.Namespace) -> Timeline:
    """Load ``args.events`` with the reading options given on the command line."""
    return load_events(args.events, read_options(args))


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (bad values exit 2 with one line)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value

    return parse


def check_writable(out: Path, flag: str = "--out") -> None:
    """DataError unless ``out`` can be written: a ``.json`` file, else a folder (of Parquet tables). An
    existing file where a folder goes (or the reverse), or a missing or read-only parent folder, is
    refused before any work is done; ``flag`` names the option in the message."""
    parent = out.parent if str(out.parent) else Path(".")
    if out.suffix.lower() == ".json":
        if out.is_dir():
            raise DataError(f"{flag}: {out} is a folder; give a .json file or a folder name without .json")
    elif out.exists() and not out.is_dir():
        raise DataError(f"{flag}: {out} is a file; a Parquet trace is written as a folder")
    if not parent.is_dir():
        raise DataError(f"{flag}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.is_dir() and not os.access(out, os.W_OK)):
        raise DataError(f"{flag}: cannot write to {out} (permission denied)")
