"""The Seed example page through AppTest: the article's numbers by default, the sliders move them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def app(small_events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(small_events_csv))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("views/seed.py").run()
    assert not at.exception
    return at


def _result(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**h_sport' ="))


def test_the_defaults_show_the_article_numbers(app: AppTest) -> None:
    assert app.header[0].value == "Seed example"
    assert _result(app) == "**h_sport' = [0.75, 0.55, 0.70]**"
    assert any("[0.75, 0.55, 0.70]" in latex.value for latex in app.latex)


def test_moving_one_alpha_moves_the_other_and_the_result(app: AppTest) -> None:
    app.slider(key="seed_alpha_book").set_value(0.8).run()
    assert not app.exception
    assert app.slider(key="seed_alpha_movie").value == pytest.approx(0.2)
    assert _result(app) == "**h_sport' = [0.78, 0.52, 0.70]**"
    app.slider(key="seed_w2").set_value(-1.0).run()  # dim 2: -0.2 + 0.8*0.3 + 0.2*0.4 = 0.12
    assert _result(app) == "**h_sport' = [0.78, 0.12, 0.70]**"


def test_the_table_and_figures_download(app: AppTest, downloads: dict[str, Callable[[], object]]) -> None:
    app.run()  # again, now that downloads are recorded
    rows = str(downloads["seed-example.csv"]()).splitlines()
    assert rows[0] == "vector,values"
    assert rows[-1] == 'h_sport\',"[0.75, 0.55, 0.70]"'
    html = bytes(downloads["seed-graph.html"]())  # type: ignore[call-overload]
    assert b"<html>" in html
    assert not re.search(rb"<script[^>]*\bsrc=", html)  # no script fetched from a CDN
    assert len(html) > 1_000_000  # plotly.js is inside: opens offline
