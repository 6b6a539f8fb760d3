"""Small generated events with a model trained once, for driving the dashboard's pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def replay_app(replay_events: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on its default page (Replay) over the test events, run once without an exception."""
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


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


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], object]]:
    """What each deferred ``st.download_button`` of a run would produce, by file name: the callable the
    page registered (AppTest's runtime, and with it the file manager, is gone once a run ends)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: dict[str, Callable[[], object]] = {}
    register = MediaFileManager.add_deferred

    def spy(self: MediaFileManager, data_callable: Any, *args: Any, **kwargs: Any) -> str:
        name = kwargs.get("file_name", args[2] if len(args) > 2 else None)
        made[str(name)] = data_callable
        return register(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return made
