r"""One evaluation path for every model: guarded fit, full-catalogue top-K in chunks, metrics, bootstrap CIs.

For each model: hand it the guarded training timeline (:mod:`engine.evaluation.guard`), fit, verify what
it read, rank the **whole catalogue** for every test user with :meth:`Recommender.top_k` in chunks of
users (seen items excluded unless the split is repeat-aware), then compute per-user metrics at every K
and a 95% percentile bootstrap interval over users (the same resamples for every model). Coverage is a
property of the whole set of lists and has no interval. Sampled metrics run only when asked, as a
labelled comparison next to the exact numbers (:mod:`engine.evaluation.sampled`).

Marginal intervals of two models overlap even when one beats the other for nearly every user, so each
model also gets the **paired** interval of its per-user difference from the best baseline (the baseline
with the highest headline metric, NDCG at the largest K), over the same resamples:

.. math:: \Delta^{(b)} = \bar m^{(b)} - \bar m^{\mathrm{best},(b)}, \qquad
          \mathrm{CI}_{95}(\Delta) = [q_{0.025}(\Delta^{(b)}), q_{0.975}(\Delta^{(b)})]

where :math:`\bar m^{(b)}` is a model's mean over the users of resample :math:`b`, the very resamples of
its marginal interval (so the comparison costs no extra bootstrap).

An interval that excludes 0 is a difference the test users support, not noise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from engine import ranking
from engine.evaluation.bootstrap import DEFAULT_REPLICATES, bootstrap_means, percentile_interval
from engine.evaluation.guard import guarded_training, verify_fitted
from engine.evaluation.protocols import Split
from engine.evaluation.sampled import (
    DEFAULT_GAMMA,
    SINGLE_TARGET_METRICS,
    corrected_values,
    sample_negatives,
)
from engine.evaluation.stream import rank_stream, stream_means
from engine.metrics import (
    ACCURACY_METRICS,
    coverage,
    hit_rate_curve,
    intra_list_diversity_category,
    novelty,
)
from engine.recommenders.base import SCORE_CHUNK, Recommender
from engine.recommenders.registry import BASELINES

PAIR_BLOCK_CELLS = 20_000_000  # (target, item) comparisons per block in the sampled comparison


@dataclass
class EvalConfig:
    ks: tuple[int, ...] = (10, 20)  # cut-offs reported; lists are ranked once at max(ks)
    replicates: int = DEFAULT_REPLICATES  # bootstrap resamples of the users
    level: float = 0.95  # confidence level of the intervals
    seed: int = 0  # bootstrap resamples and sampled negatives (models get their own seed)
    chunk_users: int = SCORE_CHUNK  # users ranked per top_k call: bounds memory at chunk x n_items
    sampled_negatives: int = 0  # 0 = no sampled comparison; e.g. 100 for the classic protocol
    gamma: float = DEFAULT_GAMMA  # Krichene–Rendle bias-variance trade-off of the correction

    @property
    def headline(self) -> str:
        """The metric that picks the best baseline: NDCG at the largest K, e.g. ``ndcg@20``."""
        return f"ndcg@{max(self.ks)}"


@dataclass
class ModelResult:
    """One model's numbers: means, intervals, timings; ``per_user`` keeps the arrays behind the means and
    ``replicates`` the bootstrap means behind the intervals ([B] per metric, the same resamples for every
    model of one evaluation, so two models' replicates subtract into a paired interval); ``hit_curve``
    [max K] the cumulative hit rate by list position (HR@1 .. HR@K)."""

    name: str
    metrics: dict[str, float]
    ci: dict[str, tuple[float, float]]
    fit_seconds: float
    rank_seconds: float
    per_user: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    sampled: dict[str, float] = field(default_factory=dict)
    replicates: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    hit_curve: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)


@dataclass(frozen=True)
class Comparison:
    """Every model against one reference (the best baseline): per-user differences, paired intervals.

    ``deltas[model][metric] = (mean difference, lo, hi)``: the mean over users of ``model - reference``
    and its percentile bootstrap interval over the same resamples as the marginal intervals.
    """

    reference: str  # the best baseline by ``metric``
    metric: str  # the headline metric that chose it
    deltas: dict[str, dict[str, tuple[float, float, float]]]


@dataclass
class EvaluationReport:
    split: Split
    config: EvalConfig
    results: dict[str, ModelResult]
    notes: list[str]
    comparison: Comparison | None = None  # None with fewer than two models or no baseline among them

    @property
    def metric_names(self) -> list[str]:
        names: list[str] = []
        for result in self.results.values():
            names += [m for m in result.metrics if m not in names]
        return names

    def to_json(self) -> dict[str, Any]:
        """``{"protocol", "k", "users", "models": {name: {metric: value}}}``; ci, delta_vs_best, sampled,
        split, notes. ``delta_vs_best``: ``{name: {"model": best baseline, metric: [delta, lo, hi]}}``."""
        comparison = self.comparison
        return {
            "protocol": self.split.protocol,
            "k": list(self.config.ks),
            "users": self.split.n_users,
            **({"events": self.split.n_rows} if self.split.stream is not None else {}),
            "models": {n: {m: _finite(v) for m, v in r.metrics.items()} for n, r in self.results.items()},
            "ci": {
                n: {m: [_finite(lo), _finite(hi)] for m, (lo, hi) in r.ci.items()}
                for n, r in self.results.items()
            },
            "ci_level": self.config.level,
            "headline": self.config.headline,
            "delta_vs_best": {
                n: {"model": comparison.reference, **{m: [_finite(v) for v in d] for m, d in deltas.items()}}
                for n, deltas in comparison.deltas.items()
            }
            if comparison is not None
            else {},
            "sampled": {
                n: {m: _finite(v) for m, v in r.sampled.items()} for n, r in self.results.items() if r.sampled
            },
            "seconds": {
                n: {"fit": round(r.fit_seconds, 3), "rank": round(r.rank_seconds, 3)}
                for n, r in self.results.items()
            },
            "split": self.split.describe(),
            "notes": list(self.notes),
        }


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _item_features(split: Split) -> tuple[np.ndarray, np.ndarray, int]:
    """Category code per catalogue item (-1 unknown), training users per item, and the number of users."""
    categories = split.train.item_categories().reindex(split.catalogue)
    codes, _ = pd.factorize(categories, use_na_sentinel=True)
    pairs = split.train.events[["user_id", "item_id"]].drop_duplicates()
    popularity = pairs["item_id"].value_counts().reindex(split.catalogue, fill_value=0).to_numpy()
    return np.asarray(codes, dtype=np.int64), popularity.astype(np.float64), int(pairs["user_id"].nunique())


def rank_users(
    model: Recommender,
    users: Sequence[str] | np.ndarray,
    k: int,
    exclude_seen: bool,
    chunk: int = SCORE_CHUNK,
    on_chunk: Callable[[int], object] | None = None,
) -> np.ndarray:
    """Top-k item indices [len(users), k] over the full catalogue, -1 past a short list; in user chunks."""
    ranked = np.full((len(users), k), -1, dtype=np.int64)
    for start in range(0, len(users), chunk):
        batch = list(users[start : start + chunk])
        idx, scores = model.top_k(batch, k, exclude_seen=exclude_seen)
        idx = np.where(np.isfinite(scores), idx, -1)  # a seen item (-inf) is not a recommendation
        ranked[start : start + len(batch), : idx.shape[1]] = idx
        if on_chunk is not None:
            on_chunk(len(batch))
    return ranked


def evaluate_model(
    model: Recommender,
    split: Split,
    config: EvalConfig | None = None,
    on_chunk: Callable[[int], object] | None = None,
) -> ModelResult:
    """Fit ``model`` on the guarded training part of ``split`` and measure it (see the module docstring)."""
    config = config or EvalConfig()
    train = guarded_training(split)
    started = time.perf_counter()
    model.fit(train)
    fit_seconds = time.perf_counter() - started
    return measure_fitted(model, split, config, fit_seconds, on_chunk)


def measure_fitted(
    model: Recommender,
    split: Split,
    config: EvalConfig,
    fit_seconds: float = math.nan,
    on_chunk: Callable[[int], object] | None = None,
) -> ModelResult:
    """Measure a model already fitted on ``guarded_training(split)``: verify what it read, rank, metrics."""
    name = getattr(model, "name", type(model).__name__)
    verify_fitted(model, split)
    started = time.perf_counter()
    exclude_seen = not split.repeat_aware
    if split.stream is not None:  # one list per test event, each from the events before it
        if config.sampled_negatives > 0:
            raise ValueError("the sampled comparison is defined for the time and loo protocols, not stream")
        ranked = rank_stream(model, split, max(config.ks), exclude_seen, config.chunk_users, on_chunk)
    else:
        ranked = rank_users(model, split.users, max(config.ks), exclude_seen, config.chunk_users, on_chunk)
    rank_seconds = time.perf_counter() - started

    categories, popularity, n_train_users = _item_features(split)
    has_categories = bool((categories >= 0).any())
    per_user: dict[str, np.ndarray] = {}
    scalars: dict[str, float] = {}
    for k in config.ks:
        for metric, fn in ACCURACY_METRICS.items():
            per_user[f"{metric}@{k}"] = fn(ranked, split.targets, k)
        per_user[f"novelty@{k}"] = novelty(ranked, popularity, n_train_users, k)
        if has_categories:
            per_user[f"diversity@{k}"] = intra_list_diversity_category(ranked, categories, k)
        scalars[f"coverage@{k}"] = coverage(ranked, len(split.catalogue), k)
    if split.stream is not None:  # per event: averaged over events and over users
        metrics, user_means, replicates = stream_means(per_user, split, config.replicates, config.seed)
        per_user.update(user_means)
    else:
        names = list(per_user)
        stacked = np.vstack([per_user[n] for n in names]) if names else np.empty((0, 0))
        replicate_means = bootstrap_means(stacked, config.replicates, config.seed)  # [n_metrics, B]
        metrics = {
            n: float(np.nanmean(per_user[n])) if np.isfinite(per_user[n]).any() else math.nan for n in names
        }
        replicates = {metric_name: replicate_means[row] for row, metric_name in enumerate(names)}
    bounds = percentile_interval(np.vstack(list(replicates.values())), config.level) if replicates else None
    ci: dict[str, tuple[float, float]] = {
        name: (float(bounds[row, 0]), float(bounds[row, 1]))
        for row, name in enumerate(replicates)
        if bounds is not None
    }
    metrics.update(scalars)
    result = ModelResult(name, metrics, ci, fit_seconds, rank_seconds, per_user, replicates=replicates)
    result.hit_curve = hit_rate_curve(ranked, split.targets, max(config.ks))
    if config.sampled_negatives > 0:
        result.sampled = sampled_comparison(model, split, config)
    return result


def compare_to_best(
    results: Mapping[str, ModelResult], config: EvalConfig, baselines: Collection[str] = BASELINES
) -> Comparison | None:
    """Paired intervals of every model's difference from the best of ``baselines`` present.

    The best baseline has the highest ``config.headline`` mean (the first listed wins a tie). A model's
    delta is its mean minus the reference's; the interval is the percentile interval of the same
    difference over the bootstrap resamples both were measured on (their ``replicates``), so it is
    paired: a model that beats the reference for most users gets an interval above 0 even where the two
    marginal intervals overlap. ``results`` must come from one evaluation (one split, one config).
    None with fewer than two models or no baseline with a defined headline.
    """
    headline = config.headline
    pool = [
        name
        for name in results
        if name in baselines and math.isfinite(results[name].metrics.get(headline, math.nan))
    ]
    if len(results) < 2 or not pool:
        return None
    best = max(pool, key=lambda name: results[name].metrics[headline])  # max keeps the first of a tie
    reference = results[best]
    deltas: dict[str, dict[str, tuple[float, float, float]]] = {}
    for name, result in results.items():
        names = [m for m in result.replicates if m in reference.replicates]
        if not names:
            continue
        if any(result.replicates[m].shape != reference.replicates[m].shape for m in names):
            raise ValueError(f"{name} and {best} were not measured on the same bootstrap resamples")
        diffs = np.vstack([result.replicates[m] - reference.replicates[m] for m in names])  # [n_metrics, B]
        bounds = percentile_interval(diffs, config.level)
        deltas[name] = {
            m: (result.metrics[m] - reference.metrics[m], float(bounds[row, 0]), float(bounds[row, 1]))
            for row, m in enumerate(names)
        }
    return Comparison(best, headline, deltas)


def sampled_comparison(model: Recommender, split: Split, config: EvalConfig) -> dict[str, float]:
    """HR/NDCG per target: sampled (m negatives), Krichene–Rendle corrected, and exact (full catalogue).

    All three use one target at a time, ranked against the user's non-relevant unseen items, so they
    differ only in sampling; ``exact_*`` is the number the sampled and corrected values estimate.
    """
    rng = np.random.default_rng(config.seed)
    m = config.sampled_negatives
    exclude_seen = not split.repeat_aware
    targets = split.targets
    n_items = len(split.catalogue)
    full_ranks: list[np.ndarray] = []
    sampled_ranks: list[np.ndarray] = []
    candidates: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for start in range(0, split.n_users, config.chunk_users):
        batch = list(split.users[start : start + config.chunk_users])
        scores = np.asarray(model.score(batch), dtype=np.float32).copy()  # [B, n_items]
        blocked = np.zeros(scores.shape, dtype=bool)  # seen or relevant: never a negative
        rows = targets[start : start + len(batch)]
        pair_user = np.repeat(np.arange(len(batch)), np.diff(rows.indptr))
        pair_item = rows.indices.astype(np.int64)
        blocked[pair_user, pair_item] = True
        if exclude_seen:
            for row, user in enumerate(batch):
                seen = model.history.get(user)
                if seen is not None and len(seen):
                    blocked[row, seen] = True
        target_scores = scores[pair_user, pair_item]  # [P]
        allowed = ~blocked
        # full rank among allowed items, in top_k's order (engine.ranking.rank_of): each target ranked
        # with the seen and relevant items excluded, itself put back
        excluded = ranking.exclude(torch.from_numpy(scores.copy()), [np.flatnonzero(b) for b in blocked])
        full = np.zeros(len(pair_item), dtype=np.int64)
        block = max(1, PAIR_BLOCK_CELLS // max(n_items, 1))
        for p0 in range(0, len(pair_item), block):
            sl = slice(p0, p0 + block)
            own = torch.from_numpy(pair_item[sl])
            s_rows = excluded[torch.from_numpy(pair_user[sl])]  # [b, n_items], a copy
            s_rows[torch.arange(len(own)), own] = torch.from_numpy(target_scores[sl])
            full[sl] = ranking.rank_of(s_rows, own).numpy()

        def forbidden(draws: np.ndarray, b: np.ndarray = blocked) -> np.ndarray:
            return b[np.arange(len(b))[:, None], np.maximum(draws, 0)]

        negatives = sample_negatives(
            forbidden, len(batch), n_items, m, rng
        )  # [B, m] shared by a user's targets
        neg_scores = np.take_along_axis(scores, np.maximum(negatives, 0), axis=1)
        neg_scores[negatives < 0] = -np.inf
        neg_for_pair, idx_for_pair = neg_scores[pair_user], negatives[pair_user]
        t = target_scores[:, None]
        beats_sampled = (neg_for_pair > t) | ((neg_for_pair == t) & (idx_for_pair < pair_item[:, None]))
        full_ranks.append(full)
        sampled_ranks.append(beats_sampled.sum(axis=1) + 1)
        candidates.append(allowed.sum(axis=1)[pair_user] + 1)
        owners.append(pair_user + start)
    full_rank = np.concatenate(full_ranks)
    sampled_rank = np.concatenate(sampled_ranks)
    n_candidates = np.concatenate(candidates)
    owner = np.concatenate(owners)
    out: dict[str, float] = {"negatives": float(m), "gamma": float(config.gamma)}
    counts = np.bincount(owner, minlength=split.n_users).astype(np.float64)

    def user_mean(values: np.ndarray) -> float:
        sums = np.bincount(owner, weights=values, minlength=split.n_users)
        return float(np.mean(sums[counts > 0] / counts[counts > 0]))

    for k in config.ks:
        for metric, fn in SINGLE_TARGET_METRICS.items():
            out[f"sampled_{metric}@{k}"] = user_mean(fn(sampled_rank, k))
            corrected = corrected_values(metric, k, sampled_rank, n_candidates, m, config.gamma)
            out[f"corrected_{metric}@{k}"] = user_mean(corrected)
            out[f"exact_{metric}@{k}"] = user_mean(fn(full_rank, k))
    return out


def evaluate(
    split: Split,
    models: Mapping[str, Callable[[], Recommender]],
    config: EvalConfig | None = None,
    progress: bool = True,
    baselines: Collection[str] = BASELINES,
    on_progress: Callable[[str, int, int], object] | None = None,
) -> EvaluationReport:
    """Evaluate every model (name -> zero-argument factory) on one split with one progress bar on stderr;
    each model is then compared with the best of ``baselines`` (by name) that took part.

    ``on_progress(text, users done, users in all)`` is called before each model's fit and after every
    chunk of ranked users (an exception it raises stops the evaluation: that is how a caller cancels)."""
    config = config or EvalConfig()
    if not config.ks or min(config.ks) < 1:
        raise ValueError(f"every K must be >= 1, got {config.ks}")
    results: dict[str, ModelResult] = {}
    total = len(models) * split.n_rows
    done: dict[str, int] = {}  # users ranked per model (tqdm stops counting when disabled)
    unit = "event" if split.stream is not None else "user"
    bar = tqdm(total=total, desc="evaluate", unit=unit, disable=not progress)
    try:
        for index, name in enumerate(models):
            bar.set_postfix_str(f"fitting {name}")
            if on_progress is not None:
                on_progress(f"fitting {name}", index * split.n_rows, total)

            def ranked(n: int, name: str = name, before: int = index * split.n_rows) -> None:
                bar.update(n)
                done[name] = done.get(name, 0) + n
                if on_progress is not None:
                    on_progress(f"ranking for {name}", before + done[name], total)

            model = models[name]()
            result = evaluate_model(model, split, config, on_chunk=ranked)
            result.name = name
            results[name] = result
            bar.set_postfix_str(f"{name} done")
    finally:
        bar.close()
    notes = [*split.notes, "full-catalogue ranking; 95% intervals: percentile bootstrap over users"
             f" ({config.replicates} resamples, the same for every model)"]  # fmt: skip
    if split.stream is not None:
        notes.append(
            "stream metrics: 'ndcg@K' etc. average over events, 'user_ndcg@K' over users (each user's mean "
            "over their events); every model's scores for sampled events were checked against scoring on "
            "the log cut just before them (no look-ahead)"
        )
    if config.sampled_negatives > 0:
        notes.append(
            f"sampled_*: each target ranked against {config.sampled_negatives} random negatives (a labelled "
            f"comparison only); corrected_*: Krichene-Rendle correction (gamma={config.gamma}); exact_*: the "
            "same single-target metric over the full catalogue"
        )
    comparison = compare_to_best(results, config, baselines)
    if comparison is not None:
        notes.append(
            f"delta vs best baseline: each model minus {comparison.reference} (the baseline with the highest "
            f"{comparison.metric}), per user; 95% paired bootstrap interval over the same resamples "
            "(an interval that excludes 0 is a real difference)"
        )
    return EvaluationReport(split, config, results, notes, comparison)
