"""`whatif`: edit one user's timeline, replay the edited timeline and compare it with the original.

Writes the comparison as one JSON file (``--out DIFF.json``): the edits, ``summary`` (stability, mean
RBO / Jaccard / state and interest differences, the items that gained and lost most rank, and both
traces' summaries as ``trace_a`` / ``trace_b``), ``per_step`` and ``interest_diff`` (column-oriented).
``--traces DIR`` also writes both traces as Parquet folders, ``DIR/original`` and ``DIR/edited``. The
edit format is in the README ("What-if edits"). Nothing is written when the edits, the user, the model
or an output path is unusable (exit 2, one line): every check and all the work come before any write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.api import whatif
from engine.cli.options import add_reading_options, check_writable, int_at_least, read_timeline
from engine.data.errors import DataError
from engine.device import DEVICES
from engine.replay.model import load_replay_model
from engine.whatif import Edit, parse_edits

NAME = "whatif"
HELP = "apply edits to one user's timeline, replay it and compare with the original replay"
FORMAT = "interest-replay-whatif/1"
TRACE_FOLDERS = ("original", "edited")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_options(parser)
    parser.add_argument("--model", required=True, metavar="MODEL.pt", help="a checkpoint written by train")
    parser.add_argument("--user", required=True, help="the user whose timeline is edited")
    parser.add_argument(
        "--edits", required=True, metavar="EDITS.json", help="a JSON list of edits (README: What-if edits)"
    )
    parser.add_argument("--out", required=True, metavar="DIFF.json", help="the comparison, a .json file")
    parser.add_argument(
        "--traces", metavar="DIR", help="also write both traces: DIR/original and DIR/edited (Parquet)"
    )
    parser.add_argument("--k", type=int_at_least(1), default=20, help="list length (default 20)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="recorded in the traces (default 0)")
    parser.add_argument(
        "--device", choices=DEVICES, default="auto", help="auto (CUDA when present), cpu or cuda"
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".json":
        raise DataError(f"--out: {out} must be a file ending in .json")
    check_writable(out)
    traces = Path(args.traces) if args.traces else None
    if traces is not None:
        check_writable(traces, "--traces")
        for name in TRACE_FOLDERS if traces.is_dir() else ():
            check_writable(traces / name, "--traces")
    edits = read_edits(Path(args.edits))

    model = load_replay_model(args.model, args.device)
    timeline = read_timeline(args)
    result = whatif(model, timeline, args.user, edits, k=args.k, seed=args.seed)
    payload = {
        "format": FORMAT,
        "user": str(args.user),
        "k": args.k,
        "model": str(args.model),
        "fingerprint": model.fingerprint,
        "edits": [edit.to_dict() for edit in edits],
        **result.comparison.to_dict(),
        "traces": None,
    }
    if traces is not None:
        written = {name: str(traces / name) for name in TRACE_FOLDERS}
        result.original.save(written["original"])
        result.edited.save(written["edited"])
        payload["traces"] = written
    tmp = out.with_name(out.name + ".tmp")  # a reader never sees half a file
    tmp.write_text(json.dumps(payload, indent=2, allow_nan=False))
    tmp.replace(out)
    sys.stderr.write(_report(args.user, len(edits), payload["summary"], args.k, out))
    return 0


def read_edits(path: Path) -> list[Edit]:
    """The edit list in ``path``; DataError naming the file and the first bad edit."""
    if not path.is_file():
        raise DataError(f"--edits: {path} is not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"--edits: cannot read {path} ({err})") from err
    try:
        return parse_edits(text)
    except DataError as err:
        raise DataError(err.reason, path=str(path)) from err


def _report(user: str, n_edits: int, summary: dict[str, Any], k: int, out: Path) -> str:
    first = summary["first_edit"]
    change = "changes nothing" if first is None else f"first change at step {first}"
    hits = (_fmt(summary[trace]["GNN hit@K"]) for trace in ("trace_a", "trace_b"))
    return (
        f"what-if for {user}: {n_edits} edit(s), {change}; {summary['original_steps']} -> "
        f"{summary['edited_steps']} steps; stability {_fmt(summary['stability'])} (mean RBO "
        f"{_fmt(summary['mean_rbo'])}, Jaccard@{k} {_fmt(summary['mean_jaccard'])}); "
        f"hit@{k} {' -> '.join(hits)} -> {out}\n"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
