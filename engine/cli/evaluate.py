"""`evaluate`: split a timeline by a protocol, fit every model on the training part, rank the full catalogue.

Prints one table per K (models x metrics, each mean with its 95% bootstrap interval over users, and each
model's NDCG difference from the best baseline with its paired interval), shows a progress bar on stderr
(with each model's training steps below it), and with ``--json OUT`` writes ``{"protocol", "k", "users",
"models": {name: {"ndcg@20": ...}}, "ci", "delta_vs_best", "sampled", "split", "notes"}``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path

from engine.cli.main import UsageError
from engine.cli.options import add_reading_options, int_at_least, read_timeline
from engine.device import DEVICES, resolve_device
from engine.evaluation import PROTOCOLS, EvalConfig, EvaluationReport, evaluate, make_split
from engine.evaluation.bootstrap import DEFAULT_REPLICATES
from engine.evaluation.protocols import DEFAULT_CUT_QUANTILE, DEFAULT_MAX_EVENTS
from engine.evaluation.stream import USER_PREFIX
from engine.evaluation.tuning import TUNED, tune_baselines
from engine.metrics import ACCURACY_METRICS
from engine.recommenders.base import Recommender
from engine.recommenders.registry import UnknownModelError, create_model, resolve_models

NAME = "evaluate"
HELP = "compare recommenders on a temporal split: full-catalogue ranking metrics with 95% bootstrap intervals"

BEYOND_METRICS: tuple[str, ...] = ("coverage", "novelty", "diversity")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reading_options(parser)
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="time",
        help="time: global cut at a time quantile (default); loo: leave the last event out; stream: "
        "after the time cut, every test event predicted from all events before it",
    )
    parser.add_argument(
        "--cut",
        type=float,
        default=DEFAULT_CUT_QUANTILE,
        metavar="Q",
        help="time and stream protocols: the cut's quantile of event times (default %(default)s)",
    )
    parser.add_argument(
        "--repeat-aware",
        action="store_true",
        help="count items the user already had as targets and rank them too",
    )
    parser.add_argument(
        "--include-cold",
        action="store_true",
        help="time protocol: also score users first seen after the cut (cold-start lists); stream: also "
        "score events whose user has no earlier event",
    )
    parser.add_argument(
        "--max-events",
        type=int_at_least(0),
        default=DEFAULT_MAX_EVENTS,
        metavar="N",
        help="stream protocol: score at most N test events, a random subsample drawn with --seed "
        "(every event stays history); 0 = all (default %(default)s)",
    )
    parser.add_argument(
        "--k", type=int, nargs="+", default=[10, 20], metavar="K", help="cut-offs (default 10 20)"
    )
    parser.add_argument(
        "--models",
        default="all",
        metavar="all|NAME,...",
        help="models to compare, case-insensitive: all, or e.g. MostPop,ItemKNN,GRU4Rec",
    )
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write the results as JSON to OUT")
    parser.add_argument(
        "--seed", type=int_at_least(0), default=0, help="seed for models and bootstrap, >= 0 (default 0)"
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="auto (CUDA when present), cpu or cuda (default auto)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=DEFAULT_REPLICATES,
        metavar="B",
        help="bootstrap resamples for the intervals (default %(default)s)",
    )
    parser.add_argument(
        "--tune",
        action="store_true",
        help=f"choose the knobs of {', '.join(TUNED)} on the validation tail of the training part "
        "(never the test split; about 5x a GRU4Rec fit, 9x an ItemKNN fit; default: off, published defaults)",
    )
    parser.add_argument("--sampled", type=int, default=0, metavar="N",
                        help="also report sampled metrics with N random negatives, labelled, beside the "
                             "Krichene-Rendle correction and the exact value (default: off)")  # fmt: skip


def _config(args: argparse.Namespace) -> EvalConfig:
    ks = tuple(sorted(set(args.k)))
    if min(ks) < 1:
        raise UsageError(f"--k values must be >= 1, got {args.k}")
    if args.bootstrap < 1:
        raise UsageError(f"--bootstrap must be >= 1, got {args.bootstrap}")
    if args.sampled < 0:
        raise UsageError(f"--sampled must be >= 0, got {args.sampled}")
    return EvalConfig(ks=ks, replicates=args.bootstrap, seed=args.seed, sampled_negatives=args.sampled)


def _cell(value: float, interval: tuple[float, float] | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if interval is None or not all(math.isfinite(b) for b in interval):
        return f"{value:.4f}"
    return f"{value:.4f} [{interval[0]:.4f},{interval[1]:.4f}]"


def _delta_cell(delta: tuple[float, float, float] | None, is_reference: bool) -> str:
    if is_reference:
        return "(best baseline)"
    if delta is None or not all(math.isfinite(v) for v in delta):
        return "n/a"
    return f"{delta[0]:+.4f} [{delta[1]:+.4f},{delta[2]:+.4f}]"


def format_table(report: EvaluationReport) -> str:
    """One block per K: models down, metrics across, each cell 'mean [lo,hi]' (95% bootstrap); last,
    'Δ vs best baseline': the model's NDCG@K minus the best baseline's, with its paired interval."""
    lines = []
    name_width = max([len("model"), *(len(n) for n in report.results)])
    comparison = report.comparison
    for k in report.config.ks:
        by_user = (USER_PREFIX + m for m in ("ndcg", "hit_rate", "mrr"))  # stream: the user averages too
        known = (*ACCURACY_METRICS, *by_user, *BEYOND_METRICS)
        columns = [m for m in known if f"{m}@{k}" in report.metric_names]
        rows = []
        for name, result in report.results.items():
            cells = [
                _cell(result.metrics.get(f"{m}@{k}", math.nan), result.ci.get(f"{m}@{k}")) for m in columns
            ]
            if comparison is not None:
                delta = comparison.deltas.get(name, {}).get(f"ndcg@{k}")
                cells.append(_delta_cell(delta, name == comparison.reference))
            rows.append([name, *cells])
        header = ["model", *(f"{m}@{k}" for m in columns)]
        if comparison is not None:
            header.append(f"Δ ndcg@{k} vs best baseline ({comparison.reference})")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        widths[0] = name_width
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines.append("")
    sampled = {n: r.sampled for n, r in report.results.items() if r.sampled}
    if sampled:
        lines.append(
            f"sampled comparison ({report.config.sampled_negatives} negatives; not a headline number):"
        )
        keys = [key for key in next(iter(sampled.values())) if "@" in key]
        widths = [max(len(key), 7) for key in keys]
        lines.append(
            "  ".join(
                ["model".ljust(name_width), *(key.ljust(w) for key, w in zip(keys, widths, strict=True))]
            )
        )
        for name, values in sampled.items():
            cells = [f"{values[key]:.4f}".ljust(w) for key, w in zip(keys, widths, strict=True)]
            lines.append("  ".join([name.ljust(name_width), *cells]))
        lines.append("")
    split = report.split
    events = f" ({split.n_rows} test events)" if split.stream is not None else ""
    lines.append(f"protocol {split.protocol}: {split.n_users} test users{events}, {len(split.catalogue)} "
                 f"items ranked (full catalogue), {len(split.train)} training events")  # fmt: skip
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        names = resolve_models(args.models)
    except UnknownModelError as err:
        raise UsageError(str(err)) from None
    if args.include_cold and args.protocol == "loo":
        raise UsageError(
            "--include-cold applies to --protocol time and stream (leave-last-out has no cold users)"
        )
    if args.sampled and args.protocol == "stream":
        raise UsageError("--sampled applies to --protocol time and loo, not stream")
    config = _config(args)
    device = resolve_device(args.device)  # before any reading: a missing GPU fails fast
    timeline = read_timeline(args)
    split = make_split(
        timeline,
        args.protocol,
        quantile=args.cut,
        repeat_aware=args.repeat_aware,
        include_cold=args.include_cold,
        max_events=args.max_events or None,
        seed=args.seed,
    )
    factories: dict[str, Callable[..., Recommender]] = {
        name: (lambda name=name: create_model(name, seed=args.seed, device=device.type, progress=True))
        for name in names
    }
    if args.tune:
        tuned = tune_baselines(split, names, config, seed=args.seed, device=device.type)
        factories.update(tuned.factories)
    report = evaluate(split, factories, config, progress=True)
    if args.tune:
        report.notes += tuned.notes()
    print(format_table(report))
    if args.json_out:
        out = Path(args.json_out)
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return 0
