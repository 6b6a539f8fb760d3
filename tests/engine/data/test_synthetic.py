"""Synthetic timelines: determinism, sizes, funnel order and ratios, drift planted where the truth says."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.data.ground_truth import GroundTruth
from engine.data.schema import CANONICAL_COLUMNS
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.timeline import Timeline

SMALL = SyntheticConfig(n_users=40, n_items=300, n_categories=6, days=20, seed=3)


@pytest.fixture(scope="module")
def demo() -> tuple[Timeline, GroundTruth]:
    """The default (demo) data, generated once for the module."""
    return generate()


@pytest.fixture(scope="module")
def small() -> tuple[Timeline, GroundTruth]:
    return generate(SMALL)


def test_same_seed_gives_identical_events_and_truth(small: tuple[Timeline, GroundTruth]) -> None:
    timeline, truth = small
    again, truth_again = generate(SMALL)
    pd.testing.assert_frame_equal(timeline.events, again.events)
    assert truth.to_dict() == truth_again.to_dict()


def test_different_seed_gives_different_events(small: tuple[Timeline, GroundTruth]) -> None:
    other, other_truth = generate(replace(SMALL, seed=SMALL.seed + 1))
    timeline, truth = small
    assert len(other) != len(timeline) or not other.events.equals(timeline.events)
    assert other_truth.to_dict() != truth.to_dict()


def test_demo_defaults_have_the_documented_sizes(demo: tuple[Timeline, GroundTruth]) -> None:
    timeline, truth = demo
    cfg = SyntheticConfig()
    assert timeline.n_users == cfg.n_users == 300
    assert timeline.n_items == cfg.n_items == 3000  # the catalogue is covered at this size
    assert timeline.n_categories == cfg.n_categories == 20
    assert 40_000 <= len(timeline) <= 60_000
    assert set(truth.users) == set(timeline.events["user_id"])
    span_days = (timeline.events["timestamp"].max() - timeline.events["timestamp"].min()).days
    assert cfg.days - 2 <= span_days <= cfg.days


@pytest.mark.parametrize(
    ("users", "items", "categories", "days"), [(1, 1, 1, 1), (5, 40, 3, 7), (60, 500, 30, 30)]
)
def test_requested_sizes(users: int, items: int, categories: int, days: int) -> None:
    timeline, truth = generate(
        SyntheticConfig(n_users=users, n_items=items, n_categories=categories, days=days, seed=1)
    )
    assert timeline.n_users == users  # every user has at least two sessions
    assert timeline.n_items <= items
    assert timeline.n_categories <= categories
    assert len(truth.users) == users
    assert len(truth.categories) == categories
    assert len(set(truth.categories)) == categories


def test_timeline_is_canonical_and_clean(demo: tuple[Timeline, GroundTruth]) -> None:
    timeline, _ = demo
    ev = timeline.events
    assert tuple(ev.columns) == CANONICAL_COLUMNS
    assert str(ev["timestamp"].dtype) == "datetime64[us, UTC]"
    assert ev["timestamp"].is_monotonic_increasing
    assert set(ev["event_type"].cat.categories) == {"view", "like", "cart", "purchase"}
    report = timeline.report
    assert report.clean
    assert report.rows_read == report.rows_kept == len(ev)
    assert ev[["user_id", "item_id", "category", "item_name", "session_id"]].notna().all().all()


def test_sessions_belong_to_one_user(demo: tuple[Timeline, GroundTruth]) -> None:
    ev = demo[0].events
    assert (ev.groupby("session_id")["user_id"].nunique() == 1).all()


def test_no_purchase_before_a_view_of_the_item_in_the_session(demo: tuple[Timeline, GroundTruth]) -> None:
    ev = demo[0].events
    first = ev.pivot_table(
        index=["session_id", "item_id"],
        columns="event_type",
        values="timestamp",
        aggfunc="min",
        observed=True,
    )
    bought = first[first["purchase"].notna()]
    assert len(bought) > 0
    assert bought["view"].notna().all()
    assert (bought["view"] < bought["purchase"]).all()
    assert (bought["cart"] < bought["purchase"]).all()  # view -> cart -> purchase
    carted = first[first["cart"].notna()]
    assert (carted["view"] < carted["cart"]).all()


def test_purchases_without_a_view_only_when_configured() -> None:
    cfg = replace(SMALL, purchase_requires_view=False, reorder_share=0.2)
    ev = generate(cfg)[0].events
    views = ev[ev["event_type"] == "view"]
    viewed = set(zip(views["session_id"], views["item_id"], strict=True))
    purchases = ev[ev["event_type"] == "purchase"]
    direct = [
        pair for pair in zip(purchases["session_id"], purchases["item_id"], strict=True) if pair not in viewed
    ]
    assert direct, "with purchase_requires_view=False some purchases should come without a view"


def test_funnel_ratios_are_realistic(demo: tuple[Timeline, GroundTruth]) -> None:
    counts = demo[0].events["event_type"].value_counts()
    views, carts, purchases, likes = (int(counts[k]) for k in ("view", "cart", "purchase", "like"))
    assert 0.05 <= carts / views <= 0.2  # ~100:10
    assert 0.15 <= purchases / carts <= 0.5  # ~10:3
    assert 0.01 <= purchases / views <= 0.06
    assert 0.01 <= likes / views <= 0.1


def test_most_users_drift_and_some_do_not(demo: tuple[Timeline, GroundTruth]) -> None:
    _, truth = demo
    n_drifts = np.array([len(u.drifts) for u in truth.users.values()])
    assert set(n_drifts) == {0, 1, 2}
    assert (n_drifts > 0).mean() >= 0.7
    for user in truth.users.values():
        for mixture in [user.initial, *(d.after for d in user.drifts)]:
            assert set(mixture) <= set(truth.categories)
            assert sum(mixture.values()) == pytest.approx(1.0, abs=1e-3)
        times = [d.time_s for d in user.drifts]
        assert times == sorted(times)
        assert all(truth.start_s < t < truth.end_s for t in times)
        for d in user.drifts:
            assert pd.Timestamp(d.time_iso) == pd.Timestamp(d.time_s, unit="s", tz="UTC")
            assert d.dominant_after() not in d.before or d.dominant_after() != max(
                d.before, key=lambda c: d.before[c]
            )


def _shares(events: pd.DataFrame) -> pd.Series:
    return events["category"].value_counts(normalize=True)


def test_events_follow_the_planted_drift(demo: tuple[Timeline, GroundTruth]) -> None:
    """The category that dominates after a drift is far more frequent after the drift than before it."""
    timeline, truth = demo
    ev = timeline.events
    secs = pd.Series(timeline.seconds(), index=ev.index)
    by_user = ev.groupby("user_id").groups
    before_shares, after_shares = [], []
    for uid, user in truth.users.items():
        rows = by_user[uid]
        bounds = [truth.start_s, *(d.time_s for d in user.drifts), truth.end_s + 1]
        for k, drift in enumerate(user.drifts):
            t = secs[rows]
            before = ev.loc[rows[(t >= bounds[k]).to_numpy() & (t < drift.time_s).to_numpy()]]
            after = ev.loc[rows[(t >= drift.time_s).to_numpy() & (t < bounds[k + 2]).to_numpy()]]
            if len(before) < 30 or len(after) < 30:
                continue
            top = drift.dominant_after()
            before_shares.append(float(_shares(before).get(top, 0.0)))
            after_shares.append(float(_shares(after).get(top, 0.0)))
    before_arr, after_arr = np.array(before_shares), np.array(after_shares)
    assert len(before_arr) >= 100
    assert after_arr.mean() >= 0.4
    assert before_arr.mean() <= 0.1
    assert (after_arr > before_arr + 0.2).mean() >= 0.85


def test_category_shares_match_the_planted_mixtures(demo: tuple[Timeline, GroundTruth]) -> None:
    """Pooled over users, each phase's event shares sit close to the planted weights."""
    timeline, truth = demo
    ev = timeline.events.assign(secs=timeline.seconds())
    errors = []
    for uid, user_events in ev.groupby("user_id"):
        user = truth.users[str(uid)]
        bounds = [truth.start_s, *(d.time_s for d in user.drifts), truth.end_s + 1]
        mixtures = [user.initial, *(d.after for d in user.drifts)]
        for k, mixture in enumerate(mixtures):
            phase = user_events[(user_events["secs"] >= bounds[k]) & (user_events["secs"] < bounds[k + 1])]
            if len(phase) < 50:
                continue
            shares = _shares(phase)
            errors += [abs(float(shares.get(c, 0.0)) - w) for c, w in mixture.items()]
            assert set(shares.index) <= set(mixture)  # nothing outside the planted mixture
    assert len(errors) > 200
    assert float(np.mean(errors)) < 0.1


def test_items_have_readable_names_some_needing_escapes(demo: tuple[Timeline, GroundTruth]) -> None:
    ev = demo[0].events
    per_item = ev.groupby("item_id").agg(names=("item_name", "nunique"), cats=("category", "nunique"))
    assert (per_item["names"] == 1).all()
    assert (per_item["cats"] == 1).all()
    names = ev.drop_duplicates("item_id")["item_name"]
    assert names.str.contains(r"#\d+").mean() > 0.9
    assert names.str.contains("&").any()
    assert names.str.contains("<").any()
    assert names.str.contains('"').any()
    assert names.nunique() > 0.9 * len(names)
    assert ev["category"].str.contains("&").any()


def test_popularity_is_long_tailed_within_categories(demo: tuple[Timeline, GroundTruth]) -> None:
    ev = demo[0].events
    views = ev[ev["event_type"] == "view"].groupby(["category", "item_id"]).size()
    for _, counts in views.groupby(level="category"):
        ranked = counts.sort_values(ascending=False).to_numpy()
        top_decile = ranked[: max(1, len(ranked) // 10)].sum()
        assert top_decile / ranked.sum() > 0.3  # the top 10% of items take far more than 10% of views
        assert ranked[0] >= 10 * np.median(ranked)


def test_sessions_have_coview_structure(demo: tuple[Timeline, GroundTruth]) -> None:
    """Consecutive views stay in a category and the same item pairs recur across users."""
    ev = demo[0].events
    views = ev[ev["event_type"] == "view"].sort_values(["session_id", "timestamp"], kind="mergesort")
    same_session = views["session_id"].eq(views["session_id"].shift()).to_numpy()
    pairs = pd.DataFrame(
        {
            "a": views["item_id"].shift().to_numpy()[same_session],
            "b": views["item_id"].to_numpy()[same_session],
            "same_cat": views["category"].eq(views["category"].shift()).to_numpy()[same_session],
        }
    )
    assert pairs["same_cat"].mean() > 0.8
    pairs = pairs[pairs["a"] != pairs["b"]]
    pair_counts = pairs.groupby(["a", "b"]).size()
    assert pair_counts.max() >= 20
    assert (pair_counts >= 5).sum() >= 100


def test_ground_truth_is_json_round_trippable(small: tuple[Timeline, GroundTruth]) -> None:
    _, truth = small
    text = json.dumps(truth.to_dict())
    back = GroundTruth.from_dict(json.loads(text))
    assert back == truth
    assert back.config["seed"] == back.seed == SMALL.seed
    assert back.config["n_users"] == SMALL.n_users


def test_mixture_at_switches_at_the_drift_time(demo: tuple[Timeline, GroundTruth]) -> None:
    _, truth = demo
    user = next(u for u in truth.users.values() if len(u.drifts) == 2)
    first, second = user.drifts
    assert user.mixture_at(first.time_s - 1) == user.initial == first.before
    assert user.mixture_at(first.time_s) == first.after == second.before
    assert user.mixture_at(second.time_s) == second.after


@pytest.mark.parametrize(
    "changes", [{"n_users": 0}, {"n_items": 0}, {"days": 0}, {"n_items": 3, "n_categories": 5}]
)
def test_invalid_config_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be at least"):
        replace(SyntheticConfig(), **changes)
