"""The dashboard through Streamlit's AppTest: pages run, show the data, and report bad uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def app(small_events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(small_events_csv))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/data.py").run()
    return at


def test_data_page_shows_the_summary(app: AppTest) -> None:
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Users"] == "3"
    assert metrics["Items"] == "4"
    assert metrics["Categories"] == "2"
    assert metrics["Events"] == "7"
    assert any("nothing was dropped" in s.value for s in app.success)


def test_switching_to_upload_asks_for_a_file(small_events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(small_events_csv))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()  # the Replay page, on the tiny demo data
    assert not app.exception
    app.sidebar.radio[0].set_value("Upload an events file").run()
    assert not app.exception
    assert any("Upload an events file" in i.value for i in app.info)
    assert not app.metric  # nothing shown until a file is there
