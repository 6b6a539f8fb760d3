"""SeqMarkov: next-item probabilities from consecutive pairs, conditioned on the last item."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.recommenders.markov import SeqMarkov


def _timeline(rows: list[tuple[str, str, int]]) -> Timeline:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


# transitions out of a: a->b twice, a->c once; the repeat a->a is not a transition
ROWS = [
    ("u1", "a", 1), ("u1", "a", 2), ("u1", "b", 3), ("u2", "a", 4), ("u2", "b", 5), ("u3", "a", 6),
    ("u3", "c", 7), ("u4", "z", 8), ("u4", "z", 9), ("u4", "z", 10), ("u5", "a", 11),
]  # fmt: skip


def test_transition_probabilities_by_hand() -> None:
    model = SeqMarkov().fit(_timeline(ROWS))
    a, b, c = (model.item_index[i] for i in "abc")
    probs = model.transitions.toarray()
    assert probs[a, b] == pytest.approx(2 / 3)
    assert probs[a, c] == pytest.approx(1 / 3)
    assert probs[a, a] == 0.0
    assert probs[model.item_index["z"]].sum() == 0.0  # only repeats: no transition


def test_scores_follow_the_last_item_then_popularity() -> None:
    model = SeqMarkov().fit(_timeline(ROWS))
    assert model.recommend(["u5"], 3)["item_id"].tolist() == ["b", "c", "z"]
    # u4's last item z has no successor: popularity (z is the most frequent item) fills
    assert model.recommend(["u4"], 1)["item_id"].tolist() == ["a"]


def test_cold_user_gets_recent_popularity() -> None:
    model = SeqMarkov().fit(_timeline(ROWS))
    np.testing.assert_allclose(model.score(["nobody"])[0], model.cold_scores)
