"""The stream protocol: targets event by event, a SeqMarkov hit worked by hand, event vs user averages,
and the guard that catches a model reading the event it predicts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.evaluation import EvalConfig, LeakageError, evaluate, evaluate_model, make_split
from engine.evaluation.protocols import stream_split
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.registry import BASELINES, create_model
from engine.recommenders.stream import EventLog, StreamQueries, counts_before, histories_before

# Training (before t = 70): transitions i1->i2 (a, b), i2->i3, i3->i4, i4->i5 (c); i5 the most recent hit.
TRAIN = [
    ("a", "i1", 10), ("a", "i2", 20), ("b", "i1", 30), ("b", "i2", 40),
    ("c", "i2", 50), ("c", "i3", 60), ("c", "i4", 61), ("c", "i5", 62), ("e", "i5", 63),
]  # fmt: skip
TEST = [
    ("a", "i3", 70),  # log 9: target; a's last item i2 -> SeqMarkov ranks i3 first
    ("a", "i1", 80),  # log 10: a had i1 -> not a target
    ("d", "i2", 85),  # log 11: d has no earlier event -> cold, not scored (but history from now on)
    ("d", "i3", 95),  # log 12: target; d's history is the test event i2 -> i3 first
    ("b", "i9", 100),  # log 13: i9 unknown before the cut -> not rankable
    ("a", "i4", 110),  # log 14: target; last item i1 -> i2 (seen, excluded), then popularity: i5, i4
    ("a", "i5", 110),  # log 15: same time, later file row: i4 is already history -> i5 first
]  # fmt: skip
QUANTILE = 0.62  # the "lower" quantile of the 16 times is the 10th: t = 70


def _timeline(rows: list[tuple[str, str, int]]) -> Timeline:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


@pytest.fixture
def timeline() -> Timeline:
    return _timeline(TRAIN + TEST)


def test_stream_targets_are_each_events_new_known_item(timeline: Timeline) -> None:
    split = make_split(timeline, "stream", quantile=QUANTILE)
    assert split.stream is not None
    assert len(split.train) == len(TRAIN)
    assert split.stream.queries.position.tolist() == [9, 12, 14, 15]
    assert split.catalogue[split.targets.indices].tolist() == ["i3", "i3", "i4", "i5"]
    assert split.users.tolist() == ["a", "d"]
    assert split.users[split.stream.query_user].tolist() == ["a", "d", "a", "a"]
    counts = split.counts
    assert (counts["test_events"], counts["dropped_events_unknown_item"]) == (7, 1)
    assert (counts["skipped_cold_events"], counts["dropped_events_already_seen"]) == (1, 1)


def test_stream_repeat_aware_and_cold_follow_the_one_rule(timeline: Timeline) -> None:
    split = make_split(timeline, "stream", quantile=QUANTILE, repeat_aware=True, include_cold=True)
    assert split.stream is not None
    assert split.stream.queries.position.tolist() == [9, 10, 11, 12, 14, 15]


def test_seqmarkov_hits_by_hand_and_event_vs_user_average(timeline: Timeline) -> None:
    split = make_split(timeline, "stream", quantile=QUANTILE)
    result = evaluate_model(SeqMarkov(), split, EvalConfig(ks=(1, 2), replicates=50))
    # ranks worked by hand: 1 (a: i2 -> i3), 1 (d: i2 -> i3), 2 (a: popularity fill i5 > i4), 1 (a: i4 -> i5)
    np.testing.assert_array_equal(result.per_user["hit_rate@1"], [1.0, 1.0, 0.0, 1.0])
    assert result.metrics["hit_rate@1"] == pytest.approx(3 / 4)  # over events
    assert result.metrics["user_hit_rate@1"] == pytest.approx((2 / 3 + 1) / 2)  # a: 2 of 3, d: 1 of 1
    assert result.metrics["hit_rate@2"] == pytest.approx(1.0)
    lo, hi = result.ci["user_hit_rate@1"]
    assert lo <= result.metrics["user_hit_rate@1"] <= hi


def test_user_average_differs_from_event_average_when_one_user_dominates() -> None:
    # transitions: y0 -> y1 only; x6 is the most recent item (popularity fill puts it first, then y0)
    train = [("l", "y0", 1), ("z", "y0", 2), ("z", "y1", 3), ("h", "x0", 4)]
    train += [(f"w{i}", f"x{i}", 4 + i) for i in range(1, 7)]  # x1..x6, one event each, t 5..10
    test = [("l", "y1", 20)]  # hit: y0 -> y1
    test += [("h", f"x{i}", 20 + i) for i in range(1, 6)]  # 5 misses: x6 and y0 rank above each
    split = stream_split(_timeline(train + test), quantile=0.67)  # cut at t = 20
    result = evaluate_model(SeqMarkov(), split, EvalConfig(ks=(1,), replicates=50))
    np.testing.assert_array_equal(result.per_user["hit_rate@1"], [1, 0, 0, 0, 0, 0])
    assert result.metrics["hit_rate@1"] == pytest.approx(1 / 6)  # events: h's five misses dominate
    assert result.metrics["user_hit_rate@1"] == pytest.approx(1 / 2)  # users: l 1, h 0


def test_query_inputs_hold_only_events_strictly_before_it(timeline: Timeline) -> None:
    split = make_split(timeline, "stream", quantile=QUANTILE)
    assert split.stream is not None
    log, queries = split.stream.log, split.stream.queries
    catalogue = split.catalogue
    # a's event 15 shares its time with event 14: file order puts i4 before it, i5 (itself) not
    histories = histories_before(log, queries)
    assert [catalogue[h].tolist() for h in histories] == [
        ["i1", "i2"], ["i2"], ["i1", "i2", "i3", "i1"], ["i1", "i2", "i3", "i1", "i4"],
    ]  # fmt: skip
    counts = counts_before(log, queries, len(catalogue))
    assert counts[-1].sum() == 14  # log[:15] less the unknown i9: event 15 itself never counted
    assert counts[-2].sum() == 13  # log[:14]: the tie at t = 110 split by file order
    window = counts_before(log, queries, len(catalogue), window_s=10.0)
    assert window[0].sum() == 4  # the 10 s before t = 70: i3 (60), i4 (61), i5 (62), i5 (63)


class PeekingMarkov(SeqMarkov):
    """SeqMarkov that also reads the event it predicts, when the log holds it."""

    name = "PeekingMarkov"

    def stream_scorer(self, log: EventLog, queries: StreamQueries) -> Callable[[slice], np.ndarray]:
        honest = super().stream_scorer(log, queries)

        def scores_of(rows: slice) -> np.ndarray:
            scores = np.array(honest(rows))
            for row, position in enumerate(queries.position[rows]):
                if position < len(log) and log.item[position] >= 0:
                    scores[row, log.item[position]] += 10.0  # the future
            return scores

        return scores_of


def test_guard_catches_a_model_reading_the_event_it_predicts(timeline: Timeline) -> None:
    split = make_split(timeline, "stream", quantile=QUANTILE)
    with pytest.raises(LeakageError, match="read the event it predicts"):
        evaluate_model(PeekingMarkov(), split, EvalConfig(ks=(1,), replicates=10))


def test_every_baseline_passes_the_guard_and_is_compared(timeline: Timeline) -> None:
    split = make_split(timeline, "stream", quantile=QUANTILE)
    models = {name: (lambda name=name: create_model(name)) for name in BASELINES}
    report = evaluate(split, models, EvalConfig(ks=(1, 2), replicates=50), progress=False)
    assert report.comparison is not None
    best = report.comparison.reference
    assert report.comparison.deltas[best]["ndcg@2"] == (0.0, 0.0, 0.0)
    assert report.comparison.deltas["MostPop"]["ndcg@2"][0] <= 0.0
    assert set(report.results["ItemKNN"].metrics) >= {"ndcg@2", "user_ndcg@2", "coverage@2"}
    assert report.to_json()["events"] == 4


def test_max_events_subsamples_deterministically(timeline: Timeline) -> None:
    first = make_split(timeline, "stream", quantile=QUANTILE, max_events=2, seed=3)
    again = make_split(timeline, "stream", quantile=QUANTILE, max_events=2, seed=3)
    assert first.stream is not None
    assert again.stream is not None
    assert first.stream.queries.position.tolist() == again.stream.queries.position.tolist()
    assert len(first.stream.queries) == 2
    assert first.counts["skipped_by_cap"] == 2
