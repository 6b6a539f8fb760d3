"""Scale: 100k users x 50k items evaluate in bounded memory (marked slow: run by `make benchmarks`)."""

from __future__ import annotations

import resource
import time

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.evaluation import EvalConfig, evaluate, time_split
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.popularity import MostPop

N_USERS, N_ITEMS, N_EVENTS = 100_000, 50_000, 1_000_000


def _ids(prefix: str, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.char.add(prefix, codes.astype(str)), dtype="str")


def _large_timeline() -> Timeline:
    """1M events built directly in the canonical schema (validation of 1M rows is benchmarked elsewhere)."""
    rng = np.random.default_rng(0)
    events = pd.DataFrame(
        {
            "user_id": _ids("u", rng.integers(0, N_USERS, N_EVENTS)),
            "item_id": _ids("i", rng.zipf(1.2, N_EVENTS) % N_ITEMS),
            "timestamp": pd.to_datetime(np.sort(rng.integers(0, 90 * 86_400, N_EVENTS)), unit="s", utc=True),
            "event_type": pd.Categorical(
                ["view"] * N_EVENTS, categories=["view", "like", "cart", "purchase"]
            ),
            "category": _ids("c", rng.integers(0, 100, N_EVENTS)),
            "item_name": pd.array([None] * N_EVENTS, dtype="str"),
            "session_id": pd.array([None] * N_EVENTS, dtype="str"),
            "categories": pd.array([None] * N_EVENTS, dtype="str"),
            "source_row": np.arange(1, N_EVENTS + 1),
        }
    )
    return Timeline(events)


@pytest.mark.slow
def test_hundred_thousand_users_fifty_thousand_items() -> None:
    timeline = _large_timeline()
    split = time_split(timeline, 0.9, include_cold=True)
    started = time.perf_counter()
    report = evaluate(split, {"MostPop": MostPop, "SeqMarkov": SeqMarkov}, EvalConfig(), progress=False)
    seconds = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"{split.n_users} users x {len(split.catalogue)} items: {seconds:.0f} s, peak RSS {peak_gb:.1f} GB")
    assert split.n_users > 50_000
    assert len(split.catalogue) > 30_000
    assert report.results["SeqMarkov"].metrics["ndcg@20"] >= 0.0
    assert peak_gb < 8.0  # never a users x items dense matrix
