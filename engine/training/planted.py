"""A tiny event stream with a planted next-item rule: the sanity check that a model learns at all.

Items form ``clusters`` cycles of ``cluster_size`` items (category ``genre<c>``, name "<word> <j>"); each
user picks a cycle and a start and walks it in order, so the next item is fully determined by the
previous one. A model that learns sequences gets it right; a popularity model cannot (every item is
about equally popular).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.timeline import Timeline
from engine.data.validate import normalize

_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


@dataclass(frozen=True)
class PlantedConfig:
    users: int = 120  # enough walks that every transition is seen many times
    clusters: int = 6  # independent cycles (one category each)
    cluster_size: int = 10  # items per cycle
    length: int = 16  # events per user: shorter than a cycle's two laps, so most targets are unseen
    gap_s: int = 600  # seconds between a user's events
    purchase_every: int = 5  # every n-th event is a purchase, the others views
    seed: int = 0  # same seed, same stream


def planted_frame(config: PlantedConfig = PlantedConfig()) -> pd.DataFrame:
    """Raw rows ``user_id,item_id,timestamp,event_type,category,item_name`` (unix seconds)."""
    rng = np.random.default_rng(config.seed)
    rows = []
    for u in range(config.users):
        cluster = int(rng.integers(config.clusters))
        offset = int(rng.integers(config.cluster_size))
        start = 1_600_000_000 + int(rng.integers(0, 30 * 86_400))
        for step in range(config.length):
            j = (offset + step) % config.cluster_size
            item = cluster * config.cluster_size + j
            kind = "purchase" if (step + 1) % config.purchase_every == 0 else "view"
            name = f"{_WORDS[cluster % len(_WORDS)]} {j}"
            rows.append(
                (f"u{u:03d}", f"i{item:03d}", start + step * config.gap_s, kind, f"genre{cluster}", name)
            )
    return pd.DataFrame(
        rows, columns=["user_id", "item_id", "timestamp", "event_type", "category", "item_name"]
    )


def planted_timeline(config: PlantedConfig = PlantedConfig()) -> Timeline:
    return normalize(planted_frame(config), "planted")


def next_item(item_id: str, config: PlantedConfig = PlantedConfig()) -> str:
    """The item the planted rule puts after ``item_id``."""
    item = int(item_id[1:])
    cluster, j = divmod(item, config.cluster_size)
    return f"i{cluster * config.cluster_size + (j + 1) % config.cluster_size:03d}"
