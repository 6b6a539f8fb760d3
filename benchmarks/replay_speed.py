"""Benchmark: replay speed over a 50k-item catalogue, each figure beside its target as a ratio.

Black-box through the CLI (``python -m engine replay``: load the model, read the events, replay, write
the Parquet trace), the whole trace included (state, top-20, interest graph, explanations of all 20,
baselines, drift and change points). Measured in one run, on ``--threads`` torch threads:

- ``per step``: (time on a long timeline - time on a 10-event prefix of it) / extra events, through the
  CLI in-process, so start-up and model loading cancel (target <= 20 ms);
- ``1,000-event trace``: the CLI as a fresh process, interpreter start and imports included, and the
  same in-process (target <= 5 s);
- ``checkpoint size``: the per-step cost with a checkpoint trained on ~1M events over ~the cost with one
  trained on ~10k events (target <= 1.5x). Ten thousand events cannot cover a 50k catalogue, so the
  small checkpoint knows only the items of its events; a third checkpoint, trained on one event per
  item of the big timeline (the fewest events that keep the same catalogue), gives the same-catalogue
  ratio.

Data: ``generate(SyntheticConfig(n_users=--users, n_items=50_000, n_categories=40, seed=1))`` (6,000
users: ~1.02M events). The long timeline is the first 1,000 events of the lightest user with at least
1,000 (all events of the heaviest user when none has 1,000). Checkpoints: the default ``ModelConfig``
(dim 64), one epoch, no validation tail, batches of 16,384 events and at most ``--max-batches`` of them:
the point is the size of what a checkpoint holds (catalogue, encoder graph, baselines), not its quality.
Each timing is the minimum over ``--repeats`` runs (the machine is shared; the minimum is the least
disturbed). ``--profile`` adds where one long replay spends its time (cProfile, engine/replay).

Run: .venv/bin/python benchmarks/replay_speed.py [--quick] [--threads 2] [--md OUT.md]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import torch

import engine.training.epoch as epoch_module
from engine.cli.main import main as cli_main
from engine.data.load import load_events
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.data.writer import save_events
from engine.model.checkpoint import Checkpoint
from engine.model.config import ModelConfig
from engine.recommenders.gnn_checkpoint import build_checkpoint
from engine.replay.model import load_replay_model
from engine.replay.replay import replay
from engine.training import TrainConfig, Trainer

REPO = Path(__file__).resolve().parents[1]
ITEMS = 50_000
LONG = 1_000  # events of the long timeline (the 1,000-event trace)
SHORT = 10  # events of the short prefix
SMALL_EVENTS = 10_000  # events of the small checkpoint's training data
STEP_TARGET_MS, TRACE_TARGET_S, SIZE_TARGET = 20.0, 5.0, 1.5


@dataclass(frozen=True)
class Trained:
    """A saved checkpoint and what it was trained on."""

    name: str
    path: Path
    events: int
    items: int
    edges: int
    fit_s: float  # NaN when kept from an earlier run
    megabytes: float

    @property
    def built(self) -> str:
        return "kept from an earlier run" if math.isnan(self.fit_s) else f"{self.fit_s:.0f} s"


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def long_user(timeline: Timeline) -> tuple[str, np.ndarray]:
    """The lightest user with at least LONG events (else the heaviest) and the rows of their first LONG
    events in time order (ties in file order, as replay orders them)."""
    users = timeline.events["user_id"].astype(str).to_numpy()
    ids, counts = np.unique(users, return_counts=True)
    enough = counts >= LONG
    user = str(ids[enough][np.argmin(counts[enough])] if enough.any() else ids[np.argmax(counts)])
    rows = np.flatnonzero(users == user)
    rows = rows[np.argsort(timeline.seconds()[rows], kind="stable")]
    return user, rows[:LONG]


def rows_mask(timeline: Timeline, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(timeline), dtype=bool)
    mask[rows] = True
    return mask


def small_mask(timeline: Timeline, user: str) -> np.ndarray:
    """The long user's events plus whole users in file order until about SMALL_EVENTS events."""
    users = timeline.events["user_id"].astype(str)
    counts = users.value_counts(sort=False)
    chosen, total = {user}, int(counts[user])
    for other in users.drop_duplicates():
        if total >= SMALL_EVENTS:
            break
        if other not in chosen:
            chosen.add(other)
            total += int(counts[other])
    return users.isin(chosen).to_numpy()


def cover_mask(timeline: Timeline) -> np.ndarray:
    """The first event of every item: the fewest events that keep the whole catalogue."""
    order = np.argsort(timeline.seconds(), kind="stable")
    items = timeline.events["item_id"].astype(str).to_numpy()[order]
    _, first = np.unique(items, return_index=True)
    return rows_mask(timeline, order[first])


def train(name: str, timeline: Timeline, path: Path, max_batches: int, threads: int) -> Trained:
    """One epoch of at most ``max_batches`` batches, then the checkpoint as ``GNNRecommender.fit`` builds
    it (without replaying every training user, which the checkpoint does not hold)."""
    full = epoch_module.length_batches

    def capped(*args: object, **kwargs: object) -> list[np.ndarray]:
        return full(*args, **kwargs)[:max_batches]  # type: ignore[arg-type]

    config = TrainConfig(epochs=1, val_share=0.0, tokens_per_batch=16_384, progress=False, threads=threads)
    started = time.perf_counter()
    if path.exists():  # kept by an earlier run (--checkpoints): same data, same recipe
        checkpoint = Checkpoint.load(path)
        fit_s = float("nan")
    else:
        with mock.patch.object(epoch_module, "length_batches", capped):
            trained = Trainer(ModelConfig(), config).fit(timeline)
        item_index = {item: i for i, item in enumerate(trained.vocab.items)}
        checkpoint = build_checkpoint(timeline, trained, item_index)
        fit_s = time.perf_counter() - started
        checkpoint.save(path)
    result = Trained(
        name, path, len(timeline), len(checkpoint.vocab.items), int(checkpoint.graph.edge_index.shape[1]),
        fit_s, path.stat().st_size / 1e6,
    )  # fmt: skip
    print(f"checkpoint {name}: {result.events:,} events, {result.items:,} items, {result.edges:,} edges, "
          f"{result.megabytes:.0f} MB, trained and built: {result.built}")  # fmt: skip
    return result


def cli_args(model: Path, events: Path, user: str, out: Path) -> list[str]:
    return ["replay", "--model", str(model), "--events", str(events), "--user", user, "--out", str(out)]


def in_process(model: Path, events: Path, user: str, out: Path) -> float:
    started = time.perf_counter()
    code = cli_main(cli_args(model, events, user, out))
    seconds = time.perf_counter() - started
    assert code == 0, f"replay exited {code}"
    return seconds


def as_process(model: Path, events: Path, user: str, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine", *cli_args(model, events, user, out)], check=True,
                   cwd=REPO, capture_output=True)  # fmt: skip
    return time.perf_counter() - started


def per_step_ms(model: Path, long_events: Path, short_events: Path, user: str, folder: Path, repeats: int,
                extra: int) -> tuple[float, float, float]:  # fmt: skip
    """(t_long - t_short) / extra in ms, with the two minimum times; long and short runs interleaved."""
    longs, shorts = [], []
    for _ in range(repeats):
        shorts.append(in_process(model, short_events, user, folder / "short_trace"))
        longs.append(in_process(model, long_events, user, folder / "long_trace"))
    t_long, t_short = min(longs), min(shorts)
    return 1000 * (t_long - t_short) / extra, t_long, t_short


def trace_seconds(model_path: Path, events: Path, user: str, out: Path, repeats: int) -> float:
    """Replay + save of one trace with the model already loaded (as the dashboard holds it)."""
    model = load_replay_model(model_path, "cpu")
    timeline = load_events(events)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        replay(model, timeline, user).save(out)
        timings.append(time.perf_counter() - started)
    return min(timings)


def profile_replay(model_path: Path, events: Path, user: str, top: int = 18) -> str:
    model = load_replay_model(model_path, "cpu")
    timeline = load_events(events)
    replay(model, timeline, user)  # warm
    profiler = cProfile.Profile()
    profiler.runcall(replay, model, timeline, user)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_stats(r"engine/(replay|ranking|recommenders|model)", top)
    return text.getvalue()


@dataclass(frozen=True)
class Measured:
    per_step: dict[str, tuple[float, float, float]]  # checkpoint -> (ms per step, t_long s, t_short s)
    trace_s: float  # replay + save, model loaded
    process_s: float  # `python -m engine replay` as a fresh process


def measure(checkpoints: list[Trained], long_events: Path, short_events: Path, user: str, extra: int,
            repeats: int, folder: Path) -> Measured:  # fmt: skip
    per_step = {}
    for trained in checkpoints:
        per_step[trained.name] = per_step_ms(
            trained.path, long_events, short_events, user, folder, repeats, extra
        )
        ms, t_long, t_short = per_step[trained.name]
        print(f"per step ({trained.name}): {ms:.2f} ms = ({t_long:.2f} s - {t_short:.2f} s) / {extra}")
    big = checkpoints[0].path
    trace_s = trace_seconds(big, long_events, user, folder / "trace", repeats)
    process_s = min(as_process(big, long_events, user, folder / "p_trace") for _ in range(repeats))
    print(f"trace (replay + save): {trace_s:.2f} s; as a process: {process_s:.2f} s")
    return Measured(per_step, trace_s, process_s)


def results_table(checkpoints: list[Trained], measured: Measured, steps: int, extra: int) -> list[str]:
    big, *others = checkpoints
    ms_big, long_big, _ = measured.per_step[big.name]
    rows = [
        (
            "per step, big checkpoint: (t_long - t_10) / extra events (CLI in-process)",
            f"{ms_big:.2f} ms = ({long_big:.2f} s - {measured.per_step[big.name][2]:.2f} s) / {extra}",
            STEP_TARGET_MS,
            ms_big,
        ),
        (f"{steps}-event trace: replay + save (model loaded)", f"{measured.trace_s:.2f} s", TRACE_TARGET_S,
         measured.trace_s),
        (f"{steps}-event trace: the CLI in-process (load model, read, replay, write)", f"{long_big:.2f} s",
         TRACE_TARGET_S, long_big),
        (f"{steps}-event trace: `python -m engine replay` as a process (+ interpreter and imports)",
         f"{measured.process_s:.2f} s", TRACE_TARGET_S, measured.process_s),
    ]  # fmt: skip
    for other in others:
        ms_other = measured.per_step[other.name][0]
        rows.append(
            (
                f"step time, {big.events:,}-event checkpoint / {other.events:,}-event one "
                f"({big.items:,} vs {other.items:,} items)",
                f"{ms_big:.2f} / {ms_other:.2f} ms = {ms_big / ms_other:.2f}x",
                SIZE_TARGET,
                ms_big / ms_other,
            )
        )
    lines = ["| what | measured | target | ratio |", "| --- | --- | --- | --- |"]
    for what, value, target, figure in rows:
        unit = "x" if target == SIZE_TARGET else (" ms" if target == STEP_TARGET_MS else " s")
        lines.append(f"| {what} | {value} | {target:g}{unit} | {figure / target:.2f} |")
    return lines


def checkpoint_table(checkpoints: list[Trained], measured: Measured) -> list[str]:
    lines = [
        "| checkpoint | events | items | encoder edges | file | train + build | per step |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in checkpoints:
        lines.append(
            f"| {t.name} | {t.events:,} | {t.items:,} | {t.edges:,} | {t.megabytes:.0f} MB | {t.built} "
            f"| {measured.per_step[t.name][0]:.2f} ms |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 users (~100k events), one repeat")
    parser.add_argument("--users", type=int, help="users generated (default 6000: ~1M events; quick 600)")
    parser.add_argument("--repeats", type=int, help="runs per timing, the minimum is kept (default 3)")
    parser.add_argument("--max-batches", type=int, default=2, help="training batches per checkpoint")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoints", type=Path, help="keep the checkpoints here; reuse those found")
    parser.add_argument("--profile", action="store_true", help="cProfile one long replay")
    parser.add_argument("--md", type=Path, help="results file (default benchmarks/results/replay_speed.md)")
    args = parser.parse_args()
    users = args.users or (600 if args.quick else 6_000)
    repeats = args.repeats or (1 if args.quick else 3)
    name = "replay_speed_quick.md" if args.quick else "replay_speed.md"
    md = args.md or REPO / "benchmarks" / "results" / name
    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the CLI subprocess: same threads
    load_before = load_average()
    started = time.perf_counter()

    timeline, _ = generate(SyntheticConfig(n_users=users, n_items=ITEMS, n_categories=40, seed=1))
    print(f"generated {len(timeline):,} events, {timeline.n_users:,} users, {timeline.n_items:,} items "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    user, rows = long_user(timeline)
    extra = len(rows) - SHORT
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        long_events = save_events(timeline.subset(rows_mask(timeline, rows)), folder / "long.csv")
        short_events = save_events(timeline.subset(rows_mask(timeline, rows[:SHORT])), folder / "short.csv")
        subsets = {
            "big": timeline,
            "small": timeline.subset(small_mask(timeline, user)),
            "cover": timeline.subset(cover_mask(timeline)),
        }
        del timeline
        checkpoints = [
            train(
                name,
                data,
                (args.checkpoints or folder) / f"{name}_{users}u_{args.max_batches}b.pt",
                args.max_batches,
                args.threads,
            )
            for name, data in subsets.items()
        ]
        del subsets
        measured = measure(checkpoints, long_events, short_events, user, extra, repeats, folder)
        profile = profile_replay(checkpoints[0].path, long_events, user) if args.profile else ""
        print(profile)
    total = time.perf_counter() - started

    lines = [
        "# Replay speed (benchmarks/replay_speed.py)",
        "",
        f"`replay_speed.py{' --quick' if args.quick else ''} --threads {args.threads}`, {repeats} repeat(s), "
        f"minimum kept; whole run {total / 60:.1f} min; load average before {load_before}, after "
        f"{load_average()} (1/5/15 min; a shared 2-core machine: figures are pessimistic when it is busy).",
        "",
        *results_table(checkpoints, measured, len(rows), extra),
        "",
        f"Checkpoints (default model, dim 64; 1 epoch capped at {args.max_batches} batches of 16,384 events; "
        "the graph, baselines and catalogue are those of all their events):",
        "",
        *checkpoint_table(checkpoints, measured),
        "",
        f"Long timeline: user {user}, {len(rows)} events; short: its first {SHORT}. `small` is the long "
        f"user plus whole users up to ~{SMALL_EVENTS:,} events (it knows only their items); `cover` is the "
        "first event of every item of the big timeline (the same catalogue with the fewest events).",
    ]
    if profile:
        lines += [
            "",
            "## Profile of one long replay (big checkpoint, cumulative)",
            "",
            "```",
            profile.strip(),
        ]
        lines += ["```"]
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text("\n".join(lines) + "\n")
    print(f"wrote {md} ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
