"""Held-out ranks agree with the per-user trace, and the cumulative curves are the running means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import api
from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.replay.heldout import HeldoutRanks, cumulative_hits, heldout_ranks
from engine.replay.model import ReplayModel
from engine.replay.trace import BASELINE_COLUMNS


@pytest.fixture(scope="module")
def ranks(replay_model: ReplayModel, replay_data: Timeline) -> HeldoutRanks:
    return heldout_ranks(replay_model, replay_data)


def test_every_held_out_event_ranks_as_in_its_users_trace(
    ranks: HeldoutRanks, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    assert ranks.models == ("GNN", *replay_model.baselines)
    events = ranks.events
    assert events["event"].tolist() == list(range(1, len(events) + 1))
    assert events["timestamp"].is_monotonic_increasing
    assert (events["timestamp"] > pd.Timestamp(ranks.trained_until)).all()
    k = 10
    trace = api.replay_user(replay_model, replay_data, busiest_user, k=k)
    steps = trace.steps
    # the list after step t is judged on event t+1: held out when that event is after training
    after = steps["timestamp"].shift(-1) > pd.Timestamp(ranks.trained_until)
    expected = steps[steps["judged"] & after]
    mine = events[events["user_id"] == busiest_user]
    assert len(mine) == len(expected) > 0
    assert mine["step"].tolist() == (expected["step"] + 1).tolist()
    assert mine["GNN"].tolist() == expected["next_rank"].astype(int).tolist()
    for name, prefix in BASELINE_COLUMNS.items():
        rr = np.where(mine[name] <= k, 1.0 / mine[name], 0.0)
        np.testing.assert_allclose(rr, expected[f"{prefix}_rr"].to_numpy(float))


def test_cumulative_curves_by_hand() -> None:
    events = pd.DataFrame(
        {
            "event": [1, 2, 3],
            "user_id": ["a", "b", "a"],
            "timestamp": pd.to_datetime([1, 2, 3], unit="s", utc=True),
            "step": [4, 2, 5],
            "GNN": [1, 3, 30],
            "RecentPop": [40, 50, 60],
        }
    )
    curves = cumulative_hits(HeldoutRanks(events, ("GNN", "RecentPop"), None, 2), k=10).set_index("model")
    np.testing.assert_allclose(curves.loc["GNN", "hit_rate"], [1.0, 1.0, 2 / 3])
    np.testing.assert_allclose(curves.loc["GNN", "mrr"], [1.0, (1 + 1 / 3) / 2, (1 + 1 / 3) / 3])
    np.testing.assert_allclose(curves.loc["RecentPop", "hit_rate"], [0.0, 0.0, 0.0])
    assert cumulative_hits(HeldoutRanks(events, ("GNN",), None, 2), k=1)["hit_rate"].iloc[-1] == 1 / 3


def test_no_held_out_events_is_a_message(replay_model: ReplayModel, replay_data: Timeline) -> None:
    seconds = replay_data.seconds()
    trained = replay_data.subset(seconds <= replay_model.trained_until)
    with pytest.raises(DataError, match="nothing is held out"):
        heldout_ranks(replay_model, trained)
