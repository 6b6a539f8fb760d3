"""Applying what-if edits to one user's timeline: each op, insert times, order, alignment, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.whatif.apply import INSERTED_SOURCE_ROW, EditedTimeline, apply_edits
from engine.whatif.edits import parse_edits

T0 = 1_700_000_000  # unix seconds


@pytest.fixture
def timeline() -> Timeline:
    """u1 has steps 0..5 at T0 + 100 s * step; u2 has events in between and one tied with u1's step 2."""
    rows = [
        ("u1", "i1", 0, "view", "shoes", "Trail shoe", "s1"),
        ("u2", "i3", 50, "view", "books", "Atlas", "s9"),
        ("u1", "i2", 100, "view", "shoes", "Road shoe", "s1"),
        ("u1", "i2", 200, "cart", "shoes", "Road shoe", "s1"),
        ("u2", "i4", 200, "like", "books", "Novel", "s9"),
        ("u1", "i3", 300, "view", "books", "Atlas", "s2"),
        ("u1", "i4", 400, "view", "books", "Novel", "s2"),
        ("u2", "i1", 450, "view", "shoes", "Trail shoe", "s9"),
        ("u1", "i1", 500, "purchase", "shoes", "Trail shoe", "s2"),
    ]
    columns = ["user_id", "item_id", "timestamp", "event_type", "category", "item_name", "session_id"]
    raw = pd.DataFrame(rows, columns=columns)
    raw["timestamp"] = raw["timestamp"] + T0
    return normalize(raw, drop_outliers=False)


INSERT_AT_END = {"op": "insert", "after": 5, "item_id": "i2", "event_type": "view"}


def edit(timeline: Timeline, edits: Any, user: str = "u1") -> EditedTimeline:
    return apply_edits(timeline, user, parse_edits(edits))


def user_rows(result: EditedTimeline, user: str = "u1") -> pd.DataFrame:
    return result.user_events()


def seconds(frame: pd.DataFrame) -> list[float]:
    return [(t - pd.Timestamp(T0, unit="s", tz="UTC")).total_seconds() for t in frame["timestamp"]]


def assert_invariants(result: EditedTimeline, before: Timeline) -> None:
    events = result.timeline.events
    assert events["timestamp"].is_monotonic_increasing
    assert list(events.index) == list(range(len(events)))
    assert events.dtypes.equals(before.events.dtypes)
    assert list(events["event_type"].cat.categories) == list(before.events["event_type"].cat.categories)
    assert len(result.origin_step) == len(result.change) == int((events["user_id"] == result.user).sum())


def assert_others_untouched(result: EditedTimeline, before: Timeline) -> None:
    def others(t: Timeline) -> pd.DataFrame:
        return t.events[t.events["user_id"] != result.user].reset_index(drop=True)

    pd.testing.assert_frame_equal(others(result.timeline), others(before))


def test_empty_edit_list_leaves_the_timeline_unchanged(timeline: Timeline) -> None:
    result = edit(timeline, [])
    pd.testing.assert_frame_equal(result.timeline.events, timeline.events)
    assert result.origin_step.tolist() == [0, 1, 2, 3, 4, 5]
    assert result.first_changed_step is None
    assert result.edited_steps == ()


def test_delete_removes_the_step_and_leaves_no_counterpart(timeline: Timeline) -> None:
    result = edit(timeline, [{"op": "delete", "step": 2}])
    rows = user_rows(result)
    assert rows["item_id"].tolist() == ["i1", "i2", "i3", "i4", "i1"]
    assert result.origin_step.tolist() == [0, 1, 3, 4, 5]
    assert result.first_changed_step == 2
    assert_invariants(result, timeline)
    assert_others_untouched(result, timeline)


def test_insert_without_time_goes_midway_and_aligns_to_the_step_before(timeline: Timeline) -> None:
    result = edit(timeline, [{"op": "insert", "after": 1, "item_id": "i4", "event_type": "like"}])
    rows = user_rows(result)
    assert seconds(rows) == [0, 100, 150, 200, 300, 400, 500]
    new = rows.iloc[2]
    assert (new["item_id"], new["event_type"], new["item_name"], new["category"]) == (
        "i4",
        "like",
        "Novel",
        "books",
    )
    assert new["source_row"] == INSERTED_SOURCE_ROW
    assert new["session_id"] == "s1"  # the session of the event before it
    assert result.origin_step.tolist() == [0, 1, 1, 2, 3, 4, 5]
    assert rows["change"].tolist() == ["", "", "insert", "", "", "", ""]
    assert result.first_changed_step == 1  # original step 1 now compares with the state after the insert
    assert_invariants(result, timeline)
    assert_others_untouched(result, timeline)


def test_insert_at_the_end_goes_one_second_after_the_last(timeline: Timeline) -> None:
    result = edit(timeline, [{"op": "insert", "after": 5, "item_id": "i2", "event_type": "view"}])
    assert seconds(user_rows(result))[-2:] == [500, 501]
    assert result.origin_step.tolist()[-1] == 5
    assert result.first_changed_step == 5


def test_insert_before_the_first_goes_one_second_earlier_and_aligns_to_minus_one(timeline: Timeline) -> None:
    result = edit(timeline, [{"op": "insert", "after": -1, "item_id": "i2", "event_type": "view"}])
    rows = user_rows(result)
    assert seconds(rows)[:2] == [-1, 0]
    assert rows["session_id"].iloc[0] == "s1"  # first event: the session of the event after it
    assert result.origin_step.tolist() == [-1, 0, 1, 2, 3, 4, 5]
    assert result.first_changed_step == 0
    assert result.timeline.events["user_id"].iloc[0] == "u1"
    assert_invariants(result, timeline)


def test_an_insert_tied_in_time_sits_right_after_its_anchor(timeline: Timeline) -> None:
    # u1's step 2 (200 s) ties with a u2 event that comes after it in the file
    edits = [{"op": "insert", "after": 2, "item_id": "i1", "event_type": "view", "timestamp": T0 + 200}]
    events = edit(timeline, edits).timeline.events
    at_200 = events[np.array(seconds(events)) == 200]
    assert at_200["user_id"].tolist() == ["u1", "u1", "u2"]
    assert at_200["source_row"].tolist()[1] == INSERTED_SOURCE_ROW


def test_insert_with_a_timestamp_sorts_by_time_and_aligns_to_the_event_before_it(timeline: Timeline) -> None:
    result = edit(
        timeline, [{"op": "insert", "after": 0, "item_id": "i3", "event_type": "view", "timestamp": T0 + 350}]
    )
    rows = user_rows(result)
    assert seconds(rows) == [0, 100, 200, 300, 350, 400, 500]
    assert result.origin_step.tolist() == [0, 1, 2, 3, 3, 4, 5]
    assert rows["session_id"].iloc[4] == "s2"


def test_retype_changes_only_the_event_type(timeline: Timeline) -> None:
    result = edit(timeline, [{"op": "retype", "step": 3, "event_type": "buy"}])
    rows = user_rows(result)
    assert rows["event_type"].tolist() == ["view", "view", "cart", "purchase", "view", "purchase"]
    assert result.origin_step.tolist() == [0, 1, 2, 3, 4, 5]
    assert rows["change"].tolist()[3] == "retype"
    assert result.first_changed_step == 3
    assert_invariants(result, timeline)
    assert_others_untouched(result, timeline)


def test_move_gives_a_new_time_and_the_event_re_sorts(timeline: Timeline) -> None:
    result = edit(
        timeline, [{"op": "move", "step": 1, "timestamp": pd.Timestamp(T0 + 450, unit="s").isoformat() + "Z"}]
    )
    rows = user_rows(result)
    assert seconds(rows) == [0, 200, 300, 400, 450, 500]
    assert result.origin_step.tolist() == [0, 2, 3, 4, 1, 5]
    assert rows["session_id"].iloc[4] == "s2"  # joins the session of the event before it
    assert rows["source_row"].iloc[4] == timeline.events["source_row"].iloc[2]  # the same event
    assert result.first_changed_step == 1
    assert_invariants(result, timeline)
    assert_others_untouched(result, timeline)


def test_replace_with_a_known_item_takes_its_name_and_category(timeline: Timeline) -> None:
    result = edit(timeline, [{"op": "replace", "step": 0, "item_id": "i4"}])
    first = user_rows(result).iloc[0]
    assert (first["item_id"], first["item_name"], first["category"], first["event_type"]) == (
        "i4",
        "Novel",
        "books",
        "view",
    )
    assert result.first_changed_step == 0
    assert_others_untouched(result, timeline)


def test_replace_and_insert_with_a_new_item_given_name_and_category(timeline: Timeline) -> None:
    result = edit(
        timeline,
        [
            {"op": "replace", "step": 4, "item_id": "i99", "item_name": "Kite", "category": "toys"},
            {
                "op": "insert",
                "after": 4,
                "item_id": "i98",
                "event_type": "cart",
                "item_name": "Yo-yo",
                "category": "toys",
            },
        ],
    )
    rows = user_rows(result)
    assert rows[["item_id", "item_name", "category"]].iloc[4:6].to_numpy().tolist() == [
        ["i99", "Kite", "toys"],
        ["i98", "Yo-yo", "toys"],
    ]
    assert_invariants(result, timeline)


def test_edits_apply_in_order(timeline: Timeline) -> None:
    inserts = [
        {"op": "insert", "after": 2, "item_id": "i1", "event_type": "view"},
        {"op": "insert", "after": 2, "item_id": "i4", "event_type": "view"},
    ]
    assert user_rows(edit(timeline, inserts))["item_id"].tolist()[3:5] == ["i1", "i4"]
    assert user_rows(edit(timeline, inserts[::-1]))["item_id"].tolist()[3:5] == ["i4", "i1"]
    # an item added by an earlier edit is known to the later ones, not the other way round
    add = {
        "op": "insert",
        "after": 0,
        "item_id": "i77",
        "event_type": "view",
        "item_name": "Hat",
        "category": "hats",
    }
    use = {"op": "replace", "step": 5, "item_id": "i77"}
    assert user_rows(edit(timeline, [add, use]))["item_name"].iloc[-1] == "Hat"
    with pytest.raises(DataError, match=r"^edit 1 \(replace step 5\): item 'i77' is not in the timeline"):
        edit(timeline, [use, add])


def test_several_edits_keep_other_users_and_invariants(timeline: Timeline) -> None:
    edits = [
        {"op": "delete", "step": 5},
        {"op": "insert", "after": 3, "item_id": "i1", "event_type": "cart", "timestamp": None},
        {"op": "retype", "step": 4, "event_type": "purchase"},
        {"op": "move", "step": 0, "timestamp": T0 + 250},
        {"op": "replace", "step": 2, "item_id": "i3"},
    ]
    result = edit(timeline, edits)
    rows = user_rows(result)
    assert seconds(rows) == [100, 200, 250, 300, 350, 400]
    assert rows["change"].tolist() == ["", "replace", "move", "", "insert", "retype"]
    assert result.origin_step.tolist() == [1, 2, 0, 3, 3, 4]
    assert result.edited_steps == (0, 2, 3, 4, 5)
    assert result.first_changed_step == 0
    assert_invariants(result, timeline)
    assert_others_untouched(result, timeline)


def test_editing_one_synthetic_user_leaves_the_rest_of_the_shop_as_it_was() -> None:
    timeline, _ = generate(SyntheticConfig(n_users=12, n_items=60, n_categories=4, days=6, seed=5))
    user = str(timeline.events["user_id"].value_counts().index[0])
    n = int((timeline.events["user_id"] == user).sum())
    item = str(timeline.events["item_id"].iloc[-1])
    edits = [
        {"op": "delete", "step": 1},
        {"op": "insert", "after": n - 1, "item_id": item, "event_type": "purchase"},
        {"op": "move", "step": 2, "timestamp": str(timeline.events["timestamp"].iloc[-1].isoformat())},
        {"op": "retype", "step": n // 2, "event_type": "like"},
    ]
    result = edit(timeline, edits, user)
    assert len(result.timeline) == len(timeline)  # one deleted, one inserted
    assert_invariants(result, timeline)
    assert_others_untouched(result, timeline)
    assert result.origin_step.tolist().count(n - 1) == 2  # the last event and the insert after it


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            [{"op": "delete", "step": 2}, {"op": "retype", "step": 2, "event_type": "like"}],
            "edit 2 (retype step 2): step 2 is already edited by edit 1 (delete step 2)",
        ),
        (
            [{"op": "delete", "step": 6}],
            "edit 1 (delete step 6): step 6 is out of range: user 'u1' has 6 event(s)",
        ),
        ([{"op": "move", "step": -1, "timestamp": T0}], "edit 1 (move step -1): step -1 is out of range"),
        (
            [{"op": "insert", "after": 6, "item_id": "i1", "event_type": "view"}],
            "edit 1 (insert after 6): 'after' 6 is out of range",
        ),
        (
            [{"op": "delete", "step": 0}, {"op": "retype", "step": 1, "event_type": "buyy"}],
            "edit 2 (retype step 1): unknown event type 'buyy' (known: view, like, cart, purchase)",
        ),
        (
            [{"op": "insert", "after": 0, "item_id": "i1", "event_type": "rate"}],
            "edit 1 (insert after 0): unknown event type 'rate'",
        ),
        (
            [{"op": "replace", "step": 1, "item_id": "i9", "item_name": "Nine"}],
            'edit 1 (replace step 1): item \'i9\' is not in the timeline; give "item_name" and "category"',
        ),
        (
            [{"op": "insert", "after": 1, "item_id": "i9", "event_type": "view", "category": "toys"}],
            "edit 1 (insert after 1): item 'i9' is not in the timeline",
        ),
        (
            [{"op": "replace", "step": 1, "item_id": "i1", "category": "books"}],
            "edit 1 (replace step 1): item 'i1' has category 'shoes' in the timeline, not 'books'",
        ),
    ],
)
def test_bad_edits_raise_one_line_naming_the_edit(timeline: Timeline, edits: Any, message: str) -> None:
    with pytest.raises(DataError) as err:
        edit(timeline, edits)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_user_not_in_the_timeline_is_an_error(timeline: Timeline) -> None:
    with pytest.raises(DataError, match=r"^user 'u7' is not in the timeline$"):
        edit(timeline, [], user="u7")


def test_deleting_every_event_of_the_user_is_an_error(timeline: Timeline) -> None:
    with pytest.raises(DataError, match="the edits delete every event of user 'u1'"):
        edit(timeline, [{"op": "delete", "step": s} for s in range(6)])
    # with an insert something is left to replay
    kept = edit(timeline, [*({"op": "delete", "step": s} for s in range(6)), INSERT_AT_END])
    assert kept.origin_step.tolist() == [-1]
    assert kept.first_changed_step == 0


def test_a_bad_edit_leaves_the_input_timeline_as_it_was(timeline: Timeline) -> None:
    before = timeline.events.copy()
    with pytest.raises(DataError):
        edit(timeline, [{"op": "retype", "step": 1, "event_type": "like"}, {"op": "delete", "step": 1}])
    pd.testing.assert_frame_equal(timeline.events, before)
