"""One test per bad-input class: a DataError naming file/row/column, or a report entry naming the rows.

Row numbers are 1-based data rows (the header is not counted), as DataError documents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.data.load import ReadOptions, load_events
from engine.data.report import Issue, ValidationReport
from engine.data.timeline import Timeline

HEADER = "user_id,item_id,timestamp,event_type,category\n"
T0 = 1_700_000_000  # 2023-11-14


def good_rows(n: int, start: int = T0, step: int = 3600) -> str:
    """``n`` valid distinct rows, one every ``step`` seconds."""
    return "".join(f"u{i % 7},i{i},{start + i * step},view,c{i % 3}\n" for i in range(n))


def write(tmp_path: Path, text: str | bytes, name: str = "events.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_or_error(path: Path, options: ReadOptions | None = None) -> Timeline | DataError:
    try:
        return load_events(path, options)
    except DataError as err:
        return err


def only_issue(report: ValidationReport) -> Issue:
    assert len(report.dropped) == 1, report.to_text()
    return report.dropped[0]


# --- missing required columns ---------------------------------------------------------------------


def test_missing_required_column_names_the_column(tmp_path: Path) -> None:
    path = write(tmp_path, "user_id,item_id,timestamp\nu1,i1,1700000000\n")
    with pytest.raises(DataError) as info:
        load_events(path)
    err = info.value
    assert err.column == "event_type"
    assert "event_type" in str(err)
    assert str(path) in str(err)
    assert "--map" in str(err)  # says how to fix it


def test_map_naming_a_column_not_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "visitor,itemid,ts,event\nu1,i1,1700000000,view\n")
    with pytest.raises(DataError, match="visitorid") as info:
        load_events(path, ReadOptions(column_map={"user": "visitorid"}))
    assert info.value.column == "visitorid"


# --- empty file -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"), [("events.csv", b""), ("events.csv", b" \n\n"), ("e.jsonl", b"")]
)
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = write(tmp_path, content, name)
    with pytest.raises(DataError, match="empty") as info:
        load_events(path)
    assert str(path) in str(info.value)


def test_header_without_rows(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER)
    with pytest.raises(DataError, match="no event rows") as info:
        load_events(path)
    assert str(path) in str(info.value)


# --- undecodable bytes ----------------------------------------------------------------------------


def _latin1_in_second_data_row(tmp_path: Path) -> Path:
    text = HEADER + "u1,i1,1700000000,view,c\n" + "u2,caf\xe9,1700000001,view,c\n"
    return write(tmp_path, text.encode("latin-1"))


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    path = _latin1_in_second_data_row(tmp_path)
    with pytest.raises(DataError, match="UTF-8") as info:
        load_events(path)
    assert "line 3" in str(info.value)  # the file line, header included
    assert str(path) in str(info.value)


def test_undecodable_bytes_row_is_the_data_row(tmp_path: Path) -> None:
    """B3 in /tmp/loader_bugs.md: ``row`` counts the header here, unlike every other DataError."""
    with pytest.raises(DataError) as info:
        load_events(_latin1_in_second_data_row(tmp_path))
    assert info.value.row == 2


def test_nul_bytes_are_refused_as_binary(tmp_path: Path) -> None:
    path = write(tmp_path, (HEADER + "u1,i1\x00,1700000000,view,c\n").encode())
    with pytest.raises(DataError, match="binary"):
        load_events(path)


# --- malformed rows -------------------------------------------------------------------------------


def test_row_with_extra_fields_names_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + good_rows(3) + "u1,i1,1700000000,view,c,surplus\n")
    with pytest.raises(DataError, match="6 fields") as info:
        load_events(path)
    assert info.value.row == 4
    assert "row 4" in str(info.value)


def test_headerless_csv_without_preset_says_what_to_use(tmp_path: Path) -> None:
    path = write(tmp_path, good_rows(5))
    with pytest.raises(DataError) as info:
        load_events(path)
    message = str(info.value)
    assert "--preset" in message
    assert "--map" in message


def test_invalid_jsonl_line_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '{"user_id": "u1", "item_id": "i1", "ts": 1700000000, "type": "view"}\nnot json\n',
        "e.jsonl",
    )
    with pytest.raises(DataError, match="JSON") as info:
        load_events(path)
    assert info.value.row == 2


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = write(tmp_path, b"PAR1 this is not parquet", "e.parquet")
    with pytest.raises(DataError, match="Parquet"):
        load_events(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_events(tmp_path / "nope.csv")


# --- unparsable timestamps ------------------------------------------------------------------------


def test_unparsable_timestamp_is_dropped_and_reported(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + good_rows(5) + "u9,i9,yesterday,view,c\n" + good_rows(5, T0 + 99_999))
    timeline = load_events(path)
    issue = only_issue(timeline.report)
    assert issue.column == "timestamp"
    assert issue.example_rows == [6]
    assert len(timeline) == 10
    text = timeline.report.to_text()
    assert "timestamp" in text
    assert "6" in text


def test_unparsable_timestamp_strict_names_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + good_rows(5) + "u9,i9,yesterday,view,c\n")
    with pytest.raises(DataError) as info:
        load_events(path, ReadOptions(strict=True))
    assert (info.value.row, info.value.column) == (6, "timestamp")
    assert "row 6, column 'timestamp'" in str(info.value)


def test_mostly_unparsable_timestamps_is_a_wrong_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER + "u1,i1,yesterday,view,c\nu2,i2,tomorrow,view,c\nu3,i3,1700000000,view,c\n"
    )
    with pytest.raises(DataError, match="yesterday") as info:
        load_events(path)
    assert (info.value.row, info.value.column) == (1, "timestamp")


# --- empty ids ------------------------------------------------------------------------------------


def test_empty_ids_are_dropped_and_reported(tmp_path: Path) -> None:
    text = HEADER + good_rows(3) + ",i9,1700000500,view,c\n" + "u8,  ,1700000600,view,c\n"
    timeline = load_events(write(tmp_path, text))
    by_column = {issue.column: issue for issue in timeline.report.dropped}
    assert by_column["user_id"].example_rows == [4]
    assert by_column["item_id"].example_rows == [5]
    assert len(timeline) == 3
    assert timeline.report.rows_dropped == 2


def test_empty_id_strict_names_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + good_rows(3) + ",i9,1700000500,view,c\n")
    with pytest.raises(DataError) as info:
        load_events(path, ReadOptions(strict=True))
    assert (info.value.row, info.value.column) == (4, "user_id")


# --- exact duplicates -----------------------------------------------------------------------------


def test_exact_duplicates_are_dropped_and_reported(tmp_path: Path) -> None:
    rows = good_rows(4)
    second = rows.splitlines()[1]
    timeline = load_events(write(tmp_path, HEADER + rows + second + "\n"))
    issue = only_issue(timeline.report)
    assert "duplicate" in issue.reason
    assert issue.example_rows == [5]  # the later copy goes, the first stays
    assert len(timeline) == 4
    assert 2 in set(timeline.events["source_row"])


def test_exact_duplicate_strict_names_the_row(tmp_path: Path) -> None:
    rows = good_rows(4)
    path = write(tmp_path, HEADER + rows + rows.splitlines()[0] + "\n")
    with pytest.raises(DataError, match="duplicate") as info:
        load_events(path, ReadOptions(strict=True))
    assert info.value.row == 5


def test_same_time_different_type_is_not_a_duplicate(tmp_path: Path) -> None:
    text = HEADER + "u1,i1,1700000000,view,c\nu1,i1,1700000000,cart,c\n"
    assert len(load_events(write(tmp_path, text))) == 2


# --- timestamps far outside the rest --------------------------------------------------------------


def test_far_outlier_is_reported_with_row_and_column(tmp_path: Path) -> None:
    text = HEADER + good_rows(150) + "u1,i1,1000000000,view,c1\n" + good_rows(150, T0 + 151 * 3600)
    timeline = load_events(write(tmp_path, text))
    issue = only_issue(timeline.report)
    assert issue.column == "timestamp"
    assert issue.example_rows == [151]
    assert "151" in timeline.report.to_text()
    assert len(timeline) == 300


def test_far_outlier_is_reported_in_a_small_file(tmp_path: Path) -> None:
    """B2 in /tmp/loader_bugs.md: with < ~200 rows the quantile fence includes the outlier itself."""
    timeline = load_events(write(tmp_path, HEADER + good_rows(30) + "u1,i1,1000000000,view,c1\n"))
    issue = only_issue(timeline.report)
    assert (issue.column, issue.example_rows) == ("timestamp", [31])


def test_far_outlier_strict_names_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + good_rows(300) + "u1,i1,1000000000,view,c1\n")
    with pytest.raises(DataError) as info:
        load_events(path, ReadOptions(strict=True))
    assert (info.value.row, info.value.column) == (301, "timestamp")


def test_far_outlier_kept_on_request(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + good_rows(300) + "u1,i1,1000000000,view,c1\n")
    assert len(load_events(path, ReadOptions(drop_outliers=False))) == 301


def test_a_long_continuous_tail_is_not_an_outlier(tmp_path: Path) -> None:
    """B9 in /tmp/loader_bugs.md: most rows in a 6-month burst, the rest steadily over 2 more years."""
    rng = np.random.default_rng(0)
    start = 955_324_800  # 2000-04-10
    burst = start + rng.integers(0, 180 * 86_400, size=900)
    tail = start + 180 * 86_400 + rng.integers(0, 800 * 86_400, size=100)
    times = np.sort(np.concatenate([burst, tail]))
    rows = "".join(f"u{i % 50},i{i},{t},view,c\n" for i, t in enumerate(times))
    timeline = load_events(write(tmp_path, HEADER + rows))
    assert timeline.report.rows_dropped == 0, timeline.report.to_text()


def test_a_large_separate_period_is_not_an_outlier(tmp_path: Path) -> None:
    """B13 in /tmp/loader_bugs.md: 20% of the rows in a second burst 4 months later are data, not strays."""
    rng = np.random.default_rng(0)
    first = T0 + rng.integers(0, 10 * 86_400, size=800)
    second = T0 + 120 * 86_400 + rng.integers(0, 10 * 86_400, size=200)
    times = np.sort(np.concatenate([first, second]))
    rows = "".join(f"u{i % 50},i{i},{t},view,c\n" for i, t in enumerate(times))
    timeline = load_events(write(tmp_path, HEADER + rows))
    assert timeline.report.rows_dropped == 0, timeline.report.to_text()


@pytest.mark.parametrize("value", ["99999999999999", "10000000000"])
def test_far_future_timestamp_is_reported_not_a_crash(tmp_path: Path, value: str) -> None:
    """B1 in /tmp/loader_bugs.md: a time past 2262 overflowed nanoseconds in the outlier step."""
    path = write(tmp_path, HEADER + good_rows(300) + f"u1,i1,{value},view,c1\n")
    timeline = load_events(path)
    issue = only_issue(timeline.report)
    assert (issue.column, issue.example_rows) == ("timestamp", [301])


def test_far_future_timestamp_kept_on_request_still_converts(tmp_path: Path) -> None:
    """B1: the same ns overflow in ``Timeline.seconds()`` once such a row is kept."""
    path = write(tmp_path, HEADER + good_rows(3) + "u1,i1,10000000000,view,c1\n")
    timeline = load_events(path, ReadOptions(drop_outliers=False))
    assert len(timeline) == 4
    assert timeline.seconds().max() == 10_000_000_000


# --- layouts the reader must refuse rather than misread ---------------------------------------------


def test_inter_file_without_ratings_is_implicit_feedback(tmp_path: Path) -> None:
    """B4 in /tmp/loader_bugs.md: KeyError 'rating' escaped; without ratings every row is a view."""
    path = write(tmp_path, "user_id:token\titem_id:token\ttimestamp:float\n1\t2\t881250949\n", "x.inter")
    for options in (ReadOptions(), ReadOptions(preset="movielens")):
        timeline = load_events(path, options)
        assert timeline.events["event_type"].astype(str).tolist() == ["view"]


def test_movielens_preset_on_another_layout_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="user_id"):
        load_events(path, ReadOptions(preset="movielens"))


def test_repeated_header_column_is_a_data_error(tmp_path: Path) -> None:
    """B5 in /tmp/loader_bugs.md: a repeated header name crashed with AttributeError."""
    path = write(tmp_path, "user_id,user_id,item_id,timestamp,event_type\nu1,u2,i1,1700000000,view\n")
    with pytest.raises(DataError, match="user_id"):
        load_events(path)


def test_parquet_with_undecodable_bytes_is_a_data_error(tmp_path: Path) -> None:
    """B6 in /tmp/loader_bugs.md: a non-UTF-8 binary value crashed with UnicodeDecodeError."""
    frame = pd.DataFrame(
        {
            "user_id": [b"a", b"\xff"],
            "item_id": ["i1", "i2"],
            "timestamp": [T0, T0 + 1],
            "event_type": ["view", "cart"],
        }
    )
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    outcome = load_or_error(path)
    if isinstance(outcome, DataError):
        assert (outcome.row, outcome.column) == (2, "user_id")
    else:  # or the row is dropped and reported: never a crash
        assert only_issue(outcome.report).example_rows == [2]


def test_jsonl_missing_key_does_not_change_other_ids(tmp_path: Path) -> None:
    """B7 in /tmp/loader_bugs.md: integer ids became '2.0' when another line lacked the key."""
    lines = [
        '{"user_id": 1, "item_id": 2, "ts": 1700000000, "type": "view"}',
        '{"user_id": 7, "ts": 1700000001, "type": "view"}',
    ]
    timeline = load_events(write(tmp_path, "\n".join(lines) + "\n", "events.jsonl"))
    assert timeline.events["item_id"].tolist() == ["2"]
    assert timeline.events["user_id"].tolist() == ["1"]
    assert only_issue(timeline.report).example_rows == [2]


def test_taobao_preset_on_six_columns_is_a_data_error(tmp_path: Path) -> None:
    """B8 in /tmp/loader_bugs.md: a sixth field made pandas use the first one as the index, silently."""
    path = write(tmp_path, "1,2,3,pv,1511544070,9\n4,5,6,buy,1511544071,9\n", "UserBehavior.csv")
    with pytest.raises(DataError, match="5") as info:
        load_events(path, ReadOptions(preset="taobao"))
    assert info.value.row == 1


def test_taobao_preset_on_four_columns_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path, "1,2,3,pv\n4,5,6,buy\n", "UserBehavior.csv")
    with pytest.raises(DataError, match="5 columns"):
        load_events(path, ReadOptions(preset="taobao"))


@pytest.mark.parametrize("position", [0, 30])
def test_quoted_last_field_with_quotes_keeps_the_comma_delimiter(tmp_path: Path, position: int) -> None:
    """B10 in /tmp/loader_bugs.md: csv.Sniffer chose SPACE for `...,"Shoe ""Pro"" edition"` lines."""
    header = "user_id,item_id,timestamp,event_type,item_name\n"
    plain = [f"u{i},i{i},{T0 + i},view,Plain name {i}\n" for i in range(100)]
    quoted = f'u0,i0,{T0 - 1},view,"Trail shoe ""Pro"" edition, size 42"\n'
    lines = [*plain[:position], quoted, *plain[position:]]
    timeline = load_events(write(tmp_path, header + "".join(lines)))
    assert len(timeline) == 101
    assert 'Trail shoe "Pro" edition, size 42' in set(timeline.events["item_name"])


@pytest.mark.parametrize("body", ["u1,i1,1700000000,view,a\rb\n", "u1\r,i1,1700000000,view,x\n"])
def test_bare_carriage_return_is_not_a_crash(tmp_path: Path, body: str) -> None:
    """B11 in /tmp/loader_bugs.md: csv.reader's "new-line character seen in unquoted field" escaped."""
    path = write(tmp_path, ("user_id,item_id,timestamp,event_type,item_name\n" + body).encode())
    outcome = load_or_error(path)
    if isinstance(outcome, Timeline):
        assert outcome.report.rows_read >= 1
