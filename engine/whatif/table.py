"""The what-if timeline as an editable table, and the edit list that turns the original table into it.

A table has one row per event of the user: ``step`` (the original step; missing for an added row),
``timestamp``, ``item_id`` and ``event_type`` (other columns are ignored). :func:`edits_from_table`
compares an edited table with the original one, row by step:

- a step missing from the edited table: ``delete``;
- a row whose item, type or time changed: ``replace``, ``retype`` or ``move`` when one of them changed,
  else (an event may carry one edit) ``delete`` + ``insert`` of the new event in its place;
- a row without a step: ``insert`` after the last original event not later than its time (ties: after
  it), or, without a time, after the nearest row above that has a step (-1 when none), so the engine
  puts it midway between its neighbours.

Times are compared to the second (an editor may drop sub-second digits). Applying the edits to the
original events gives the events of the edited table, in time order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engine.data.errors import DataError
from engine.whatif.edits import Delete, Edit, Insert, Move, Replace, Retype

TABLE_COLUMNS = ("step", "timestamp", "item_id", "event_type")


def timeline_table(events: pd.DataFrame) -> pd.DataFrame:
    """The editable table of a user's events in step order (:data:`TABLE_COLUMNS`).

    ``events``: the user's original events (step = row number), or the edited events of
    :meth:`engine.whatif.apply.EditedTimeline.user_events` (step = ``origin_step``, missing where
    ``change`` is ``insert``).
    """
    events = events.reset_index(drop=True)
    if "change" in events:
        inserted = (events["change"] == "insert").to_numpy()
        steps = np.where(inserted, -1, events["origin_step"].to_numpy(np.int64))  # [n]
        step = pd.array(steps, dtype="Int64")
        step[inserted] = pd.NA
    else:
        step = pd.array(np.arange(len(events)), dtype="Int64")
    return pd.DataFrame(
        {
            "step": step,
            "timestamp": pd.to_datetime(events["timestamp"], utc=True),
            "item_id": events["item_id"].astype(object).to_numpy(),
            "event_type": events["event_type"].astype(str).to_numpy(object),
        }
    )


def edits_from_table(original: pd.DataFrame, edited: pd.DataFrame) -> list[Edit]:
    """The edits that turn ``original`` (a :func:`timeline_table`) into ``edited``; DataError naming
    the row (1-based, in table order) when a row cannot be read."""
    base = original.reset_index(drop=True)
    n = len(base)
    base_times = _times(base["timestamp"])  # [n]
    rows = _rows(edited, n)
    kept = {row["step"] for row in rows if row["step"] is not None}
    changes: list[Edit] = [Delete(step) for step in range(n) if step not in kept]
    inserts: list[tuple[int, int, Insert]] = []  # (after, row order, edit)
    anchor = -1  # the step of the nearest row above that has one
    for order, row in enumerate(rows):
        step, when = row["step"], row["timestamp"]
        if step is None:
            after = anchor if when is None else _anchor(base_times, when)
            inserts.append((after, order, _insert(after, row)))
            continue
        anchor = step
        if when is None:
            raise DataError(f"row {order + 1} (step {step}): give a time")
        was = base.iloc[step]
        new_item = row["item_id"] != str(was["item_id"])
        new_type = row["event_type"] != str(was["event_type"])
        new_time = when.floor("s") != base_times[step].floor("s")
        if new_item + new_type + new_time > 1:  # one edit per step: the event is replaced by a new one
            changes.append(Delete(step))
            after = _anchor(base_times, when) if new_time else step
            kept_time = when if new_time else base_times[step]  # the original time to the microsecond
            inserts.append((after, order, _insert(after, {**row, "timestamp": kept_time})))
        elif new_item:
            changes.append(Replace(step, row["item_id"]))
        elif new_type:
            changes.append(Retype(step, row["event_type"]))
        elif new_time:
            changes.append(Move(step, when))
    inserts.sort(key=lambda entry: (entry[0], entry[1]))
    return [*sorted(changes, key=_step_of), *(edit for _, _, edit in inserts)]


def _rows(edited: pd.DataFrame, n: int) -> list[dict[str, Any]]:
    """The edited rows as plain values; DataError naming the first unreadable row."""
    missing = [c for c in TABLE_COLUMNS if c not in edited.columns]
    if missing:
        raise DataError(f"the edited table has no column {missing[0]!r}")
    out: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    times = _times(edited["timestamp"])
    for number, (step, when, item, kind) in enumerate(
        zip(edited["step"], times, edited["item_id"], edited["event_type"], strict=True), 1
    ):
        where = f"row {number}" if _missing(step) else f"row {number} (step {step})"
        if not _missing(step):
            if not float(step).is_integer() or not 0 <= int(step) < n:
                raise DataError(f"{where}: step must be one of the original steps 0-{n - 1}")
            if int(step) in seen:
                raise DataError(f"{where}: step {int(step)} is also row {seen[int(step)]}")
            seen[int(step)] = number
        if _missing(item) or not str(item).strip():
            raise DataError(f"{where}: choose an item")
        if _missing(kind) or not str(kind).strip():
            raise DataError(f"{where}: choose an event type")
        out.append(
            {
                "step": None if _missing(step) else int(step),
                "timestamp": None if pd.isna(when) else when,
                "item_id": str(item).strip(),
                "event_type": str(kind).strip(),
            }
        )
    return out


def _times(column: pd.Series) -> pd.Series:
    """UTC timestamps (naive times are read as UTC); DataError naming the first unreadable row."""
    parsed = pd.to_datetime(column, utc=True, errors="coerce")
    bad = parsed.isna().to_numpy() & ~column.isna().to_numpy()
    if bad.any():
        number = int(np.flatnonzero(bad)[0]) + 1
        raise DataError(f"row {number}: cannot read {column.iloc[number - 1]!r} as a time")
    return parsed.reset_index(drop=True)


def _anchor(base_times: pd.Series, when: pd.Timestamp) -> int:
    """The last original step not later than ``when`` (-1 when every event is later)."""
    return int(base_times.searchsorted(when, side="right")) - 1


def _insert(after: int, row: dict[str, Any]) -> Insert:
    return Insert(after, row["item_id"], row["event_type"], row["timestamp"])


def _step_of(edit: Edit) -> int:
    return edit.after if isinstance(edit, Insert) else edit.step


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))
