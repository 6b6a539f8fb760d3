"""Small generated events with a model trained once, for driving the dashboard's pages."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def replay_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated events (with their truth file) and the model the Replay page would train on them."""
    from engine import api
    from engine.data.synthetic import SyntheticConfig, generate
    from engine.data.writer import save_events, save_truth

    folder = tmp_path_factory.mktemp("dashboard")
    path = folder / "events.parquet"
    timeline, truth = generate(SyntheticConfig(n_users=20, n_items=150, n_categories=5, days=14, seed=4))
    save_events(timeline, path)
    save_truth(truth, folder / "events.truth.json")
    loaded = api.load_timeline(path)
    api.train_model(loaded, api.model_path(loaded, path), api.DEMO_CUT_QUANTILE)
    return path
