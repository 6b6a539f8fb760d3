"""Benchmark: loading and validating a large events CSV, as a ratio to a bare pandas read of the same file.

Run: .venv/bin/python benchmarks/data_load.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.load import load_events


def write_events(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, rows // 50, rows),
            "item_id": rng.zipf(1.3, rows) % 50_000,
            "timestamp": np.sort(rng.integers(1_600_000_000, 1_600_000_000 + 86_400 * 60, rows)),
            "event_type": rng.choice(["view", "cart", "purchase", "like"], rows, p=[0.85, 0.08, 0.03, 0.04]),
            "category": rng.integers(0, 200, rows),
        }
    )
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        write_events(path, args.rows)
        start = time.perf_counter()
        pd.read_csv(path, dtype=str)
        bare = time.perf_counter() - start
        start = time.perf_counter()
        timeline = load_events(path)
        ours = time.perf_counter() - start
    print(f"rows: {args.rows:,}  kept: {len(timeline):,}  dropped: {timeline.report.rows_dropped:,}")
    print(f"bare pandas read: {bare:.2f} s   load_events (read + validate + sort): {ours:.2f} s")
    print(f"ratio load_events / bare read: {ours / bare:.1f}x   throughput: {args.rows / ours:,.0f} rows/s")


if __name__ == "__main__":
    main()
