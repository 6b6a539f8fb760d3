"""The Segments & trends page through AppTest: the segment count the engine finds, a chosen k, trends for
one segment, and a segment's user opened in Replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import api

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def app(replay_events: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("views/segments.py").run()
    assert not at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_the_segments_the_engine_finds(app: AppTest, replay_events: Path) -> None:
    timeline = api.load_timeline(replay_events)
    expected = api.segment_users(api.load_model(api.model_path(timeline, replay_events), timeline), timeline)
    assert app.header[0].value == "Segments & trends"
    assert _metrics(app)["Segments"] == str(expected.k)
    assert _metrics(app)["k chosen by"] == "silhouette"
    table = app.dataframe[0].value
    assert len(table) == expected.k
    assert table["users"].sum() == len(expected.users)


def test_a_chosen_k_and_one_segments_trends(app: AppTest) -> None:
    app.selectbox(key="seg_k").set_value(3).run()
    assert not app.exception
    assert _metrics(app)["Segments"] == "3"
    assert len(app.dataframe[0].value) == 3
    app.selectbox(key="seg_trend_for").set_value(1).run()
    assert not app.exception
    assert app.get("plotly_chart")  # the trend chart is drawn
    app.radio(key="seg_windows").set_value("equal windows").run()
    assert not app.exception
    assert any("equal windows" in c.value for c in app.caption)


def test_a_segments_user_opens_in_replay(app: AppTest) -> None:
    user = app.selectbox(key="seg_open_user").value
    next(b for b in app.button if b.label == "Open in Replay").click().run()
    assert not app.exception
    assert app.header[0].value == "Replay"
    assert app.session_state["user"] == user
    assert app.query_params["user"] == user
