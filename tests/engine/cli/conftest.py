"""The replay tests' events (tests/engine/conftest.py) saved as a file, for the commands that read one."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.data.timeline import Timeline
from engine.data.writer import save_events


@pytest.fixture(scope="session")
def events_file(replay_data: Timeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "events.parquet"
    save_events(replay_data, path)
    return path
