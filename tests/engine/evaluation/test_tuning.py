"""evaluate --tune: knobs chosen on the training part's validation tail, never on the test split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.evaluation import EvalConfig, make_split
from engine.evaluation.tuning import KNN_NEIGHBOURS, KNN_RECENT, RECENT_WINDOWS, tune_baselines


def _timeline(seed: int, scramble_test: bool = False) -> Timeline:
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(40):
        item = int(rng.integers(60))
        for step in range(30):
            item = (item + 1) % 60 if rng.random() < 0.7 else int(rng.integers(60))
            rows.append((f"u{user}", f"i{item}", 1_000_000 + user * 11 + step * 3600))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    if scramble_test:  # other items after the cut: the test split changes, the training part does not
        late = frame["timestamp"] >= frame["timestamp"].quantile(0.9)
        frame.loc[late, "item_id"] = [f"i{int(i)}" for i in rng.integers(60, size=int(late.sum()))]
    return normalize(frame, drop_outliers=False)


def test_tuning_picks_grid_points_and_never_reads_the_test_split() -> None:
    config = EvalConfig(ks=(10,), replicates=10)
    names = ["RecentPop", "ItemKNN", "SeqMarkov"]
    split = make_split(_timeline(0), "time")
    scrambled = make_split(_timeline(0, scramble_test=True), "time")
    assert len(split.train) == len(scrambled.train)
    assert not np.array_equal(split.targets.toarray(), scrambled.targets.toarray()) or (
        split.users.tolist() != scrambled.users.tolist()
    )
    tuned = tune_baselines(split, names, config)
    again = tune_baselines(scrambled, names, config)
    assert set(tuned.chosen) == {"RecentPop", "ItemKNN"}  # SeqMarkov has no knob
    assert tuned.chosen["RecentPop"]["window_share"] in RECENT_WINDOWS
    assert tuned.chosen["ItemKNN"]["neighbours"] in KNN_NEIGHBOURS
    assert tuned.chosen["ItemKNN"]["recent"] in KNN_RECENT
    assert len(tuned.scores["ItemKNN"]) == len(KNN_NEIGHBOURS) * len(KNN_RECENT)
    assert tuned.scores == again.scores  # the same training part gives the same choice
    model = tuned.factories["ItemKNN"]()
    assert model.config.neighbours == tuned.chosen["ItemKNN"]["neighbours"]  # type: ignore[attr-defined]
    assert any("never the test split" in note for note in tuned.notes())


@pytest.mark.slow
def test_gru4rec_grid_reads_epochs_of_each_run() -> None:
    split = make_split(_timeline(1), "stream", max_events=300)
    tuned = tune_baselines(split, ["GRU4Rec (CE)"], EvalConfig(ks=(10,), replicates=5))
    rows = tuned.scores["GRU4Rec (CE)"]
    assert len(rows) == 12  # 2 hidden sizes x 2 learning rates x 3 epoch counts
    assert rows[0][0] == {"hidden_size": 128, "learning_rate": 1e-3, "epochs": 10}  # the default first
    assert len({score for _, score in rows}) > 1  # the knobs matter
    chosen = tuned.factories["GRU4Rec (CE)"]()
    assert chosen.config.epochs == tuned.chosen["GRU4Rec (CE)"]["epochs"]  # type: ignore[attr-defined]
