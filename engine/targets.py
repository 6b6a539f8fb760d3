"""The one target rule: what a user is asked to predict after a cut, given what they did before it.

A user's targets are the distinct items of their later events that

- are in the catalogue before the cut (an item first seen later has no embedding or score to rank),
- and, unless ``repeat_aware``, are not in the user's history before the cut (discovery: lists exclude
  seen items, so a seen item could never be hit).

Users without a history before the cut are left out (counted), unless ``include_cold``; users left with
no target are left out (counted). The evaluation protocols (:mod:`engine.evaluation.protocols`) and the
trainer's validation tail (:mod:`engine.training.validation`) both take their targets from here, so the
number that stops training early and the number that is reported follow the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

COUNTS: tuple[str, ...] = (
    "users_with_test_events",
    "skipped_cold_users",
    "cold_users_scored",
    "skipped_users_no_new_known_item",
    "dropped_targets_unknown_item",
    "dropped_targets_already_seen",
)


@dataclass(frozen=True)
class Targets:
    """``users`` [U] (sorted ids) and, per user, ``items`` (sorted catalogue indices, never empty);
    ``counts`` says what the rule left out (keys of :data:`COUNTS`)."""

    users: np.ndarray
    items: list[np.ndarray]
    counts: dict[str, int]

    def matrix(self, n_items: int) -> sp.csr_matrix:
        """The targets as a CSR matrix [U, n_items] with 1 at every target."""
        indptr = np.r_[0, np.cumsum([len(row) for row in self.items])].astype(np.int64)
        indices = np.concatenate(self.items) if self.items else np.empty(0, dtype=np.int64)
        return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(self.users), n_items))


def future_targets(
    later: pd.DataFrame,
    item_index: Mapping[Any, int],
    histories: Mapping[Any, np.ndarray],
    repeat_aware: bool = False,
    include_cold: bool = False,
) -> Targets:
    """Targets of the users of ``later`` (events after the cut: columns ``user_id``, ``item_id``).

    ``item_index`` maps the items known before the cut to catalogue indices; ``histories`` maps each
    user known before the cut to the catalogue indices they touched then (see the module docstring).
    """
    users_with_events = sorted(later["user_id"].unique())
    codes = later["item_id"].map(item_index)
    pairs = pd.DataFrame({"user": later["user_id"].to_numpy(), "code": codes.to_numpy()})
    counts = dict.fromkeys(COUNTS, 0)
    counts["users_with_test_events"] = len(users_with_events)
    known = pairs["code"].notna().to_numpy()
    # distinct (user, item) pairs whose item is not in the catalogue before the cut
    counts["dropped_targets_unknown_item"] = int(pairs[~known].drop_duplicates().shape[0])
    pairs = pairs[known].astype({"code": np.int64}).drop_duplicates()
    grouped = dict(tuple(pairs.groupby("user", sort=True)["code"]))
    users: list[object] = []
    rows: list[np.ndarray] = []
    for user in users_with_events:
        history = histories.get(user)
        if history is None and not include_cold:
            counts["skipped_cold_users"] += 1
            continue
        is_cold = history is None
        items = np.sort(grouped[user].to_numpy()) if user in grouped else np.empty(0, dtype=np.int64)
        if not repeat_aware and history is not None and len(items):
            seen = np.isin(items, history)
            counts["dropped_targets_already_seen"] += int(seen.sum())
            items = items[~seen]
        if not len(items):
            counts["skipped_users_no_new_known_item"] += 1
            continue
        users.append(user)
        rows.append(items)
        counts["cold_users_scored"] += int(is_cold)
    return Targets(np.array(users, dtype=object), rows, counts)


EVENT_COUNTS: tuple[str, ...] = (
    "test_events",
    "dropped_events_unknown_item",
    "skipped_cold_events",
    "dropped_events_already_seen",
)


@dataclass(frozen=True)
class EventTargets:
    """The rule read event by event (the ``stream`` protocol): ``rows`` [T] positions (ascending) of the
    events that are targets, ``items`` [T] their catalogue indices; ``counts`` (keys of
    :data:`EVENT_COUNTS`) what the rule left out, one reason per event."""

    rows: np.ndarray
    items: np.ndarray
    counts: dict[str, int]


def event_targets(
    users: np.ndarray,
    items: np.ndarray,
    candidate: np.ndarray,
    repeat_aware: bool = False,
    include_cold: bool = False,
) -> EventTargets:
    """Which ``candidate`` events of a time-ordered log are targets, each against its own past.

    ``users`` [N] user codes, ``items`` [N] catalogue indices (-1: not in the catalogue), ``candidate``
    [N] bool (the events to predict). The same rule as :func:`future_targets`, with "before the cut"
    read as "before this event": the item must be in the catalogue; the user must have a catalogue
    event earlier in the log (else the event is cold: left out unless ``include_cold``); and, unless
    ``repeat_aware``, the item must not be among the user's earlier items. Ties in time are ordered by
    the log (file order), so an event is never its own history.
    """
    users, items = np.asarray(users), np.asarray(items, dtype=np.int64)
    candidate = np.asarray(candidate, dtype=bool)
    known = items >= 0
    frame = pd.DataFrame({"user": users, "known": known.astype(np.int64)})
    earlier_known = frame.groupby("user", sort=False)["known"].cumsum().to_numpy() - known  # [N]
    seen = np.zeros(len(items), dtype=bool)
    pairs = pd.DataFrame({"user": users[known], "item": items[known]})
    seen[known] = pairs.duplicated().to_numpy()  # the same (user, item) earlier in the log
    cold = known & (earlier_known == 0)
    counts = dict.fromkeys(EVENT_COUNTS, 0)
    counts["test_events"] = int(candidate.sum())
    counts["dropped_events_unknown_item"] = int((candidate & ~known).sum())
    keep = candidate & known
    if not include_cold:
        counts["skipped_cold_events"] = int((keep & cold).sum())
        keep &= ~cold
    if not repeat_aware:
        counts["dropped_events_already_seen"] = int((keep & seen).sum())
        keep &= ~seen
    rows = np.flatnonzero(keep)
    return EventTargets(rows, items[rows], counts)
