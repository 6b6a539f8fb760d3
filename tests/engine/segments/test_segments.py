"""Segments of a trained model's users: from events at a time, and from a Parquet state table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data.timeline import Timeline
from engine.replay.model import ReplayModel
from engine.segments.cluster import SegmentConfig
from engine.segments.segments import segment_state_table, segment_users
from engine.segments.states import user_states, write_states


def test_every_user_in_one_segment_with_a_description(
    replay_model: ReplayModel, replay_data: Timeline
) -> None:
    result = segment_users(replay_model, replay_data)
    assert result.chosen_by == "silhouette"
    assert 2 <= result.k <= 10
    assert result.users["user_id"].is_unique
    assert set(result.users["segment"]) <= set(range(result.k))
    assert result.segments["users"].sum() == len(result.users)
    assert abs(result.segments["share"].sum() - 1.0) < 1e-9
    assert (result.segments["top_categories"].str.len() > 0).all()
    members = [user for s in range(result.k) for user in result.members(s)]
    assert sorted(members) == sorted(result.users["user_id"])
    xy = replay_model.project(user_states(replay_model, replay_data).states)
    np.testing.assert_allclose(result.users[["x", "y"]].to_numpy(), xy, rtol=1e-5, atol=1e-6)


def test_a_state_table_gives_the_same_segments(
    replay_model: ReplayModel, replay_data: Timeline, tmp_path: Path
) -> None:
    at = replay_data.events["timestamp"].quantile(0.7)
    path = write_states(user_states(replay_model, replay_data, at), tmp_path / "states.parquet")
    from_events = segment_users(replay_model, replay_data, at, SegmentConfig(k=3))
    from_table = segment_state_table(replay_model, path, SegmentConfig(k=3), batch_rows=7)
    assert from_table.k == 3
    assert from_table.at == at.isoformat()
    np.testing.assert_array_equal(from_table.users["segment"], from_events.users["segment"])
    assert from_table.segments["top_categories"].tolist() == from_events.segments["top_categories"].tolist()
