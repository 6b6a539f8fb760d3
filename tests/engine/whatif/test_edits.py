"""Parsing what-if edits: the JSON format of the issue, typed edits, one-line errors naming the edit."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.whatif.edits import Delete, Insert, Move, Replace, Retype, edits_to_json, parse_edits

ISSUE_EXAMPLE = """[{"op": "delete", "step": 5}, {"op": "insert", "after": 3, "item_id": "i9",
"event_type": "cart", "timestamp": null}, {"op": "retype", "step": 7, "event_type": "purchase"},
{"op": "move", "step": 2, "timestamp": "2024-03-01T10:00:00Z"},
{"op": "replace", "step": 4, "item_id": "i12"}]"""


def test_issue_example_parses_to_one_typed_edit_per_op() -> None:
    edits = parse_edits(ISSUE_EXAMPLE)
    assert edits == [
        Delete(step=5),
        Insert(after=3, item_id="i9", event_type="cart", timestamp=None),
        Retype(step=7, event_type="purchase"),
        Move(step=2, timestamp=pd.Timestamp("2024-03-01T10:00:00Z")),
        Replace(step=4, item_id="i12"),
    ]


def test_decoded_json_and_text_give_the_same_edits() -> None:
    assert parse_edits(json.loads(ISSUE_EXAMPLE)) == parse_edits(ISSUE_EXAMPLE)


def test_empty_list_is_allowed() -> None:
    assert parse_edits("[]") == []


def test_edits_to_json_reads_back_to_the_same_edits() -> None:
    edits = [
        *parse_edits(ISSUE_EXAMPLE),
        Insert(after=-1, item_id="new", event_type="view", item_name="New", category="toys"),
        Replace(step=1, item_id="n2", item_name="Two", category="books"),
    ]
    assert parse_edits(edits_to_json(edits)) == edits


def test_event_types_are_matched_like_the_loader() -> None:
    (edit,) = parse_edits([{"op": "retype", "step": 1, "event_type": " Buy "}])
    assert edit == Retype(step=1, event_type="purchase")


def test_unix_seconds_and_numeric_item_ids_are_accepted() -> None:
    (edit,) = parse_edits(
        [{"op": "insert", "after": 0, "item_id": 12, "event_type": "view", "timestamp": 1700000000}]
    )
    assert isinstance(edit, Insert)
    assert edit.item_id == "12"
    assert edit.timestamp == pd.Timestamp(1700000000, unit="s", tz="UTC")


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ("[{", "edits: not valid JSON"),
        ('{"op": "delete", "step": 1}', "edits: expected a JSON list of edits, got object"),
        ([3], "edit 1: expected an object, got number"),
        (
            [{"op": "delete", "step": 1}, {"op": "swap", "step": 2}],
            "edit 2 (swap step 2): unknown op 'swap'; expected one of delete, insert",
        ),
        ([{"step": 2}], "edit 1 (step 2): missing field 'op'"),
        ([{"op": "move", "step": 4}], "edit 1 (move step 4): missing field 'timestamp'"),
        ([{"op": "move", "step": 4, "timestamp": None}], "edit 1 (move step 4): cannot parse None as a time"),
        (
            [{"op": "move", "step": 4, "timestamp": "soon"}],
            "edit 1 (move step 4): cannot parse 'soon' as a time",
        ),
        ([{"op": "delete", "step": "5"}], "edit 1 (delete): 'step' must be an integer, got '5'"),
        ([{"op": "delete", "step": True}], "edit 1 (delete): 'step' must be an integer, got True"),
        ([{"op": "delete", "step": 5, "stpe": 6}], "edit 1 (delete step 5): unknown field(s) 'stpe'"),
        ([{"op": "retype", "step": 7, "event_type": ""}], "edit 1 (retype step 7): 'event_type' must be"),
        (
            [{"op": "insert", "after": 1, "item_id": None, "event_type": "view"}],
            "edit 1 (insert after 1): 'item_id'",
        ),
    ],
)
def test_bad_edits_raise_one_line_naming_the_edit(edits: Any, message: str) -> None:
    with pytest.raises(DataError) as err:
        parse_edits(edits)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
