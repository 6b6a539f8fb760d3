"""Edits through the real replay: an empty edit list replays identically, and nothing before the first
edit changes (the memory reads events in time order only)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.timeline import Timeline
from engine.replay.config import ReplayConfig
from engine.replay.model import ReplayModel
from engine.replay.replay import replay
from engine.replay.trace import Trace
from engine.whatif import apply_edits, compare, parse_edits

CONFIG = ReplayConfig(k=10)


@pytest.fixture(scope="module")
def original(replay_model: ReplayModel, replay_data: Timeline, busiest_user: str) -> Trace:
    return replay(replay_model, replay_data, busiest_user, CONFIG)


def test_no_edits_replay_identically(
    original: Trace, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    edited = apply_edits(replay_data, busiest_user, [])
    again = replay(replay_model, edited.timeline, busiest_user, CONFIG)
    result = compare(original, again, edited.origin_step)
    assert result.summary["first_edit"] is None
    assert result.summary["stability"] == 0.0
    assert result.per_step["rbo"].tolist() == pytest.approx([1.0] * original.n_steps)
    assert result.per_step["state_diff"].abs().max() < 1e-6


def test_steps_before_the_first_edit_are_unchanged(
    original: Trace, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    n = original.n_steps
    s = n // 2
    other_category = replay_data.events.loc[replay_data.events["category"] != original.steps["category"][s]]
    new_item = str(other_category["item_id"].iloc[0])
    edits = parse_edits(
        [
            {"op": "delete", "step": s + 3},
            {"op": "replace", "step": s, "item_id": new_item},
            {"op": "insert", "after": s + 1, "item_id": "brand-new", "event_type": "purchase",
             "item_name": "Brand new thing", "category": "Novelties"},
        ]
    )  # fmt: skip
    edited = apply_edits(replay_data, busiest_user, edits)
    trace_b = replay(replay_model, edited.timeline, busiest_user, CONFIG)
    assert trace_b.n_steps == n
    result = compare(original, trace_b, edited.origin_step)
    per_step = result.per_step
    assert result.summary["first_edit"] == edited.first_changed_step == s
    before = per_step[per_step["step"] < s]
    assert before["rbo"].tolist() == pytest.approx([1.0] * s)
    assert before["state_diff"].abs().max() < 1e-6
    assert per_step["state_diff"][s] > 1e-4  # the replaced item moves the memory
    assert not per_step["aligned"][s + 3]
    assert 0.0 < result.summary["stability"] <= 1.0
    assert np.isfinite(per_step.loc[per_step["aligned"], "rbo"]).all()
