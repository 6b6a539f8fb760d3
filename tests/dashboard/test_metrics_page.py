"""The Metrics page through AppTest: an evaluation runs in the background, its table lists the chosen
models with the best baseline named, and the result is kept for the same settings."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
BASELINES = ["MostPop", "RecentPop", "ItemKNN", "SeqMarkov"]


@pytest.fixture
def app(replay_events: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/metrics.py").run()
    assert not at.exception
    return at


def _run_until_shown(at: AppTest, seconds: float = 120.0) -> None:
    """Rerun (as the page's polling fragment would) until the evaluation's tables are shown."""
    deadline = time.monotonic() + seconds
    while not any(s.value.startswith("Protocol ") for s in at.subheader):
        assert time.monotonic() < deadline, "the evaluation did not finish"
        assert not at.error, at.error[0].value
        time.sleep(0.5)
        at.run()
    assert not at.exception


def test_the_table_lists_every_chosen_model(app: AppTest) -> None:
    assert app.header[0].value == "Metrics"
    assert any("retrained on the protocol's training part" in i.value for i in app.info)
    app.multiselect(key="eval_models").set_value(BASELINES).run()
    next(b for b in app.button if b.label == "Run evaluation").click().run()
    _run_until_shown(app)
    table = app.dataframe[0].value  # accuracy at the first K (10)
    assert table["model"].tolist() == BASELINES
    assert {"NDCG@10", "hit rate@10", "recall@10"} <= set(table.columns)
    delta = next(c for c in table.columns if c.startswith("Δ NDCG@10 vs "))
    reference = delta.removeprefix("Δ NDCG@10 vs ")
    assert reference in BASELINES
    assert table.set_index("model").loc[reference, delta] == "(best baseline)"
    assert all("[" in cell for cell in table["NDCG@10"])  # every mean has its interval
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["Test users"]) > 0
    assert any(b.label == "Run again" for b in app.button)


def test_leave_last_out_is_its_own_evaluation(app: AppTest) -> None:
    app.multiselect(key="eval_models").set_value(["MostPop", "SeqMarkov"]).run()
    app.radio(key="eval_protocol").set_value("loo").run()
    assert not app.dataframe  # nothing cached for loo with these models yet
    next(b for b in app.button if b.label == "Run evaluation").click().run()
    _run_until_shown(app)
    assert app.subheader[0].value == "Protocol loo"
    assert app.dataframe[0].value["model"].tolist() == ["MostPop", "SeqMarkov"]


@pytest.mark.slow
def test_the_gnn_beside_every_baseline(app: AppTest) -> None:
    next(b for b in app.button if b.label == "Run evaluation").click().run()
    _run_until_shown(app, seconds=900)
    assert app.dataframe[0].value["model"].tolist() == [*BASELINES, "GRU4Rec (CE)", "GNN"]


def test_a_running_evaluation_can_be_cancelled(app: AppTest) -> None:
    app.multiselect(key="eval_models").set_value(["GNN"]).run()
    next(b for b in app.button if b.label == "Run evaluation").click().run()
    next(b for b in app.button if b.label == "Cancel").click().run()
    deadline = time.monotonic() + 60
    while not any("was cancelled" in c.value for c in app.caption):
        assert time.monotonic() < deadline, "the evaluation did not stop"
        time.sleep(0.5)
        app.run()
    assert not app.exception
    assert not app.dataframe
    assert app.session_state["eval_job"].cancelled


def test_stream_scores_every_later_event(app: AppTest) -> None:
    app.multiselect(key="eval_models").set_value(["RecentPop", "SeqMarkov"]).run()
    app.radio(key="eval_protocol").set_value("stream").run()
    next(b for b in app.button if b.label == "Run evaluation").click().run()
    _run_until_shown(app)
    assert app.subheader[0].value == "Protocol stream"
    table = app.dataframe[0].value
    assert table["model"].tolist() == ["RecentPop", "SeqMarkov"]
    assert all("[" in cell for cell in table["NDCG@10"])
    assert any("averaged over events and over users" in str(c.value) for c in [*app.caption, *app.markdown])


def _heldout_summary(at: AppTest, k: int) -> pd.DataFrame:
    """The held-out final values (another test's evaluation may be shown above them)."""
    return next(
        d.value for d in at.dataframe if list(d.value.columns) == ["model", f"hit rate@{k}", f"MRR@{k}"]
    )


def test_held_out_curves_of_the_model_in_use(app: AppTest) -> None:
    assert any(s.value == "Hits as the held-out events go by" for s in app.subheader)
    next(b for b in app.button if b.label == "Replay the held-out events").click().run()
    deadline = time.monotonic() + 180
    while not any("held-out events of" in c.value for c in app.caption):
        assert time.monotonic() < deadline, "the held-out replay did not finish"
        assert not app.error, app.error[0].value
        time.sleep(0.5)
        app.run()
    assert not app.exception
    summary = _heldout_summary(app, 20)
    assert summary["model"].tolist() == ["GNN", "RecentPop", "SeqMarkov", "ItemKNN"]
    hits, mrr = summary["hit rate@20"], summary["MRR@20"]
    assert ((mrr >= 0) & (mrr <= hits) & (hits <= 1)).all()  # 1/rank <= 1 within the top 20
    assert hits.max() > 0
    assert any("held-out events of" in c.value for c in app.caption)
    app.selectbox(key="heldout_k").set_value(5).run()
    assert (_heldout_summary(app, 5)["hit rate@5"] <= hits).all()  # a shorter list hits no more often
    assert any(b.label == "Replay them again" for b in app.button)
