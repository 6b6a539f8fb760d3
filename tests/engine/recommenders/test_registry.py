"""The model registry: case-insensitive names, `all`, and a GNN entry that is optional while absent."""

from __future__ import annotations

import pytest

from engine.recommenders import registry
from engine.recommenders.base import Recommender
from engine.recommenders.registry import (
    BASELINES,
    UnknownModelError,
    available_models,
    canonical_name,
    create_model,
    resolve_models,
)


def test_names_are_case_insensitive() -> None:
    assert canonical_name("itemknn") == "ItemKNN"
    assert canonical_name(" GRU4REC ") == "GRU4Rec (CE)"  # the CLI key names the RecBole-style model
    assert canonical_name("gru4rec (ce)") == "GRU4Rec (CE)"
    assert resolve_models("mostpop,SeqMarkov,MOSTPOP") == ["MostPop", "SeqMarkov"]


def test_unknown_name_says_what_exists() -> None:
    with pytest.raises(UnknownModelError, match=r"unknown model 'foo'.*MostPop"):
        resolve_models("mostpop,foo")
    with pytest.raises(UnknownModelError, match="no model"):
        resolve_models(" , ")


@pytest.mark.parametrize("name", BASELINES)
def test_every_baseline_builds_a_recommender(name: str) -> None:
    model = create_model(name.lower(), seed=1, device="cpu")
    assert isinstance(model, Recommender)
    assert model.name == name


def test_progress_reaches_the_models_that_train() -> None:
    from engine.recommenders.gru4rec import GRU4Rec

    quiet, shown = create_model("gru4rec", device="cpu"), create_model("gru4rec", device="cpu", progress=True)
    assert isinstance(quiet, GRU4Rec)
    assert isinstance(shown, GRU4Rec)
    assert (quiet.config.progress, shown.config.progress) == (False, True)
    assert isinstance(create_model("mostpop", progress=True), Recommender)  # quick models ignore it


def test_all_holds_every_baseline_and_the_gnn_only_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "gnn_available", lambda: True)
    assert resolve_models("all") == [*BASELINES, "GNN"]
    monkeypatch.setattr(registry, "gnn_available", lambda: False)
    assert available_models() == list(BASELINES)
    assert resolve_models("ALL") == list(BASELINES)
    with pytest.raises(UnknownModelError, match="not available"):
        resolve_models("gnn")


def test_missing_gnn_module_is_detected_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "GNN_MODULE", "engine.recommenders.no_such_module")
    assert registry.gnn_available() is False
    monkeypatch.setattr(registry, "GNN_MODULE", "engine.recommenders.popularity")
    assert registry.gnn_available() is True
