"""GRU4Rec: published defaults fixed, seeded, learns a deterministic sequence, cold users fall back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from engine.data.timeline import Timeline
from engine.data.validate import normalize
from engine.recommenders import gru4rec
from engine.recommenders.gru4rec import GRU4Rec, GRU4RecConfig, collapse_repeats


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread avoids OpenMP spinning when other processes share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cyclic_timeline(n_users: int = 30, length: int = 12, n_items: int = 8) -> Timeline:
    """Every user walks the same cycle i0 -> i1 -> ... from a random start: the next item is certain."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(n_users):
        start = rng.integers(n_items)
        rows += [(f"u{u}", f"i{(start + t) % n_items}", u * 1000 + t) for t in range(length)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(event_type="view")
    return normalize(frame, drop_outliers=False)


def test_recbole_defaults_and_the_tunable_knobs() -> None:
    net = gru4rec.GRU4RecNet(10)
    assert net.item_embedding.embedding_dim == 64 == gru4rec.EMBEDDING_SIZE
    assert net.gru.hidden_size == 128 == gru4rec.HIDDEN_SIZE == GRU4RecConfig().hidden_size
    assert net.emb_dropout.p == 0.3 == gru4rec.DROPOUT
    assert gru4rec.LEARNING_RATE == 1e-3 == GRU4RecConfig().learning_rate
    assert gru4rec.GRU4RecNet(10, hidden_size=64).gru.hidden_size == 64  # a knob --tune may set
    assert not {"embedding_size", "dropout"} & set(vars(GRU4RecConfig()))  # fixed
    assert GRU4Rec().name == "GRU4Rec (CE)"  # says what it is: RecBole's cross-entropy GRU4Rec


def test_collapse_repeats() -> None:
    assert collapse_repeats(np.array([3, 3, 5, 3])).tolist() == [3, 5, 3]
    assert collapse_repeats(np.array([4])).tolist() == [4]


def test_learns_a_deterministic_cycle() -> None:
    tl = _cyclic_timeline()
    model = GRU4Rec(GRU4RecConfig(epochs=40, batch_size=8, device="cpu")).fit(tl)
    assert model.losses[-1] < model.losses[0] / 2
    correct = 0
    for user, seq in model.history.items():
        expected = f"i{(int(model.catalogue[seq[-1]][1:]) + 1) % 8}"
        correct += model.recommend([user], 1, exclude_seen=False)["item_id"].iloc[0] == expected
    assert correct >= 0.9 * len(model.history)


def test_seeded_runs_agree_and_cold_users_get_popularity() -> None:
    tl = _cyclic_timeline(n_users=6)
    a = GRU4Rec(GRU4RecConfig(epochs=2, seed=3, device="cpu")).fit(tl)
    b = GRU4Rec(GRU4RecConfig(epochs=2, seed=3, device="cpu")).fit(tl)
    users = ["u0", "u1", "stranger"]
    np.testing.assert_allclose(a.score(users), b.score(users))
    np.testing.assert_allclose(a.score(users)[2], a.cold_scores)
    assert a.score(users).dtype == np.float32


def test_step_size_shrinks_for_huge_catalogues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gru4rec, "MAX_LOGIT_CELLS", 1)  # forces one window a step; still trains
    model = GRU4Rec(GRU4RecConfig(epochs=1, device="cpu")).fit(_cyclic_timeline(n_users=3))
    assert np.isfinite(model.losses).all()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_trains_and_scores_on_cuda() -> None:
    model = GRU4Rec(GRU4RecConfig(epochs=2, device="cuda")).fit(_cyclic_timeline())
    assert model.device.type == "cuda"
    assert model.score(["u0"]).shape == (1, 8)


def test_progress_shows_training_steps_and_epochs_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    GRU4Rec(GRU4RecConfig(epochs=2, device="cpu", progress=True)).fit(_cyclic_timeline(n_users=3))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "GRU4Rec" in captured.err
    assert "epoch 2/2" in captured.err
    assert "step" in captured.err


def test_cuda_without_a_gpu_is_a_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.data.errors import DataError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DataError, match="no CUDA device"):
        GRU4Rec(GRU4RecConfig(device="cuda"))
