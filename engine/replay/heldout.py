r"""The held-out period event by event: every user replayed as the Replay page does, and each held-out
event's rank for the model and the baselines, in time order; then cumulative hit@K and MRR@K over them.

A user's timeline goes through the memory from a fresh start (:func:`engine.replay.path.memory_path`,
the model is never retrained: its state follows the events, held-out ones included), and the lists are
judged by :func:`engine.replay.lists.step_lists`, the same rules and ranking as a trace's ``hit``/``rr``:
the list made after event t is judged on event t+1 when that item is known, new to the user and in the
catalogue at t. An event counts as held out when its time is after the model's last training event.

With ``r_e^m`` the full-catalogue rank of held-out event e for model m and events in time order, the
cumulative curves after n events are

.. math::

    \mathrm{HR@K}(n) = \frac{1}{n} \sum_{e \le n} \mathbb{1}[r_e^m \le K], \qquad
    \mathrm{MRR@K}(n) = \frac{1}{n} \sum_{e \le n} \frac{\mathbb{1}[r_e^m \le K]}{r_e^m}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.metrics.ranking import hit_rate_of_rank, mrr_of_rank
from engine.replay.config import ReplayConfig
from engine.replay.lists import step_lists
from engine.replay.model import ReplayModel
from engine.replay.path import memory_path
from engine.replay.trace import iso_utc

MODEL = "GNN"


@dataclass(frozen=True)
class HeldoutRanks:
    """``events``: one row per judged held-out event in time order: ``event`` (1..N), ``user_id``,
    ``timestamp``, ``step`` (the event's position in its user's timeline) and one int rank column per
    model in ``models`` (the GNN first, then the checkpoint's baselines)."""

    events: pd.DataFrame
    models: tuple[str, ...]
    trained_until: str | None
    users: int  # users with at least one judged held-out event


def heldout_ranks(
    model: ReplayModel,
    timeline: Timeline,
    chunk: int = ReplayConfig.chunk,
    on_progress: Callable[[float, str], None] | None = None,
) -> HeldoutRanks:
    """Every judged held-out event of ``timeline`` with its rank for the model and each baseline.

    ``model`` is only read. ``on_progress(fraction, text)`` is called per user; an exception it raises
    stops the work. DataError when no event of ``timeline`` is after the model's training end.
    """
    model.checkpoint.check_compatible(timeline, timeline.source)
    seconds = timeline.seconds()
    after = seconds > model.trained_until
    if not after.any():
        raise DataError(
            f"no event is after the model's training end ({iso_utc(model.trained_until)}): nothing is held "
            "out (train on events before a cut to keep some)",
            path=timeline.source,
        )
    events = timeline.events
    groups = events.groupby(events["user_id"].astype(str), sort=True).indices  # user -> rows in file order
    users = [u for u, rows in groups.items() if after[rows].any()]
    names = (MODEL, *model.baselines)
    parts: list[pd.DataFrame] = []
    for done, user in enumerate(users):
        if on_progress is not None:
            on_progress(done / len(users), f"replaying user {done + 1:,} of {len(users):,}")
        rows = groups[user]
        mine, when = events.iloc[rows].reset_index(drop=True), seconds[rows]
        path = memory_path(model, mine, when)
        # the list after step t is judged on event t+1: rank it when that event is held out
        target_after = np.r_[when[1:] > model.trained_until, False]  # [L]
        lists = step_lists(model, path.u, path.rows, path.known, when, 1, chunk, only=target_after)
        keep = np.flatnonzero(lists.judged)  # [j] steps t
        if not len(keep):
            continue
        part = pd.DataFrame(
            {"user_id": user, "timestamp": mine["timestamp"].iloc[keep + 1].reset_index(drop=True)}
        )
        part["step"] = keep + 1
        part[MODEL] = lists.rank[keep]
        for name in model.baselines:
            part[name] = lists.baseline_rank[name][keep]
        parts.append(part)
    if on_progress is not None:
        on_progress(1.0, "done")
    if not parts:
        raise DataError("no held-out event could be judged (every one repeats an item or is unknown)")
    table = pd.concat(parts, ignore_index=True).sort_values(["timestamp", "user_id", "step"], kind="stable")
    table.insert(0, "event", np.arange(1, len(table) + 1))
    return HeldoutRanks(table.reset_index(drop=True), names, iso_utc(model.trained_until), len(parts))


def cumulative_hits(ranks: HeldoutRanks, k: int) -> pd.DataFrame:
    """Long table of the cumulative curves at ``k``: ``event``, ``timestamp``, ``model``, ``hit_rate``
    (HR@k over the held-out events so far) and ``mrr`` (MRR@k so far); see the module's formula."""
    if k < 1:
        raise DataError(f"K must be at least 1, got {k}")
    events = ranks.events
    n = np.arange(1, len(events) + 1, dtype=np.float64)  # [N] events so far
    frames = []
    for name in ranks.models:
        rank = events[name].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "event": events["event"].to_numpy(),
                    "timestamp": events["timestamp"].to_numpy(),
                    "model": name,
                    "hit_rate": np.cumsum(hit_rate_of_rank(rank, k)) / n,
                    "mrr": np.cumsum(mrr_of_rank(rank, k)) / n,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
