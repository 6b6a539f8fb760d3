"""The time and leave-last-out protocols: what training sees, who is tested, and which items are targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.evaluation.protocols import loo_split, make_split, time_split


def _timeline(rows: list[tuple[str, str, int]]) -> Timeline:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


# times 1..10; the 0.7 "lower" quantile of 10 event times is the 7th time (t = 70)
EVENTS = [
    ("a", "i1", 10), ("a", "i2", 20), ("b", "i1", 30), ("b", "i3", 40), ("c", "i4", 50),
    ("a", "i5", 60),
    ("a", "i3", 70),  # a: new, known item -> target
    ("a", "i2", 80),  # a: already seen -> not a target (unless repeat-aware)
    ("b", "i9", 90),  # b: i9 unknown before the cut -> never a target
    ("d", "i1", 100),  # d: no pre-cut history -> cold
]  # fmt: skip


def test_time_split_trains_strictly_before_the_cut() -> None:
    split = time_split(_timeline(EVENTS), quantile=0.7)
    assert split.cut == pd.Timestamp(70, unit="s", tz="UTC")
    assert (split.train.events["timestamp"] < split.cut).all()
    assert len(split.train) == 6
    assert len(split.held_out) == 4


def test_time_split_targets_new_known_items_of_warm_users() -> None:
    split = time_split(_timeline(EVENTS), quantile=0.7)
    assert split.users.tolist() == ["a"]
    catalogue = split.catalogue.tolist()
    assert catalogue == ["i1", "i2", "i3", "i4", "i5"]
    assert [catalogue[i] for i in split.targets[0].indices] == ["i3"]
    assert split.counts["dropped_targets_already_seen"] == 1
    assert split.counts["dropped_targets_unknown_item"] == 1
    assert split.counts["skipped_cold_users"] == 1
    assert split.counts["skipped_users_no_new_known_item"] == 1  # b: only the unknown i9


def test_repeat_aware_keeps_seen_items() -> None:
    split = time_split(_timeline(EVENTS), quantile=0.7, repeat_aware=True)
    assert split.repeat_aware
    assert sorted(split.catalogue[split.targets[0].indices].tolist()) == ["i2", "i3"]


def test_include_cold_scores_users_first_seen_after_the_cut() -> None:
    split = time_split(_timeline(EVENTS), quantile=0.7, include_cold=True)
    assert split.users.tolist() == ["a", "d"]
    assert split.counts["cold_users_scored"] == 1


def test_time_split_errors_are_clear() -> None:
    with pytest.raises(DataError, match="strictly between"):
        time_split(_timeline(EVENTS), quantile=1.0)
    with pytest.raises(DataError, match="no user with pre-cut history"):
        time_split(_timeline([("a", "i1", 1), ("b", "i2", 2), ("c", "i3", 3)]), quantile=0.5)


def test_loo_holds_out_each_users_last_event_with_file_order_ties() -> None:
    rows = [
        ("u", "x", 10), ("u", "y", 20), ("u", "z", 20),  # y and z share t=20: z comes later in the file
        ("v", "x", 5), ("v", "y", 30),
        ("w", "z", 7),  # one event: stays in training, not tested
    ]  # fmt: skip
    split = loo_split(_timeline(rows))
    held = split.held_out.sort_values("user_id")
    assert held["item_id"].tolist() == ["z", "y"]
    assert split.users.tolist() == ["u", "v"]
    assert [split.catalogue[split.targets[i].indices[0]] for i in range(2)] == ["z", "y"]
    assert "w" in set(split.train.events["user_id"])
    assert split.counts["users_with_one_event"] == 1
    assert any("file order" in note and "1 held-out" in note for note in split.notes)


def test_loo_skips_repeats_unless_repeat_aware() -> None:
    rows = [("u", "x", 1), ("u", "y", 2), ("u", "x", 3), ("v", "x", 1), ("v", "y", 2)]
    assert loo_split(_timeline(rows)).users.tolist() == ["v"]
    assert loo_split(_timeline(rows), repeat_aware=True).users.tolist() == ["u", "v"]


def test_make_split_names() -> None:
    tl = _timeline(EVENTS)
    assert make_split(tl, "time", 0.7).protocol == "time"
    assert make_split(_timeline([("u", "x", 1), ("u", "y", 2), ("v", "y", 3)]), "loo").protocol == "loo"
    with pytest.raises(DataError, match="unknown protocol"):
        make_split(tl, "random")


def test_targets_index_the_catalogue_the_models_build() -> None:
    from engine.recommenders.popularity import MostPop

    split = time_split(_timeline(EVENTS), quantile=0.7)
    model = MostPop().fit(split.train)
    assert np.array_equal(model.catalogue, split.catalogue)
    assert split.targets.shape == (1, model.n_items)


def test_training_index_is_what_every_model_indexes() -> None:
    from engine.recommenders.index import training_index
    from engine.recommenders.markov import SeqMarkov

    train = time_split(_timeline(EVENTS), quantile=0.7).train
    index, model = training_index(train), SeqMarkov().fit(train)
    assert np.array_equal(index.catalogue, model.catalogue)
    assert index.history.keys() == model.history.keys()
    for user, seq in model.history.items():
        assert np.array_equal(index.history[user], seq)
    assert index.history["a"].tolist() == [0, 1, 4]  # i1, i2, i5 in time order


def test_include_cold_is_refused_by_leave_last_out() -> None:
    rows = [("u", "x", 1), ("u", "y", 2), ("v", "y", 3), ("v", "x", 4)]
    with pytest.raises(ValueError, match="time and stream protocols only"):
        make_split(_timeline(rows), "loo", include_cold=True)


def test_notes_carry_no_prefix_of_their_own() -> None:
    rows = [("u", "x", 1), ("u", "y", 2), ("v", "y", 3), ("v", "x", 4)]
    for split in (loo_split(_timeline(rows)), time_split(_timeline(EVENTS), quantile=0.7)):
        assert not any(note.lower().startswith("note:") for note in split.notes)  # the CLI adds "note: "
