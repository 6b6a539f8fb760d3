"""engine.api: the façade's replay helpers return plain data and behave at the edges."""

from __future__ import annotations

import io
import zipfile
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
import torch

from engine import api
from engine.data.timeline import Timeline
from engine.replay.model import ReplayModel
from engine.training import config as training_config


@pytest.fixture(scope="module")
def trace(replay_model: ReplayModel, replay_data: Timeline, busiest_user: str) -> api.Trace:
    return api.replay_user(replay_model, replay_data, busiest_user, k=10)


def test_users_are_sorted_by_events_searched_and_paged(replay_data: Timeline) -> None:
    table = api.user_table(replay_data)
    counts = replay_data.events["user_id"].value_counts()
    assert table["events"].tolist() == sorted(counts.tolist(), reverse=True)
    assert len(table) == replay_data.n_users
    first = api.list_users(table, page=0, page_size=5)
    second = api.list_users(table, page=1, page_size=5)
    assert first.total == len(table)
    assert first.pages == -(-len(table) // 5)
    assert not set(first.users["user_id"]) & set(second.users["user_id"])
    user = table["user_id"].iloc[3]
    found = api.list_users(table, search=user.upper())
    assert user in set(found.users["user_id"])
    assert api.list_users(table, page=999, page_size=5).page == first.pages - 1  # clamped
    assert api.list_users(table, search="no such user").total == 0


def test_graph_view_respects_the_node_budget_and_marks_new_nodes(trace: api.Trace) -> None:
    for step in (0, trace.n_steps // 2, trace.n_steps - 1):
        view = api.graph_view(trace, step, max_nodes=20)
        assert len(view.nodes) <= 20
        assert (trace.nodes.set_index("node").loc[view.nodes["node"], "entered_step"] <= step).all()
        assert set(view.edges["source"]) | set(view.edges["target"]) <= set(view.nodes["node"])
    start = api.graph_view(trace, 0, max_nodes=500)
    assert start.nodes["new"].all()  # everything enters at the first step
    assert (start.nodes.loc[start.nodes["kind"] == "item", "weight"] > 0).all()


def test_model_path_can_be_set_by_the_environment(
    replay_data: Timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTEREST_REPLAY_MODEL", raising=False)
    path = api.model_path(replay_data, tmp_path / "events.parquet")
    assert path.parent.name == "models"
    assert path.name == f"{replay_data.fingerprint()}-{api.training_recipe()}.pt"
    monkeypatch.setenv("INTEREST_REPLAY_MODEL", str(tmp_path / "tiny.pt"))
    assert api.model_path(replay_data) == tmp_path / "tiny.pt"


def test_a_model_saved_with_other_default_settings_is_not_reused(
    replay_data: Timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The saved model's name carries the default training recipe: a change of a default setting (here the
    training batch) or of the recipe revision names a new file, so the dashboard trains it again."""
    monkeypatch.delenv("INTEREST_REPLAY_MODEL", raising=False)
    before = api.model_path(replay_data, tmp_path / "events.parquet")
    assert api.model_path(replay_data, tmp_path / "events.parquet") == before  # stable
    recipe = api.training_recipe()
    with monkeypatch.context() as patch:
        patch.setattr(
            training_config, "TrainConfig", partial(training_config.TrainConfig, tokens_per_batch=4096)
        )
        assert api.training_recipe() != recipe
    with monkeypatch.context() as patch:
        patch.setattr(training_config, "TrainConfig", partial(training_config.TrainConfig, threads=7))
        assert api.training_recipe() == recipe  # where it runs is not what it learns
    monkeypatch.setattr(api, "RECIPE_REVISION", api.RECIPE_REVISION + 1)
    assert api.model_path(replay_data, tmp_path / "events.parquet") != before


def test_csv_neutralises_formulas() -> None:
    table = pd.DataFrame(
        {"item_name": ["=HYPERLINK(1)", "+1", "-2", "@x", "plain"], "score": [-1.0, 1, 2, 3, 4]}
    )
    rows = api.safe_csv(table).splitlines()
    assert rows[1].startswith("'=HYPERLINK")
    assert rows[2].startswith("'+1")
    assert rows[3].startswith("'-2")
    assert rows[4].startswith("'@x")
    assert rows[5] == "plain,4.0"
    assert rows[1].endswith(",-1.0")  # numbers are left alone


def test_trace_zip_holds_the_parquet_folder(trace: api.Trace, tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(api.trace_zip(trace))) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path)
    assert {"trace/steps.parquet", "trace/meta.json"} <= names
    back = api.load_trace(tmp_path / "trace")
    assert back.n_steps == trace.n_steps


def test_item_map_and_model_info_are_plain(replay_model: ReplayModel) -> None:
    items = api.item_map(replay_model, max_points=50)
    assert len(items) == 50
    assert list(items.columns) == ["x", "y", "category"]
    info = api.model_info(replay_model)
    assert info["items"] == replay_model.n_items
    assert isinstance(info["trained_until"], str)


def test_train_model_fits_with_one_torch_thread_by_default(replay_data: Timeline, tmp_path: Path) -> None:
    """The app's fits run beside its server and the browser: one torch thread unless asked otherwise."""
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        info = api.train_model(replay_data, tmp_path / "m.pt", until_quantile=0.8, epochs=1)
        assert torch.get_num_threads() == api.TRAIN_THREADS == 1
        assert info.path.exists()
        assert info.events < len(replay_data)
    finally:
        torch.set_num_threads(before)
