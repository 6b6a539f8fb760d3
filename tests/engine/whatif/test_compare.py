"""Comparing an original and an edited trace: alignment, per-step measures, stability, movers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.replay.trace import FORMAT, TABLES, Trace
from engine.whatif.compare import PER_STEP_COLUMNS, compare

T0 = 1_700_000_000

Event = tuple[str, str, int]  # item, event type, seconds after T0


def make_trace(
    events: list[Event],
    lists: list[list[str]],
    *,
    states: list[list[float]] | None = None,
    shares: list[dict[str, float]] | None = None,
    hits: list[bool | None] | None = None,
    rrs: list[float | None] | None = None,
    left: str = "gone",
) -> Trace:
    """A hand-built trace with every TABLES column; the parts a comparison reads are given."""
    n = len(events)
    hits = hits or [None] * n
    rrs = rrs or [None] * n
    steps = pd.DataFrame(
        {
            "step": np.arange(n),
            "timestamp": pd.to_datetime([T0 + sec for _, _, sec in events], unit="s", utc=True),
            "item_id": [item for item, _, _ in events],
            "item_name": [item.upper() for item, _, _ in events],
            "category": "c1",
            "event_type": [kind for _, kind, _ in events],
            "known": True,
            "split": "train",
            "drift_prev": 0.0,
            "drift_start": 0.0,
            "drift_ema": 0.0,
            "changepoint": False,
            "next_item": [events[s + 1][0] if s + 1 < n else None for s in range(n)],
            "hit": pd.Series(hits, dtype=object),
            "rr": pd.Series(rrs, dtype="float64"),
            "running_hit": np.nan,
            "running_mrr": np.nan,
            "judged": [h is not None for h in hits],
            **{f"{b}_{m}": None for b in ("recentpop", "seqmarkov", "itemknn") for m in ("hit", "rr")},
        }
    )
    recs = pd.DataFrame(
        [
            {"step": s, "rank": r, "item_id": item, "item_name": item.upper(), "category": "c1", "score": -r}
            | {
                "memory": 0.0,
                "recent": 0.0,
                "bias": 0.0,
                "prev_rank": None,
                "status": "stay",
                "is_next": False,
            }
            for s, items in enumerate(lists)
            for r, item in enumerate(items, 1)
        ]
    )
    # an item that left the list at step 0: shown for the diff, not part of the list
    left_row = {"step": 0, "rank": 1, "item_id": left, "item_name": left.upper(), "status": "left"}
    recs = pd.concat([recs, pd.DataFrame([left_row])], ignore_index=True)
    vectors = states or [[1.0, float(s)] for s in range(n)]
    state_table = pd.DataFrame({"step": np.arange(n), "state": vectors, "x": 0.0, "y": 0.0})
    shares = shares or [{"c1": 1.0}] * n
    interests = pd.DataFrame(
        [
            {"step": s, "category": c, "strength": v, "share": v}
            for s, row in enumerate(shares)
            for c, v in row.items()
        ]
    )
    tables: dict[str, pd.DataFrame] = {
        name: pd.DataFrame({c: [] for c in columns}) for name, columns in TABLES.items()
    }
    tables |= {"steps": steps, "recs": recs, "states": state_table, "interests": interests}
    # columns a comparison does not read stay null, so the helper follows TABLES as it grows
    full = {name: t.reindex(columns=list(TABLES[name])) for name, t in tables.items()}
    return Trace(**full, meta={"format": FORMAT, "user": "u1"})


EVENTS: list[Event] = [("i1", "view", 0), ("i2", "view", 100), ("i3", "cart", 200), ("i4", "view", 300)]
LISTS = [["x", "y", "z"], ["a", "b", "c"], ["a", "b", "c"], ["c", "a", "e"]]


def test_identical_traces_have_rbo_one_and_stability_zero() -> None:
    trace = make_trace(EVENTS, LISTS, hits=[True, False, None, True], rrs=[1.0, 0.0, None, 0.5])
    result = compare(trace, trace, np.arange(4))
    per_step = result.per_step
    assert list(per_step.columns) == list(PER_STEP_COLUMNS)
    assert per_step["rbo"].tolist() == pytest.approx([1.0] * 4)
    assert per_step["jaccard"].tolist() == [1.0] * 4
    assert per_step["state_diff"].tolist() == pytest.approx([0.0] * 4)
    assert (result.interest_diff["diff"] == 0).all()
    assert result.summary["stability"] == 0.0
    assert result.summary["first_edit"] is None
    assert result.summary["compared_steps"] == 4  # without an edit: every aligned step
    assert result.summary["gained"] == result.summary["lost"] == []
    assert result.summary["trace_a"] == result.summary["trace_b"] == trace.summary()


def test_items_that_left_the_list_are_not_in_it() -> None:
    result = compare(make_trace(EVENTS, LISTS), make_trace(EVENTS, LISTS, left="elsewhere"), np.arange(4))
    assert result.per_step["rbo"].tolist() == pytest.approx([1.0] * 4)
    assert result.per_step["jaccard"].tolist() == [1.0] * 4


def test_retype_worked_out_by_hand() -> None:
    trace_a = make_trace(EVENTS, [*LISTS[:3], ["a", "b", "c"]])
    retyped = [EVENTS[0], ("i2", "like", 100), *EVENTS[2:]]
    # step 1: [a, b, c] -> [b, a, d] (RBO 0.63, see test_overlap); steps 2, 3 unchanged
    trace_b = make_trace(retyped, [LISTS[0], ["b", "a", "d"], LISTS[2], ["a", "b", "c"]])
    result = compare(trace_a, trace_b, np.arange(4))
    summary = result.summary
    assert summary["first_edit"] == 1  # found from the events: step 1's type differs
    assert summary["compared_steps"] == 3
    # stability = mean(1 - RBO) over steps 1..3 = (0.37 + 0 + 0) / 3
    assert summary["stability"] == pytest.approx(0.37 / 3)
    assert result.per_step["jaccard"].tolist() == [1.0, 0.5, 1.0, 1.0]  # {a,b,c} vs {b,a,d}: 2 / 4
    # mean ranks over steps 1..3, absent = K + 1 = 4:
    #   a: 1,1,1 vs 2,1,1 -> -1/3   b: 2,2,2 vs 1,2,2 -> +1/3
    #   c: 3,3,3 vs 4,3,3 -> -1/3   d: 4,4,4 vs 3,4,4 -> +1/3
    assert [(m["item_id"], m["item_name"]) for m in summary["gained"]] == [("b", "B"), ("d", "D")]
    assert [m["item_id"] for m in summary["lost"]] == ["a", "c"]
    assert summary["gained"][0]["shift"] == pytest.approx(1 / 3)
    assert summary["lost"][0]["mean_rank_b"] == pytest.approx(4 / 3)


def test_a_deleted_step_has_no_counterpart() -> None:
    trace_a = make_trace(EVENTS, LISTS)
    trace_b = make_trace([EVENTS[0], EVENTS[1], EVENTS[3]], [LISTS[0], LISTS[1], LISTS[3]])
    result = compare(trace_a, trace_b, np.array([0, 1, 3]))
    row = result.per_step.set_index("step").loc[2]
    assert (row["step_b"], bool(row["aligned"])) == (-1, False)
    assert np.isnan(row["rbo"])
    assert np.isnan(row["state_diff"])
    assert result.per_step["step_b"].tolist() == [0, 1, -1, 2]
    assert result.summary["first_edit"] == 2
    assert result.summary["unmatched_original_steps"] == 1
    assert result.summary["compared_steps"] == 1  # step 3; step 2 has nothing to compare with
    assert 2 not in set(result.interest_diff["step"])


def test_an_original_step_meets_the_last_of_the_edited_steps_aligned_to_it() -> None:
    trace_a = make_trace(EVENTS, LISTS)
    inserted = [EVENTS[0], EVENTS[1], ("i9", "view", 150), *EVENTS[2:]]
    trace_b = make_trace(inserted, [LISTS[0], ["q", "r", "s"], ["b", "a", "d"], LISTS[2], LISTS[3]])
    result = compare(trace_a, trace_b, np.array([0, 1, 1, 2, 3]))
    assert result.per_step["step_b"].tolist() == [0, 2, 3, 4]
    assert result.per_step["rbo"].tolist() == pytest.approx([1.0, 0.63, 1.0, 1.0])
    assert result.summary["first_edit"] == 1
    assert result.summary["stability"] == pytest.approx(0.37 / 3)


def test_state_interest_hit_and_rr_differences() -> None:
    trace_a = make_trace(
        EVENTS,
        LISTS,
        states=[[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [3.0, 4.0]],
        shares=[{"c1": 1.0}, {"c1": 1.0}, {"c1": 1.0}, {"c1": 0.5, "c2": 0.5}],
        hits=[True, False, None, True],
        rrs=[1.0, 0.0, None, 0.5],
    )
    trace_b = make_trace(
        EVENTS,
        LISTS,
        states=[[1.0, 0.0], [0.0, 2.0], [0.0, 0.0], [-3.0, -4.0]],
        shares=[{"c1": 1.0}, {"c1": 0.25, "c2": 0.75}, {"c1": 1.0}, {"c2": 1.0}],
        hits=[True, True, True, False],
        rrs=[1.0, 0.5, 1.0, 0.0],
    )
    result = compare(trace_a, trace_b, np.arange(4))
    per_step = result.per_step
    # orthogonal -> 1, two zero states -> 0, opposite -> 2
    assert per_step["state_diff"].tolist() == pytest.approx([0.0, 1.0, 0.0, 2.0])
    diff = result.interest_diff.set_index(["step", "category"])["diff"]
    assert diff[(1, "c1")] == pytest.approx(-0.75)
    assert diff[(1, "c2")] == pytest.approx(0.75)
    assert diff[(3, "c1")] == pytest.approx(-0.5)
    assert diff[(0, "c2")] == 0.0
    assert per_step["interest_tv"].tolist() == pytest.approx([0.0, 0.75, 0.0, 0.5])
    assert per_step["hit_diff"].tolist()[:2] == [0.0, 1.0]
    assert np.isnan(per_step["hit_diff"][2])
    assert per_step["hit_diff"][3] == -1.0
    assert per_step["rr_diff"].tolist()[:2] == [0.0, 0.5]
    assert np.isnan(per_step["rr_diff"][2])
    assert result.summary["first_edit"] is None  # same events: only the traces differ


def test_first_edit_can_be_given() -> None:
    trace_a = make_trace(EVENTS, LISTS)
    trace_b = make_trace(EVENTS, [LISTS[0], LISTS[1], LISTS[2], ["e", "a", "c"]])
    result = compare(trace_a, trace_b, np.arange(4), first_edit=3)
    assert result.summary["first_edit"] == 3
    assert result.per_step["from_edit"].tolist() == [False, False, False, True]
    assert result.summary["stability"] == pytest.approx(1 - result.per_step["rbo"][3])


def test_to_dict_is_plain_json_and_deterministic() -> None:
    trace_a = make_trace(EVENTS, LISTS, hits=[True, None, None, False])
    trace_b = make_trace([EVENTS[0], EVENTS[1], EVENTS[3]], [LISTS[0], LISTS[2], LISTS[3]])
    first = compare(trace_a, trace_b, np.array([0, 1, 3])).to_dict()
    text = json.dumps(first, allow_nan=False)
    assert json.loads(text) == compare(trace_a, trace_b, np.array([0, 1, 3])).to_dict()
    assert first["per_step"]["rbo"][2] is None
    assert set(first) == {"summary", "per_step", "interest_diff"}


def test_a_saved_and_loaded_trace_compares_equal_to_itself(tmp_path: Path) -> None:
    trace = make_trace(EVENTS, LISTS, hits=[True, False, None, True], rrs=[1.0, 0.0, None, 0.5])
    for path in (tmp_path / "trace.json", tmp_path / "trace_dir"):
        loaded = Trace.load(trace.save(path))
        result = compare(trace, loaded, np.arange(4))
        assert result.summary["first_edit"] is None
        assert result.summary["stability"] == 0.0
        assert result.per_step["hit_diff"].tolist()[:2] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ([0, 1, 2], "origin_step_b has 3 entries but the edited trace has 4 steps"),
        ([0, 1, 2, 4], "origin step 4 of edited step 3 is outside"),
    ],
)
def test_a_bad_alignment_is_an_error(origin: list[int], message: str) -> None:
    trace = make_trace(EVENTS, LISTS)
    with pytest.raises(DataError, match=message):
        compare(trace, trace, np.array(origin))
