"""Leakage guard: no event at or after the cut (or held out) reaches a model before it predicts.

The evaluator never hands a model anything but ``guarded_training(split)``, and checks twice:

1. **Handed** — before ``fit``: the training timeline holds no event at or after the cut and none of the
   held-out events (matched on user, item, time, type and source row). A split or caller that got this
   wrong raises :class:`LeakageError` before any model sees the data.
2. **Read** — after ``fit``: what the model indexed must be exactly what it was handed. Its catalogue
   may hold no item outside the training timeline, its ``history`` no user or event outside it (a model
   that fitted on, or appended, later events is caught here), and a model that reports the latest event
   time it consumed (an ``observed_until`` attribute, e.g. a temporal memory) must report a time before
   the cut. Any breach raises :class:`LeakageError` and the model's numbers are never reported.

3. **Stream** — the ``stream`` protocol must hand models the whole log (each query reads the events
   before it, and they are many), so what a query read cannot be checked by what was handed. Instead
   sampled queries are scored again on ``log.head(p)``, the log as it stood just before the query's
   event, in which its own event and everything after it do not exist; scores that differ from the
   batch's mean the model read the future, and :class:`LeakageError` is raised.

What no guard can see: a model that keeps a private copy of future data and never shows it in its
index. The evaluator's own path makes that impossible — models are built by the registry from a seed
and a device only, and receive nothing but the guarded training timeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.timeline import Timeline
from engine.evaluation.protocols import HELD_OUT_KEY, Split
from engine.recommenders.base import Recommender
from engine.recommenders.index import training_index
from engine.recommenders.stream import EventLog

MAX_SHOWN = 3  # offending examples named in an error
AUDIT_RTOL, AUDIT_ATOL = 1e-4, 1e-5  # float noise of batched vs single-query scoring, not a leak


class LeakageError(RuntimeError):
    """An event at or after the cut (or a held-out event) reached, or was read by, a model."""


def _row_keys(frame: pd.DataFrame) -> np.ndarray:
    cols = frame.loc[:, list(HELD_OUT_KEY)].astype(str)
    return pd.util.hash_pandas_object(cols, index=False).to_numpy()


def check_handed(train: Timeline, split: Split, who: str = "training") -> None:
    """Raise LeakageError if ``train`` holds an event at/after the cut or any held-out event."""
    ev = train.events
    if split.cut is not None and len(ev):
        late = ev["timestamp"] >= split.cut
        if late.any():
            rows = ev.loc[late, "source_row"].head(MAX_SHOWN).tolist()
            raise LeakageError(
                f"{who} timeline holds {int(late.sum())} events at or after the cut {split.cut.isoformat()} "
                f"(source rows {rows})"
            )
    if len(split.held_out) and len(ev):
        leaked = np.isin(_row_keys(ev), _row_keys(split.held_out))
        if leaked.any():
            rows = ev.loc[leaked, "source_row"].head(MAX_SHOWN).tolist()
            raise LeakageError(
                f"{who} timeline holds {int(leaked.sum())} held-out test events (source rows {rows})"
            )


def guarded_training(split: Split) -> Timeline:
    """A private copy of the training timeline, checked to hold nothing at/after the cut or held out."""
    check_handed(split.train, split)
    events = split.train.events.copy()
    return Timeline(events, split.train.report, split.train.source)


def verify_fitted(model: Recommender, split: Split) -> None:
    """Raise LeakageError if a fitted model indexed, or reports having consumed, anything beyond training."""
    name = getattr(model, "name", type(model).__name__)
    expected = split.catalogue
    catalogue = np.asarray(model.catalogue, dtype=object)
    extra_items = np.setdiff1d(catalogue.astype(str), expected.astype(str))
    if len(extra_items):
        raise LeakageError(
            f"{name} indexed {len(extra_items)} items absent from its training timeline "
            f"(e.g. {extra_items[:MAX_SHOWN].tolist()}): it read events at or after the cut"
        )
    if len(catalogue) != len(expected) or not np.array_equal(catalogue.astype(str), expected.astype(str)):
        raise RuntimeError(f"{name}.fit must index its training timeline with self._index(train)")
    histories = training_index(split.train).history  # what Recommender._index builds, as every fit must
    extra_users = [user for user in model.history if user not in histories]
    if extra_users:
        raise LeakageError(
            f"{name} holds histories of {len(extra_users)} users absent from its training timeline "
            f"(e.g. {extra_users[:MAX_SHOWN]}): it read events at or after the cut"
        )
    for user, seq in model.history.items():
        if not np.array_equal(np.asarray(seq), histories[user]):
            raise LeakageError(
                f"{name}'s history of user {user!r} has {len(seq)} events where training holds "
                f"{len(histories[user])}: it read events at or after the cut"
            )
    observed = getattr(model, "observed_until", None)
    if split.cut is not None and observed is not None and _as_utc(observed) >= split.cut:
        raise LeakageError(
            f"{name} reports consuming events up to {_as_utc(observed).isoformat()}, "
            f"at or after the cut {split.cut.isoformat()}"
        )


def audit_stream(model: Recommender, split: Split, scored: dict[int, np.ndarray]) -> None:
    """Raise LeakageError unless each query in ``scored`` (row -> the scores the batch gave it) scores the
    same on the log cut just before its event (see the module docstring, check 3)."""
    stream = split.stream
    if stream is None:
        raise ValueError(f"audit_stream needs a stream split, got protocol {split.protocol!r}")
    name = getattr(model, "name", type(model).__name__)
    log, queries = stream.log, stream.queries
    for row, batched in scored.items():
        position = int(queries.position[row])
        past: EventLog = log.head(position)
        alone = np.asarray(model.stream_scorer(past, queries[row : row + 1])(slice(0, 1)), np.float32)[0]
        if alone.shape != batched.shape or not np.allclose(alone, batched, AUDIT_RTOL, AUDIT_ATOL):
            same_shape = alone.shape == batched.shape
            worst = int(np.argmax(np.abs(np.nan_to_num(alone - batched)))) if same_shape else -1
            raise LeakageError(
                f"{name}'s scores for the test event at log position {position} change when the events from "
                f"it on are removed (item {worst}): it read the event it predicts or a later one"
            )


def _as_utc(moment: object) -> pd.Timestamp:
    """A pandas timestamp, unix seconds or datetime as a UTC timestamp (naive times are read as UTC)."""
    if isinstance(moment, int | float | np.integer | np.floating):
        return pd.Timestamp(float(moment), unit="s", tz="UTC")
    stamp = pd.Timestamp(moment)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
