"""Users of a timeline for a picker: event counts and spans, searched and paged (millions of users)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.data.timeline import Timeline


@dataclass(frozen=True)
class UserPage:
    """One page of users sorted by events (most first, ties by id): ``users`` columns user_id, events,
    first, last; ``total`` users matching the search."""

    users: pd.DataFrame
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def user_table(timeline: Timeline) -> pd.DataFrame:
    """Every user with events, first and last time, sorted by events (desc) then id: O(events) once."""
    ev = timeline.events
    table = ev.groupby("user_id", sort=False, observed=True).agg(
        events=("item_id", "size"), first=("timestamp", "min"), last=("timestamp", "max")
    )
    table = table.reset_index()
    table["user_id"] = table["user_id"].astype(str)
    return table.sort_values(["events", "user_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def user_page(table: pd.DataFrame, search: str = "", page: int = 0, page_size: int = 50) -> UserPage:
    """Users whose id contains ``search`` (case-insensitive, literal), page ``page`` (0-based, clamped)."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    found = table
    if search.strip():
        found = table[table["user_id"].str.contains(search.strip(), case=False, regex=False)]
    pages = max(1, -(-len(found) // page_size))
    page = min(max(page, 0), pages - 1)
    part = found.iloc[page * page_size : (page + 1) * page_size].reset_index(drop=True)
    return UserPage(part, len(found), page, page_size)
