"""The What-if page through AppTest: an edit in the editor, "Replay edited", and the diff the engine
computes shown on the page; the edits survive switching pages; imports name a bad edit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import state
from engine import api
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.writer import save_events

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGE = "views/whatif.py"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tiny demo data with its model trained beside it (where the pages look), so no page trains."""
    path = tmp_path_factory.mktemp("whatif_page") / "events.parquet"
    timeline, _ = generate(SyntheticConfig(n_users=12, n_items=80, n_categories=4, days=10, seed=3))
    save_events(timeline, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INTEREST_REPLAY_DATA", str(path))
        loaded = api.load_timeline(path)
        api.train_model(loaded, api.model_path(loaded), api.DEMO_CUT_QUANTILE)
        yield path


@pytest.fixture
def app(data: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(data))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception  # the Replay page (the default) shares the user picker and the model
    assert any(h.value == "Recommendations" for h in at.subheader)
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


@pytest.fixture
def engine_side(data: Path) -> tuple[api.ReplayModel, api.Timeline, str]:
    timeline = api.load_timeline(data)
    model = api.load_model(api.model_path(timeline, data), timeline)
    return model, timeline, str(api.user_table(timeline)["user_id"].iloc[0])


def edit(at: AppTest, changes: dict[str, Any]) -> AppTest:
    """Cell edits as the browser sends them (edited_rows / added_rows / deleted_rows), then a rerun."""
    key = state.whatif_editor(at.session_state[state.WHATIF_VERSION])
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **changes}
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_the_timeline_and_says_what_edits_change(app: AppTest) -> None:
    editor = app.data_editor[0]
    assert editor.editing_mode == "dynamic"
    assert list(editor.value.columns) == ["step", "timestamp", "item_id", "event_type"]
    assert editor.value["step"].tolist() == list(range(len(editor.value)))
    assert any("not item embeddings" in c.value for c in app.caption)
    assert any("Replay edited" in i.value for i in app.info)  # nothing to compare yet
    assert not app.metric


def test_an_edit_replayed_shows_the_engines_diff(
    app: AppTest, engine_side: tuple[api.ReplayModel, api.Timeline, str]
) -> None:
    model, timeline, user = engine_side
    assert app.session_state[state.USER] == user
    s = len(app.data_editor[0].value) // 2
    edit(app, {"edited_rows": {s: {"event_type": "purchase"}}, "deleted_rows": [s + 2]})
    assert not app.exception
    assert any("2 edit(s) from the table" in c.value for c in app.caption)
    app.button(key="whatif_run").click().run()
    assert not app.exception

    edits = api.parse_edits(
        [{"op": "delete", "step": s + 2}, {"op": "retype", "step": s, "event_type": "purchase"}]
    )
    expected = api.whatif(model, timeline, user, edits).comparison.summary
    shown = metrics(app)
    assert shown["First changed step"] == str(s)
    assert shown["Stability"] == f"{expected['stability']:.3f}"
    assert shown["Mean RBO"] == f"{expected['mean_rbo']:.3f}"
    assert 0.0 < expected["stability"] < 1.0
    # the side-by-side view starts at the first edit: the original event and its retyped counterpart
    assert app.slider(key=state.WHATIF_STEP_SLIDER).value == s
    was = timeline.events.loc[timeline.events["user_id"] == user, "event_type"].iloc[s]
    texts = [t.value for t in app.text]
    assert f" · {was} · " in texts[0]
    assert " · purchase · " in texts[1]
    lists = [d.value for d in app.dataframe if "vs" in d.value.columns]
    assert len(lists) == 2
    assert {"vs", "item_name", "rank"} <= set(lists[0].columns)


def test_a_deleted_step_has_no_counterpart(app: AppTest) -> None:
    s = len(app.data_editor[0].value) // 2
    edit(app, {"deleted_rows": [s]})
    app.button(key="whatif_run").click().run()
    app.slider(key=state.WHATIF_STEP_SLIDER).set_value(s).run()
    assert not app.exception
    assert any("deleted in the edited timeline" in w.value for w in app.warning)


def test_edits_survive_switching_pages(app: AppTest) -> None:
    s = len(app.data_editor[0].value) // 2
    edit(app, {"edited_rows": {s: {"event_type": "purchase"}}, "deleted_rows": [s + 2]})
    app.button(key="whatif_run").click().run()
    before = metrics(app)
    app.switch_page("views/replay.py").run()
    assert not app.exception
    app.switch_page(PAGE).run()
    assert not app.exception
    table = app.data_editor[0].value  # the editor starts again from the edited table
    assert table["event_type"].iloc[s] == "purchase"
    assert s + 2 not in set(table["step"])
    assert any("2 edit(s) from the table" in c.value for c in app.caption)
    assert metrics(app) == before


def test_a_new_row_without_an_item_is_named_and_blocks_the_replay(app: AppTest) -> None:
    n = len(app.data_editor[0].value)
    edit(app, {"added_rows": [{"event_type": "cart"}]})
    assert not app.exception
    assert any(f"row {n + 1}: choose an item" in w.value for w in app.warning)
    assert app.button(key="whatif_run").disabled


def test_importing_edits_fills_the_table(app: AppTest) -> None:
    edits = [{"op": "retype", "step": 3, "event_type": "like"}, {"op": "delete", "step": 5}]
    upload = ("edits.json", json.dumps(edits).encode(), "application/json")
    app.file_uploader(key=state.WHATIF_IMPORT).set_value(upload).run()
    assert not app.exception
    table = app.data_editor[0].value
    assert table["event_type"].iloc[3] == "like"
    assert 5 not in set(table["step"])
    assert any("2 edit(s) from the table" in c.value for c in app.caption)


def test_importing_a_bad_edit_names_it(app: AppTest) -> None:
    edits = [{"op": "delete", "step": 1}, {"op": "retype", "step": 99999, "event_type": "cart"}]
    upload = ("edits.json", json.dumps(edits).encode(), "application/json")
    app.file_uploader(key=state.WHATIF_IMPORT).set_value(upload).run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1
    assert "edit 2 \\(retype step 99999\\)" in errors[0]  # escaped for markdown, shown as plain text
    assert app.data_editor[0].value["step"].notna().all()  # the table is left as it was
