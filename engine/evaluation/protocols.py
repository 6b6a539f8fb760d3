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

``stream`` (event by event, what a per-event memory claims to be good at): the same cut as ``time``
trains every model. After it, **every** test event is a query, predicted from all events strictly before
it in (time, file row) order: the user's history is all their events before it, training and earlier
test events alike; everyone else's earlier events are there too (popularity as of the event). Model
parameters stay as fitted. The target is the event's item when it is in the training catalogue and (by
default) not among the user's earlier items (:func:`engine.targets.event_targets`); events whose user has
no earlier catalogue event are cold (counted, not scored, unless ``include_cold``). With more targets
than ``max_events`` (default :data:`DEFAULT_MAX_EVENTS`), a deterministic random subsample of that many
(by ``seed``) is scored; unscored events still count as history for later ones.

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
from engine.model.memory import event_type_codes
from engine.recommenders.index import training_index
from engine.recommenders.stream import EventLog, StreamQueries
from engine.targets import event_targets, future_targets

PROTOCOLS: tuple[str, ...] = ("time", "loo", "stream")
DEFAULT_MAX_EVENTS = 20_000  # stream queries scored at most: ~20k x n_items scores per model
DEFAULT_CUT_QUANTILE = 0.9  # the last tenth of the log is the future to predict
HELD_OUT_KEY: tuple[str, ...] = ("user_id", "item_id", "timestamp", "event_type", SOURCE_ROW)


@dataclass(frozen=True)
class Stream:
    """What the ``stream`` protocol adds: the whole ``log`` coded against the training catalogue (the
    models read ``log[:p]`` for the query at p) and the ``queries``, one per row of the split's targets;
    ``query_user`` [Q] the index of each query's user in the split's ``users``."""

    log: EventLog
    queries: StreamQueries
    query_user: np.ndarray


@dataclass(frozen=True)
class Split:
    """What a protocol hands the evaluator.

    ``train``: the only events a model may see. ``users``: test user ids (sorted), one row of ``targets``
    each. ``targets``: CSR [len(users), len(catalogue)]. ``held_out``: the events kept from training
    (columns of HELD_OUT_KEY). ``cut``: the global time cut (``time``, ``stream``) or None (``loo``).
    ``stream``: set by the ``stream`` protocol only, whose ``targets`` rows are queries (events), one
    target each, and ``users`` the distinct users of those queries.
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
    stream: Stream | None = None

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_rows(self) -> int:
        """Rows ranked: users, or events (queries) in the ``stream`` protocol."""
        return int(self.targets.shape[0])

    def describe(self) -> dict[str, Any]:
        """Plain facts for reports: protocol, cut, sizes, skipped users."""
        return {
            "protocol": self.protocol,
            "cut": self.cut.isoformat() if self.cut is not None else None,
            "repeat_aware": self.repeat_aware,
            "train_events": len(self.train),
            "catalogue": len(self.catalogue),
            "test_users": self.n_users,
            **({"test_queries": self.n_rows} if self.stream is not None else {}),
            "targets": int(self.targets.nnz),
            **self.counts,
        }


def time_cut(timeline: Timeline, quantile: float) -> tuple[np.ndarray, pd.Timestamp]:
    """Events strictly before the cut [n] and the cut: the ``quantile`` ("lower") of event times."""
    if not 0.0 < quantile < 1.0:
        raise DataError(f"the cut quantile must lie strictly between 0 and 1, got {quantile}")
    secs = timeline.seconds()
    cut_s = float(np.quantile(secs, quantile, method="lower"))
    before = secs < cut_s
    if not before.any():
        raise DataError(f"a cut at the {quantile:.2f} time quantile leaves no event for training")
    return before, timeline.events["timestamp"].iloc[int(np.argmax(secs >= cut_s))]


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
    before, cut = time_cut(timeline, quantile)
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


def stream_split(
    timeline: Timeline,
    quantile: float = DEFAULT_CUT_QUANTILE,
    repeat_aware: bool = False,
    include_cold: bool = False,
    max_events: int | None = DEFAULT_MAX_EVENTS,
    seed: int = 0,
) -> Split:
    """Every event after the ``time`` cut predicted from all events before it (see the module docstring).

    ``max_events`` caps the scored queries by a random subsample drawn with ``seed`` (None: all).
    """
    if max_events is not None and max_events < 1:
        raise DataError(f"max_events must be at least 1, got {max_events}")
    before, cut = time_cut(timeline, quantile)
    train = timeline.subset(before, source=f"{timeline.source} [before {cut.isoformat()}]")
    index = training_index(train)
    ev = timeline.events
    user_code, user_ids = pd.factorize(ev["user_id"].to_numpy())
    item_code = ev["item_id"].map(index.item_index).fillna(-1).to_numpy(dtype=np.int64)
    log = EventLog(
        user=user_code.astype(np.int64),
        item=item_code,
        seconds=timeline.seconds(),
        event_type=event_type_codes(ev["event_type"].to_numpy()),
        user_ids=np.asarray(user_ids, dtype=object),
    )
    found = event_targets(log.user, log.item, ~before, repeat_aware, include_cold)
    rows, items, counts = found.rows, found.items, dict(found.counts)
    counts["skipped_by_cap"] = 0
    if max_events is not None and len(rows) > max_events:
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), size=max_events, replace=False))
        counts["skipped_by_cap"] = len(rows) - max_events
        rows, items = rows[keep], items[keep]
    if not len(rows):
        raise DataError(
            f"the cut at {cut.isoformat()} leaves no test event with a rankable new item and an earlier "
            f"history ({counts['skipped_cold_events']} cold, {counts['dropped_events_already_seen']} "
            f"repeats, {counts['dropped_events_unknown_item']} items unknown before the cut); "
            "try --repeat-aware, --include-cold or a lower --cut"
        )
    queries = StreamQueries(rows.astype(np.int64), log.user[rows], log.seconds[rows])
    user_rows, users = pd.factorize(log.user_ids[log.user[rows]], sort=True)
    targets = sp.csr_matrix(
        (np.ones(len(rows)), items, np.arange(len(rows) + 1)), shape=(len(rows), len(index.catalogue))
    )
    n_users = len(users)
    notes = [
        f"stream protocol: training = the {int(before.sum())} events before {cut.isoformat()} "
        f"(the {quantile:.2f} quantile of event times); each of the {int((~before).sum())} events at or "
        "after it is predicted from every event before it (ties in time by file order), the models' "
        "parameters frozen: memories stepped, histories and popularity read up to the event",
        "targets: the event's item when it is in the training catalogue"
        + (" (repeats included, repeat-aware)" if repeat_aware else ", not among the user's earlier items"),
        f"{len(rows)} events of {n_users} users scored; metrics averaged over events and over users (each "
        "user's mean over their events); both intervals resample users",
    ]
    if counts["skipped_cold_events"]:
        notes.append(
            f"{counts['skipped_cold_events']} events without an earlier event of their user: not scored"
        )
    if include_cold:
        notes.append("events with no earlier history of their user are scored with cold-start lists")
    if counts["skipped_by_cap"]:
        notes.append(
            f"{counts['skipped_by_cap']} further target events not scored: a random subsample of "
            f"{max_events} (seed {seed}) is, to bound the time (max_events); all events stay history"
        )
    held = ev.loc[~before, list(HELD_OUT_KEY)].reset_index(drop=True)
    stream = Stream(log, queries, user_rows.astype(np.int64))
    return Split(
        "stream", train, np.asarray(users, dtype=object), targets, index.catalogue, held, repeat_aware, cut,
        notes, counts, stream,
    )  # fmt: skip


def make_split(
    timeline: Timeline,
    protocol: str,
    quantile: float = DEFAULT_CUT_QUANTILE,
    repeat_aware: bool = False,
    include_cold: bool = False,
    max_events: int | None = DEFAULT_MAX_EVENTS,
    seed: int = 0,
) -> Split:
    """The split for a protocol name (``time``, ``loo`` or ``stream``; ``include_cold`` applies to
    ``time`` and ``stream``, ``max_events`` and ``seed`` to ``stream`` only)."""
    if include_cold and protocol not in ("time", "stream"):
        raise ValueError(f"include_cold applies to the time and stream protocols only, not {protocol!r}")
    if protocol == "time":
        return time_split(timeline, quantile, repeat_aware, include_cold)
    if protocol == "loo":
        return loo_split(timeline, repeat_aware)
    if protocol == "stream":
        return stream_split(timeline, quantile, repeat_aware, include_cold, max_events, seed)
    raise DataError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
