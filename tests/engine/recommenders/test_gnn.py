"""GNN recommender: the shared interface, cold users and items, replay, and seen-item exclusion."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data.validate import normalize
from engine.model.config import ModelConfig
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.itemknn import ItemKNN
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.popularity import recent_popularity
from engine.recommenders.score_mix import SESSION_GAP_S
from engine.recommenders.snapshot import restore
from engine.training.config import TrainConfig
from engine.training.planted import PlantedConfig, next_item, planted_frame, planted_timeline


@pytest.fixture(scope="module")
def fitted() -> Iterator[GNNRecommender]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny model: extra threads only contend
    config = TrainConfig(epochs=6, tokens_per_batch=256, progress=False, val_share=0.0, lr=5e-3)
    yield GNNRecommender(ModelConfig(dim=32, id_dropout=0.0, trend=True), config).fit(planted_timeline())
    torch.set_num_threads(before)


def test_scores_cover_the_catalogue_and_rank_the_planted_next_item_high(fitted: GNNRecommender) -> None:
    users = ["u000", "u001", "u002"]
    scores = fitted.score(users)
    assert scores.shape == (3, fitted.n_items)
    assert scores.dtype == np.float32
    assert np.all(scores <= 1.0 + 1e-5)  # cosine
    frame = planted_frame()
    last = frame.groupby("user_id")["item_id"].last()
    # walks are longer than a cycle, so the next item was seen: rank without excluding it
    ranked = fitted.recommend(list(last.index), 5, exclude_seen=False)
    hits = [next_item(last[u]) in set(g["item_id"]) for u, g in ranked.groupby("user_id")]
    assert np.mean(hits) > 0.5  # a random top-5 of 60 items hits ~0.08


def test_seen_items_are_excluded_and_cold_users_get_recent_popularity(fitted: GNNRecommender) -> None:
    lists = fitted.recommend(["u000", "ghost"], 5)
    seen = set(planted_frame().query("user_id == 'u000'")["item_id"])
    assert not seen & set(lists.query("user_id == 'u000'")["item_id"])
    popular = recent_popularity(planted_timeline(), fitted.item_index)
    np.testing.assert_allclose(fitted.score(["ghost"])[0], popular)


def test_replay_state_matches_the_fitted_state(fitted: GNNRecommender) -> None:
    states = fitted.replay(planted_timeline(PlantedConfig(users=3)))
    np.testing.assert_allclose(states["u000"], fitted.states[fitted.users["u000"]].numpy(), atol=1e-5)


def test_each_user_is_scored_at_the_trend_of_their_own_last_event(fitted: GNNRecommender) -> None:
    assert fitted.checkpoint is not None
    assert fitted.trend_levels is not None
    row = fitted.users["u000"]
    levels = fitted.trend_levels[fitted.user_snapshot[row]]
    with torch.no_grad():
        expected = fitted.checkpoint.model.cosine(
            fitted.states[row : row + 1], fitted.item_embeddings, levels
        )
    np.testing.assert_allclose(fitted.score(["u000"])[0], expected[0].numpy(), atol=1e-5)


def test_memory_step_continues_a_replayed_user_in_o1(fitted: GNNRecommender) -> None:
    """One more event through ``memory.step`` equals replaying the longer history from scratch."""
    assert fitted.checkpoint is not None
    assert fitted.memory is not None
    model, origin = fitted.checkpoint.model, fitted.checkpoint.time_origin
    frame = planted_frame()
    row = fitted.users["u000"]
    extra = ("u000", "i059", int(frame["timestamp"].max()) + 60, "cart", "genre5", "juliet 9")
    item = torch.tensor([fitted.item_index["i059"]])
    stepped = model.memory.step(
        fitted.memory.index(torch.tensor([row])),
        fitted.item_embeddings[item],
        torch.tensor([2]),  # cart
        torch.tensor([extra[2] - origin], dtype=torch.float),
    )
    longer = pd.concat([frame, pd.DataFrame([extra], columns=frame.columns)], ignore_index=True)
    replayed = fitted.replay(normalize(longer))["u000"]
    with torch.no_grad():
        np.testing.assert_allclose(model.memory.readout(stepped)[0].numpy(), replayed, atol=1e-4)


def test_new_items_in_observed_events_join_the_catalogue_from_text(fitted: GNNRecommender) -> None:
    frame = planted_frame()
    new = pd.DataFrame(
        [("newbie", "i900", 1_600_000_000, "view", "genre2", "charlie 3"),
         ("newbie", "i003", 1_600_000_100, "view", "genre0", "alpha 3")],
        columns=frame.columns,
    )  # fmt: skip
    fitted.observe(normalize(pd.concat([frame, new], ignore_index=True)))
    try:
        assert "i900" in fitted.item_index
        z = torch.nn.functional.normalize(fitted.item_embeddings, dim=1)
        new_row = fitted.item_index["i900"]
        twin = fitted.item_index["i023"]  # same name and category: cluster 2, item 3
        similarity = z @ z[new_row]
        assert similarity[twin] > similarity.median()
        assert fitted.recommend(["newbie"], 3)["item_id"].tolist()[0] not in {"i900", "i003"}
    finally:
        fitted.observe(planted_timeline())


def test_registry_builds_the_gnn_with_seed_and_device() -> None:
    from engine.recommenders.registry import create_model

    model = create_model("gnn", seed=3, device="cpu")
    assert isinstance(model, GNNRecommender)
    assert model.train_config.seed == 3
    assert model.train_config.device == "cpu"


def test_scores_are_the_mix_of_the_cosine_and_the_graph_evidence(fitted: GNNRecommender) -> None:
    """With a mix in the checkpoint, a user's scores are w_state x their cosine + w_t x SeqMarkov's row
    of their last item + w_c x ItemKNN's rows of their recent items + w_p x RecentPop, recomputed here
    from the baselines the checkpoint carries."""
    assert fitted.checkpoint is not None
    weights = {"state": 0.5, "transition": 2.0, "cooccurrence": 0.1, "popularity": 0.3}
    mixed = GNNRecommender()
    mixed.checkpoint = dataclasses.replace(fitted.checkpoint, score_mix=weights)
    mixed.observe(planted_timeline())
    users = ["u000", "u007"]
    items = list(mixed.catalogue)
    markov = restore("SeqMarkov", fitted.checkpoint.baselines["SeqMarkov"], items)
    knn = restore("ItemKNN", fitted.checkpoint.baselines["ItemKNN"], items)
    popular = restore("RecentPop", fitted.checkpoint.baselines["RecentPop"], items)
    assert isinstance(markov, SeqMarkov)
    assert isinstance(knn, ItemKNN)
    cosine = fitted.score(users)  # the fixture's own mix is the plain cosine (no validation tail)
    for row, user in enumerate(users):
        history = list(mixed.history[user])
        recent = list(dict.fromkeys(reversed(history)))[: knn.config.recent]
        expected = (
            0.5 * cosine[row]
            + 2.0 * markov.transitions[history[-1]].toarray()[0]
            + 0.1 * np.asarray(knn.similarity[recent].sum(0))[0]
            + 0.3 * popular.score_histories([np.empty(0, np.int64)])[0]
        )
        np.testing.assert_allclose(mixed.score([user])[0], expected, atol=1e-5)
    popularity = recent_popularity(planted_timeline(), mixed.item_index)
    np.testing.assert_allclose(mixed.score(["ghost"])[0], popularity)  # cold users: recent popularity


def test_a_user_active_within_the_session_gap_gets_the_session_mix(fitted: GNNRecommender) -> None:
    """``score`` asks at the latest observed event: a user whose last event is less than
    ``SESSION_GAP_S`` before it scores with the session mix, every other user with the returning mix;
    a checkpoint without a session mix (an older file) scores everyone with its one mix."""
    assert fitted.checkpoint is not None
    timeline = planted_timeline()
    last = pd.Series(timeline.seconds()).groupby(timeline.events["user_id"].to_numpy()).max()
    in_session = last.index[timeline.seconds().max() - last < SESSION_GAP_S].astype(str).tolist()
    away = last.index[timeline.seconds().max() - last >= SESSION_GAP_S].astype(str).tolist()[:5]
    assert in_session
    assert away
    plain, markov = {"state": 1.0}, {"state": 1.0, "transition": 2.0}

    def scores(returning: dict[str, float], session: dict[str, float] | None) -> np.ndarray:
        rec = GNNRecommender()
        assert fitted.checkpoint is not None
        rec.checkpoint = dataclasses.replace(fitted.checkpoint, score_mix=returning, session_mix=session)
        return rec.observe(timeline).score([*in_session, *away])

    cosine, transition = scores(plain, plain), scores(markov, markov)
    assert not np.allclose(cosine, transition)
    both = scores(plain, markov)
    n = len(in_session)
    np.testing.assert_allclose(both[:n], transition[:n], atol=1e-6)
    np.testing.assert_allclose(both[n:], cosine[n:], atol=1e-6)
    np.testing.assert_allclose(scores(markov, None), transition, atol=1e-6)
