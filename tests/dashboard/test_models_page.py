"""The Models page through AppTest: a training run in the background with live curves, registered and then
used on every page; two sessions never see each other's runs."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import api

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def data(replay_events: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared tiny data and its default model, copied so this test's registry starts empty."""
    for name in ("events.parquet", "events.truth.json", f"events.model-{api.training_recipe()}.pt"):
        shutil.copyfile(replay_events.with_name(name), tmp_path / name)
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(tmp_path / "events.parquet"))
    return tmp_path / "events.parquet"


def _models_page(timeout: float = 180) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.switch_page("views/models.py").run()
    assert not at.exception
    return at


def _train(at: AppTest, name: str, epochs: int = 1) -> None:
    at.text_input(key="train_name").input(name)
    at.number_input(key="train_epochs").set_value(epochs)
    at.button[[b.label for b in at.button].index("Train in the background")].click().run()
    assert not at.exception


def test_a_trained_model_is_registered_and_used_everywhere(
    data: Path, downloads: dict[str, Callable[[], object]]
) -> None:
    at = _models_page()
    assert at.header[0].value == "Models"
    assert any("No model is registered yet" in c.value for c in at.caption)
    _train(at, "tiny <b>run</b>")
    deadline = time.monotonic() + 240
    while not at.success:
        assert time.monotonic() < deadline, "training did not finish"
        assert not at.error, at.error[0].value
        time.sleep(1)
        at.run()
    assert r"tiny \<b\>run\</b\>" in at.success[0].value  # escaped for markdown: shown as typed
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["tiny <b>run</b>"]  # a name from a person shows as text
    assert table["data"].tolist() == ["this data"]
    registry_csv = str(downloads["model-registry.csv"]())
    assert registry_csv.splitlines()[1].startswith("tiny <b>run</b>,this data,trained,")
    assert "tiny <b>run</b>" in at.sidebar.selectbox(key="model_choice").options
    next(b for b in at.button if b.label == "Use on every page").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Model"] == "tiny <b>run</b>"
    at.switch_page("views/segments.py").run()  # another page replays with the chosen model
    assert not at.exception
    assert at.sidebar.selectbox(key="model_choice").value == "tiny <b>run</b>"
    assert {m.label for m in at.metric} >= {"Segments", "Users with a state"}


def _progress_texts(at: AppTest) -> list[str]:
    return [str(p.proto.text) for p in at.get("progress")]


def test_two_sessions_training_at_once_see_only_their_own_run(data: Path) -> None:
    first, second = _models_page(), _models_page()
    _train(first, "mine", epochs=30)  # long enough to be running when looked at; cancelled below
    _train(second, "theirs", epochs=30)  # both run at the same time, each in its own session
    mine, theirs = first.session_state["train_job"], second.session_state["train_job"]
    assert mine is not theirs
    assert (mine.label, theirs.label) == ("training 'mine'", "training 'theirs'")
    assert mine.running
    assert theirs.running
    first.run()
    second.run()
    assert any("training 'mine'" in t for t in _progress_texts(first))
    assert not any("theirs" in t for t in _progress_texts(first))
    assert any("training 'theirs'" in t for t in _progress_texts(second))
    assert not any("mine" in t for t in _progress_texts(second))
    for at in (first, second):
        next(b for b in at.button if b.label == "Cancel training").click().run()
    deadline = time.monotonic() + 120
    while mine.running or theirs.running:
        assert time.monotonic() < deadline, "the runs did not stop"
        time.sleep(0.5)
    first.run()
    second.run()
    assert any("training 'mine' was cancelled" in c.value for c in first.caption)
    assert not any("theirs" in c.value for c in first.caption)
    assert any("training 'theirs' was cancelled" in c.value for c in second.caption)
    assert not list(data.parent.glob("models/*.pt"))  # nothing saved


def test_the_projector_export_has_a_row_per_item(
    data: Path, downloads: dict[str, Callable[[], object]]
) -> None:
    at = _models_page()
    items = int({m.label: m.value for m in at.metric}["Items"].replace(",", ""))
    assert any(b.label.startswith("Item embeddings") for b in at.get("download_button"))
    archive = zipfile.ZipFile(io.BytesIO(downloads["item-embeddings-projector.zip"]()))  # type: ignore[arg-type]
    vectors = archive.read("vectors.tsv").decode().splitlines()
    metadata = [line.split("\t") for line in archive.read("metadata.tsv").decode().splitlines()]
    dim = len(vectors[0].split("\t"))
    assert dim > 1
    assert len(vectors) == items
    assert sum(len(line.split("\t")) for line in vectors) == items * dim  # catalogue size x dim values
    assert metadata[0] == ["item_id", "name", "category"]
    assert len(metadata) == items + 1
    assert {len(row) for row in metadata} == {3}
