"""The GNN in the stream protocol: each query's state is the memory stepped over every earlier event of
its user (training and test alike), and its scores do not change when the future is cut off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.data.timeline import Timeline
from engine.evaluation.guard import audit_stream
from engine.evaluation.protocols import stream_split
from engine.recommenders.evidence import GraphEvidence
from engine.recommenders.gnn import GNNRecommender
from engine.recommenders.gnn_stream import query_states
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.score_mix import SESSION_GAP_S, ScoreMix, SessionMixes
from engine.recommenders.stream import EventLog, StreamQueries, histories_before

CUT = 0.8  # the shared checkpoint trained on events up to this quantile


@pytest.fixture(scope="module")
def fitted(replay_checkpoint: Path, replay_data: Timeline) -> GNNRecommender:
    rec = GNNRecommender.load(replay_checkpoint, device="cpu")
    seconds = replay_data.seconds()
    return rec.observe(replay_data.subset(seconds < np.quantile(seconds, CUT, method="lower")))


def scores_with(
    fitted: GNNRecommender,
    log: EventLog,
    queries: StreamQueries,
    mix: ScoreMix | SessionMixes,
    evidence: GraphEvidence | None,
) -> np.ndarray:
    """Every query's stream scores [Q, n] with ``mix`` (both moments, when one) and ``evidence`` in place
    of the checkpoint's."""
    saved = fitted.mix, fitted.evidence
    try:
        fitted.mix = mix if isinstance(mix, SessionMixes) else SessionMixes(mix, mix)
        fitted.evidence = evidence
        return fitted.stream_scorer(log, queries)(slice(0, len(queries)))
    finally:
        fitted.mix, fitted.evidence = saved


def test_query_state_is_the_replay_of_every_earlier_event(
    fitted: GNNRecommender, replay_data: Timeline
) -> None:
    split = stream_split(replay_data, quantile=CUT, max_events=None)
    assert split.stream is not None
    log, queries = split.stream.log, split.stream.queries
    states, warm, gap_s = query_states(fitted, log, queries)
    assert warm.all()
    for row in np.linspace(0, len(queries) - 1, 5).round().astype(int):
        position, user = int(queries.position[row]), log.user_ids[queries.user[row]]
        mine = (np.arange(len(replay_data)) < position) & (replay_data.events["user_id"] == user).to_numpy()
        replayed = fitted.replay(replay_data.subset(mine))[str(user)]  # a fresh memory over the prefix
        np.testing.assert_allclose(states[row].numpy(), replayed, rtol=1e-4, atol=1e-5)
        assert (log.seconds[:position] <= queries.seconds[row]).all()
        # the gap runs from the user's latest earlier event to the query
        assert gap_s[row] == queries.seconds[row] - replay_data.seconds()[mine].max()


def test_a_stream_query_takes_the_mix_of_its_moment(fitted: GNNRecommender, replay_data: Timeline) -> None:
    """In-session queries (their user's previous event under ``SESSION_GAP_S`` before) score with the
    session mix, the others with the returning mix."""
    split = stream_split(replay_data, quantile=CUT, max_events=300, seed=4)
    assert split.stream is not None
    log, queries = split.stream.log, split.stream.queries
    _, _, gap_s = query_states(fitted, log, queries)
    session = gap_s < SESSION_GAP_S
    assert session.any()
    assert (~session).any()
    evidence = GraphEvidence.fit(split.train, fitted.item_index)
    cosine = ScoreMix({"state": 1.0})
    markov = ScoreMix({"state": 1.0, "transition": 0.5})
    plain = scores_with(fitted, log, queries, cosine, evidence)
    both = scores_with(fitted, log, queries, markov, evidence)
    assert not np.allclose(plain, both)
    mixed = scores_with(fitted, log, queries, SessionMixes(returning=cosine, session=markov), evidence)
    np.testing.assert_allclose(mixed[session], both[session], atol=1e-6)
    np.testing.assert_allclose(mixed[~session], plain[~session], atol=1e-6)


def test_gnn_stream_scores_pass_the_look_ahead_audit(fitted: GNNRecommender, replay_data: Timeline) -> None:
    split = stream_split(replay_data, quantile=CUT, max_events=200, seed=1)
    assert split.stream is not None
    n = len(split.stream.queries)
    scores = fitted.stream_scorer(split.stream.log, split.stream.queries)(slice(0, n))
    assert scores.shape == (n, fitted.n_items)
    audit_stream(fitted, split, {row: scores[row] for row in (0, n // 2, n - 1)})  # raises on a leak
    assert torch.isfinite(torch.from_numpy(scores)).all()


def test_gnn_stream_scores_add_the_transition_from_the_last_earlier_item(
    fitted: GNNRecommender, replay_data: Timeline
) -> None:
    """With the mix cosine + w x transition, a query's score minus the cosine-only score is w times
    SeqMarkov's P(j | the user's last item before the query), fitted on the training events."""
    split = stream_split(replay_data, quantile=CUT, max_events=50, seed=2)
    assert split.stream is not None
    log, queries = split.stream.log, split.stream.queries
    n = len(queries)
    cosine = scores_with(fitted, log, queries, ScoreMix({"state": 1.0}), None)
    markov = SeqMarkov().fit(split.train)
    evidence = GraphEvidence.fit(split.train, fitted.item_index)
    mixed = scores_with(fitted, log, queries, ScoreMix({"state": 1.0, "transition": 0.5}), evidence)
    histories = histories_before(log, queries)
    followed = 0  # queries whose last item was followed by something in training
    for row in range(0, n, 7):
        last = fitted.catalogue[histories[row][-1]]
        expected = np.zeros(fitted.n_items)
        if last in markov.item_index:
            probs = markov.transitions[markov.item_index[last]].toarray()[0]
            for own, p in enumerate(probs):
                expected[fitted.item_index[markov.catalogue[own]]] = p
        np.testing.assert_allclose(mixed[row] - cosine[row], 0.5 * expected, atol=1e-5)
        followed += bool(expected.any())
    assert followed > 0


def test_gnn_stream_category_part_reads_the_popularity_as_of_the_query(
    fitted: GNNRecommender, replay_data: Timeline
) -> None:
    """With the mix cosine + w x category_pop, a query's score minus the cosine is w times its window's
    share of each item's category times the item's share of that category's popularity as of the query
    (the popularity part of the same stream), not the training snapshot's."""
    split = stream_split(replay_data, quantile=CUT, max_events=60, seed=3)
    assert split.stream is not None
    log, queries = split.stream.log, split.stream.queries
    n = len(queries)
    cosine = scores_with(fitted, log, queries, ScoreMix({"state": 1.0}), None)
    evidence = GraphEvidence.fit(split.train, fitted.item_index)
    popular = scores_with(fitted, log, queries, ScoreMix({"state": 1.0, "popularity": 1.0}), evidence)
    popularity = popular - cosine  # [Q, n] as of each query
    mixed = scores_with(fitted, log, queries, ScoreMix({"state": 1.0, "category_pop": 0.5}), evidence)
    category_of = evidence.category_of
    assert category_of is not None
    assert (category_of >= 0).all()
    histories = histories_before(log, queries)
    snapshot = evidence.parts(histories)["category_pop"]
    for row in range(0, n, 5):
        window = histories[row][-evidence.category_window :]
        share = np.bincount(category_of[window], minlength=category_of.max() + 1) / len(window)
        totals = np.bincount(category_of, weights=popularity[row], minlength=category_of.max() + 1)
        expected = share[category_of] * popularity[row] / totals[category_of]
        np.testing.assert_allclose(mixed[row] - cosine[row], 0.5 * expected, atol=1e-5)
    assert not np.allclose(mixed - cosine, 0.5 * snapshot, atol=1e-5)  # the stream moved the shelves
