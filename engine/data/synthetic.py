"""Synthetic e-commerce timelines with planted interest drift: the demo's embedded data.

Each user has an interest mixture over categories that shifts at known times (0-2 drifts per user).
A session picks a category from the mixture in force when it starts, walks items of that category
(popular items first, often to an item "related" to the previous one, so sequence and graph models
have co-views to learn from) and runs a view -> cart -> purchase funnel with likes on the way.
``generate`` returns the Timeline and the GroundTruth of what was planted. Same seed, same events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from engine.data.ground_truth import DriftPoint, GroundTruth, Mixture, UserTruth, iso_utc
from engine.data.synthetic_names import category_names, item_names
from engine.data.timeline import Timeline
from engine.data.validate import normalize

DAY_S = 86_400
# Share of sessions starting in each hour of the day (UTC): quiet nights, a lunch bump, an evening peak.
HOURLY_PROFILE = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.5, 4, 5, 4.5, 4, 4, 4.5, 5, 6, 7.5, 8, 7, 5, 2.5]
)


@dataclass(frozen=True)
class SyntheticConfig:
    """How big the synthetic shop is and how its users behave. Defaults = the demo data (~50k events)."""

    n_users: int = 300  # a few hundred: enough drifting users to score detection, small enough to replay live
    n_items: int = 3000  # ~150 per category: a long tail that still fits a readable item graph
    n_categories: int = 20  # enough for distinct tastes; more than the word lists get numbered ("Books 2")
    days: int = 60  # two months: room for two drifts per user with weeks of activity on each side
    seed: int = 7  # any fixed value; the demo file is the same on every machine
    start: str = "2026-01-05"  # a fixed Monday (UTC), so a seed alone fixes every timestamp
    sessions_per_user: float = 36.0  # mean sessions per user over the span (~one every two days); ~50k events
    activity_spread: float = 0.6  # lognormal sigma of per-user activity: a few heavy users, many light ones
    views_per_session: float = 4.0  # mean views per session (1 + Poisson): short browsing bursts
    mixture_size: tuple[int, int] = (2, 4)  # categories a user cares about at once (inclusive range)
    dominant_weight: tuple[float, float] = (0.5, 0.75)  # weight of the top category, so drift is visible
    drift_count_probs: tuple[float, float, float] = (0.15, 0.5, 0.35)  # P(0, 1, 2 drifts): most users drift
    drift_window: tuple[float, float] = (0.2, 0.8)  # drifts fall in this part of the span: data on both sides
    min_drift_gap: float = 0.2  # two drifts at least this share of the span apart, so both can be seen
    category_popularity_exponent: float = 0.6  # Zipf exponent across categories: some shelves are busier
    item_popularity_exponent: float = 1.0  # Zipf exponent within a category: a long tail of rare items
    related_per_item: int = 5  # "customers also viewed" list length; the co-view structure models learn
    follow_related: float = (
        0.6  # chance the next view is related to the current item rather than a fresh pick
    )
    switch_category: float = 0.1  # chance a session wanders into a second category of the user's mixture
    like_rate: float = 0.04  # likes per view: rarer than carts on most shops
    cart_rate: float = 0.10  # carts per viewed item: the ~100:10 of a typical funnel
    purchase_rate: float = 0.30  # purchases per carted item, at checkout: ~100:10:3 overall
    mean_gap_s: float = 40.0  # mean seconds between actions in a session
    purchase_requires_view: bool = True  # no purchase without an earlier view of the item in the session
    reorder_share: float = 0.05  # with purchase_requires_view=False: sessions that are a one-click re-order
    cover_catalogue: bool = True  # swap a few views so every item appears once the data is big enough

    def __post_init__(self) -> None:
        for name in ("n_users", "n_items", "n_categories", "days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.n_items < self.n_categories:
            raise ValueError(f"n_items ({self.n_items}) must be at least n_categories ({self.n_categories})")
        if not np.isclose(sum(self.drift_count_probs), 1.0):
            raise ValueError(f"drift_count_probs must sum to 1, got {self.drift_count_probs}")


@dataclass
class _Catalogue:
    categories: list[str]
    category_weights: np.ndarray  # [C] how often a category is chosen into a user's mixture
    item_ids: list[str]
    item_names: list[str]
    item_category: np.ndarray  # [M] category index of each item
    members: list[np.ndarray]  # per category: item indices, most popular first
    member_probs: list[np.ndarray]  # per category: popularity of each member (sums to 1)
    member_cumulative: list[np.ndarray]  # per category: running sum of member_probs, for fast draws
    related: list[np.ndarray] = field(default_factory=list)  # per item: related item indices


def _zipf(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _catalogue(cfg: SyntheticConfig, rng: np.random.Generator) -> _Catalogue:
    categories = category_names(cfg.n_categories)
    popularity = _zipf(cfg.n_categories, cfg.category_popularity_exponent)[rng.permutation(cfg.n_categories)]
    shares = rng.dirichlet(np.full(cfg.n_categories, 4.0))
    sizes = rng.multinomial(cfg.n_items - cfg.n_categories, shares) + 1  # every category has an item
    item_category = np.repeat(np.arange(cfg.n_categories), sizes)
    width = len(str(cfg.n_items))
    item_ids = [f"i{i:0{width}d}" for i in range(cfg.n_items)]
    names: list[str] = []
    members, member_probs = [], []
    for c, size in enumerate(sizes):
        names += item_names(categories[c], int(size), rng)
        first = int(sizes[:c].sum())
        members.append(first + rng.permutation(int(size)))  # popularity rank is not the id order
        member_probs.append(_zipf(int(size), cfg.item_popularity_exponent))
    cumulative = [np.cumsum(p) for p in member_probs]
    cat = _Catalogue(
        categories, popularity, item_ids, names, item_category, members, member_probs, cumulative
    )
    for item in range(cfg.n_items):
        c = item_category[item]
        others = members[c] != item
        pool, probs = members[c][others], member_probs[c][others]
        k = min(cfg.related_per_item, len(pool))
        cat.related.append(rng.choice(pool, size=k, replace=False, p=probs / probs.sum()) if k else pool)
    return cat


def _mixture(
    cfg: SyntheticConfig, cat: _Catalogue, rng: np.random.Generator, previous: Mixture | None
) -> Mixture:
    """A mixture of 2-4 categories; after a drift, the top category is one the user had ignored."""
    n = len(cat.categories)
    size = min(int(rng.integers(cfg.mixture_size[0], cfg.mixture_size[1] + 1)), n)
    weights = cat.category_weights.copy()
    if previous is None:
        top = int(rng.choice(n, p=weights))
    else:
        old_top = max(previous, key=lambda c: previous[c])
        fresh = np.array([c not in previous for c in cat.categories])
        allowed = fresh if fresh.any() else np.array([c != old_top for c in cat.categories])
        if not allowed.any():  # a single category: nothing to drift to
            return dict(previous)
        top_weights = np.where(allowed, weights, 0.0)
        top = int(rng.choice(n, p=top_weights / top_weights.sum()))
    mixture = {cat.categories[top]: 1.0}
    if size > 1:
        weights[top] = 0.0
        rest = rng.choice(n, size=size - 1, replace=False, p=weights / weights.sum())
        top_share = float(rng.uniform(*cfg.dominant_weight))
        rest_shares = np.sort(rng.dirichlet(np.ones(size - 1)))[::-1] * (1 - top_share)
        mixture = {cat.categories[top]: round(top_share, 4)}
        for c, share in zip(rest, rest_shares, strict=True):
            mixture[cat.categories[int(c)]] = round(float(share), 4)
    return mixture


def _user_truth(
    cfg: SyntheticConfig, cat: _Catalogue, rng: np.random.Generator, user_id: str, start_s: int, span_s: int
) -> UserTruth:
    initial = _mixture(cfg, cat, rng, None)
    n_drifts = int(rng.choice(3, p=cfg.drift_count_probs)) if len(cat.categories) > 1 else 0
    lo, hi = cfg.drift_window
    if n_drifts == 1:
        fractions = [rng.uniform(lo, hi)]
    elif n_drifts == 2:
        first = rng.uniform(lo, hi - cfg.min_drift_gap)
        fractions = [first, rng.uniform(first + cfg.min_drift_gap, hi)]
    else:
        fractions = []
    truth = UserTruth(user_id, initial)
    current = initial
    for fraction in fractions:
        after = _mixture(cfg, cat, rng, current)
        t = start_s + int(fraction * span_s)
        truth.drifts.append(DriftPoint(t, iso_utc(t), current, after))
        current = after
    return truth


class _Events:
    """Column lists of the events being generated."""

    def __init__(self) -> None:
        self.user: list[str] = []
        self.item: list[int] = []
        self.time: list[int] = []
        self.kind: list[str] = []
        self.session: list[str] = []

    def add(self, user: str, item: int, time: int, kind: str, session: str) -> None:
        self.user.append(user)
        self.item.append(item)
        self.time.append(time)
        self.kind.append(kind)
        self.session.append(session)


def _session(
    cfg: SyntheticConfig,
    cat: _Catalogue,
    rng: np.random.Generator,
    out: _Events,
    user: str,
    session: str,
    clock: int,
    mixture: Mixture,
    bought: list[int],
) -> None:
    """One visit: a walk over items of one (rarely two) categories, then checkout of the cart."""
    names = list(mixture)
    probs = np.array([mixture[n] for n in names])
    index = {name: i for i, name in enumerate(cat.categories)}
    category = index[names[rng.choice(len(names), p=probs / probs.sum())]]

    def step() -> int:
        return 1 + int(rng.exponential(cfg.mean_gap_s))

    if not cfg.purchase_requires_view and rng.random() < cfg.reorder_share:
        item = bought[rng.integers(len(bought))] if bought else int(cat.members[category][0])
        out.add(user, item, clock, "purchase", session)
        bought.append(item)
        return

    carted: list[int] = []
    item = -1
    for _ in range(1 + rng.poisson(cfg.views_per_session - 1)):
        if rng.random() < cfg.switch_category and len(names) > 1:
            category = index[names[rng.choice(len(names), p=probs / probs.sum())]]
            item = -1
        if item >= 0 and len(cat.related[item]) and rng.random() < cfg.follow_related:
            item = int(cat.related[item][rng.integers(len(cat.related[item]))])
        else:
            cumulative = cat.member_cumulative[category]
            pick = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1])), len(cumulative) - 1)
            item = int(cat.members[category][pick])
        clock += step()
        out.add(user, item, clock, "view", session)
        if rng.random() < cfg.like_rate:
            clock += step()
            out.add(user, item, clock, "like", session)
        if item not in carted and rng.random() < cfg.cart_rate:
            clock += step()
            out.add(user, item, clock, "cart", session)
            carted.append(item)
    for item in carted:  # checkout comes after browsing, so every purchase follows its view and cart
        if rng.random() < cfg.purchase_rate:
            clock += step()
            out.add(user, item, clock, "purchase", session)
            bought.append(item)


def _session_starts(
    cfg: SyntheticConfig, rng: np.random.Generator, activity: float, start_s: int
) -> np.ndarray:
    count = max(2, int(rng.poisson(cfg.sessions_per_user * activity)))
    days = rng.integers(0, cfg.days, size=count)
    hours = rng.choice(24, size=count, p=HOURLY_PROFILE / HOURLY_PROFILE.sum())
    return np.sort(start_s + days * DAY_S + hours * 3600 + rng.integers(0, 3600, size=count))


def _cover_catalogue(cat: _Catalogue, out: _Events, rng: np.random.Generator) -> None:
    """Give each never-seen item one view, taken from a lone view of a busier item of the same category.

    Only the item changes, not the category or the time, so the planted mixtures stay exact.
    """
    items = np.array(out.item)
    counts = np.bincount(items, minlength=len(cat.item_ids))
    unseen = np.flatnonzero(counts == 0)
    if not len(unseen):
        return
    pairs = pd.Series(list(zip(out.session, out.item, strict=True)))
    lone = (pairs.map(pairs.value_counts()) == 1).to_numpy() & (np.array(out.kind) == "view")
    candidates = rng.permutation(np.flatnonzero(lone))
    by_category: dict[int, list[int]] = {}
    for row in candidates:
        by_category.setdefault(int(cat.item_category[items[row]]), []).append(int(row))
    for item in unseen:
        rows = by_category.get(int(cat.item_category[item]), [])
        while rows:
            row = rows.pop()
            if counts[out.item[row]] > 1:
                counts[out.item[row]] -= 1
                out.item[row] = int(item)
                counts[item] += 1
                break


def generate(config: SyntheticConfig | None = None) -> tuple[Timeline, GroundTruth]:
    """A synthetic timeline and the ground truth of the drift planted in it (deterministic per seed)."""
    cfg = config or SyntheticConfig()
    rng = np.random.default_rng(cfg.seed)
    start_s = int(pd.Timestamp(cfg.start, tz="UTC").timestamp())
    span_s = cfg.days * DAY_S
    cat = _catalogue(cfg, rng)
    width = len(str(cfg.n_users))
    out = _Events()
    users: dict[str, UserTruth] = {}
    activity = rng.lognormal(0.0, cfg.activity_spread, size=cfg.n_users)
    activity /= np.exp(cfg.activity_spread**2 / 2)  # mean 1, so sessions_per_user is the mean
    n_sessions = 0
    for u in range(cfg.n_users):
        user = f"u{u:0{width}d}"
        planted = _user_truth(cfg, cat, rng, user, start_s, span_s)
        users[user] = planted
        bought: list[int] = []
        for clock in _session_starts(cfg, rng, float(activity[u]), start_s):
            n_sessions += 1
            session = f"{user}-s{n_sessions:06d}"
            mixture = planted.mixture_at(int(clock))
            _session(cfg, cat, rng, out, user, session, int(clock), mixture, bought)
    if cfg.cover_catalogue:
        _cover_catalogue(cat, out, rng)

    items = np.array(out.item)
    raw = pd.DataFrame(
        {
            "user_id": out.user,
            "item_id": np.array(cat.item_ids, dtype=object)[items],
            "timestamp": np.array(out.time, dtype=np.int64),
            "event_type": out.kind,
            "category": np.array(cat.categories, dtype=object)[cat.item_category[items]],
            "item_name": np.array(cat.item_names, dtype=object)[items],
            "session_id": out.session,
        }
    )
    # File order = time order (ties by user, then generation order), so a saved file reloads identically.
    raw = raw.sort_values(["timestamp", "user_id"], kind="mergesort").reset_index(drop=True)
    timeline = normalize(raw, source=f"synthetic(seed={cfg.seed})", drop_outliers=False)
    truth = GroundTruth(
        seed=cfg.seed,
        config={k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()},  # JSON-native
        start_s=start_s,
        end_s=start_s + span_s,
        categories=cat.categories,
        users=users,
    )
    return timeline, truth
