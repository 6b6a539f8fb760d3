"""Category shares per window and their slopes: by hand, weekly windows, one segment, Parquet in batches."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.segments.trends import category_trends, parquet_trends, window_edges


def _events(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([r[1] for r in rows], utc=True),
            "category": pd.Series([r[2] for r in rows], dtype="string"),
        }
    )


EVENTS = _events(
    [
        ("u1", "2026-03-02 10:00", "a"),  # window 0: a 3, b 1
        ("u1", "2026-03-03 10:00", "a"),
        ("u2", "2026-03-04 10:00", "a"),
        ("u2", "2026-03-05 10:00", "b"),
        ("u1", "2026-03-10 10:00", "b"),  # window 1: a 1, b 3
        ("u2", "2026-03-11 10:00", "b"),
        ("u2", "2026-03-12 10:00", "b"),
        ("u2", "2026-03-13 10:00", "a"),
    ]
)


def test_two_equal_windows_by_hand() -> None:
    trends = category_trends(EVENTS, windows=2)
    shares = trends.shares.set_index(["window", "category"])["share"]
    assert shares[(0, "a")] == pytest.approx(0.75)
    assert shares[(1, "a")] == pytest.approx(0.25)
    slopes = trends.slopes.set_index("category")["slope"]
    assert slopes["a"] == pytest.approx(-0.5)
    assert slopes["b"] == pytest.approx(0.5)
    assert trends.rising()["category"].tolist() == ["b"]
    assert trends.fading()["category"].tolist() == ["a"]


def test_weekly_windows_start_on_monday() -> None:
    edges = window_edges(EVENTS["timestamp"].min(), EVENTS["timestamp"].max(), "W")
    assert [e.day_name() for e in edges] == ["Monday"] * 3
    assert edges[0] == pd.Timestamp("2026-03-02", tz="UTC")
    trends = category_trends(EVENTS)  # 2 March is a Monday: the same two windows as above
    assert trends.slopes.set_index("category")["slope"]["b"] == pytest.approx(0.5)


def test_one_segments_users_only() -> None:
    trends = category_trends(EVENTS, windows=2, users=["u1"])
    shares = trends.shares.set_index(["window", "category"])["share"]
    assert shares[(0, "a")] == pytest.approx(1.0)  # u1: a, a | b
    assert shares[(1, "b")] == pytest.approx(1.0)
    assert trends.users == 1
    with pytest.raises(DataError, match="none of these users"):
        category_trends(EVENTS, users=["nobody"])


def test_missing_categories_are_a_category_and_one_window_has_no_slope() -> None:
    events = _events([("u", "2026-03-02", None), ("u", "2026-03-03", "a")])
    trends = category_trends(events, windows=1)
    assert set(trends.slopes["category"]) == {"a", "(no category)"}
    assert trends.slopes["slope"].isna().all()


def test_parquet_in_batches_matches_the_frame(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    frame = EVENTS.assign(timestamp=EVENTS["timestamp"].dt.as_unit("s").astype("int64"))
    frame.to_parquet(path, row_group_size=3)
    from_file = parquet_trends(path, windows=2, batch_rows=3)
    in_memory = category_trends(EVENTS, windows=2)
    pd.testing.assert_frame_equal(from_file.slopes, in_memory.slopes)
    pd.testing.assert_frame_equal(from_file.shares, in_memory.shares)
    frame.drop(columns="category").to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DataError, match="lacks columns"):
        parquet_trends(tmp_path / "bad.parquet")
