"""Apply what-if edits to one user's events: a new Timeline plus the alignment to the original steps.

Edits address the user's *original* steps and are checked and applied in order (an item added by one
edit, with its name and category, is known to the edits after it). The result keeps the Timeline
invariants: rows sorted by time, ties in the original row order (an inserted event right after its
anchor, several inserts after one anchor in the order given), index 0..n-1, ``event_type`` with the
same categories, ``source_row`` kept for original rows and :data:`INSERTED_SOURCE_ROW` for inserted
ones. An inserted or moved event joins the session of the event before it in the edited order (the one
after it when it comes first). Other users' rows are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.data.errors import DataError
from engine.data.schema import EVENT_TYPES, SOURCE_ROW
from engine.data.timeline import Timeline
from engine.whatif.align import first_change
from engine.whatif.edits import Delete, Edit, Insert, Move, Replace, Retype, edit_label

INSERTED_SOURCE_ROW = -1  # source_row of an inserted event: it comes from no row of the file
SECOND_US = 1_000_000
ItemInfo = tuple[Any, Any, Any]  # (item_name, category, categories) as stored in the timeline


@dataclass(frozen=True, eq=False)
class EditedTimeline:
    """The edited timeline and, for the edited user's events in their new order, how they align.

    ``origin_step[j]``: the original step edited step j aligns to (see :mod:`engine.whatif.align`);
    ``change[j]``: ``""`` for an untouched event, else the op that made or changed it (``insert``,
    ``retype``, ``move``, ``replace``); ``edited_steps``: original steps the edits name (the step of a
    delete/retype/move/replace, the anchor of an insert); ``first_changed_step``: the first original
    step whose aligned prefix differs (None when the edits change nothing).
    """

    timeline: Timeline
    user: str
    origin_step: np.ndarray  # [n_b] int64
    change: np.ndarray  # [n_b] object (str)
    edited_steps: tuple[int, ...]
    first_changed_step: int | None
    n_original: int  # the user's events before the edits

    def user_events(self) -> pd.DataFrame:
        """The edited user's events in step order, with ``origin_step`` and ``change`` columns."""
        events = self.timeline.events
        out = events[events["user_id"] == self.user].reset_index(drop=True)
        return out.assign(origin_step=self.origin_step, change=self.change)


def apply_edits(timeline: Timeline, user: str, edits: Sequence[Edit]) -> EditedTimeline:
    """The timeline with ``edits`` applied to ``user``'s events; DataError naming the first bad edit."""
    events = timeline.events
    is_user = (events["user_id"] == user).to_numpy()  # [N]
    rows = np.flatnonzero(is_user)  # [n] global position of each original step
    if len(rows) == 0:
        raise DataError(f"user {user!r} is not in the timeline")
    n = len(rows)
    ours = events.iloc[rows]
    cols = {c: ours[c].to_numpy(dtype=object) for c in events.columns if c != "timestamp"}  # [n] each
    original_us = _micros(ours["timestamp"])  # [n]
    times_us = original_us.copy()  # [n] after moves
    change = np.full(n, "", dtype=object)  # [n]
    types = [str(t) for t in events["event_type"].cat.categories]
    catalogue = _catalogue(events)
    claimed: dict[int, str] = {}
    inserts: list[tuple[Insert, dict[str, Any], int]] = []  # (edit, row values, time in us)

    for number, edit in enumerate(edits, 1):
        label = edit_label(number, edit)
        if isinstance(edit, Insert):
            if not -1 <= edit.after < n:
                where = _out_of_range(user, n)
                raise DataError(f"{label}: 'after' {edit.after} is {where}, -1 = before the first")
            name, category, genres = _item(label, edit.item_id, edit.item_name, edit.category, catalogue)
            values = {"user_id": user, "item_id": edit.item_id, "item_name": name, "category": category}
            values |= {"categories": genres, "session_id": None, SOURCE_ROW: INSERTED_SOURCE_ROW}
            values["event_type"] = _event_type(label, edit.event_type, types)
            when = _insert_time(edit, original_us)
            inserts.append((edit, values, when))
            continue
        step = edit.step
        if not 0 <= step < n:
            raise DataError(f"{label}: step {step} is {_out_of_range(user, n)}")
        if step in claimed:
            raise DataError(f"{label}: step {step} is already edited by {claimed[step]}")
        claimed[step] = label
        change[step] = edit.op
        if isinstance(edit, Retype):
            cols["event_type"][step] = _event_type(label, edit.event_type, types)
        elif isinstance(edit, Move):
            times_us[step] = _micros(pd.Series([edit.timestamp]))[0]
        elif isinstance(edit, Replace):
            name, category, genres = _item(label, edit.item_id, edit.item_name, edit.category, catalogue)
            cols["item_id"][step], cols["item_name"][step] = edit.item_id, name
            cols["category"][step], cols["categories"][step] = category, genres
        else:
            assert isinstance(edit, Delete)

    kept = change != "delete"  # [n]
    if not kept.any() and not inserts:
        raise DataError(f"the edits delete every event of user {user!r}; a replay needs at least one")
    user_frame = pd.DataFrame({c: v[kept] for c, v in cols.items()})
    user_frame["timestamp"] = times_us[kept]
    user_frame["_key"] = rows[kept].astype(np.float64)
    user_frame["_step"] = np.flatnonzero(kept)
    user_frame["_change"] = change[kept]
    if inserts:
        user_frame = pd.concat([user_frame, _inserted_frame(inserts, rows)], ignore_index=True)

    others = events[~is_user]
    other_frame = others.assign(timestamp=_micros(others["timestamp"]), _key=np.flatnonzero(~is_user) * 1.0)
    other_frame = other_frame.assign(_step=-1, _change="")
    merged = pd.concat([other_frame.astype({"event_type": object}), user_frame], ignore_index=True)
    merged_user = np.r_[np.zeros(len(other_frame), bool), np.ones(len(user_frame), bool)]
    order = np.lexsort((merged["_key"].to_numpy(), merged["timestamp"].to_numpy(np.int64)))
    merged = merged.iloc[order].reset_index(drop=True)
    at_user = np.flatnonzero(merged_user[order])  # [n_b] positions of the user's edited steps

    step_b = merged["_step"].to_numpy(np.int64)[at_user]  # [n_b] original step, -1 for inserted
    change_b = merged["_change"].to_numpy(object)[at_user]  # [n_b]
    origin = _origins(step_b, change_b)
    sessions = _sessions(merged["session_id"].to_numpy(object)[at_user], change_b)
    merged.loc[at_user, "session_id"] = sessions

    merged["timestamp"] = pd.to_datetime(merged["timestamp"].to_numpy(np.int64), unit="us", utc=True)
    edited = _restore_dtypes(merged, events, types)
    anchors = {edit.after for edit, _, _ in inserts if edit.after >= 0}
    source = f"{timeline.source} (what-if: {len(edits)} edit(s) of user {user})"
    return EditedTimeline(
        timeline=Timeline(edited, timeline.report, source),
        user=user,
        origin_step=origin,
        change=change_b,
        edited_steps=tuple(sorted(set(claimed) | anchors)),
        first_changed_step=first_change(origin, change_b == "", n),
        n_original=n,
    )


def _inserted_frame(inserts: list[tuple[Insert, dict[str, Any], int]], rows: np.ndarray) -> pd.DataFrame:
    """Rows of the inserted events; ``_key`` sits strictly between the anchor's row and the next one."""
    count: dict[int, int] = {}
    for edit, _, _ in inserts:
        count[edit.after] = count.get(edit.after, 0) + 1
    seen: dict[int, int] = {}
    records = []
    for edit, values, when in inserts:
        seen[edit.after] = seen.get(edit.after, 0) + 1
        anchor_row = rows[edit.after] if edit.after >= 0 else rows[0] - 1
        key = anchor_row + seen[edit.after] / (count[edit.after] + 1)
        records.append({**values, "timestamp": when, "_key": key, "_step": -1, "_change": "insert"})
    return pd.DataFrame.from_records(records)


def _insert_time(edit: Insert, original_us: np.ndarray) -> int:
    """Microseconds: the given time, else midway between the original neighbours (±1 s at the ends)."""
    if edit.timestamp is not None:
        return int(_micros(pd.Series([edit.timestamp]))[0])
    if edit.after == -1:
        return int(original_us[0]) - SECOND_US
    if edit.after == len(original_us) - 1:
        return int(original_us[-1]) + SECOND_US
    return (int(original_us[edit.after]) + int(original_us[edit.after + 1])) // 2


def _origins(step_b: np.ndarray, change_b: np.ndarray) -> np.ndarray:
    """Original step of each edited step; an insert takes the last in-place original event before it."""
    origin = np.empty(len(step_b), dtype=np.int64)  # [n_b]
    last_in_place = -1
    for j, (step, what) in enumerate(zip(step_b, change_b, strict=True)):
        if what == "insert":
            origin[j] = last_in_place
            continue
        origin[j] = step
        if what != "move":  # a moved event is not where its step was: it anchors no insert
            last_in_place = int(step)
    return origin


def _sessions(sessions: np.ndarray, change_b: np.ndarray) -> np.ndarray:
    """Inserted and moved events join the session of the event before them (after them when first)."""
    out = sessions.copy()
    placed = np.isin(change_b, ["insert", "move"])
    for j in np.flatnonzero(placed):
        if j > 0:
            out[j] = out[j - 1]
            continue
        later = np.flatnonzero(~placed)
        if len(later):
            out[j] = out[later[0]]
    return out


def _restore_dtypes(merged: pd.DataFrame, events: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    out = merged[list(events.columns)].copy()
    for col in events.columns:
        if col == "event_type":
            out[col] = pd.Categorical(out[col].to_numpy(object), categories=types)
        elif col != "timestamp":
            out[col] = out[col].astype(events[col].dtype)
    return out


def _micros(timestamps: pd.Series) -> np.ndarray:
    """int64 microseconds since the epoch, shape [n]."""
    return pd.to_datetime(timestamps, utc=True).astype("datetime64[us, UTC]").astype("int64").to_numpy()


def _catalogue(events: pd.DataFrame) -> dict[str, ItemInfo]:
    last = events.drop_duplicates("item_id", keep="last")
    info = zip(last["item_name"].to_numpy(object), last["category"], last["categories"], strict=True)
    return dict(zip(last["item_id"].to_numpy(object), info, strict=True))


def _item(
    label: str, item_id: str, name: str | None, category: str | None, catalogue: dict[str, ItemInfo]
) -> ItemInfo:
    """Name, category and categories of the item; a new item needs a name and a category."""
    known = catalogue.get(item_id)
    if known is None:
        if name is None or category is None:
            raise DataError(
                f'{label}: item {item_id!r} is not in the timeline; give "item_name" and "category" to add it'
            )
        catalogue[item_id] = (name, category, None)
        return catalogue[item_id]
    have_name, have_category, genres = known
    for given, have, field in ((name, have_name, "item_name"), (category, have_category, "category")):
        if given is not None and not pd.isna(have) and given != have:
            raise DataError(f"{label}: item {item_id!r} has {field} {have!r} in the timeline, not {given!r}")
    return (
        name if pd.isna(have_name) else have_name,
        category if pd.isna(have_category) else have_category,
        genres,
    )


def _event_type(label: str, event_type: str, types: list[str]) -> str:
    """A type the timeline knows; a known vocabulary type it lacks (a hand-built timeline) is added."""
    if event_type in types:
        return event_type
    if event_type in EVENT_TYPES:
        types.append(event_type)
        return event_type
    raise DataError(f"{label}: unknown event type {event_type!r} (known: {', '.join(types)})")


def _out_of_range(user: str, n: int) -> str:
    return f"out of range: user {user!r} has {n} event(s) (steps 0-{n - 1})"
