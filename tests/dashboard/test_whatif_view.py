"""What-if page helpers: the per-visitor edit state, the two lists' markers, labels, figure alignment."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dashboard import state, whatif_figures, whatif_view


def table(types: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"step": range(len(types)), "event_type": types})


def test_a_new_owner_starts_from_the_original_and_forgets_the_replay() -> None:
    session: dict[str, Any] = {state.WHATIF_REPLAYED: "[]", state.WHATIF_STEP: 4}
    original = table(["view", "cart"])
    whatif_view.claim(session, ("data", "u1"), original)
    assert session[state.WHATIF_TABLE] is original
    assert state.WHATIF_REPLAYED not in session
    assert state.WHATIF_STEP not in session
    edited = table(["view", "purchase"])
    session[state.WHATIF_TABLE] = edited
    whatif_view.claim(session, ("data", "u1"), original)  # the same user again: the edits stay
    assert session[state.WHATIF_TABLE] is edited
    whatif_view.claim(session, ("data", "u2"), table(["like"]))
    assert session[state.WHATIF_TABLE]["event_type"].tolist() == ["like"]


def test_an_editor_dropped_by_streamlit_starts_from_the_last_edited_table() -> None:
    session: dict[str, Any] = {}
    original = table(["view", "cart"])
    whatif_view.claim(session, ("data", "u1"), original)
    key, start = whatif_view.editor(session)
    assert start is original
    session[key] = {"edited_rows": {1: {"event_type": "purchase"}}}  # the widget's state while shown
    edited = table(["view", "purchase"])
    session[state.WHATIF_TABLE] = edited
    assert whatif_view.editor(session) == (key, original)  # its edits stay relative to where it started
    del session[key]  # the page was left: Streamlit dropped the widget's state
    assert whatif_view.editor(session) == (key, edited)


def test_restart_gives_a_new_editor() -> None:
    session: dict[str, Any] = {}
    whatif_view.restart(session, table(["view"]))
    first, _ = whatif_view.editor(session)
    imported = table(["cart"])
    whatif_view.restart(session, imported)
    second, start = whatif_view.editor(session)
    assert first != second
    assert start is imported


def ranked_list(items: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"rank": range(1, len(items) + 1), "item_id": items, "item_name": [i.upper() for i in items],
         "category": "c", "score": np.linspace(1, 0, len(items))}
    )  # fmt: skip


def test_side_by_side_marks_moved_entered_and_left_items() -> None:
    a, b, gone = whatif_view.side_by_side(
        ranked_list(["x", "y", "z", "w"]), ranked_list(["y", "x", "v", "w"])
    )
    assert a["vs"].tolist() == ["▼ 1", "▲ 1", "leaves", "="]
    assert b["vs"].tolist() == ["▲ 1", "▼ 1", "enters", "="]
    assert gone == ["Z"]
    assert list(a.columns) == ["rank", "vs", "item_name", "category", "score"]


def test_side_by_side_of_an_empty_edited_list() -> None:
    a, b, gone = whatif_view.side_by_side(ranked_list(["x"]), ranked_list([]))
    assert a["vs"].tolist() == ["leaves"]
    assert b.empty
    assert gone == ["X"]


def test_item_labels_name_the_item_and_keep_the_id() -> None:
    catalogue = pd.DataFrame(
        {
            "item_id": ["i1", "i2", "i3"],
            "item_name": ["Boot", None, "Atlas"],
            "category": ["shoes", "x", None],
        }
    )
    assert whatif_view.item_labels(catalogue) == {
        "i1": "Boot · shoes (i1)", "i2": "i2 · x (i2)", "i3": "Atlas (i3)"
    }  # fmt: skip


def test_edit_rows_number_the_edits() -> None:
    rows = whatif_view.edit_rows([{"op": "delete", "step": 4}, {"op": "insert", "after": -1, "item_id": "i1",
                                   "event_type": "view", "timestamp": None}])  # fmt: skip
    assert rows["#"].tolist() == [1, 2]
    assert rows["step"].tolist()[0] == 4
    assert pd.isna(rows["step"].iloc[1])
    assert rows["after"].iloc[1] == -1
    assert whatif_view.edit_rows([]).empty


def test_edited_values_are_drawn_at_the_original_step_they_align_to() -> None:
    per_step = pd.DataFrame({"step": [0, 1, 2, 3], "step_b": [0, -1, 2, 3]})  # step 1 deleted, one insert
    edited = pd.Series([0.1, 0.9, 0.3, 0.4])  # edited steps 0..3 (step 1 is the inserted event)
    out = whatif_figures.aligned(per_step, edited)
    assert out[[0, 2, 3]].tolist() == pytest.approx([0.1, 0.3, 0.4])
    assert np.isnan(out[1])


def test_the_interest_difference_keeps_deleted_steps_blank() -> None:
    diff = pd.DataFrame(
        {"step": [0, 0, 2, 2], "category": ["a", "b", "a", "b"], "diff": [0.0, 0.0, 0.2, -0.2]}
    )
    fig = whatif_figures.interest_difference(diff, n_steps=3, step=2, first_edit=1)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (2, 3)
    assert np.isnan(z[:, 1]).all()
    assert fig.data[0].zmax == pytest.approx(0.2)
