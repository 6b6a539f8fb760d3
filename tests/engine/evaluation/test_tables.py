"""The evaluation as plain tables through engine.api: every model's metrics with intervals, the paired
differences, hit curves, progress that reaches the end, and a cancel from the progress callback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import api
from engine.data.timeline import Timeline
from engine.data.validate import normalize

MODELS = ["MostPop", "RecentPop", "SeqMarkov"]


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    rng = np.random.default_rng(4)
    n = 2_000
    frame = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in rng.integers(0, 40, n)],
            "item_id": [f"i{i}" for i in rng.zipf(1.4, n) % 120],
            "timestamp": np.arange(n) * 60,
            "event_type": "view",
            "category": [f"c{c}" for c in rng.integers(0, 4, n)],
        }
    )
    return normalize(frame, drop_outliers=False)


def test_tables_of_a_time_evaluation(timeline: Timeline) -> None:
    seen: list[tuple[float, str]] = []
    tables = api.evaluate_models(
        timeline, "time", MODELS, ks=(5, 10), replicates=50, on_progress=lambda f, t: seen.append((f, t))
    )
    assert tables.protocol == "time"
    assert tables.models == MODELS
    ndcg = tables.metrics[(tables.metrics["metric"] == "ndcg") & (tables.metrics["k"] == 10)]
    assert ndcg["model"].tolist() == MODELS
    assert ((ndcg["lo"] <= ndcg["value"]) & (ndcg["value"] <= ndcg["hi"])).all()
    coverage = tables.metrics[tables.metrics["metric"] == "coverage"]
    assert coverage["lo"].isna().all()  # one number for all lists: no interval
    assert tables.reference in MODELS
    ref = tables.deltas[(tables.deltas["model"] == tables.reference) & (tables.deltas["metric"] == "ndcg")]
    assert (ref[["delta", "lo", "hi"]].to_numpy() == 0).all()
    curve = tables.hit_curves[tables.hit_curves["model"] == "MostPop"]
    assert curve["position"].tolist() == list(range(1, 11))
    assert np.all(np.diff(curve["hit_rate"]) >= 0)
    hr10 = tables.metrics.query("model == 'MostPop' and metric == 'hit_rate' and k == 10")["value"].item()
    assert curve["hit_rate"].iloc[-1] == pytest.approx(hr10)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    assert any(text == "fitting SeqMarkov" for _, text in seen)


def test_an_exception_from_progress_cancels(timeline: Timeline) -> None:
    class StopError(Exception):
        pass

    def stop(fraction: float, text: str) -> None:
        if "RecentPop" in text:
            raise StopError

    with pytest.raises(StopError):
        api.evaluate_models(timeline, "loo", MODELS, replicates=10, on_progress=stop)


def test_unknown_protocol_or_model_is_a_data_error(timeline: Timeline) -> None:
    with pytest.raises(api.DataError, match="unknown protocol"):
        api.evaluate_models(timeline, "rolling", MODELS)
    with pytest.raises(api.DataError, match="unknown model"):
        api.evaluate_models(timeline, "time", ["NoSuchModel"])
