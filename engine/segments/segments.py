"""Segments of users at a time: states (from events or a Parquet state table) -> k-means -> description.

``segment_users`` replays the events up to ``at`` for the states; ``segment_state_table`` reads states
already written (:func:`engine.segments.states.write_states`) in record batches: the sample k-means is
fitted on is drawn while reading, and every user is assigned batch by batch, so neither path needs a
platform's events in memory alongside its states.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.segments.cluster import Segmentation, SegmentConfig, fit_segments
from engine.segments.describe import describe_segments
from engine.segments.states import BATCH_ROWS, UserStates, iter_states, user_states

if TYPE_CHECKING:
    from engine.replay.model import ReplayModel


@dataclass(frozen=True)
class Segments:
    """``users``: user_id, segment, x, y (the state in the shared 2-D plane); ``segments``: segment,
    users, share, top_categories, categories, x, y (the centre in the plane); ``silhouettes``: k -> mean
    silhouette of every k tried; ``chosen_by``: "given", "silhouette" or "too few users"; ``at``: the ISO
    time the states stand at (None: after every event)."""

    users: pd.DataFrame
    segments: pd.DataFrame
    silhouettes: dict[int, float]
    chosen_by: str
    at: str | None

    @property
    def k(self) -> int:
        return len(self.segments)

    def members(self, segment: int) -> list[str]:
        return self.users.loc[self.users["segment"] == segment, "user_id"].tolist()


def segment_users(
    model: ReplayModel,
    timeline: Timeline,
    at: pd.Timestamp | None = None,
    config: SegmentConfig | None = None,
) -> Segments:
    """Users of ``timeline`` clustered by their state after their events up to ``at``."""
    states = user_states(model, timeline, at)
    segmentation = fit_segments(states.states, config)
    labels = segmentation.assign(states.states)
    users = _placed(model, states, labels)
    return _result(model, segmentation, users, at)


def segment_state_table(
    model: ReplayModel, path: str | Path, config: SegmentConfig | None = None, batch_rows: int = BATCH_ROWS
) -> Segments:
    """:func:`segment_users` for states read from a Parquet state table, in batches of ``batch_rows``."""
    config = config or SegmentConfig()
    try:
        n_rows = pq.ParquetFile(path).metadata.num_rows
    except OSError as err:
        raise DataError(f"cannot read the state table: {err}", path=str(path)) from None
    rng = np.random.default_rng(config.seed)
    wanted = np.sort(rng.choice(n_rows, min(n_rows, config.fit_sample), replace=False))
    sample, seen, at = [], 0, None
    for part in iter_states(path, batch_rows):  # pass 1: the fitting sample
        inside = wanted[(wanted >= seen) & (wanted < seen + len(part))] - seen
        sample.append(part.states[inside])
        seen, at = seen + len(part), part.at
    if not sample:
        raise DataError("the state table holds no users", path=str(path))
    segmentation = fit_segments(np.concatenate(sample), config)
    placed = [
        _placed(model, part, segmentation.assign(part.states)) for part in iter_states(path, batch_rows)
    ]
    return _result(model, segmentation, pd.concat(placed, ignore_index=True), at)


def _placed(model: ReplayModel, states: UserStates, labels: np.ndarray) -> pd.DataFrame:
    xy = model.project(states.states) if len(states) else np.empty((0, 2), np.float32)  # [U, 2]
    return pd.DataFrame(
        {"user_id": states.users.astype(str), "segment": labels, "x": xy[:, 0], "y": xy[:, 1]}
    )


def _result(
    model: ReplayModel, segmentation: Segmentation, users: pd.DataFrame, at: pd.Timestamp | None
) -> Segments:
    item_vectors = model.unit_items.cpu().numpy()  # [n_items, d]
    table = describe_segments(
        users["segment"].to_numpy(), segmentation.centres, item_vectors, model.categories
    )
    centre_xy = model.project(segmentation.centres.astype(np.float32))  # [k, 2]
    table["x"], table["y"] = centre_xy[:, 0], centre_xy[:, 1]
    return Segments(
        users=users,
        segments=table,
        silhouettes=dict(segmentation.silhouettes),
        chosen_by=segmentation.chosen_by,
        at=None if at is None else at.isoformat(),
    )
