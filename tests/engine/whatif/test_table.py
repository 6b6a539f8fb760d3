"""The editable table and the edits read from it: each op, replaced events, inserts by time, bad rows,
and edits that rebuild the edited table when applied."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.whatif.apply import apply_edits
from engine.whatif.edits import Delete, Insert, Move, Replace, Retype, parse_edits
from engine.whatif.table import edits_from_table, timeline_table

T0 = 1_700_000_000


def at(seconds: float) -> pd.Timestamp:
    return pd.Timestamp(T0 + seconds, unit="s", tz="UTC")


@pytest.fixture
def timeline() -> Timeline:
    """u1 has steps 0..5 at T0 + 100 s * step (step 2 at +200.5 s); u2 has two events in between."""
    rows = [
        ("u1", "i1", 0, "view"), ("u2", "i3", 50, "view"), ("u1", "i2", 100, "view"),
        ("u1", "i2", 200.5, "cart"), ("u1", "i3", 300, "view"), ("u2", "i4", 350, "like"),
        ("u1", "i4", 400, "view"), ("u1", "i1", 500, "purchase"),
    ]  # fmt: skip
    raw = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "event_type"])
    raw["timestamp"] = pd.to_datetime(raw["timestamp"] + T0, unit="s", utc=True)
    raw["category"] = raw["item_id"].map({"i1": "shoes", "i2": "shoes", "i3": "books", "i4": "books"})
    raw["item_name"] = raw["item_id"].str.upper()
    return normalize(raw, drop_outliers=False)


@pytest.fixture
def original(timeline: Timeline) -> pd.DataFrame:
    return timeline_table(timeline.events[timeline.events["user_id"] == "u1"])


def user_events(timeline: Timeline, user: str = "u1") -> list[tuple[str, str, pd.Timestamp]]:
    ev = timeline.events[timeline.events["user_id"] == user]
    return list(zip(ev["item_id"], ev["event_type"].astype(str), ev["timestamp"], strict=True))


def table_events(table: pd.DataFrame) -> list[tuple[str, str, pd.Timestamp]]:
    ordered = table.assign(t=pd.to_datetime(table["timestamp"], utc=True)).sort_values("t", kind="stable")
    return list(zip(ordered["item_id"], ordered["event_type"], ordered["t"], strict=True))


def test_the_table_of_original_events(original: pd.DataFrame) -> None:
    assert list(original.columns) == ["step", "timestamp", "item_id", "event_type"]
    assert original["step"].tolist() == [0, 1, 2, 3, 4, 5]
    assert original["item_id"].tolist() == ["i1", "i2", "i2", "i3", "i4", "i1"]
    assert original["timestamp"].iloc[2] == at(200.5)


def test_an_untouched_table_has_no_edits(original: pd.DataFrame) -> None:
    assert edits_from_table(original, original.copy()) == []


def test_each_change_of_one_field_is_its_op(original: pd.DataFrame) -> None:
    edited = original.copy()
    edited.loc[1, "item_id"] = "i4"
    edited.loc[3, "event_type"] = "purchase"
    edited.loc[4, "timestamp"] = at(450)
    edited = edited.drop(index=5)
    assert edits_from_table(original, edited) == [
        Replace(1, "i4"), Retype(3, "purchase"), Move(4, at(450)), Delete(5)
    ]  # fmt: skip


def test_times_are_compared_to_the_second(original: pd.DataFrame) -> None:
    """An editor that drops the half second of step 2 has not moved it."""
    edited = original.copy()
    edited["timestamp"] = edited["timestamp"].dt.floor("s").dt.tz_localize(None)  # naive: read as UTC
    assert edits_from_table(original, edited) == []


def test_two_changes_to_one_event_replace_it_in_place(timeline: Timeline, original: pd.DataFrame) -> None:
    edited = original.copy()
    edited.loc[2, ["item_id", "event_type"]] = ["i3", "like"]
    edits = edits_from_table(original, edited)
    assert edits == [Delete(2), Insert(2, "i3", "like", at(200.5))]  # the exact original time
    result = apply_edits(timeline, "u1", edits)
    assert user_events(result.timeline) == table_events(edited)


def test_an_added_row_goes_after_the_last_event_not_later(original: pd.DataFrame) -> None:
    added = pd.DataFrame(
        {"step": pd.array([pd.NA, pd.NA], dtype="Int64"), "timestamp": [at(300), at(-10)],
         "item_id": ["i4", "i2"], "event_type": ["cart", "view"]}
    )  # fmt: skip
    edits = edits_from_table(original, pd.concat([original, added], ignore_index=True))
    assert edits == [Insert(-1, "i2", "view", at(-10)), Insert(3, "i4", "cart", at(300))]  # ties: after


def test_an_added_row_without_a_time_follows_the_row_above(original: pd.DataFrame) -> None:
    edited = pd.concat(
        [original.iloc[:3], pd.DataFrame({"step": [pd.NA], "timestamp": [pd.NaT], "item_id": ["i4"],
                                          "event_type": ["like"]}), original.iloc[3:]],
        ignore_index=True,
    )  # fmt: skip
    edited["step"] = edited["step"].astype("Int64")
    assert edits_from_table(original, edited) == [Insert(2, "i4", "like", None)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_item", "row 7: choose an item"),
        ("no_type", "row 7: choose an event type"),
        ("bad_time", "row 7: cannot read 'soon' as a time"),
        ("twice", "row 7 (step 1): step 1 is also row 2"),
        ("unknown_step", "row 7 (step 9): step must be one of the original steps 0-5"),
        ("no_time", "row 2 (step 1): give a time"),
    ],
)
def test_bad_rows_are_named(change: str, message: str, original: pd.DataFrame) -> None:
    row = {"step": pd.NA, "timestamp": at(10), "item_id": "i1", "event_type": "view"}
    if change == "no_item":
        row["item_id"] = None
    elif change == "no_type":
        row["event_type"] = ""
    elif change == "bad_time":
        row["timestamp"] = "soon"
    elif change in ("twice", "unknown_step"):
        row["step"] = 1 if change == "twice" else 9
    edited = pd.concat([original.astype({"timestamp": object}), pd.DataFrame([row])], ignore_index=True)
    if change == "no_time":
        edited = original.copy()
        edited.loc[1, "timestamp"] = pd.NaT
    with pytest.raises(DataError, match=r"^" + message.replace("(", r"\(").replace(")", r"\)")):
        edits_from_table(original, edited)


def test_imported_edits_come_back_from_their_table(timeline: Timeline, original: pd.DataFrame) -> None:
    """The page shows imported edits as a table; reading that table back gives the same timeline."""
    imported = parse_edits(
        [
            {"op": "insert", "after": 1, "item_id": "i3", "event_type": "cart", "timestamp": None},
            {"op": "delete", "step": 0},
            {"op": "move", "step": 4, "timestamp": T0 + 50},
            {"op": "replace", "step": 3, "item_id": "i1"},
            {"op": "insert", "after": 5, "item_id": "i2", "event_type": "like"},
        ]
    )
    first = apply_edits(timeline, "u1", imported)
    shown = timeline_table(first.user_events())
    assert shown["step"].isna().tolist() == [False, False, True, False, False, False, True]
    again = apply_edits(timeline, "u1", edits_from_table(original, shown))
    assert user_events(again.timeline) == user_events(first.timeline)
    assert user_events(again.timeline, "u2") == user_events(timeline, "u2")


def test_random_tables_are_rebuilt_by_their_edits() -> None:
    """Edit a real user's table at random (drop, change fields, add rows); the edits rebuild it."""
    timeline, _ = generate(SyntheticConfig(n_users=3, n_items=30, n_categories=3, days=4, seed=2))
    user = str(timeline.events["user_id"].iloc[0])
    original = timeline_table(timeline.events[timeline.events["user_id"] == user])
    items = sorted(timeline.events["item_id"].unique())
    types = ["view", "like", "cart", "purchase"]
    rng = np.random.default_rng(0)
    start, span = original["timestamp"].min(), original["timestamp"].max() - original["timestamp"].min()
    for _ in range(20):
        edited = original.sample(frac=0.8, random_state=int(rng.integers(1 << 30))).sort_index()
        for row in rng.choice(edited.index, size=6, replace=False):
            field = rng.choice(["item_id", "event_type", "timestamp", "both"])
            if field in ("item_id", "both"):
                edited.loc[row, "item_id"] = rng.choice(items)
            if field in ("event_type", "both"):
                edited.loc[row, "event_type"] = rng.choice(types)
            if field == "timestamp":
                edited.loc[row, "timestamp"] = (start + span * rng.random()).floor("s")
        added = pd.DataFrame(
            {"step": pd.array([pd.NA] * 3, dtype="Int64"),
             "timestamp": [(start + span * rng.random()).floor("s") for _ in range(3)],
             "item_id": rng.choice(items, 3), "event_type": rng.choice(types, 3)}
        )  # fmt: skip
        edited = pd.concat([edited, added], ignore_index=True)
        result = apply_edits(timeline, user, edits_from_table(original, edited))
        assert sorted(user_events(result.timeline, user)) == sorted(table_events(edited))
