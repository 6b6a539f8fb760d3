"""ItemKNN: cosine neighbourhoods from the user–item matrix, scored from the user's recent items."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.recommenders import itemknn
from engine.recommenders.itemknn import ItemKNN, ItemKNNConfig


def _timeline(rows: list[tuple[str, str, int]]) -> Timeline:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


# a and b co-occur for u1, u2; c is with a only for u3; d is popular on its own
ROWS = [
    ("u1", "a", 1), ("u1", "b", 2), ("u2", "a", 3), ("u2", "b", 4), ("u3", "a", 5), ("u3", "c", 6),
    ("u4", "d", 7), ("u5", "d", 8), ("u6", "d", 9), ("u7", "a", 10),
]  # fmt: skip


def test_cosine_by_hand() -> None:
    model = ItemKNN().fit(_timeline(ROWS))
    a, b, c = (model.item_index[i] for i in "abc")
    sim = model.similarity.toarray()
    # U_a = {u1,u2,u3,u7}, U_b = {u1,u2}: 2 / sqrt(4*2); U_c = {u3}: 1 / sqrt(4*1)
    assert sim[a, b] == pytest.approx(2 / np.sqrt(8), rel=1e-6)
    assert sim[a, c] == pytest.approx(0.5, rel=1e-6)
    assert sim[a, a] == 0.0
    assert sim[a, model.item_index["d"]] == 0.0


def test_user_of_a_gets_b_before_c_then_popular_fill() -> None:
    model = ItemKNN().fit(_timeline(ROWS))
    assert model.recommend(["u7"], 3)["item_id"].tolist() == ["b", "c", "d"]


def test_cold_user_gets_recent_popularity() -> None:
    model = ItemKNN().fit(_timeline(ROWS))
    np.testing.assert_allclose(model.score(["nobody"])[0], model.cold_scores)


def test_neighbour_pruning_and_blocks_match_a_dense_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    rows = [(f"u{rng.integers(40)}", f"i{rng.integers(60)}", t) for t in range(600)]
    tl = _timeline(rows)
    monkeypatch.setattr(itemknn, "SIM_BLOCK_CELLS", 120)  # two items per block
    model = ItemKNN(ItemKNNConfig(neighbours=5)).fit(tl)
    users = list(model.history)
    x = np.zeros((len(users), model.n_items))
    for row, user in enumerate(users):
        x[row, model.history[user]] = 1
    co = x.T @ x
    norms = np.sqrt(np.diag(co))
    dense = co / np.outer(norms, norms)
    np.fill_diagonal(dense, 0)
    sim = model.similarity.toarray()
    assert (model.similarity.getnnz(axis=1) <= 5).all()
    for item in range(model.n_items):
        kept = np.flatnonzero(sim[item])
        np.testing.assert_allclose(sim[item, kept], dense[item, kept], rtol=1e-5)
        if len(kept):  # nothing dropped is more similar than what was kept
            assert dense[item].max() <= sim[item, kept].max() + 1e-6
            assert np.sort(dense[item])[::-1][len(kept) - 1] == pytest.approx(sim[item, kept].min(), rel=1e-5)
