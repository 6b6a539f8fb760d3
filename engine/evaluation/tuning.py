"""``evaluate --tune``: each baseline's few knobs chosen on the validation tail of the training part.

The GNN picks its epoch on a validation tail of its training events (:mod:`engine.training.validation`);
the baselines get the same: the split's **training part only** is split again by the same protocol, the
inner cut at the ``1 - val_share`` quantile of its times (``val_share`` as the GNN's, 0.1), every grid
point is fitted on the inner training part and measured on its tail by the headline metric (NDCG at the
largest K, through the same guarded evaluator), and the best is then fitted on the whole training part.
The test split is never read. Ties keep the earlier grid point, the default first.

Budget (fits on the inner part, then one final fit): RecentPop 4 windows; ItemKNN 3 x 3 (neighbours x
history length); GRU4Rec (CE) 4 (hidden size x learning rate), each trained for ``max(GRU_EPOCHS)``
epochs and read after each of ``GRU_EPOCHS``, so the epoch count is chosen too. MostPop and SeqMarkov
have no knob. About 5x a default GRU4Rec fit and 9x an ItemKNN fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from engine.data.errors import DataError
from engine.evaluation.evaluator import EvalConfig, evaluate_model, measure_fitted
from engine.evaluation.guard import guarded_training
from engine.evaluation.protocols import Split, make_split
from engine.recommenders.base import Recommender
from engine.recommenders.gru4rec import GRU4Rec, GRU4RecConfig
from engine.recommenders.itemknn import ItemKNN, ItemKNNConfig
from engine.recommenders.popularity import PopularityConfig, RecentPop
from engine.training.config import TrainConfig

VAL_SHARE = TrainConfig().val_share  # the GNN's validation tail: the latest tenth of training
RECENT_WINDOWS = (0.1, 0.02, 0.05, 0.3)  # RecentPop window share (default first)
KNN_NEIGHBOURS = (100, 20, 400)
KNN_RECENT = (20, 5, 100)
GRU_HIDDEN = (128, 64)
GRU_RATES = (1e-3, 3e-3)
GRU_EPOCHS = (3, 6, 10)  # read after these epochs of one run per (hidden size, learning rate)
TUNED: tuple[str, ...] = ("RecentPop", "ItemKNN", "GRU4Rec (CE)")


@dataclass(frozen=True)
class Tuned:
    """The chosen knobs per model, a factory that builds each with them, and every grid point's score."""

    factories: dict[str, Callable[[], Recommender]]
    chosen: dict[str, dict[str, Any]]
    scores: dict[str, list[tuple[dict[str, Any], float]]]
    metric: str

    def notes(self) -> list[str]:
        lines = [
            f"tuned ({', '.join(self.chosen)}): knobs chosen by {self.metric} on the validation tail of the "
            f"training part (its latest {VAL_SHARE:.0%} of events, same protocol), never the test split"
        ]
        for name, knobs in self.chosen.items():
            lines.append(f"{name} tuned: " + ", ".join(f"{k}={v}" for k, v in knobs.items()))
        return lines


def _inner_split(split: Split) -> Split:
    include_cold = split.protocol == "time" and split.counts.get("cold_users_scored", 0) > 0
    return make_split(
        split.train, split.protocol, quantile=1.0 - VAL_SHARE, repeat_aware=split.repeat_aware,
        include_cold=include_cold,
    )  # fmt: skip


def tune_baselines(
    split: Split, names: list[str], config: EvalConfig, seed: int = 0, device: str = "auto"
) -> Tuned:
    """Choose the knobs of the tunable models among ``names`` (see the module docstring)."""
    try:
        inner = _inner_split(split)
    except DataError as err:
        raise DataError(f"--tune: the training part's validation tail is not evaluable ({err})") from None
    cheap = replace(config, replicates=1, sampled_negatives=0)
    metric = config.headline

    def measure(model: Recommender) -> float:
        return evaluate_model(model, inner, cheap).metrics[metric]

    factories: dict[str, Callable[[], Recommender]] = {}
    chosen: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[tuple[dict[str, Any], float]]] = {}
    if "RecentPop" in names:
        grid: list[dict[str, Any]] = [{"window_share": w} for w in RECENT_WINDOWS]
        scores["RecentPop"] = [(k, measure(RecentPop(PopularityConfig(**k)))) for k in grid]
    if "ItemKNN" in names:
        grid = [{"neighbours": n, "recent": r} for n, r in itertools.product(KNN_NEIGHBOURS, KNN_RECENT)]
        scores["ItemKNN"] = [(k, measure(ItemKNN(ItemKNNConfig(**k)))) for k in grid]
    if "GRU4Rec (CE)" in names:
        scores["GRU4Rec (CE)"] = _gru_grid(inner, cheap, metric, seed, device)
    for name, rows in scores.items():
        best = max(range(len(rows)), key=lambda i: rows[i][1])  # first of a tie: the default
        chosen[name] = rows[best][0]
    if "RecentPop" in chosen:
        window = PopularityConfig(**chosen["RecentPop"])
        factories["RecentPop"] = lambda: RecentPop(window)
    if "ItemKNN" in chosen:
        knn = ItemKNNConfig(**chosen["ItemKNN"])
        factories["ItemKNN"] = lambda: ItemKNN(knn)
    if "GRU4Rec (CE)" in chosen:
        gru = GRU4RecConfig(seed=seed, device=device, **chosen["GRU4Rec (CE)"])
        factories["GRU4Rec (CE)"] = lambda: GRU4Rec(gru)
    return Tuned(factories, chosen, scores, metric)


def _gru_grid(
    inner: Split, config: EvalConfig, metric: str, seed: int, device: str
) -> list[tuple[dict[str, Any], float]]:
    """One run per (hidden size, learning rate), read after each of GRU_EPOCHS epochs."""
    rows: list[tuple[dict[str, Any], float]] = []
    for hidden, rate in itertools.product(GRU_HIDDEN, GRU_RATES):
        knobs: dict[str, Any] = {"hidden_size": hidden, "learning_rate": rate}
        model = GRU4Rec(GRU4RecConfig(seed=seed, device=device, epochs=max(GRU_EPOCHS), **knobs))
        read: dict[int, float] = {}

        def on_epoch(done: int, model: GRU4Rec = model, read: dict[int, float] = read) -> None:
            if done in GRU_EPOCHS:
                read[done] = _measure_fitted(model, inner, config, metric)

        model.fit(guarded_training(inner), on_epoch=on_epoch)
        rows += [({**knobs, "epochs": epochs}, read[epochs]) for epochs in GRU_EPOCHS]
    # the default (128, 1e-3, 10 epochs) first, so a tie keeps it
    default = {"hidden_size": 128, "learning_rate": 1e-3, "epochs": 10}
    return sorted(rows, key=lambda row: row[0] != default)


def _measure_fitted(model: Recommender, inner: Split, config: EvalConfig, metric: str) -> float:
    """The headline of an already fitted model on the inner split (no refit)."""
    return measure_fitted(model, inner, config).metrics[metric]
