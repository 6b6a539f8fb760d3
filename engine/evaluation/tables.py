"""An evaluation report as plain tables (for the dashboard and exports): no arrays per user, no models."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.evaluation.evaluator import EvaluationReport

METRIC_ORDER = ("ndcg", "hit_rate", "recall", "mrr", "precision", "f1", "coverage", "novelty", "diversity")


@dataclass(frozen=True)
class EvaluationTables:
    """``metrics``: model, metric, k, value, lo, hi (95% bootstrap interval; NaN for coverage, a property
    of all lists together); ``deltas``: model, metric, k, delta, lo, hi against ``reference`` (the best
    baseline by ``headline``), paired over the same resamples; ``hit_curves``: model, position, hit_rate
    (HR@1..HR@K); ``seconds``: model, fit, rank; ``split``: the protocol's facts; ``notes``: what the
    numbers mean."""

    protocol: str
    ks: tuple[int, ...]
    models: list[str]
    metrics: pd.DataFrame
    deltas: pd.DataFrame
    reference: str | None
    headline: str
    hit_curves: pd.DataFrame
    seconds: pd.DataFrame
    split: dict[str, Any]
    notes: list[str]


def report_tables(report: EvaluationReport) -> EvaluationTables:
    metric_rows, curve_rows, second_rows = [], [], []
    for name, result in report.results.items():
        for key, value in result.metrics.items():
            metric, k = key.split("@")
            lo, hi = result.ci.get(key, (math.nan, math.nan))
            metric_rows.append(
                {"model": name, "metric": metric, "k": int(k), "value": value, "lo": lo, "hi": hi}
            )
        curve_rows += [
            {"model": name, "position": i + 1, "hit_rate": float(v)} for i, v in enumerate(result.hit_curve)
        ]
        second_rows.append({"model": name, "fit": result.fit_seconds, "rank": result.rank_seconds})
    delta_rows = []
    comparison = report.comparison
    if comparison is not None:
        for name, deltas in comparison.deltas.items():
            for key, (delta, lo, hi) in deltas.items():
                metric, k = key.split("@")
                delta_rows.append(
                    {"model": name, "metric": metric, "k": int(k), "delta": delta, "lo": lo, "hi": hi}
                )
    order = {m: i for i, m in enumerate(METRIC_ORDER)}
    metrics = pd.DataFrame(metric_rows, columns=["model", "metric", "k", "value", "lo", "hi"])
    metrics = metrics.sort_values(
        ["k", "metric"], key=lambda c: c.map(order) if c.name == "metric" else c, kind="stable"
    )
    return EvaluationTables(
        protocol=report.split.protocol,
        ks=tuple(report.config.ks),
        models=list(report.results),
        metrics=metrics.reset_index(drop=True),
        deltas=pd.DataFrame(delta_rows, columns=["model", "metric", "k", "delta", "lo", "hi"]),
        reference=None if comparison is None else comparison.reference,
        headline=report.config.headline,
        hit_curves=pd.DataFrame(curve_rows, columns=["model", "position", "hit_rate"]),
        seconds=pd.DataFrame(second_rows, columns=["model", "fit", "rank"]),
        split=report.split.describe(),
        notes=list(report.notes),
    )
