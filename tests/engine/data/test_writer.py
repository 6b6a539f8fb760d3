"""Writing events (CSV / Parquet) and ground truth: exact layout, and files that read back unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data.errors import DataError
from engine.data.ground_truth import GroundTruth
from engine.data.load import ReadOptions, load_events
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.data.writer import (
    event_file_format,
    load_truth,
    save_events,
    save_truth,
    truth_path_for,
)

HEADER = "user_id,item_id,timestamp,event_type,category,item_name,session_id"
COMPARED = ["user_id", "item_id", "timestamp", "event_type", "category", "item_name", "session_id"]


@pytest.fixture(scope="module")
def generated() -> tuple[Timeline, GroundTruth]:
    return generate(SyntheticConfig(n_users=30, n_items=200, n_categories=6, days=14, seed=11))


def _same_events(a: Timeline, b: Timeline) -> None:
    left = a.events[COMPARED].reset_index(drop=True)
    right = b.events[COMPARED].reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_categorical=False)


def test_csv_layout_is_exact(tmp_path: Path, generated: tuple[Timeline, GroundTruth]) -> None:
    timeline, _ = generated
    path = save_events(timeline, tmp_path / "events.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    assert len(lines) == len(timeline) + 1
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw["timestamp"].str.fullmatch(r"\d{10}").all()  # unix seconds, integers
    assert set(raw["event_type"]) == {"view", "like", "cart", "purchase"}


def test_csv_round_trips_through_plain_normalize(
    tmp_path: Path, generated: tuple[Timeline, GroundTruth]
) -> None:
    timeline, _ = generated
    path = save_events(timeline, tmp_path / "events.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    again = normalize(raw, source=str(path))
    assert again.report.clean
    _same_events(timeline, again)


def test_csv_round_trips_through_the_loader(tmp_path: Path, generated: tuple[Timeline, GroundTruth]) -> None:
    timeline, _ = generated
    path = save_events(timeline, tmp_path / "events.csv")
    again = load_events(path)  # plain CSV: no preset, no mapping
    assert again.report.rows_dropped == 0
    _same_events(timeline, again)


def test_parquet_round_trips(tmp_path: Path, generated: tuple[Timeline, GroundTruth]) -> None:
    timeline, _ = generated
    path = save_events(timeline, tmp_path / "events.parquet")
    raw = pd.read_parquet(path)
    assert list(raw.columns) == HEADER.split(",")
    assert str(raw["timestamp"].dtype) == "int64"
    _same_events(timeline, normalize(raw, source=str(path)))


def test_awkward_names_survive_the_csv(tmp_path: Path, generated: tuple[Timeline, GroundTruth]) -> None:
    timeline, _ = generated
    path = save_events(timeline, tmp_path / "events.csv")
    written = set(pd.read_csv(path, dtype=str, keep_default_na=False)["item_name"])
    assert written == set(timeline.events["item_name"])
    assert any(ch in name for name in written for ch in '&<",')


def test_save_creates_missing_folders(tmp_path: Path, generated: tuple[Timeline, GroundTruth]) -> None:
    timeline, truth = generated
    assert save_events(timeline, tmp_path / "a" / "b" / "e.csv").is_file()
    assert save_truth(truth, tmp_path / "c" / "t.json").is_file()


@pytest.mark.parametrize("name", ["events.txt", "events", "events.json", "events.csv.gz"])
def test_unknown_suffix_is_refused(
    tmp_path: Path, generated: tuple[Timeline, GroundTruth], name: str
) -> None:
    with pytest.raises(ValueError, match=r"\.csv"):
        save_events(generated[0], tmp_path / name)
    assert not (tmp_path / name).exists()


def test_format_by_suffix() -> None:
    assert event_file_format("x/Events.CSV") == "csv"
    assert event_file_format("x.parquet") == event_file_format("x.pq") == "parquet"


def test_truth_path_sits_beside_the_events() -> None:
    assert truth_path_for("data/demo.csv") == Path("data/demo.truth.json")
    assert truth_path_for(Path("/tmp/run.1/events.parquet")) == Path("/tmp/run.1/events.truth.json")


def test_truth_round_trips(tmp_path: Path, generated: tuple[Timeline, GroundTruth]) -> None:
    _, truth = generated
    path = save_truth(truth, tmp_path / "events.truth.json")
    assert load_truth(path) == truth
    assert '"time_iso"' in path.read_text(encoding="utf-8")


# Any printable-or-not text except NUL (the loader refuses NUL as a sign of a binary file) and lone
# surrogates (not encodable): quotes, delimiters, CR/LF and non-Latin scripts all must survive.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=10)


@st.composite
def raw_events(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 8))

    def column(values: st.SearchStrategy[Any]) -> list[Any]:
        return [draw(values) for _ in range(n)]

    return pd.DataFrame(
        {
            "user_id": column(TEXT),
            "item_id": column(TEXT),
            "timestamp": column(st.integers(1_600_000_000, 1_600_500_000)),
            "event_type": column(st.sampled_from(["view", "like", "cart", "purchase"])),
            "category": column(TEXT),
            "item_name": column(TEXT),
            "session_id": column(TEXT),
        }
    )


@settings(max_examples=40, deadline=None)
@given(raw=raw_events(), suffix=st.sampled_from([".csv", ".parquet"]))
def test_any_timeline_round_trips_through_the_loader(raw: pd.DataFrame, suffix: str) -> None:
    try:
        timeline = normalize(raw)
    except DataError:  # e.g. every id was whitespace: nothing to write
        return
    with tempfile.TemporaryDirectory() as folder:
        path = save_events(timeline, Path(folder) / f"events{suffix}")
        again = load_events(path, ReadOptions(drop_outliers=False))
    _same_events(timeline, again)
