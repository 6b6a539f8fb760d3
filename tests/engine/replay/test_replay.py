"""replay(): every event a step, batched states equal to stepping the memory, honest lists and hits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.model.memory import event_type_codes
from engine.recommenders.evidence import CATEGORY_WINDOW
from engine.replay.config import ReplayConfig
from engine.replay.lists import mixed_scores, trend_levels
from engine.replay.model import ReplayModel, from_checkpoint
from engine.replay.replay import replay, user_events
from engine.replay.trace import TABLES, Trace


@pytest.fixture(scope="module")
def trace(replay_model: ReplayModel, replay_data: Timeline, busiest_user: str) -> Trace:
    return replay(replay_model, replay_data, busiest_user, ReplayConfig(k=10))


def test_every_event_is_a_step_in_time_order(trace: Trace, replay_data: Timeline, busiest_user: str) -> None:
    events, _ = user_events(replay_data, busiest_user)
    assert trace.n_steps == len(events)
    assert trace.steps["step"].tolist() == list(range(len(events)))
    assert trace.steps["item_id"].tolist() == events["item_id"].tolist()
    assert trace.steps["timestamp"].is_monotonic_increasing
    for name, columns in TABLES.items():
        table = getattr(trace, name)
        assert set(columns) <= set(table.columns), name


def test_split_marks_events_after_the_training_end(trace: Trace, replay_model: ReplayModel) -> None:
    seconds = (trace.steps["timestamp"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    expected = np.where(seconds <= replay_model.trained_until, "train", "heldout")
    assert (trace.steps["split"].to_numpy() == expected).all()
    assert {"train", "heldout"} == set(expected)


def test_batched_states_equal_stepping_the_memory(
    trace: Trace, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    events, seconds = user_events(replay_data, busiest_user)
    net = replay_model.checkpoint.model
    z = replay_model.checkpoint.item_embeddings
    rows = torch.tensor([replay_model.item_index[i] for i in events["item_id"]])
    types = torch.from_numpy(event_type_codes(events["event_type"].astype(str)))
    times = torch.from_numpy((seconds - replay_model.checkpoint.time_origin).astype(np.float32))
    state = net.memory.empty_state(1)
    stepped = []
    with torch.no_grad():
        for t in range(len(rows)):
            state = net.memory.step(state, z[rows[t : t + 1]], types[t : t + 1], times[t : t + 1])
            stepped.append(net.memory.readout(state)[0].numpy())
    batched = np.stack(trace.states["state"].to_numpy())
    np.testing.assert_allclose(batched, np.stack(stepped), atol=1e-5)


def test_lists_equal_scoring_each_step_alone(
    trace: Trace, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    """Each step's list is the mix, recomputed here from the baselines' own matrices: w_state x cosine
    + w_t x SeqMarkov's row of the last item + w_c x ItemKNN's rows of the recent items + w_p x
    RecentPop."""
    _, seconds = user_events(replay_data, busiest_user)
    net = replay_model.checkpoint.model
    z = replay_model.checkpoint.item_embeddings
    mix = replay_model.mix
    assert mix.uses_evidence  # the fixture mixes every part
    assert mix.weight("state") != 1.0
    markov = replay_model.baselines["SeqMarkov"].transitions
    knn = replay_model.baselines["ItemKNN"]
    popularity = replay_model.baselines["RecentPop"].score_histories([np.empty(0, np.int64)])[0]
    categories = np.asarray(replay_model.categories, dtype=object)
    assert mix.weight("category_pop") > 0
    states = torch.from_numpy(np.stack(trace.states["state"].to_numpy()))
    levels = trend_levels(replay_model, seconds)
    assert levels is not None  # the fixture's model reads item trends: exercise "trend as of t"
    touched: set[str] = set()
    ids = trace.steps["item_id"].tolist()
    for t in range(0, trace.n_steps, 7):
        touched = set(ids[: t + 1])
        with torch.no_grad():
            cosine = net.cosine(states[t : t + 1], z, levels[t : t + 1])[0].numpy()
        history = [replay_model.item_index[i] for i in ids[: t + 1]]
        recent = list(dict.fromkeys(reversed(history)))[: knn.config.recent]
        # category_pop by hand: the last 50 events' share of each item's category x the item's share of
        # its category's recent popularity ("" = no category: 0)
        window = categories[history[-CATEGORY_WINDOW:]]
        share = np.array([(window == c).mean() if c else 0.0 for c in categories])
        shelf_total = np.array([popularity[categories == c].sum() for c in categories])
        category_pop = share * popularity / np.maximum(shelf_total, 1e-12)
        scores = (
            mix.weight("state") * cosine
            + mix.weight("transition") * markov[history[-1]].toarray()[0]
            + mix.weight("cooccurrence") * np.asarray(knn.similarity[recent].sum(0))[0]
            + mix.weight("popularity") * popularity
            + mix.weight("category_pop") * category_pop
        )
        allowed = np.array(
            [item not in touched and first <= seconds[t] for item, first in
             zip(replay_model.catalogue, replay_model.first_seen, strict=True)]
        )  # fmt: skip
        order = np.lexsort((np.arange(len(scores)), -np.where(allowed, scores, -np.inf)))[:10]
        listed = trace.recs[(trace.recs["step"] == t) & (trace.recs["status"] != "left")].sort_values("rank")
        np.testing.assert_allclose(listed["score"].to_numpy(), scores[order], atol=1e-5)
        gaps = np.abs(np.diff(scores[order]))
        if (gaps > 1e-5).all():  # no near-ties: the same items in the same order
            assert listed["item_id"].tolist() == [replay_model.catalogue[i] for i in order]


def test_a_replay_step_scores_with_the_session_mix(replay_model: ReplayModel) -> None:
    """A step's list is asked right after its event: the checkpoint's session mix, or its one mix when
    it has no session mix (an older file)."""
    session = {"state": 1.0, "transition": 0.7}
    both = dataclasses.replace(replay_model.checkpoint, score_mix={"state": 1.0}, session_mix=session)
    assert from_checkpoint(both).mix.weights == session
    older = dataclasses.replace(replay_model.checkpoint, score_mix=session, session_mix=None)
    assert from_checkpoint(older).mix.weights == session


def test_lists_never_hold_touched_or_future_items(trace: Trace, replay_model: ReplayModel) -> None:
    listed = trace.recs[trace.recs["status"] != "left"]
    step_time = trace.steps.set_index("step")["timestamp"]
    first_seen = pd.Series(replay_model.first_seen, index=list(replay_model.catalogue))
    for t, group in listed.groupby("step"):
        touched = set(trace.steps["item_id"][: int(t) + 1])
        assert not touched & set(group["item_id"])
        now = step_time[t].timestamp()
        assert (first_seen[group["item_id"]].to_numpy() <= now).all()


def test_hits_are_null_for_repeats_and_match_the_next_rank(trace: Trace) -> None:
    steps = trace.steps
    seen_before = [steps["next_item"][t] in set(steps["item_id"][: t + 1]) for t in range(len(steps))]
    assert steps.loc[np.array(seen_before), "hit"].isna().all()
    assert steps["hit"].iloc[-1] is pd.NA
    judged = steps[steps["judged"]]
    assert len(judged) > 5
    assert (judged["hit"].astype(bool) == (judged["next_rank"] <= 10)).all()
    listed = trace.recs[trace.recs["status"] != "left"]
    for t in judged.loc[judged["hit"].astype(bool), "step"]:
        row = listed[(listed["step"] == t) & listed["is_next"]]
        assert len(row) == 1
        assert row["rank"].iloc[0] == steps.loc[t, "next_rank"]
    for prefix in ("recentpop_", "seqmarkov_", "itemknn_"):
        assert judged[f"{prefix}hit"].notna().all()
        assert steps.loc[~steps["judged"], f"{prefix}rr"].isna().all()


def _rank_alone(scores: np.ndarray, allowed: np.ndarray, target: int) -> int:
    """1 + allowed items scoring higher + allowed items scoring equal with a lower index."""
    mine = scores[target]
    ahead = allowed & ((scores > mine) | ((scores == mine) & (np.arange(len(scores)) < target)))
    return 1 + int(ahead.sum())


def test_next_ranks_equal_ranking_each_judged_step_alone(
    trace: Trace, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    """The model's and every baseline's rank of the next item, recomputed from that step alone."""
    _, seconds = user_events(replay_data, busiest_user)
    net = replay_model.checkpoint.model
    z = replay_model.checkpoint.item_embeddings
    states = torch.from_numpy(np.stack(trace.states["state"].to_numpy()))
    levels = trend_levels(replay_model, seconds)
    rows = np.array([replay_model.item_index[item] for item in trace.steps["item_id"]])
    judged = np.flatnonzero(trace.steps["judged"].to_numpy())
    assert len(judged) > 5
    for t in judged[::2]:
        allowed = replay_model.first_seen <= seconds[t]
        allowed[rows[: t + 1]] = False
        target = replay_model.item_index[trace.steps["next_item"][t]]
        with torch.no_grad():
            cosine = net.cosine(states[t : t + 1], z, None if levels is None else levels[t : t + 1])
            scores = mixed_scores(replay_model, cosine, [rows[: t + 1]])[0][0].numpy()  # the step alone
        assert trace.steps["next_rank"][t] == _rank_alone(scores, allowed, target)
        for name, prefix in (("RecentPop", "recentpop"), ("SeqMarkov", "seqmarkov"), ("ItemKNN", "itemknn")):
            baseline = replay_model.baselines[name].score_histories([rows[: t + 1]])[0]
            rank = _rank_alone(np.asarray(baseline, dtype=np.float32), allowed, target)
            expected = 1.0 / rank if rank <= 10 else 0.0
            assert trace.steps[f"{prefix}_rr"][t] == pytest.approx(expected), (name, t)


def test_explanation_texts_name_the_event_its_attention_and_share(trace: Trace) -> None:
    events = trace.explanations[trace.explanations["part"] == "event"]
    alpha = trace.attention.set_index(["step", "source_step"])["alpha"]
    steps = trace.steps
    verbs = {"view": "viewed", "like": "liked", "cart": "carted", "purchase": "bought"}
    for row in events.iloc[:: max(1, len(events) // 300)].itertuples():
        source = int(row.source_step)
        head = f"{verbs[steps['event_type'][source]]} {steps['item_name'][source]} "
        assert row.text.startswith(f"{head}(attention {alpha[(row.step, source)]:.2f}; "), row.text
        assert f"{row.share:.0%} of this score" in row.text
        if np.isfinite(row.path_alpha):
            assert row.text.endswith(f"; graph edge α {row.path_alpha:.2f})")
        else:
            assert "graph edge" not in row.text


def test_attention_sums_to_one_and_parts_sum_to_the_score(trace: Trace) -> None:
    sums = trace.attention.groupby("step")["alpha"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)
    listed = trace.recs[trace.recs["status"] != "left"]
    parts = ["memory", "recent", "bias", "transition", "cooccurrence", "popularity", "category_pop"]
    total = listed[parts].sum(axis=1)
    np.testing.assert_allclose(total.to_numpy(), listed["score"].to_numpy(), atol=1e-5)
    for part in ("transition", "cooccurrence", "popularity", "category_pop"):  # every part reaches the trace
        assert (listed[part] > 0).any(), part
        assert part in set(trace.explanations["part"])
    by_item = trace.explanations.groupby(["step", "rank"])["contribution"].sum()
    score = listed.set_index(["step", "rank"])["score"]
    np.testing.assert_allclose(by_item.loc[score.index].to_numpy(), score.to_numpy(), atol=1e-5)


def test_the_category_part_names_the_shelf_and_a_recent_event_on_it(trace: Trace) -> None:
    rows = trace.explanations[trace.explanations["part"] == "category_pop"]
    sourced = rows[rows["source_step"] >= 0]
    assert len(sourced)
    steps = trace.steps
    recs = trace.recs.set_index(["step", "item_id"])
    for row in sourced.head(50).itertuples():
        source = int(row.source_step)
        assert source <= row.step  # a past event only
        category = recs.loc[(row.step, row.item_id), "category"]
        assert steps["category"][source] == category  # the event is on the listed item's shelf
        assert row.text.startswith(f"popular in {category}, like your recent {steps['item_name'][source]} (")


def test_rank_changes_are_consistent(trace: Trace) -> None:
    recs = trace.recs
    for t in range(1, min(trace.n_steps, 40)):
        now = recs[(recs["step"] == t) & (recs["status"] != "left")]
        before = recs[(recs["step"] == t - 1) & (recs["status"] != "left")].set_index("item_id")["rank"]
        for row in now.itertuples():
            if row.item_id in before.index:
                assert row.status == "stayed"
                assert row.prev_rank == before[row.item_id]
            else:
                assert row.status == "entered"
                assert pd.isna(row.prev_rank)
        left = recs[(recs["step"] == t) & (recs["status"] == "left")]
        assert set(left["item_id"]) == set(before.index) - set(now["item_id"])


def test_interest_shares_sum_to_one(trace: Trace) -> None:
    sums = trace.interests.groupby("step")["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    assert len(sums) == trace.n_steps


def test_same_seed_same_trace(
    trace: Trace, replay_model: ReplayModel, replay_data: Timeline, busiest_user: str
) -> None:
    again = replay(replay_model, replay_data, busiest_user, ReplayConfig(k=10))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(trace, name), getattr(again, name))


def test_unknown_items_are_kept_and_marked(replay_model: ReplayModel, replay_data: Timeline) -> None:
    user = str(replay_data.events["user_id"].iloc[0])
    events = replay_data.events.copy()
    mine = np.flatnonzero((events["user_id"] == user).to_numpy())
    events.loc[mine[2], "item_id"] = "brand-new-item"
    events.loc[mine[2], "item_name"] = "A brand new <b>lamp</b>"
    trace = replay(replay_model, Timeline(events, replay_data.report, "edited"), user)
    assert trace.n_steps == len(mine)
    assert trace.steps["known"].tolist().count(False) == 1
    assert not trace.steps.loc[2, "known"]
    assert trace.meta["unknown_items"] == 1
    assert pd.isna(trace.steps.loc[1, "hit"])  # the next item is unknown: it cannot be listed


def test_a_user_without_events_is_a_clear_error(replay_model: ReplayModel, replay_data: Timeline) -> None:
    with pytest.raises(DataError, match="'nobody' has no events"):
        replay(replay_model, replay_data, "nobody")


def test_meta_names_the_model_and_pseudonymises(
    replay_model: ReplayModel, replay_data: Timeline, busiest_user: str, trace: Trace
) -> None:
    assert trace.meta["user"] == busiest_user
    assert trace.meta["fingerprint"] == replay_model.fingerprint
    assert trace.meta["k"] == 10
    hidden = replay(replay_model, replay_data, busiest_user, pseudonym_key=b"secret")
    assert hidden.meta["user"].startswith("user-")
    assert busiest_user not in hidden.meta["user"]
    assert (
        hidden.meta["user"]
        == replay(replay_model, replay_data, busiest_user, pseudonym_key=b"secret").meta["user"]
    )
