"""Small helpers of the What-if page: the per-visitor edit state, item labels, the two lists side by side.

The edit state lives in ``st.session_state`` (passed in as ``session``, so these run on a plain dict in
tests): the edited table survives switching pages, although Streamlit drops the editor's own state when
its page is not shown; the editor then starts again from the last edited table.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pandas as pd

from dashboard import state

Session = MutableMapping[Any, Any]  # st.session_state, or a dict in tests

NOTE = (
    "Edits change the memory's path, not item embeddings: those are fixed per checkpoint, so an inserted "
    "or replaced item is scored with the embedding the model learnt for it. What changes is the user's "
    "state and everything read from it: the lists, drift and interests."
)


def claim(session: Session, owner: tuple[str, str], original: pd.DataFrame) -> None:
    """Start from the unedited ``original`` table when the data or the user changed (``owner``)."""
    if session.get(state.WHATIF_OWNER) == owner:
        return
    session[state.WHATIF_OWNER] = owner
    restart(session, original)
    session.pop(state.WHATIF_REPLAYED, None)
    session.pop(state.WHATIF_IMPORTED, None)
    forget_step(session)


def restart(session: Session, table: pd.DataFrame) -> None:
    """A new editor (a new widget key) that starts from ``table`` with no pending cell edits."""
    session[state.WHATIF_TABLE] = table
    session[state.WHATIF_BASE] = table
    session[state.WHATIF_VERSION] = int(session.get(state.WHATIF_VERSION, 0)) + 1


def editor(session: Session) -> tuple[str, pd.DataFrame]:
    """The editor's key and the table it starts from. An editor whose state Streamlit dropped (its page
    was left) starts again from the last edited table, so no edit is lost or applied twice."""
    key = state.whatif_editor(int(session[state.WHATIF_VERSION]))
    if key not in session:
        session[state.WHATIF_BASE] = session[state.WHATIF_TABLE]
    return key, session[state.WHATIF_BASE]


def forget_step(session: Session) -> None:
    """The side-by-side view starts again at the first edited step."""
    session.pop(state.WHATIF_STEP, None)
    session.pop(state.WHATIF_STEP_SLIDER, None)


def item_labels(catalogue: pd.DataFrame) -> dict[str, str]:
    """item id -> "name · category (id)" for the item picker (plain text in the editor's cells)."""
    names = catalogue["item_name"].fillna("").astype(str)
    categories = catalogue["category"].fillna("").astype(str)
    return {
        str(item): f"{name or item} · {category} ({item})" if category else f"{name or item} ({item})"
        for item, name, category in zip(catalogue["item_id"], names, categories, strict=True)
    }


def edit_rows(edits: list[dict[str, Any]]) -> pd.DataFrame:
    """The edit list as a table, one row per edit in the order they apply (``Edit.to_dict()`` rows)."""
    columns = ["op", "step", "after", "item_id", "event_type", "timestamp"]
    table = pd.DataFrame.from_records(edits, columns=columns) if edits else pd.DataFrame(columns=columns)
    table.insert(0, "#", range(1, len(table) + 1))
    return table.astype({"step": "Int64", "after": "Int64"})


def ranked(recs: pd.DataFrame, step: int) -> pd.DataFrame:
    """The list shown at ``step`` (rows that left it dropped), by rank."""
    rows = recs[(recs["step"] == step) & (recs["status"] != "left")]
    return rows.sort_values("rank", kind="stable").reset_index(drop=True)


def side_by_side(list_a: pd.DataFrame, list_b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The original and the edited list at one aligned step, each with a ``vs`` marker:
    in the original list, where the item went in the edited one (``▲ n`` / ``▼ n`` / ``=``, or ``leaves``);
    in the edited list, where it came from (the same arrows, or ``enters``); and the names of the items
    that left (in the original list, not in the edited one)."""
    rank_a = dict(zip(list_a["item_id"], list_a["rank"], strict=True))
    rank_b = dict(zip(list_b["item_id"], list_b["rank"], strict=True))
    shown = ["rank", "vs", "item_name", "category", "score"]
    a = list_a.assign(vs=[_moved(rank_a[i], rank_b.get(i), "leaves") for i in list_a["item_id"]])
    b = list_b.assign(vs=[_moved(rank_a.get(i), rank_b[i], "enters") for i in list_b["item_id"]])
    left = list_a.loc[~list_a["item_id"].isin(rank_b), "item_name"].astype(str).tolist()
    return a[shown], b[shown], left


def _moved(rank_a: Any, rank_b: Any, missing: str) -> str:
    """Rank change from the original list to the edited one: ▲ up (a smaller rank), ▼ down."""
    if rank_a is None or rank_b is None:
        return missing
    up = int(rank_a) - int(rank_b)
    return f"▲ {up}" if up > 0 else f"▼ {-up}" if up < 0 else "="


def event_text(row: pd.Series) -> str:
    """One event in words (plain text: show it with st.text or escape it for markdown)."""
    name = row["item_name"] if pd.notna(row["item_name"]) else row["item_id"]
    return f"{row['timestamp']:%Y-%m-%d %H:%M:%S} UTC · {row['event_type']} · {name} ({row['category']})"
