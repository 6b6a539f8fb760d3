"""What every recommender's ``fit`` indexes from its training timeline: catalogue and user histories."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from engine.data.timeline import Timeline


@dataclass(frozen=True)
class TrainingIndex:
    """``catalogue`` item ids sorted (index = item index, so ties broken by index are broken by id),
    ``item_index`` id -> index, ``history`` user id -> item indices touched, in time order."""

    catalogue: np.ndarray
    item_index: dict[str, int]
    history: dict[str, np.ndarray]


def training_index(train: Timeline) -> TrainingIndex:
    """The index of ``train``: every model's fit, the protocols' targets and the leakage guard read it."""
    ev = train.events
    catalogue = np.array(sorted(ev["item_id"].unique()), dtype=object)
    item_index = {item: i for i, item in enumerate(catalogue)}
    codes = ev["item_id"].map(item_index).to_numpy(dtype=np.int64)
    users = ev["user_id"].to_numpy()
    order = np.argsort(users, kind="stable")  # stable keeps time order inside each user
    sorted_users = users[order]
    bounds = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1], True])
    history = {str(sorted_users[start]): codes[order[start:end]] for start, end in itertools.pairwise(bounds)}
    return TrainingIndex(catalogue, item_index, history)
