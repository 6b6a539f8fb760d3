"""Trace persistence: Parquet folder and JSON file round-trips."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.replay.model import ReplayModel
from engine.replay.replay import replay
from engine.replay.trace import TABLES, Trace


@pytest.fixture(scope="module")
def trace(replay_model: ReplayModel, replay_data: Timeline) -> Trace:
    user = str(replay_data.events["user_id"].value_counts().index[-1])
    return replay(replay_model, replay_data, user)


def test_parquet_folder_round_trip(trace: Trace, tmp_path: Path) -> None:
    back = Trace.load(trace.save(tmp_path / "trace"))
    assert back.meta == trace.meta
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(trace, name), check_dtype=False)


def test_json_round_trip(trace: Trace, tmp_path: Path) -> None:
    back = Trace.load(trace.save(tmp_path / "trace.json"))
    assert back.meta == trace.meta
    pd.testing.assert_series_equal(back.steps["timestamp"], trace.steps["timestamp"], check_dtype=False)
    for name in TABLES:
        a, b = getattr(back, name), getattr(trace, name)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
    assert back.steps["hit"].tolist() == [None if pd.isna(h) else bool(h) for h in trace.steps["hit"]]
    assert back.summary() == trace.summary()


def test_not_a_trace_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"meta": {"format": "other"}}')
    with pytest.raises(DataError, match="not a replay trace"):
        Trace.load(bad)
