"""The one evaluation path: an oracle scores 1, results carry intervals, JSON has the documented shape."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.evaluation import (
    EvalConfig,
    ModelResult,
    Split,
    compare_to_best,
    evaluate,
    evaluate_model,
    time_split,
)
from engine.evaluation.bootstrap import bootstrap_means, percentile_interval
from engine.recommenders.base import Recommender
from engine.recommenders.popularity import MostPop


def _timeline() -> Timeline:
    rng = np.random.default_rng(3)
    n = 3_000
    frame = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in rng.integers(0, 60, n)],
            "item_id": [f"i{i}" for i in rng.zipf(1.3, n) % 200],
            "timestamp": np.arange(n) * 60,
            "event_type": "view",
            "category": [f"c{c}" for c in rng.integers(0, 5, n)],
        }
    )
    return normalize(frame, drop_outliers=False)


TIMELINE = _timeline()
SPLIT = time_split(TIMELINE, 0.8)
CONFIG = EvalConfig(ks=(5, 10), replicates=50, chunk_users=7)


class Oracle(Recommender):
    """Knows the test targets (built outside the evaluator): the best any model could do."""

    name = "Oracle"

    def __init__(self, split: Split) -> None:
        super().__init__()
        self.answers = {u: split.targets[row].indices for row, u in enumerate(split.users)}

    def fit(self, train: Timeline) -> Oracle:
        self._index(train)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        scores = np.zeros((len(users), self.n_items), dtype=np.float32)
        for row, user in enumerate(users):
            scores[row, self.answers.get(user, [])] = 1.0
        return scores


def test_oracle_scores_one_on_ndcg_and_hit_rate() -> None:
    result = evaluate_model(Oracle(SPLIT), SPLIT, CONFIG)
    assert result.metrics["ndcg@10"] == pytest.approx(1.0)
    assert result.metrics["hit_rate@5"] == pytest.approx(1.0)
    assert result.metrics["mrr@10"] == pytest.approx(1.0)
    assert result.ci["ndcg@10"] == pytest.approx((1.0, 1.0))


def test_every_metric_has_per_user_values_and_an_interval() -> None:
    result = evaluate_model(MostPop(), SPLIT, CONFIG)
    for k in CONFIG.ks:
        for metric in ("precision", "recall", "f1", "ndcg", "mrr", "hit_rate", "novelty", "diversity"):
            name = f"{metric}@{k}"
            assert len(result.per_user[name]) == SPLIT.n_users
            lo, hi = result.ci[name]
            assert lo <= result.metrics[name] + 1e-12
            assert result.metrics[name] <= hi + 1e-12
        assert 0 < result.metrics[f"coverage@{k}"] <= 1


def test_chunking_does_not_change_the_numbers() -> None:
    a = evaluate_model(MostPop(), SPLIT, EvalConfig(ks=(10,), replicates=10, chunk_users=3))
    b = evaluate_model(MostPop(), SPLIT, EvalConfig(ks=(10,), replicates=10, chunk_users=1000))
    assert a.metrics == b.metrics


def test_report_json_shape() -> None:
    report = evaluate(SPLIT, {"MostPop": MostPop, "Oracle": lambda: Oracle(SPLIT)}, CONFIG, progress=False)
    data = json.loads(json.dumps(report.to_json()))
    assert data["protocol"] == "time"
    assert data["k"] == [5, 10]
    assert data["users"] == SPLIT.n_users
    assert set(data["models"]) == {"MostPop", "Oracle"}
    assert data["models"]["Oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert len(data["ci"]["MostPop"]["ndcg@10"]) == 2
    assert any("bootstrap" in note for note in data["notes"])


def test_sampled_comparison_is_labelled_and_exact_matches_the_full_ranking() -> None:
    config = EvalConfig(ks=(10,), replicates=10, sampled_negatives=20)
    result = evaluate_model(MostPop(), SPLIT, config)
    sampled = result.sampled
    assert {"sampled_hit_rate@10", "corrected_hit_rate@10", "exact_hit_rate@10"} <= set(sampled)
    assert sampled["sampled_hit_rate@10"] >= sampled["exact_hit_rate@10"]  # fewer competitors
    # exact single-target NDCG averaged per user never exceeds what a full multi-target list can reach
    assert not math.isnan(sampled["exact_ndcg@10"])
    oracle = evaluate_model(Oracle(SPLIT), SPLIT, config).sampled
    assert oracle["exact_hit_rate@10"] == pytest.approx(1.0)
    assert oracle["sampled_hit_rate@10"] == pytest.approx(1.0)


def _result(name: str, ndcg: np.ndarray) -> ModelResult:
    """A result with given per-user NDCG@10 values, measured as the evaluator measures them."""
    replicates = bootstrap_means(ndcg, CONFIG.replicates, CONFIG.seed)  # [1, B]
    lo, hi = percentile_interval(replicates, CONFIG.level)[0]
    return ModelResult(name, {"ndcg@10": float(ndcg.mean())}, {"ndcg@10": (lo, hi)}, 0.0, 0.0,
                       {"ndcg@10": ndcg}, replicates={"ndcg@10": replicates[0]})  # fmt: skip


def test_identical_per_user_values_give_a_point_delta_at_zero() -> None:
    values = np.random.default_rng(0).random(200)
    results = {"A": _result("A", values), "B": _result("B", values.copy())}
    comparison = compare_to_best(results, CONFIG, baselines=("A", "B"))
    assert comparison is not None
    assert comparison.reference == "A"  # a tie keeps the first listed
    assert comparison.metric == "ndcg@10"
    assert comparison.deltas["B"]["ndcg@10"] == (0.0, 0.0, 0.0)
    assert comparison.deltas["A"]["ndcg@10"] == (0.0, 0.0, 0.0)


def test_a_clearly_better_model_has_a_delta_interval_above_zero_where_marginals_overlap() -> None:
    base = np.random.default_rng(1).random(200)  # wide spread across users
    results = {"Base": _result("Base", base), "Better": _result("Better", np.clip(base + 0.03, 0, 1))}
    hi_base, lo_better = results["Base"].ci["ndcg@10"][1], results["Better"].ci["ndcg@10"][0]
    assert lo_better < hi_base  # the marginal intervals overlap: on their own they cannot tell
    comparison = compare_to_best(results, CONFIG, baselines=("Base",))
    assert comparison is not None
    assert comparison.reference == "Base"
    delta, lo, hi = comparison.deltas["Better"]["ndcg@10"]
    assert 0.0 < lo <= delta <= hi
    assert delta == pytest.approx(results["Better"].metrics["ndcg@10"] - results["Base"].metrics["ndcg@10"])


def test_the_reference_is_the_best_baseline_never_a_non_baseline() -> None:
    rng = np.random.default_rng(2)
    results = {
        "Weak": _result("Weak", rng.random(100) * 0.2),
        "Strong": _result("Strong", rng.random(100) * 0.2 + 0.5),
        "GNN": _result("GNN", np.ones(100)),
    }
    comparison = compare_to_best(results, CONFIG, baselines=("Weak", "Strong"))
    assert comparison is not None
    assert comparison.reference == "Strong"
    assert comparison.deltas["Weak"]["ndcg@10"][2] < 0 < comparison.deltas["GNN"]["ndcg@10"][1]
    assert compare_to_best(results, CONFIG, baselines=("Nobody",)) is None
    assert compare_to_best({"Weak": results["Weak"]}, CONFIG, baselines=("Weak",)) is None
    other = _result("Other", rng.random(100))
    other.replicates["ndcg@10"] = other.replicates["ndcg@10"][:10]  # measured on other resamples
    with pytest.raises(ValueError, match="same bootstrap resamples"):
        compare_to_best({**results, "Other": other}, CONFIG, baselines=("Strong",))


def test_the_paired_interval_reuses_the_marginal_resamples() -> None:
    report = evaluate(SPLIT, {"MostPop": MostPop, "Oracle": lambda: Oracle(SPLIT)}, CONFIG, progress=False,
                      baselines=("MostPop",))  # fmt: skip
    assert report.comparison is not None
    oracle, most_pop = report.results["Oracle"], report.results["MostPop"]
    paired = bootstrap_means(oracle.per_user["ndcg@10"] - most_pop.per_user["ndcg@10"], CONFIG.replicates)
    # no NDCG is undefined here: the difference of replicate means is the replicate of the difference
    np.testing.assert_allclose(oracle.replicates["ndcg@10"] - most_pop.replicates["ndcg@10"], paired[0])
    _, lo, hi = report.comparison.deltas["Oracle"]["ndcg@10"]
    np.testing.assert_allclose([lo, hi], percentile_interval(paired, CONFIG.level)[0])


def test_report_json_carries_the_delta_vs_the_best_baseline() -> None:
    report = evaluate(SPLIT, {"MostPop": MostPop, "Oracle": lambda: Oracle(SPLIT)}, CONFIG, progress=False,
                      baselines=("MostPop",))  # fmt: skip
    data = json.loads(json.dumps(report.to_json()))
    assert data["headline"] == "ndcg@10"
    assert data["delta_vs_best"]["Oracle"]["model"] == "MostPop"
    delta, lo, hi = data["delta_vs_best"]["Oracle"]["ndcg@10"]
    expected = data["models"]["Oracle"]["ndcg@10"] - data["models"]["MostPop"]["ndcg@10"]
    assert delta == pytest.approx(expected)
    assert 0.0 < lo <= delta <= hi
    assert data["delta_vs_best"]["MostPop"]["ndcg@10"] == [0.0, 0.0, 0.0]
    assert any("paired bootstrap" in note for note in data["notes"])
