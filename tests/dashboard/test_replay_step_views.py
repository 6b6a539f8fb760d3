"""The Replay views drawn once per trace and moved per step: figures that do not change with the step
(the step is placed by at_step or the browser bridge), the graph page that is the same at every step, and
the per-step payload the bridge receives."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import graph_html, replay_figures
from dashboard.replay_figures import STEP_SHAPE


def _states(n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    states = pd.DataFrame(
        {"step": range(n), "x": [float(i) for i in range(n)], "y": [float(-i) for i in range(n)]}
    )
    steps = pd.DataFrame(
        {"step": range(n), "item_name": [f"<b>item {i}</b>" for i in range(n)], "event_type": ["view"] * n}
    )
    return states, steps


def test_at_step_places_the_hidden_step_line_on_a_copy() -> None:
    steps = pd.DataFrame({"step": range(10), "hit": [1.0] * 10, "rr": [0.5] * 10, "judged": [True] * 10})
    fig = replay_figures.running_hits(steps, 6, "hit")
    line = next(s for s in fig.layout.shapes if s.name == STEP_SHAPE)
    assert line.visible is False  # the figure itself shows no step: the bridge or at_step places it
    assert list(fig.layout.xaxis.range) == [-0.5, 9.5]  # fixed: moving the line never rescales the axis
    moved = replay_figures.at_step(fig, 4)
    placed = next(s for s in moved.layout.shapes if s.name == STEP_SHAPE)
    assert (placed.x0, placed.x1, placed.visible) == (4, 4, True)
    assert next(s for s in fig.layout.shapes if s.name == STEP_SHAPE).visible is False  # original intact


def test_the_trajectory_step_traces_and_the_bridge_mark_agree() -> None:
    states, steps = _states()
    items = pd.DataFrame({"x": [0.0, 5.0], "y": [1.0, 2.0], "category": ["a", "b"]})
    fig = replay_figures.trajectory(states, steps, items, planted=[])
    assert all(len(t.x) == 0 for t in fig.data if t.uid in replay_figures.STEP_TRACES)
    shown = replay_figures.at_step(fig, 25, replay_figures.trajectory_step(states, steps, 25))
    now = next(t for t in shown.data if t.uid == "now")
    assert (list(now.x), list(now.y)) == ([25.0], [-25.0])
    recent = next(t for t in shown.data if t.uid == "recent")
    assert len(recent.x) == replay_figures.RECENT_PATH
    assert recent.x[-1] == 25.0
    mark = replay_figures.trajectory_mark(states, steps, 25)
    assert mark["now"] == [25.0, -25.0]
    assert len(mark["path"]) == 26  # every state up to the step, none after it
    assert mark["recent"][-1] == [25.0, -25.0, "step 25 · view <b>item 25</b>"]  # text, shown as text


def test_step_graph_keeps_names_as_data_and_highlights_what_entered() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    nodes = pd.DataFrame(
        {
            "node": ["i:1", "c:a"],
            "label": [hostile, "a"],
            "kind": ["item", "category"],
            "category": ["a", "a"],
            "weight": [2.0, 1.0],
            "new": [True, False],
        }
    )
    edges = pd.DataFrame(
        {"source": ["i:1"], "target": ["c:a"], "weight": [1.0], "alpha": [None], "new": [False]}
    )
    graph = graph_html.step_graph(nodes, edges, {"i:1": (10.0, 20.0)}, {"a": "#E69F00"})
    item, category = graph["nodes"]
    assert item["title"].startswith(hostile)  # passed as it is: vis shows string titles as text
    assert (item["x"], item["y"]) == (10.0, 20.0)
    assert (category["x"], category["y"]) == (0.0, 0.0)
    assert item["color"] == {"background": "#E69F00", "border": graph_html.HIGHLIGHT}
    assert category["color"]["border"] == "#E69F00"
    assert category["shape"] == "box"
    assert graph["edges"][0]["from"] == "i:1"
    assert "not kept" in graph["edges"][0]["title"]
    json.dumps(graph)  # plain JSON for the bridge


def test_the_graph_page_is_one_page_for_every_step() -> None:
    page = graph_html.graph_page()
    assert page is graph_html.graph_page()
    assert "window.replayGraph" in page
    assert "drawnStep" in page
    assert f"{graph_html.STATIC_URL}/{graph_html.VIS_JS}" in page
    assert "cdnjs" not in page
    assert "jsdelivr" not in page


@pytest.fixture
def app(replay_app: AppTest) -> AppTest:
    return replay_app


def _payload(at: AppTest) -> dict[str, object]:
    (bridge,) = at.get("bidi_component")
    return json.loads(bridge.proto.json)


def test_a_step_changes_the_list_and_the_bridge_payload_but_not_the_graph_page_or_figures(
    app: AppTest,
) -> None:
    page = app.get("iframe")[0].proto.srcdoc
    specs = [c.proto.spec for c in app.get("plotly_chart")]
    rows = app.dataframe[0].value.copy()
    assert _payload(app)["step"] == 0
    app.slider(key="step").set_value(7).run()
    assert not app.exception
    payload = _payload(app)
    assert payload["step"] == 7
    assert payload["graph"]["step"] == 7
    assert set(payload["charts"]) == {"fig_trajectory", "fig_drift", "fig_interests", "fig_hits", "fig_mrr"}
    assert payload["charts"]["fig_drift"] == {"x": 7}
    assert app.get("iframe")[0].proto.srcdoc == page  # the same page: the browser never reloads it
    assert [c.proto.spec for c in app.get("plotly_chart")] == specs  # no figure redrawn
    assert not app.dataframe[0].value.equals(rows)  # the list follows the step
