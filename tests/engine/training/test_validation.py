"""The trainer's validation ranks exactly as the evaluation does: same lists, same target ranks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.evaluation.evaluator import rank_users
from engine.evaluation.protocols import Split, time_split
from engine.model.config import ModelConfig
from engine.model.sequences import UserSequences
from engine.recommenders.gnn import GNNRecommender
from engine.training.config import TrainConfig
from engine.training.planted import PlantedConfig, planted_frame
from engine.training.validation import ValidationSet, next_item_ranks, set_lists, validation_set

K = 10
TIED = {7: 3, 12: 3, 25: 14}  # item rows given another item's embedding: exact ties in every list


def _walks() -> Timeline:
    frame = planted_frame(PlantedConfig(users=50, length=14))
    # spread the walks over a month so users are active on both sides of the cut
    frame["timestamp"] = frame["timestamp"] + frame.groupby("user_id").cumcount() * 86_400
    return normalize(frame)


@pytest.fixture(scope="module")
def fitted() -> tuple[Timeline, Split, GNNRecommender, ValidationSet]:
    timeline = _walks()
    split = time_split(timeline, quantile=0.75)
    config = TrainConfig(epochs=2, tokens_per_batch=256, progress=False, val_share=0.0)
    rec = GNNRecommender(ModelConfig(dim=16), config).fit(split.train)
    assert rec.checkpoint is not None
    with torch.no_grad():  # ties on purpose: equal embeddings score equal against every state
        for copy, original in TIED.items():
            rec.checkpoint.item_embeddings[copy] = rec.checkpoint.item_embeddings[original]
    rec.observe(split.train)
    events, seconds = timeline.events, timeline.seconds()
    before = seconds < split.cut.timestamp()
    fit = UserSequences.from_events(events[before], seconds[before], rec.item_index)
    settings = TrainConfig(min_val_users=1, progress=False)
    validation = validation_set(events, seconds, split.cut.timestamp(), fit, rec.item_index, settings)
    assert validation is not None
    return timeline, split, rec, validation


def test_validation_lists_are_the_evaluators_lists(
    fitted: tuple[Timeline, Split, GNNRecommender, ValidationSet],
) -> None:
    _, split, rec, validation = fitted
    ckpt = rec.checkpoint
    assert ckpt is not None
    rec.observe(split.train)  # the evaluation's state: every user after their training events
    lists = set_lists(ckpt.model, rec.item_embeddings, validation, ckpt.time_origin, K)
    users = list(validation.fit.users)
    expected = rank_users(rec, users, K, exclude_seen=True)
    assert set(users) == set(split.users)
    np.testing.assert_array_equal(lists, expected)
    # the ties were met: some list holds a tied pair, in item order
    assert any(set(TIED) & set(row.tolist()) for row in lists)


def test_next_item_ranks_are_the_target_positions_in_the_evaluators_lists(
    fitted: tuple[Timeline, Split, GNNRecommender, ValidationSet],
) -> None:
    timeline, _, rec, validation = fitted
    ckpt = rec.checkpoint
    assert ckpt is not None
    ranks = next_item_ranks(ckpt.model, rec.item_embeddings, validation, ckpt.time_origin)
    seqs = validation.everything
    assert len(ranks) == len(validation.next_rows) > 20
    for rank, row in list(zip(ranks, validation.next_rows, strict=True))[::7]:
        user = int(np.searchsorted(seqs.offsets, row, side="right")) - 1
        user_id = seqs.users[user]
        mine = timeline.events["user_id"].to_numpy() == user_id
        prefix = timeline.subset(mine & (np.cumsum(mine) <= row - seqs.offsets[user]))
        rec.observe(prefix)  # the evaluation's state: the user's events before the target
        assert rec.n_items == len(validation.catalogue)  # no item new to the catalogue
        order, scores = rec.top_k([user_id], rec.n_items)
        listed = order[0][np.isfinite(scores[0])].tolist()
        assert listed.index(int(seqs.items[row])) + 1 == rank
