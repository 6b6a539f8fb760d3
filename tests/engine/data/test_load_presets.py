"""Each preset on the real sample files in ../shared/data, with the counts their SOURCE.md documents."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.load import PRESETS, ReadOptions, load_events
from engine.data.schema import CANONICAL_COLUMNS
from engine.data.timeline import Timeline

# Same place as the `shared_data` fixture in tests/conftest.py; needed here for a module-scoped fixture.
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
TAOBAO_ROWS = 4321  # SOURCE.md: the first 4,321 rows of UserBehavior.csv, 43 users
TAOBAO_OUT_OF_RANGE_ROW = 4171  # 1505117799 = 2017-09-11, months before the documented 9 days
# The documented days, 2017-11-25 .. 2017-12-03 in China time (UTC+8), as UTC.
TAOBAO_START = pd.Timestamp("2017-11-24T16:00:00Z")
TAOBAO_END = pd.Timestamp("2017-12-03T16:00:00Z")


def _assert_canonical(timeline: Timeline) -> None:
    ev = timeline.events
    assert tuple(ev.columns) == CANONICAL_COLUMNS
    assert ev["timestamp"].is_monotonic_increasing
    assert str(ev["timestamp"].dtype).startswith("datetime64")
    assert str(ev["timestamp"].dt.tz) == "UTC"
    assert ev["user_id"].notna().all()
    assert ev["item_id"].notna().all()
    assert timeline.report.rows_kept == len(timeline)


def test_presets_are_the_documented_three() -> None:
    assert set(PRESETS) >= {"taobao", "otto", "movielens"}


@pytest.fixture
def taobao(shared_data: Path) -> Path:
    return shared_data / "taobao-sample" / "UserBehavior.csv"


def test_taobao_counts(taobao: Path) -> None:
    timeline = load_events(taobao, ReadOptions(preset="taobao"))
    _assert_canonical(timeline)
    report = timeline.report
    assert report.rows_read == TAOBAO_ROWS
    assert timeline.n_users == 43
    assert report.rows_kept + report.rows_dropped == TAOBAO_ROWS
    counts = timeline.events["event_type"].value_counts()
    # pv 3,926, cart 190, fav 128, buy 77 in the file; only the out-of-range row (a pv) is dropped
    assert int(counts["cart"]) == 190
    assert int(counts["like"]) == 128
    assert int(counts["purchase"]) == 77
    assert int(counts["view"]) == 3926 - report.rows_dropped
    assert timeline.events["category"].notna().all()


def test_taobao_out_of_range_timestamps_are_reported(taobao: Path) -> None:
    timeline = load_events(taobao, ReadOptions(preset="taobao"))
    far = [issue for issue in timeline.report.dropped if issue.column == "timestamp"]
    assert far, timeline.report.to_text()
    assert TAOBAO_OUT_OF_RANGE_ROW in far[0].example_rows
    assert str(TAOBAO_OUT_OF_RANGE_ROW) in timeline.report.to_text()
    ev = timeline.events
    assert ev["timestamp"].min() >= TAOBAO_START
    assert ev["timestamp"].max() < TAOBAO_END
    assert TAOBAO_OUT_OF_RANGE_ROW not in set(ev["source_row"])


def test_taobao_keep_outliers_keeps_every_row(taobao: Path) -> None:
    timeline = load_events(taobao, ReadOptions(preset="taobao", drop_outliers=False))
    assert len(timeline) == TAOBAO_ROWS
    assert timeline.events["timestamp"].min() < TAOBAO_START


def test_taobao_without_preset_says_which_preset_to_use(taobao: Path) -> None:
    with pytest.raises(DataError, match="--preset taobao") as info:
        load_events(taobao)
    assert "--map" in str(info.value)
    assert str(taobao) in str(info.value)


def test_taobao_by_column_numbers_matches_the_preset(taobao: Path) -> None:
    mapped = load_events(
        taobao, ReadOptions(column_map={"user": "0", "item": "1", "category": "2", "type": "3", "time": "4"})
    )
    preset = load_events(taobao, ReadOptions(preset="taobao"))
    assert mapped.fingerprint() == preset.fingerprint()


def test_otto_counts(shared_data: Path) -> None:
    timeline = load_events(shared_data / "otto-sample" / "train.jsonl", ReadOptions(preset="otto"))
    _assert_canonical(timeline)
    assert len(timeline) == 862
    assert timeline.report.rows_read == 862
    assert timeline.n_users == 20
    assert timeline.n_items == 510
    assert timeline.events["session_id"].nunique() == 20
    assert (timeline.events["session_id"] == timeline.events["user_id"]).all()  # the session is the user
    assert set(timeline.events["event_type"].astype(str)) <= {"view", "cart", "purchase"}
    # ts is in milliseconds: the sample lies in 2022-07/08
    assert timeline.events["timestamp"].min() >= pd.Timestamp("2022-07-01T00:00:00Z")
    assert timeline.events["timestamp"].max() < pd.Timestamp("2022-09-01T00:00:00Z")


def test_otto_is_recognised_without_the_preset(shared_data: Path) -> None:
    path = shared_data / "otto-sample" / "train.jsonl"
    assert load_events(path).fingerprint() == load_events(path, ReadOptions(preset="otto")).fingerprint()


@pytest.fixture(scope="module")
def movielens() -> Timeline:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not found at {SHARED_DATA} (only present on the project's machines)")
    return load_events(SHARED_DATA / "ml-100k" / "ml-100k.inter", ReadOptions(preset="movielens"))


def test_movielens_counts(movielens: Timeline) -> None:
    _assert_canonical(movielens)
    assert len(movielens) == 100_000
    assert movielens.report.rows_read == 100_000
    assert movielens.n_users == 943
    assert movielens.n_items == 1682
    assert movielens.events["timestamp"].min() >= pd.Timestamp("1997-09-01T00:00:00Z")
    assert movielens.events["timestamp"].max() < pd.Timestamp("1998-05-01T00:00:00Z")


def test_movielens_rating_4_or_more_is_a_like(shared_data: Path, movielens: Timeline) -> None:
    raw = pd.read_csv(shared_data / "ml-100k" / "ml-100k.inter", sep="\t")
    liked = int((raw["rating:float"] >= 4).sum())
    counts = movielens.events["event_type"].value_counts()
    assert int(counts["like"]) == liked
    assert int(counts["view"]) == len(raw) - liked
    # row by row: source_row is the data row of the .inter file
    ev = movielens.events.sort_values("source_row")
    expected = (raw["rating:float"] >= 4).map({True: "like", False: "view"}).to_numpy()
    assert (ev["event_type"].astype(str).to_numpy() == expected).all()


def test_movielens_genres_become_category_and_categories(movielens: Timeline) -> None:
    ev = movielens.events
    assert ev["category"].notna().all()
    assert movielens.n_categories <= 19
    toy_story = ev[ev["item_id"] == "1"].iloc[0]
    assert toy_story["item_name"].startswith("Toy Story")
    assert toy_story["category"] == "Animation"
    assert set(toy_story["categories"].split("|")) == {"Animation", "Children's", "Comedy"}
    first = ev["categories"].str.split("|").str[0]
    assert (first == ev["category"]).all()


def test_movielens_folder_and_inter_without_preset_agree(shared_data: Path, movielens: Timeline) -> None:
    folder = load_events(shared_data / "ml-100k", ReadOptions(preset="movielens"))
    assert folder.fingerprint() == movielens.fingerprint()


def test_movielens_classic_ratings_and_movies_csv(tmp_path: Path) -> None:
    """The classic layout (ratings.csv + movies.csv, genres split by '|'), on a small hand-made copy."""
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,3.5,964981247\n2,2,5,964982224\n"
    )
    (tmp_path / "movies.csv").write_text(
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '2,"American President, The (1995)",Comedy|Drama|Romance\n'
        "3,Heat (1995),(no genres listed)\n"
    )
    for path in (tmp_path / "ratings.csv", tmp_path):
        timeline = load_events(path, ReadOptions(preset="movielens"))
        ev = timeline.events.set_index("item_id")
        assert len(ev) == 3
        assert ev.loc["1", "event_type"] == "like"  # 4.0
        assert ev.loc["3", "event_type"] == "view"  # 3.5
        assert ev.loc["2", "item_name"] == "American President, The (1995)"
        assert ev.loc["1", "category"] == "Adventure"
        assert ev.loc["1", "categories"] == "Adventure|Animation|Children|Comedy|Fantasy"
        assert ev.loc[["3"], "category"].isna().all()  # "(no genres listed)" is no genre
