"""The what-if façade: one call edits, replays and compares; a given original trace is reused, and
must be of the same user and list length; the editor's table and the item catalogue."""

from __future__ import annotations

import pytest

from engine import api
from engine.replay.model import ReplayModel


def test_whatif_reuses_a_given_original_trace(
    replay_model: ReplayModel, replay_data: api.Timeline, busiest_user: str
) -> None:
    edits = api.parse_edits([{"op": "retype", "step": 4, "event_type": "purchase"}])
    fresh = api.whatif(replay_model, replay_data, busiest_user, edits, k=10)
    reused = api.whatif(replay_model, replay_data, busiest_user, edits, k=10, original=fresh.original)
    assert reused.original is fresh.original
    assert reused.comparison.summary["stability"] == fresh.comparison.summary["stability"]
    assert reused.comparison.summary["first_edit"] == 4
    assert reused.events["change"].tolist().count("retype") == 1
    assert reused.edits == tuple(edits)
    assert api.parse_edits(api.edits_json(edits)) == edits


def test_an_original_of_another_list_length_is_refused(
    replay_model: ReplayModel, replay_data: api.Timeline, busiest_user: str
) -> None:
    original = api.replay_user(replay_model, replay_data, busiest_user, k=5)
    with pytest.raises(api.DataError, match="k=5, not of user"):
        api.whatif(replay_model, replay_data, busiest_user, [], k=10, original=original)


def test_the_editor_table_of_imported_edits(replay_data: api.Timeline, busiest_user: str) -> None:
    edits = api.parse_edits([{"op": "delete", "step": 0}, {"op": "insert", "after": 2, "item_id":
                             str(replay_data.events["item_id"].iloc[0]), "event_type": "cart"}])  # fmt: skip
    table = api.edited_table(replay_data, busiest_user, edits)
    n = int((replay_data.events["user_id"] == busiest_user).sum())
    assert len(table) == n
    assert table["step"].isna().sum() == 1
    assert 0 not in set(table["step"].dropna())
    original = api.timeline_table(replay_data.events[replay_data.events["user_id"] == busiest_user])
    back = api.edits_from_table(original, table)
    assert [(e.op, e.to_dict().get("step", e.to_dict().get("after"))) for e in back] == [
        ("delete", 0), ("insert", 2)
    ]  # fmt: skip


def test_the_catalogue_holds_the_model_items_and_the_unseen_ones(
    replay_model: ReplayModel, replay_data: api.Timeline
) -> None:
    items = api.catalogue(replay_model, replay_data)
    assert set(items["item_id"]) == set(replay_model.catalogue) | set(replay_data.events["item_id"])
    assert items["item_id"].is_unique
    assert items["item_id"].is_monotonic_increasing
