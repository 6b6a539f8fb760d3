"""The score mix's validation tail: queries read only the past, and the fitted mix reaches the checkpoint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.model.config import ModelConfig
from engine.model.sequences import UserSequences
from engine.recommenders.evidence import EVIDENCE_PARTS
from engine.replay.batch import replay_users
from engine.training.config import TrainConfig
from engine.training.graph import graph_inputs_from_events
from engine.training.mix_tail import fit_score_mix, tail_cut, validation_queries
from engine.training.trainer import TrainedModel, Trainer

DAY = 86_400


def walks() -> Timeline:
    """30 users walk i0 -> i1 -> i2 -> i3 on the first day; 10 others touch only i5 the next day; in the
    tail, 10 walkers go on from i3 to i5: a transition (and a co-occurrence) only the tail holds."""
    rows = []
    for u in range(30):
        rows += [(f"u{u:02d}", f"i{j}", 1_700_000_000 + u * 600 + j * 60) for j in range(4)]
    rows += [(f"v{v:02d}", "i5", 1_700_000_000 + DAY + v * 60) for v in range(10)]
    rows += [(f"u{u:02d}", "i5", 1_700_000_000 + 20 * DAY + u * 60) for u in range(10)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    frame["event_type"] = "view"
    frame["category"] = "c"
    return normalize(frame, "walks")


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    config = TrainConfig(epochs=1, min_epochs=1, progress=False, tokens_per_batch=256, min_val_users=1)
    return Trainer(ModelConfig(dim=8, sentence_model=False), config).fit(walks())


def test_the_cut_is_the_trainers_tail() -> None:
    seconds = np.array([0.0, 1.0, 2.0, 3.0])
    assert tail_cut(seconds, 0.0) is None
    assert tail_cut(np.zeros(4), 0.1) is None  # every event at one moment: nothing before the cut
    assert tail_cut(seconds, 0.25) == pytest.approx(np.quantile(seconds, 0.75))


def test_queries_read_the_past_only(trained: TrainedModel) -> None:
    timeline = walks()
    found = validation_queries(timeline, trained)
    assert found is not None
    queries, tail = found
    rows = {item: i for i, item in enumerate(trained.vocab.items)}
    i3, i5 = rows["i3"], rows["i5"]
    nexts = np.flatnonzero(tail.kind == "next")
    to_i5 = [q for q in nexts if tail.targets[q].tolist() == [i5]]
    assert len(to_i5) == 10
    for q in to_i5:
        assert tail.histories[q].tolist() == [rows[f"i{j}"] for j in range(4)]  # the events before, no more
        # i3 -> i5 and i3 with i5 happen only in the tail: the evidence before it holds neither
        for p, part in enumerate(EVIDENCE_PARTS, start=1):
            if part not in ("popularity", "category_pop"):
                assert queries.features[q, p, i5] == 0.0, part
        # every item is in category "c", so the category part is the popularity before the tail, as shares
        popularity = queries.features[q, 1 + EVIDENCE_PARTS.index("popularity")]
        category = queries.features[q, 1 + EVIDENCE_PARTS.index("category_pop")]
        torch.testing.assert_close(category, popularity / popularity.sum())
        assert queries.features[q, 1].sum() == 0.0  # i3 was never followed before the tail
        assert bool(queries.excluded[q, i3])  # seen items are never listed
        assert not bool(queries.excluded[q, i5])


def test_a_next_query_state_is_the_replay_of_its_history_alone(trained: TrainedModel) -> None:
    """The state before u00's tail event i5 is u00's four walk events replayed alone, on the item
    embeddings of the graph before the tail (the walkers' states are alike: same items, same gaps)."""
    timeline = walks()
    found = validation_queries(timeline, trained)
    assert found is not None
    _, tail = found
    seconds = timeline.seconds()
    cut = tail_cut(seconds, trained.train_config.val_share)
    assert cut is not None
    before = timeline.subset(seconds < cut)
    vocab = trained.vocab
    graph = graph_inputs_from_events(
        before.events, vocab, vocab.items, trained.texts, trained.model.config, trained.graph_config
    )
    with torch.no_grad():
        z = trained.model.item_embeddings(graph)
    walk = (timeline.events["user_id"] == "u00").to_numpy() & (seconds < cut)
    rows = {item: i for i, item in enumerate(vocab.items)}
    alone = UserSequences.from_events(timeline.events[walk], seconds[walk], rows)
    state, _ = replay_users(trained.model, z, alone, trained.time_origin)
    q = next(q for q in np.flatnonzero(tail.kind == "next") if tail.targets[q].tolist() == [rows["i5"]])
    np.testing.assert_allclose(tail.states[q].numpy(), state[0].numpy(), atol=1e-5)


def test_the_mix_is_fitted_and_reported(trained: TrainedModel) -> None:
    mix, report = fit_score_mix(walks(), trained)
    assert mix.weight("state") in (0.0, 1.0)  # the state keeps weight 1 when it is used
    assert report["tail_queries"] >= 10
    assert report["tail_objective"] > 0
    assert fit_score_mix(walks(), trained, parts=("state",)) == (mix.__class__(), {})
