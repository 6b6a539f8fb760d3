"""Benchmark: the Data page's summaries of a 10M-event Parquet file, read in record batches with pyarrow
(engine.data.summary), beside reading the whole file into one pandas frame, with peak memory of each.

Run: .venv/bin/python benchmarks/parquet_summary.py [--rows 10000000] [--out FILE.md]
Each measurement runs in its own process, so the peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000  # rows written per row group


def write_events(path: Path, rows: int, seed: int = 0) -> None:
    """Generated-layout events: ~rows/50 users, a Zipf catalogue of 200k items in 300 categories, 90 days."""
    rng = np.random.default_rng(seed)
    schema = pa.schema(
        [("user_id", pa.string()), ("item_id", pa.string()), ("timestamp", pa.int64()),
         ("event_type", pa.string()), ("category", pa.string())]
    )  # fmt: skip
    start = 1_767_225_600  # 2026-01-01
    with pq.ParquetWriter(path, schema) as writer:
        for lo in range(0, rows, CHUNK):
            n = min(CHUNK, rows - lo)
            items = rng.zipf(1.2, n) % 200_000
            writer.write_table(
                pa.table(
                    {
                        "user_id": pa.array(np.char.add("u", rng.integers(0, rows // 50, n).astype(str))),
                        "item_id": pa.array(np.char.add("i", items.astype(str))),
                        "timestamp": np.sort(rng.integers(start, start + 86_400 * 90, n)),
                        "event_type": pa.array(
                            rng.choice(["view", "cart", "purchase", "like"], n, p=[0.85, 0.08, 0.03, 0.04])
                        ),
                        "category": pa.array(np.char.add("c", (items % 300).astype(str))),
                    },
                    schema=schema,
                )
            )


CHILD = {
    "batches": "from engine.data.summary import parquet_summary; s = parquet_summary(PATH)",
    "pandas": (
        "import pandas as pd; f = pd.read_parquet(PATH); "
        "s = (f['user_id'].nunique(), f['item_id'].nunique(), f.groupby('category').agg("
        "events=('item_id', 'size'), users=('user_id', 'nunique'), items=('item_id', 'nunique')), "
        "f.groupby([f['timestamp'] // 86400, 'event_type']).size(), f.groupby('user_id').size())"
    ),
    # the Data page below api.LARGE_PARQUET_ROWS: the loader (validation included), then the overview
    "loader": "from engine import api; s = api.dataset_overview(api.load_timeline(PATH))",
}


def measure(kind: str, path: Path) -> dict[str, float]:
    code = (
        "import json, resource, time; t = time.perf_counter(); "
        + CHILD[kind].replace("PATH", repr(str(path)))
        + "; print(json.dumps({'seconds': time.perf_counter() - t, "
        "'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=None, help="also write the table as Markdown here")
    parser.add_argument("--methods", nargs="+", choices=list(CHILD), default=["batches", "pandas"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        started = time.perf_counter()
        write_events(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        print(f"wrote {args.rows:,} events ({size_mb:,.0f} MB) in {time.perf_counter() - started:.0f} s")
        results = {kind: measure(kind, path) for kind in args.methods}
    lines = [
        f"# Parquet summaries of {args.rows:,} events ({size_mb:,.0f} MB)",
        "",
        "| method | seconds | peak memory (MB) |",
        "|---|---|---|",
        *(f"| {k} | {r['seconds']:.1f} | {r['peak_mb']:,.0f} |" for k, r in results.items()),
        "",
        "batches: engine.data.summary.parquet_summary (pyarrow record batches of 1M rows, text turned",
        "into integer codes, counted in numpy); pandas: the same numbers from one pd.read_parquet frame;",
        "loader: api.load_timeline (validation included) then api.dataset_overview, the Data page's path",
        "below api.LARGE_PARQUET_ROWS.",
        "Each runs in its own process (peak RSS is its own), on the machine and load of the run.",
    ]
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
