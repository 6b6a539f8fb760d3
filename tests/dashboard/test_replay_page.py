"""The Replay page through AppTest: it opens by default, steps, keeps user and step in the URL, and
recovers from a broken model file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.replay_view import plain
from engine import api

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
    (tmp_path / f"events.model-{api.training_recipe()}.pt").write_bytes(b"garbage, not a checkpoint")
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(copy))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception
    assert any("retrained" in w.value for w in at.warning)
    assert at.header[0].value == "Replay"
    assert any(m.label == "GNN hit@20" for m in at.metric)


def _explanation(at: AppTest) -> str:
    """The one explanation panel: '**#rank name** · score …' and the score's parts."""
    return next(m.value for m in at.markdown if m.value.startswith("**#"))


def _names(at: AppTest) -> list[str]:
    return at.dataframe[0].value["item_name"].astype(str).tolist()


def test_one_explanation_follows_the_chosen_item_and_keeps_it_across_steps(app: AppTest) -> None:
    assert len(app.expander) == 1  # Export only: no expander per listed item any more
    assert len(app.selectbox(key="explain_item").options) == len(
        _names(app)
    )  # every listed item can be explained
    assert _explanation(app).startswith(f"**#1 {plain(_names(app)[0])}**")  # the top item by default
    top_parts = _explanation(app)
    for step in range(1, 15):  # a step whose third item is still listed at the next step
        app.slider(key="step").set_value(step).run()
        third = _names(app)[2]
        app.selectbox(key="explain_item").select_index(2).run()
        assert not app.exception
        item = app.selectbox(key="explain_item").value
        shown = _explanation(app)
        assert shown.startswith(f"**#3 {plain(third)}**")
        assert shown != top_parts
        assert "\n- `" in shown  # the score's parts, one line each
        app.slider(key="step").set_value(step + 1).run()
        if third in _names(app):
            break
    else:
        pytest.fail("no step kept its third item listed at the next step")
    assert app.selectbox(key="explain_item").value == item  # the choice stays while the item is listed
    rank = _names(app).index(third) + 1
    assert _explanation(app).startswith(f"**#{rank} {plain(third)}**")


def test_export_widgets_are_made_when_opened_and_export_this_step(
    app: AppTest, downloads: dict[str, Callable[[], object]]
) -> None:
    app.slider(key="step").set_value(6).run()
    assert not app.get("download_button")  # closed: a step makes no export widgets
    app.session_state["export_open"] = True
    app.run()
    assert not app.exception
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels[:2] == ["List as CSV", "Trace (zip of Parquet)"]
    csv = downloads["list-step-6.csv"]()
    text = csv.decode() if isinstance(csv, bytes) else str(csv)
    header, first = text.splitlines()[:2]
    assert header.startswith("step,rank,item_id,item_name")
    assert first.startswith("6,1,")  # this step's list, top item first
    assert _names(app)[0] in first
