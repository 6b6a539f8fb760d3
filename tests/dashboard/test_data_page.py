"""The Data page summarises a Parquet file over api.LARGE_PARQUET_ROWS in parts, never loading it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from engine import api

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _never_loaded(*args: object, **kwargs: object) -> api.Timeline:
    raise AssertionError("a large file must not be loaded whole by the Data page")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def expected(replay_events: Path) -> dict[str, str]:
    """The page's numbers for the shared data, loaded the ordinary way."""
    summary = api.dataset_overview(api.load_timeline(replay_events)).summary
    return {
        "Users": f"{summary['users']:,}",
        "Items": f"{summary['items']:,}",
        "Events": f"{summary['events']:,}",
    }


def test_a_large_file_is_summarised_in_parts(
    replay_events: Path, expected: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    assert pq.ParquetFile(replay_events).metadata.num_rows > 100
    monkeypatch.setattr(api, "LARGE_PARQUET_ROWS", 100)
    monkeypatch.setattr(api, "load_timeline", _never_loaded)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/data.py").run()
    assert not at.exception
    assert any("read from the file in parts" in i.value for i in at.info)
    assert {k: _metrics(at)[k] for k in expected} == expected
    assert any("Not validated here" in c.value for c in at.caption)
    assert at.dataframe[0].value["category"].tolist()  # top categories from the batches


def test_a_large_upload_is_summarised_from_its_bytes(
    replay_events: Path, expected: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/data.py").run()
    at.sidebar.radio[0].set_value("Upload an events file").run()
    monkeypatch.setattr(api, "LARGE_PARQUET_ROWS", 100)
    monkeypatch.setattr(api, "load_timeline", _never_loaded)
    data = replay_events.read_bytes()
    at.sidebar.file_uploader[0].set_value(("big.parquet", data, "application/octet-stream")).run()
    assert not at.exception
    assert any("read from the file in parts" in i.value for i in at.info)
    assert {k: _metrics(at)[k] for k in expected} == expected
    assert any("big.parquet" in m.value for m in at.caption)  # the source is the upload's name


def test_a_small_file_is_loaded_and_validated(replay_events: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/data.py").run()
    assert not at.exception
    assert not at.info
    assert any("nothing was dropped" in s.value for s in at.success)
