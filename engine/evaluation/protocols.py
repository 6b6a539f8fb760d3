"""Evaluation protocols: how a timeline becomes a training timeline, test users and their targets.

``time`` (the headline): one global cut at a quantile of the event times (default 0.9, the "lower"
quantile, so the cut is an actual event time). Training gets every event strictly before the cut and
nothing else. Test users are users with at least one pre-cut event; each gets one top-K list from the
state built from all their pre-cut events. Their targets are the distinct items they touch at or after
the cut that are in the training catalogue (an item first seen after the cut cannot be ranked by any
model) and, by default, not already in their pre-cut history (discovery of new items; seen items are
excluded from the lists). The repeat-aware variant keeps already-seen items as targets and ranks them
too. Users whose post-cut items are all unrankable are counted in the notes, not scored.

``loo`` (leave-last-out, the common academic protocol): each user with at least two events holds out
their last event; ties in time are broken by file order (``source_row``), which the notes state. The
rest of every history trains the model. The target is the held-out item when it is in the training
catalogue and (by default) not already in the user's history. Unlike ``time``, training then contains
other users' events from after a held-out event; report ``time`` as the headline for that reason.

Targets follow the one target rule of :mod:`engine.targets` (the trainer's validation tail uses it too)
and are a CSR matrix over the training catalogue, indexed by
:func:`~engine.recommenders.index.training_index` (what every model's ``fit`` indexes), so indices agree
with every model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.data.errors import DataError
from engine.data.schema import SOURCE_ROW
from engine.data.timeline import Timeline
from engine.recommenders.index import training_index
from engine.targets import future_targets

PROTOCOLS: tuple[str, ...] = ("time", "loo")
DEFAULT_CUT_QUANTILE = 0.9  # the last tenth of the log is the future to predict
HELD_OUT_KEY: tuple[str, ...] = ("user_id", "item_id", "timestamp", "event_type", SOURCE_ROW)


@dataclass(frozen=True)
class Split:
    """What a protocol hands the evaluator.

    ``train``: the only events a model may see. ``users``: test user ids (sorted), one row of ``targets``
    each. ``targets``: CSR [len(users), len(catalogue)]. ``held_out``: the events kept from training
    (columns of HELD_OUT_KEY). ``cut``: the global time cut (``time``) or None (``loo``).
    """

    protocol: str
    train: Timeline
    users: np.ndarray
    targets: sp.csr_matrix
    catalogue: np.ndarray
    held_out: pd.DataFrame
    repeat_aware: bool
    cut: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.users)

    def describe(self) -> dict[str, Any]:
        """Plain facts for reports: protocol, cut, sizes, skipped users."""
        return {
            "protocol": self.protocol,
            "cut": self.cut.isoformat() if self.cut is not None else None,
            "repeat_aware": self.repeat_aware,
            "train_events": len(self.train),
            "catalogue": len(self.catalogue),
            "test_users": self.n_users,
            "targets": int(self.targets.nnz),
            **self.counts,
        }


def time_split(
    timeline: Timeline,
    quantile: float = DEFAULT_CUT_QUANTILE,
    repeat_aware: bool = False,
    include_cold: bool = False,
) -> Split:
    """Global temporal cut at the ``quantile`` of event times (see the module docstring).

    ``include_cold`` also scores users first seen after the cut (they get each model's cold-start list,
    e.g. new sessions in session-based logs); by default they are counted in the notes, not scored.
    """
    if not 0.0 < quantile < 1.0:
        raise DataError(f"the cut quantile must lie strictly between 0 and 1, got {quantile}")
    secs = timeline.seconds()
    cut_s = float(np.quantile(secs, quantile, method="lower"))
    before = secs < cut_s
    if not before.any():
        raise DataError(f"a cut at the {quantile:.2f} time quantile leaves no event for training")
    cut = timeline.events["timestamp"].iloc[int(np.argmax(secs >= cut_s))]
    train = timeline.subset(before, source=f"{timeline.source} [before {cut.isoformat()}]")
    test_events = timeline.events[~before]
    index = training_index(train)
    catalogue = index.catalogue
    found = future_targets(test_events, index.item_index, index.history, repeat_aware, include_cold)
    users, targets, counts = found.users, found.matrix(len(catalogue)), found.counts
    notes = [
        f"time protocol: training = the {int(before.sum())} events before {cut.isoformat()} "
        f"(the {quantile:.2f} quantile of event times); "
        f"test = the {int((~before).sum())} events at or after it",
        "targets: post-cut items in the training catalogue"
        + (
            ", repeats of seen items included (repeat-aware)"
            if repeat_aware
            else ", not in the user's history"
        ),
    ]
    if counts["skipped_cold_users"]:
        notes.append(
            f"{counts['skipped_cold_users']} users with post-cut events but no pre-cut history are not scored"
        )
    if counts["cold_users_scored"]:
        notes.append(
            f"{counts['cold_users_scored']} users first seen after the cut are scored with cold-start lists"
        )
    if not len(users):
        raise DataError(
            f"the cut at {cut.isoformat()} leaves no user with pre-cut history and a rankable post-cut item "
            f"({counts['skipped_cold_users']} cold users, {counts['dropped_targets_already_seen']} repeats, "
            f"{counts['dropped_targets_unknown_item']} items unknown before the cut); "
            "try --repeat-aware, --include-cold, a lower --cut or --protocol loo"
        )
    held = test_events.loc[:, list(HELD_OUT_KEY)].reset_index(drop=True)
    return Split("time", train, users, targets, catalogue, held, repeat_aware, cut, notes, counts)


def loo_split(timeline: Timeline, repeat_aware: bool = False) -> Split:
    """Leave-last-out per user, ties in time broken by file order (see the module docstring)."""
    ev = timeline.events
    # the timeline is sorted by (timestamp, source_row): a user's last row is their last event
    is_last = ~ev["user_id"].duplicated(keep="last").to_numpy()
    n_events = ev.groupby("user_id", sort=False)["user_id"].transform("size").to_numpy()
    held_mask = is_last & (n_events >= 2)
    if not held_mask.any():
        raise DataError("leave-last-out needs users with at least two events; none has")
    train = timeline.subset(~held_mask, source=f"{timeline.source} [leave-last-out train]")
    test_events = ev[held_mask]
    index = training_index(train)
    catalogue = index.catalogue
    found = future_targets(test_events, index.item_index, index.history, repeat_aware, False)
    users, targets, counts = found.users, found.matrix(len(catalogue)), found.counts
    counts["users_with_one_event"] = int((is_last & (n_events < 2)).sum())
    ties = int(
        ev.loc[held_mask, ["user_id", "timestamp"]]
        .merge(ev.loc[~held_mask, ["user_id", "timestamp"]], on=["user_id", "timestamp"])["user_id"]
        .nunique()
    )
    notes = [
        "loo protocol: each user's last event is held out; ties in time are broken by file order "
        f"(source_row): {ties} held-out events share their timestamp with an earlier event of the same user",
        "targets: the held-out item when it is in the training catalogue"
        + (" (repeats included, repeat-aware)" if repeat_aware else " and not in the user's history"),
        "leave-last-out trains on other users' events from after a held-out event; "
        "the time protocol has no such look-ahead",
    ]
    if not len(users):
        raise DataError(
            "leave-last-out leaves no user whose held-out item is new and in the training catalogue"
        )
    held = test_events.loc[:, list(HELD_OUT_KEY)].reset_index(drop=True)
    return Split("loo", train, users, targets, catalogue, held, repeat_aware, None, notes, counts)


def make_split(
    timeline: Timeline,
    protocol: str,
    quantile: float = DEFAULT_CUT_QUANTILE,
    repeat_aware: bool = False,
    include_cold: bool = False,
) -> Split:
    """The split for a protocol name (``time`` or ``loo``; ``include_cold`` applies to ``time`` only)."""
    if include_cold and protocol != "time":
        raise ValueError(f"include_cold applies to the time protocol only, not {protocol!r}")
    if protocol == "time":
        return time_split(timeline, quantile, repeat_aware, include_cold)
    if protocol == "loo":
        return loo_split(timeline, repeat_aware)
    raise DataError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
