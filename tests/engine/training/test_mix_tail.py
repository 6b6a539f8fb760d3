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
from engine.recommenders.score_mix import MIX_PARTS, SESSION_GAP_S, MixQueries, SessionMixes
from engine.replay.batch import replay_users
from engine.training.config import TrainConfig
from engine.training.graph import graph_inputs_from_events
from engine.training.mix_tail import (
    MIN_SESSION_QUERIES,
    TailQueries,
    fit_mixes,
    fit_score_mix,
    learned_reference,
    tail_cut,
    validation_queries,
)
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


def test_each_query_knows_how_long_after_its_users_previous_event_it_is_asked(trained: TrainedModel) -> None:
    timeline = walks()
    found = validation_queries(timeline, trained)
    assert found is not None
    _, tail = found
    cut = tail_cut(timeline.seconds(), trained.train_config.val_share)
    assert cut is not None
    walked = [u * 600 + 3 * 60 for u in range(30)]  # each walker's last walk event (i3), from the start
    # a next query is a walker's i5, 20 days on, asked at its own time: the gap runs from the walker's i3
    next_gaps = {20 * DAY + u * 60 - walked[u] for u in range(10)}
    assert set(np.round(tail.gap_s[tail.kind == "next"]).astype(int)) == next_gaps
    # a set query is asked at the cut: the gap runs from the walker's i3 to the cut
    set_gaps = tail.gap_s[tail.kind == "set"]
    assert len(set_gaps)
    assert set(np.round(set_gaps).astype(int)) <= {round(cut - 1_700_000_000 - t) for t in walked}


def test_the_mixes_are_fitted_and_reported(trained: TrainedModel) -> None:
    mixes, report = fit_score_mix(walks(), trained)
    assert isinstance(mixes, SessionMixes)
    assert mixes.returning.weight("state") in (0.0, 1.0)  # the state keeps weight 1 when it is used
    assert report["tail_queries"] >= 10
    assert report["tail_objective"] > 0
    # every tail query comes days after its user's previous event: no session mix of its own
    assert report["tail_session_queries"] == 0
    assert mixes.session == mixes.returning
    assert fit_score_mix(walks(), trained, parts=("state",)) == (SessionMixes(), {})


def _queries(state_finds: bool, n: int, gap_s: float) -> tuple[MixQueries, TailQueries]:
    """``n`` next-item queries over 50 items whose target is item 0: found by the state (the popular
    item is 1) when ``state_finds``, else by popularity (the state points at item 1), ``gap_s`` after
    the user's previous event."""
    features = torch.zeros(n, len(MIX_PARTS), 50)
    state, popularity = MIX_PARTS.index("state"), MIX_PARTS.index("popularity")
    features[:, state] = torch.linspace(0, 0.5, 50)  # a gentle slope over the catalogue
    features[:, popularity] = torch.linspace(0, 0.5, 50).flip(0)
    found, other = (state, popularity) if state_finds else (popularity, state)
    features[:, found, 0] = 1.0
    features[:, other, 1] = 1.0
    targets = torch.zeros(n, 50, dtype=torch.bool)
    targets[:, 0] = True
    queries = MixQueries(
        features, torch.zeros(n, 50, dtype=torch.bool), targets, torch.zeros(n, dtype=torch.long)
    )
    tail = TailQueries(
        torch.zeros(n, 4), [np.empty(0, np.int64)] * n, [np.array([0])] * n,
        np.array(["next"] * n, dtype=object), np.full(n, gap_s),
    )  # fmt: skip
    return queries, tail


def _joined(
    a: tuple[MixQueries, TailQueries], b: tuple[MixQueries, TailQueries]
) -> tuple[MixQueries, TailQueries]:
    (qa, ta), (qb, tb) = a, b
    queries = MixQueries(
        torch.cat([qa.features, qb.features]), torch.cat([qa.excluded, qb.excluded]),
        torch.cat([qa.targets, qb.targets]), torch.cat([qa.group, qb.group]),
    )  # fmt: skip
    tail = TailQueries(
        torch.cat([ta.states, tb.states]), ta.histories + tb.histories, ta.targets + tb.targets,
        np.r_[ta.kind, tb.kind], np.r_[ta.gap_s, tb.gap_s],
    )  # fmt: skip
    return queries, tail


def test_the_session_mix_is_fitted_on_the_in_session_queries() -> None:
    """In-session the state finds the next item, after a break popularity does: the session mix reads
    what wins in-session; the returning mix is fitted on every query, so it cannot ignore either side."""
    n = MIN_SESSION_QUERIES
    queries, tail = _joined(_queries(True, n, 60.0), _queries(False, n, 3 * DAY))
    mixes, report = fit_mixes(queries, tail, k=1)
    assert mixes.session.weight("popularity") == 0.0
    assert report["tail_session_next_ndcg_mix"] == 1.0
    assert report["tail_session_queries"] == n
    assert report["tail_next_queries"] == 2 * n  # the returning mix's reading: every query
    assert mixes.returning.weight("popularity") > 0.0
    # every query alike: the returning mix is the one mix fitted on all of them
    alone, _ = fit_mixes(*_joined(_queries(False, n, 3 * DAY), _queries(False, n, 3 * DAY)), k=1)
    assert alone.returning.weight("popularity") > 1.0  # above the state: its top item is the target
    # just under and just over the session gap
    queries, tail = _joined(_queries(True, n, SESSION_GAP_S - 1), _queries(False, n, SESSION_GAP_S))
    again, _ = fit_mixes(queries, tail, k=1)
    assert again == mixes
    # too few in-session queries: the session mix is the returning one
    few, tail = _joined(_queries(True, MIN_SESSION_QUERIES - 1, 60.0), _queries(False, n, 3 * DAY))
    fallback, report = fit_mixes(few, tail, k=1)
    assert "tail_session_objective" not in report
    assert fallback.session == fallback.returning


def test_the_learned_reference_reads_gru4rec_over_the_catalogue_the_queries_use() -> None:
    """GRU4Rec learns a -> b and c -> d; the catalogue also holds an item it never saw ("a0"), so its own
    item order differs from the catalogue's: a query after a finds b first, a query after c does not."""
    rows = [
        (f"u{u:02d}", item, 1_700_000_000 + u * 600 + j * 60)
        for u in range(40)
        for j, item in enumerate("ab")
    ]
    rows += [
        (f"w{u:02d}", item, 1_700_000_000 + u * 600 + j * 60)
        for u in range(40)
        for j, item in enumerate("cd")
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    frame["event_type"] = "view"
    fit = normalize(frame, "pairs")
    items = ("a", "a0", "b", "c", "d")  # the catalogue: "a0" is known from elsewhere, never in `fit`
    index = {item: i for i, item in enumerate(items)}
    histories = [np.array([index["a"]]), np.array([index["c"]])]
    targets = torch.zeros(2, len(items), dtype=torch.bool)
    targets[:, index["b"]] = True
    excluded = torch.zeros(2, len(items), dtype=torch.bool)
    excluded[0, index["a"]] = excluded[1, index["c"]] = True
    learned = learned_reference(fit, items, histories, excluded, targets, 2, 0)
    assert learned.shape == (2,)
    assert float(learned[0]) == pytest.approx(1.0)  # b first after a
    assert float(learned[1]) < 1.0  # after c, d comes first
