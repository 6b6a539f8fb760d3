"""Users' states at a time from the batch replay, and the Parquet state table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.replay.model import ReplayModel
from engine.replay.path import memory_path
from engine.replay.replay import user_events
from engine.segments.states import iter_states, read_states, user_states, write_states


def test_a_state_is_the_step_replays_last_state(replay_model: ReplayModel, replay_data: Timeline) -> None:
    states = user_states(replay_model, replay_data)
    known = replay_data.events["item_id"].astype(str).isin(set(replay_model.item_index))
    only_known = replay_data.events.loc[known, "user_id"].astype(str)
    user = next(
        u for u in only_known.unique() if only_known.eq(u).sum() == (replay_data.events["user_id"] == u).sum()
    )
    events, seconds = user_events(replay_data, user)
    last = memory_path(replay_model, events, seconds).u[-1].cpu().numpy()  # Replay's final step
    row = list(states.users).index(user)
    np.testing.assert_allclose(states.states[row], last, rtol=1e-4, atol=1e-5)


def test_states_at_a_time_use_only_earlier_events(replay_model: ReplayModel, replay_data: Timeline) -> None:
    at = replay_data.events["timestamp"].quantile(0.5)
    early = user_states(replay_model, replay_data, at)
    before = replay_data.subset((replay_data.events["timestamp"] <= at).to_numpy())
    again = user_states(replay_model, before)
    np.testing.assert_array_equal(early.users, again.users)
    np.testing.assert_allclose(early.states, again.states, rtol=1e-5, atol=1e-6)
    full = user_states(replay_model, replay_data)
    row = {u: i for i, u in enumerate(full.users)}
    moved = [not np.allclose(full.states[row[u]], s) for u, s in zip(early.users, early.states, strict=True)]
    assert any(moved)  # later events changed someone's state
    with pytest.raises(DataError, match="no user has events"):
        user_states(replay_model, replay_data, pd.Timestamp("2000-01-01", tz="UTC"))


def test_parquet_round_trip_in_batches(
    replay_model: ReplayModel, replay_data: Timeline, tmp_path: Path
) -> None:
    at = replay_data.events["timestamp"].max()
    states = user_states(replay_model, replay_data, at)
    path = write_states(states, tmp_path / "states.parquet")
    batches = list(iter_states(path, batch_rows=5))
    assert [len(b) for b in batches][:-1] == [5] * (len(batches) - 1)
    back = read_states(path)
    np.testing.assert_array_equal(back.users, states.users)
    np.testing.assert_array_equal(back.states, states.states)
    assert back.at == at


def test_a_table_without_states_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pd.DataFrame({"user_id": ["a"], "vector": [[1.0]]}).to_parquet(path)
    with pytest.raises(DataError, match="missing \\['state'\\]"):
        read_states(path)
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read the state table"):
        read_states(tmp_path / "junk.parquet")
