"""The model registry on disk: entries with their facts, unique names, deleted files, a damaged index;
uploads read as plain tensors (a bad file or other data is a DataError and leaves nothing behind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import api
from engine.data.errors import DataError
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline
from engine.training.registry import ModelEntry, ModelRegistry


def _entry(registry: ModelRegistry, name: str, created: str) -> ModelEntry:
    path = registry.checkpoint_path(name)
    path.write_bytes(b"weights")
    return ModelEntry(name=name, file=path.name, data_fingerprint="abc", created=created, val_ndcg=0.2)


def test_entries_newest_first_and_names_unique(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    assert registry.entries() == []
    registry.add(_entry(registry, "first", "2026-01-01T00:00:00+00:00"))
    registry.add(_entry(registry, "  second  ", "2026-02-01T00:00:00+00:00"))
    assert [e.name for e in ModelRegistry(tmp_path / "models").entries()] == ["second", "first"]
    with pytest.raises(DataError, match="already registered"):
        registry.add(_entry(registry, "first", "2026-03-01T00:00:00+00:00"))
    with pytest.raises(DataError, match="1 to 80 characters"):
        registry.add(_entry(registry, " ", "2026-03-01T00:00:00+00:00"))


def test_a_deleted_checkpoint_drops_out_and_remove_deletes_the_file(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    kept = registry.add(_entry(registry, "kept", "2026-01-01T00:00:00+00:00"))
    gone = registry.add(_entry(registry, "gone", "2026-01-02T00:00:00+00:00"))
    registry.path(gone).unlink()
    assert [e.name for e in registry.entries()] == ["kept"]
    registry.remove("kept")
    assert registry.entries() == []
    assert not registry.path(kept).exists()


def test_names_from_people_make_safe_file_names(tmp_path: Path) -> None:
    path = ModelRegistry(tmp_path).checkpoint_path("../../<img src=x> run")
    assert path.parent == tmp_path
    assert path.name.startswith("img-src-x-run-")


def test_a_damaged_index_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "registry.json").write_text("{not json")
    with pytest.raises(DataError, match="registry index is damaged"):
        ModelRegistry(tmp_path).entries()


def test_uploads_are_checked_and_registered(
    tmp_path: Path, replay_checkpoint: Path, replay_data: Timeline
) -> None:
    registry = ModelRegistry(tmp_path)
    with pytest.raises(DataError, match="not a model checkpoint"):
        api.register_upload(registry, "junk.pt", b"garbage", replay_data)
    other, _ = generate(SyntheticConfig(n_users=10, n_items=80, n_categories=3, days=5, seed=99))
    with pytest.raises(DataError, match="trained on other data"):
        api.register_upload(registry, "theirs.pt", replay_checkpoint.read_bytes(), other)
    assert list(tmp_path.glob("*.pt")) == []  # nothing left behind
    entry = api.register_upload(registry, "ours", replay_checkpoint.read_bytes(), replay_data)
    assert entry.source == "uploaded"
    assert [e.name for e in registry.entries()] == ["ours"]
    model = api.load_model(registry.path(entry), replay_data)
    assert model.n_items > 0
