"""The one target rule, and that the evaluation's split and the trainer's validation tail both follow it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.validate import normalize
from engine.evaluation.protocols import time_split
from engine.model.sequences import UserSequences
from engine.targets import event_targets, future_targets
from engine.training.config import TrainConfig
from engine.training.planted import PlantedConfig, planted_frame
from engine.training.validation import validation_set

ITEMS = {"i1": 0, "i2": 1, "i3": 2}  # known before the cut
HISTORIES = {"a": np.array([0, 1]), "b": np.array([2])}
LATER = pd.DataFrame(
    {
        "user_id": ["a", "a", "a", "a", "b", "c"],
        "item_id": ["i3", "i3", "i1", "i9", "i3", "i1"],
    }
)  # a: i3 new (twice), i1 seen, i9 unknown; b: only a repeat; c: no history


def test_targets_are_new_known_items_of_users_with_a_history() -> None:
    found = future_targets(LATER, ITEMS, HISTORIES)
    assert found.users.tolist() == ["a"]
    assert [row.tolist() for row in found.items] == [[2]]  # duplicates merged
    assert found.counts["dropped_targets_already_seen"] == 2  # a's i1, b's i3
    assert found.counts["dropped_targets_unknown_item"] == 1
    assert found.counts["skipped_cold_users"] == 1
    assert found.counts["skipped_users_no_new_known_item"] == 1
    assert found.matrix(3).toarray().tolist() == [[0.0, 0.0, 1.0]]


def test_repeat_aware_and_cold_users() -> None:
    found = future_targets(LATER, ITEMS, HISTORIES, repeat_aware=True, include_cold=True)
    assert found.users.tolist() == ["a", "b", "c"]
    assert [row.tolist() for row in found.items] == [[0, 2], [2], [0]]
    assert found.counts["cold_users_scored"] == 1


def test_the_validation_tail_and_the_time_split_pick_the_same_targets() -> None:
    frame = planted_frame(PlantedConfig(users=60, length=12))
    # spread the walks over a month so users are active on both sides of the cut
    frame["timestamp"] = frame["timestamp"] + frame.groupby("user_id").cumcount() * 86_400
    timeline = normalize(frame)
    split = time_split(timeline, quantile=0.8)
    cut = split.cut.timestamp()
    events, seconds = timeline.events, timeline.seconds()
    item_rows = {item: i for i, item in enumerate(sorted(events["item_id"].unique()))}
    before = seconds < cut
    fit = UserSequences.from_events(events[before], seconds[before], item_rows)
    config = TrainConfig(min_val_users=1, val_users=10_000, progress=False)
    validation = validation_set(events, seconds, cut, fit, item_rows, config)
    assert validation is not None
    names = np.array(sorted(item_rows), dtype=object)
    tail = {
        user: set(names[rows]) for user, rows in zip(validation.fit.users, validation.targets, strict=True)
    }
    expected = {
        user: set(split.catalogue[split.targets[row].indices]) for row, user in enumerate(split.users)
    }
    assert len(expected) > 10
    assert tail == expected
    # the tail's lists hold only the catalogue before the cut
    assert set(names[validation.catalogue]) == set(split.catalogue)
    # next-item targets: tail events of known items, each new to its user at that point
    everything, rows = validation.everything, validation.next_rows
    assert len(rows) > 0
    assert (everything.seconds[rows] >= cut).all()
    assert validation.catalogue[everything.items[rows]].all()
    for row in rows:
        user = int(np.searchsorted(everything.offsets, row, side="right")) - 1
        assert everything.items[row] not in everything.items[everything.offsets[user] : row]


def test_event_targets_read_each_event_against_its_own_past() -> None:
    # log order: u0 a, u1 b, u0 c | candidates: u0 a (seen), u1 x (unknown), u2 a (cold), u2 b, u0 b
    users = np.array([0, 1, 0, 0, 1, 2, 2, 0])
    items = np.array([0, 1, 2, 0, -1, 0, 1, 1])
    candidate = np.array([False, False, False, True, True, True, True, True])
    found = event_targets(users, items, candidate)
    assert found.rows.tolist() == [6, 7]  # u2's b after its cold a; u0's b, new to u0
    assert found.items.tolist() == [1, 1]
    assert found.counts == {
        "test_events": 5,
        "dropped_events_unknown_item": 1,
        "skipped_cold_events": 1,
        "dropped_events_already_seen": 1,
    }
    assert event_targets(users, items, candidate, repeat_aware=True, include_cold=True).rows.tolist() == [
        3, 5, 6, 7,
    ]  # fmt: skip
