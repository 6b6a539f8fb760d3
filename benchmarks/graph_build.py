"""Benchmark: building the interest graph incrementally, in events per second.

Builds the same events three ways in one run: one call (batch), slices of ``--slice`` events, and
(on the first ``--singles`` events) one event per call, as a replay would; reports events/s of each,
the ratio incremental / batch, graph size, the cost of a PyG export and peak RSS.

Run: .venv/bin/python benchmarks/graph_build.py [--events 1000000] [--slice 10000]
     .venv/bin/python benchmarks/graph_build.py --ml100k   # the real ml-100k sample in ../shared/data
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.graph import GraphConfig, InterestGraph
from engine.graph.export import to_pyg  # imports torch now, so the export timing below is the export only

DAY = 86_400.0
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def generate_events(n: int, seed: int = 0) -> pd.DataFrame:
    """A Timeline-like frame: users with a home category, visits of a few events, 30 days."""
    rng = np.random.default_rng(seed)
    n_users, n_categories, items_per_category = max(n // 50, 10), 500, 100
    user = rng.integers(0, n_users, n)
    home = rng.integers(0, n_categories, n_users)[user]
    category = np.where(rng.random(n) < 0.8, home, rng.integers(0, n_categories, n))
    item = category * items_per_category + np.minimum(rng.zipf(1.5, n) - 1, items_per_category - 1)
    # each user's events fall into a few visits: a visit start per event, plus minutes within it
    visit = rng.integers(0, 10, n)
    visit_start = rng.random((n_users, 10)) * 30 * DAY
    seconds = 1_700_000_000 + visit_start[user, visit] + rng.random(n) * 1800
    order = np.argsort(seconds, kind="stable")
    types = rng.choice(["view", "like", "cart", "purchase"], n, p=[0.85, 0.04, 0.08, 0.03])
    frame = pd.DataFrame(
        {
            "user_id": pd.Series(user.astype(str), dtype="str"),
            "item_id": pd.Series(item.astype(str), dtype="str"),
            "timestamp": pd.to_datetime(np.round(seconds * 1e6).astype("int64"), unit="us", utc=True),
            "event_type": pd.Categorical(types, categories=["view", "like", "cart", "purchase"]),
            "category": pd.Series(("c" + pd.Series(category).astype(str)).to_numpy(), dtype="str"),
            "session_id": pd.Series(
                (pd.Series(user).astype(str) + "-" + pd.Series(visit).astype(str)).to_numpy(), dtype="str"
            ),
        }
    )
    return frame.iloc[order].reset_index(drop=True)


def load_ml100k() -> pd.DataFrame:
    from engine.data.load import ReadOptions, load_events

    path = SHARED_DATA / "ml-100k"
    if not path.is_dir():
        raise SystemExit(f"ml-100k not found at {path}")
    return load_events(path, ReadOptions(preset="movielens")).events


def timed_build(
    frame: pd.DataFrame, config: GraphConfig, slice_size: int
) -> tuple[float, float, InterestGraph]:
    """(wall seconds, CPU seconds of this process, graph); CPU time is what a shared machine cannot skew."""
    graph = InterestGraph(config)
    wall, cpu = time.perf_counter(), time.process_time()
    for lo in range(0, len(frame), slice_size):
        graph.add_events(frame.iloc[lo : lo + slice_size])
    return time.perf_counter() - wall, time.process_time() - cpu, graph


def report(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"{label:<28} {n / cpu:>10,.0f} events/CPU-s  ({cpu:6.2f} CPU-s, {wall:6.2f} s wall)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument(
        "--ml100k", action="store_true", help="use ../shared/data/ml-100k instead of generated events"
    )
    args = parser.parse_args()

    frame = load_ml100k() if args.ml100k else generate_events(args.events)
    # MovieLens spans months: a half-life of weeks would prune most of it; the default suits shops.
    config = GraphConfig(half_life_s=180 * DAY) if args.ml100k else GraphConfig()
    n = len(frame)
    print(f"events: {n:,}  users: {frame['user_id'].nunique():,}  items: {frame['item_id'].nunique():,}")

    batch_wall, batch_cpu, graph = timed_build(frame, config, n)
    report("batch (1 call)", n, batch_wall, batch_cpu)
    inc_wall, inc_cpu, inc_graph = timed_build(frame, config, args.slice)
    report(f"incremental ({args.slice:,}/call)", n, inc_wall, inc_cpu)
    singles = frame.iloc[: args.singles]
    single_wall, single_cpu, _ = timed_build(singles, config, 1)
    report(f"one event per call (first {len(singles):,})", len(singles), single_wall, single_cpu)
    print(f"  = {1e3 * single_cpu / len(singles):.2f} CPU-ms per one-event call")
    print(f"ratio incremental / batch CPU time: {inc_cpu / batch_cpu:.2f}x")
    print(
        f"graph: {graph.num_items:,} items, {graph.num_categories:,} categories, {graph.num_edges:,} co "
        f"edges (incremental: {inc_graph.num_edges:,}; differs only by auto-prune timing)"
    )

    start = time.perf_counter()
    data = to_pyg(graph)
    print(f"to_pyg: {time.perf_counter() - start:.2f} s, {data.edge_index.shape[1]:,} directed edges")
    user = str(frame["user_id"].iloc[-1])
    start = time.perf_counter()
    view = graph.user_subgraph(user)
    print(f"user_subgraph: {1e3 * (time.perf_counter() - start):.1f} ms, {len(view['nodes'])} nodes")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
