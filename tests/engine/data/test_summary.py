"""Large-file summaries in record batches agree with the in-memory overview of the same events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine import api
from engine.data.errors import DataError
from engine.data.summary import parquet_summary
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.writer import save_events


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    timeline, _ = generate(SyntheticConfig(n_users=30, n_items=200, n_categories=6, days=10, seed=2))
    path = tmp_path_factory.mktemp("summary") / "events.parquet"
    save_events(timeline, path)
    return path


def test_batches_agree_with_the_overview(events_file: Path) -> None:
    summary = parquet_summary(events_file, top=4, batch_rows=333)
    overview = api.dataset_overview(api.load_timeline(events_file), top=4)
    for key in ("events", "users", "items", "categories", "start", "end", "days"):
        assert summary.summary[key] == overview.summary[key], key
    assert summary.summary["event_types"] == overview.summary["event_types"]
    expected = overview.daily.sort_values(["day", "event_type"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(summary.daily, expected, check_dtype=False)
    pd.testing.assert_frame_equal(summary.top_categories, overview.top_categories, check_dtype=False)
    per_user = overview.events_per_user.rename(index=str).sort_index()
    pd.testing.assert_series_equal(
        summary.events_per_user.sort_index(), per_user, check_dtype=False, check_names=False
    )


def test_timestamp_typed_times_are_read_too(events_file: Path, tmp_path: Path) -> None:
    frame = pd.read_parquet(events_file)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True)
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    assert parquet_summary(path).summary == {**parquet_summary(events_file).summary, "source": str(path)}


def test_missing_columns_and_junk_are_data_errors(tmp_path: Path) -> None:
    pd.DataFrame({"user_id": ["a"], "timestamp": [1]}).to_parquet(tmp_path / "thin.parquet")
    with pytest.raises(DataError, match="missing"):
        parquet_summary(tmp_path / "thin.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="cannot read as Parquet"):
        parquet_summary(tmp_path / "junk.parquet")


def test_an_uploads_bytes_summarise_like_its_file(events_file: Path) -> None:
    data = events_file.read_bytes()
    from_bytes = api.parquet_summary(data, name="upload.parquet")
    assert from_bytes.summary == {**api.parquet_summary(events_file).summary, "source": "upload.parquet"}
    rows = len(pd.read_parquet(events_file))
    assert api.parquet_rows(data) == api.parquet_rows(events_file) == rows
    assert api.parquet_rows(b"user_id,item_id\n") is None  # not Parquet: the loader reads it
    assert api.parquet_rows(events_file.with_suffix(".csv")) is None
    assert not api.is_large_parquet(events_file)  # far below api.LARGE_PARQUET_ROWS
