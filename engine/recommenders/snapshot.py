"""Fitted baselines as plain tensors, so a checkpoint can carry them and `torch.load(weights_only=True)`
reads them back without unpickling anything.

A snapshot keeps what scoring an explicit history needs (``Recommender.score_histories``): the catalogue
comes from the checkpoint, per-user training histories are not kept (replay reads the history it is given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from engine.recommenders.base import Recommender
from engine.recommenders.itemknn import ItemKNN, ItemKNNConfig
from engine.recommenders.markov import SeqMarkov
from engine.recommenders.popularity import RecentPop

# The baselines replay shows beside the model at every step (issue: "always seen beside the baselines").
SNAPSHOT_BASELINES: tuple[str, ...] = ("RecentPop", "SeqMarkov", "ItemKNN")


def _csr(matrix: sp.csr_matrix) -> dict[str, Tensor]:
    return {
        "indptr": torch.from_numpy(np.asarray(matrix.indptr, dtype=np.int64)),
        "indices": torch.from_numpy(np.asarray(matrix.indices, dtype=np.int64)),
        "data": torch.from_numpy(np.asarray(matrix.data, dtype=np.float32)),
    }


def csr_from_state(state: Mapping[str, Tensor], n_items: int) -> sp.csr_matrix:
    """A square CSR matrix [n_items, n_items] from a snapshot's ``indptr``/``indices``/``data``."""
    return sp.csr_matrix(
        (state["data"].cpu().numpy(), state["indices"].cpu().numpy(), state["indptr"].cpu().numpy()),
        shape=(n_items, n_items),
    )


def snapshot(model: Recommender) -> dict[str, Tensor]:
    """The fitted state of a RecentPop, SeqMarkov or ItemKNN as tensors."""
    if isinstance(model, RecentPop):
        return {"scores": torch.from_numpy(np.array(model.score_histories([np.empty(0, np.int64)])[0]))}
    if isinstance(model, SeqMarkov):
        return {**_csr(model.transitions), "cold": torch.from_numpy(model.cold_scores.copy())}
    if isinstance(model, ItemKNN):
        return {
            **_csr(model.similarity),
            "cold": torch.from_numpy(model.cold_scores.copy()),
            "recent": torch.tensor(model.config.recent),
            "neighbours": torch.tensor(model.config.neighbours),
        }
    raise TypeError(f"no snapshot for {type(model).__name__}")


def restore(name: str, state: dict[str, Tensor], catalogue: Sequence[str]) -> Recommender:
    """A baseline from its snapshot over ``catalogue`` (item ids in index order), ready to score histories."""
    n = len(catalogue)
    model: Recommender
    if name == "RecentPop":
        pop = RecentPop()
        pop._scores = state["scores"].cpu().numpy().astype(np.float32)
        model = pop
    elif name == "SeqMarkov":
        markov = SeqMarkov()
        markov.transitions = csr_from_state(state, n)
        markov.cold_scores = state["cold"].cpu().numpy()
        model = markov
    elif name == "ItemKNN":
        knn = ItemKNN(ItemKNNConfig(neighbours=int(state["neighbours"]), recent=int(state["recent"])))
        knn.similarity = csr_from_state(state, n)
        knn.cold_scores = state["cold"].cpu().numpy()
        model = knn
    else:
        raise KeyError(f"no snapshot format for {name!r}")
    model.catalogue = np.asarray(catalogue, dtype=object)
    model.item_index = {item: i for i, item in enumerate(model.catalogue)}
    return model
