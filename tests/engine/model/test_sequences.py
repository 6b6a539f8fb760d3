"""Per-user sequences: time order kept, repeats flagged, batches cover every user once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.validate import normalize
from engine.model.sequences import UserSequences, length_batches


def _timeline():
    rows = [
        ("b", "x", 10, "view"), ("a", "y", 11, "view"), ("b", "y", 12, "purchase"),
        ("b", "x", 13, "view"), ("a", "z", 14, "cart"), ("c", "unknown", 15, "view"),
    ]  # fmt: skip
    return normalize(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "event_type"]))


def test_from_events_groups_by_user_in_time_order_and_flags_repeats() -> None:
    tl = _timeline()
    seqs = UserSequences.from_events(tl.events, tl.seconds(), {"x": 0, "y": 1, "z": 2})
    assert list(seqs.users) == ["b", "a"]  # "c" has only an unknown item: no sequence
    assert seqs.lengths.tolist() == [3, 2]
    assert seqs.items.tolist() == [0, 1, 0, 1, 2]
    assert seqs.repeat.tolist() == [False, False, True, False, False]
    assert seqs.types.tolist() == [0, 3, 0, 0, 2]


def test_batch_pads_right_and_uses_the_origin() -> None:
    tl = _timeline()
    seqs = UserSequences.from_events(tl.events, tl.seconds(), {"x": 0, "y": 1, "z": 2})
    batch = seqs.batch([1, 0], origin=0.0)
    assert batch.lengths.tolist() == [2, 3]
    assert batch.items.tolist() == [[1, 2, 0], [0, 1, 0]]
    assert batch.times[1].tolist() == [10.0, 12.0, 13.0]
    assert batch.times[0, 2] == batch.times[0, 1]  # padding repeats the last time: zero gap


def test_length_batches_cover_each_user_once_within_budget() -> None:
    lengths = np.array([5, 0, 1, 9, 3, 3, 2, 40])
    batches = length_batches(lengths, tokens_per_batch=10, rng=np.random.default_rng(0))
    users = np.concatenate(batches)
    assert sorted(users.tolist()) == [0, 2, 3, 4, 5, 6, 7]
    for rows in batches:
        assert len(rows) == 1 or len(rows) * lengths[rows].max() <= 10
