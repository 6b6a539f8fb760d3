"""The Replay page through AppTest: it opens by default, steps, keeps user and step in the URL, and
recovers from a broken model file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def app(replay_app: AppTest) -> AppTest:
    return replay_app


def _caption(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def test_replay_is_the_default_page_with_the_model_beside_the_baselines(app: AppTest) -> None:
    assert app.header[0].value == "Replay"
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["Events"].replace(",", "")) > 10
    assert "GNN hit@20" in metrics
    assert any(label.endswith("hit@20") and label != "GNN hit@20" for label in metrics)
    assert _caption(app).startswith("**Step 0**")
    assert len(app.dataframe) >= 1  # the list
    assert app.query_params["user"] == app.session_state["user"]


def test_the_step_slider_and_next_button_move_every_view(app: AppTest) -> None:
    app.slider(key="step").set_value(5).run()
    assert not app.exception
    assert _caption(app).startswith("**Step 5**")
    assert app.query_params["step"] == "5"
    next(b for b in app.button if b.label == "Next ▶").click().run()
    assert app.session_state["step"] > 5
    assert _caption(app).startswith(f"**Step {app.session_state['step']}**")


def test_pseudonymise_hides_the_user_id(app: AppTest) -> None:
    user = app.session_state["user"]
    app.toggle(key="pseudonymise").set_value(True).run()
    assert not app.exception
    shown = app.query_params["user"]
    assert shown.startswith("user-")
    assert user not in shown
    assert all(user not in str(o) for o in app.selectbox[0].options)


def test_a_broken_model_file_is_retrained_with_a_notice(
    replay_events: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "events.parquet"
    shutil.copyfile(replay_events, copy)
    (tmp_path / "events.model.pt").write_bytes(b"garbage, not a checkpoint")
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(copy))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception
    assert any("retrained" in w.value for w in at.warning)
    assert at.header[0].value == "Replay"
    assert any(m.label == "GNN hit@20" for m in at.metric)
