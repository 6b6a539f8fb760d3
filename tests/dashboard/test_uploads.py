"""Uploads through AppTest: OTTO data carries its attribution, a wrong type or an oversized file is a
message, and a file that is not a checkpoint is refused on the Models page."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.sidebar import upload_problem

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _otto_lines() -> bytes:
    def event(s: int, e: int) -> dict[str, object]:
        return {"aid": 100 + (s * 3 + e) % 7, "ts": 1661724000000 + 60000 * e, "type": "clicks"}

    sessions = [{"session": s, "events": [event(s, e) for e in range(4)]} for s in range(5)]
    return "".join(json.dumps(s) + "\n" for s in sessions).encode()


@pytest.fixture
def app(small_events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(small_events_csv))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/data.py").run()
    at.sidebar.radio[0].set_value("Upload an events file").run()
    assert not at.exception
    return at


def test_otto_data_shows_its_attribution(app: AppTest) -> None:
    app.sidebar.file_uploader[0].set_value(("train.jsonl", _otto_lines(), "application/json")).run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Users"] == "5"
    assert any("CC BY 4.0" in c.value and "OTTO" in c.value for c in app.sidebar.caption)


def test_a_plain_csv_has_no_attribution_and_leaves_no_file(app: AppTest, small_events_csv: Path) -> None:
    data = small_events_csv.read_bytes()
    app.sidebar.file_uploader[0].set_value(("events.csv", data, "text/csv")).run()
    assert {m.label: m.value for m in app.metric}["Users"] == "3"
    assert not any("CC BY" in c.value for c in app.sidebar.caption)
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "interest-replay-uploads"
    assert not list(folder.glob(f"{digest}-*"))  # written under a unique name, read, then removed


def test_a_wrong_type_is_named_on_the_page(app: AppTest) -> None:
    app.sidebar.file_uploader[0].set_value(("events.xlsx", b"PK\x03\x04", "application/zip")).run()
    assert not app.exception
    assert any(
        "events.xlsx is not a file type the app reads (.csv" in e.value.replace("\\", "") for e in app.error
    )
    assert not app.metric  # nothing was loaded from it


def test_a_wrong_checkpoint_type_is_named_before_register(
    replay_events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/models.py").run()
    at.file_uploader(key="checkpoint_upload").set_value(("model.pkl", b"x", "application/octet-stream")).run()
    assert not at.exception
    assert any(
        "model.pkl is not a file type the app reads (.pt)" in e.value.replace("\\", "") for e in at.error
    )
    assert next(b for b in at.button if b.label == "Register").disabled


def test_the_size_limit_is_the_servers() -> None:
    assert upload_problem("events.csv", 10 * 2**20) is None
    too_big = upload_problem("events.csv", 501 * 2**20)  # .streamlit/config.toml: maxUploadSize = 500
    assert too_big is not None
    assert "the limit is 500 MB" in too_big
    assert upload_problem("model.pt", 1, ("pt",)) is None
    assert "not a file type" in (upload_problem("model.pkl", 1, ("pt",)) or "")


def test_a_file_that_is_not_a_checkpoint_is_refused(
    replay_events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(replay_events))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/models.py").run()
    at.file_uploader(key="checkpoint_upload").set_value(
        ("model.pt", b"not torch", "application/octet-stream")
    )
    at.text_input(key="checkpoint_name").input("broken")
    at.run()
    next(b for b in at.button if b.label == "Register").click().run()
    assert not at.exception
    assert any(
        "Cannot use this checkpoint" in e.value and "not a model checkpoint" in e.value for e in at.error
    )
    assert "broken" not in at.sidebar.selectbox(key="model_choice").options
