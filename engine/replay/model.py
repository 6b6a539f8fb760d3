"""The replay model: everything a trace reads from a checkpoint, loaded once and never changed.

Every viewer of the dashboard shares one ``ReplayModel``; replay only reads it (the memory's path is
computed per call from a fresh state), unlike ``GNNRecommender.observe`` which rewrites its state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from engine.device import resolve_device
from engine.model.checkpoint import Checkpoint
from engine.recommenders.base import Recommender
from engine.recommenders.evidence import GraphEvidence
from engine.recommenders.score_mix import ScoreMix
from engine.recommenders.snapshot import SNAPSHOT_BASELINES, restore


@dataclass(frozen=True)
class ReplayModel:
    """A checkpoint prepared for replay.

    ``unit_items`` [n_items, d] unit item embeddings; ``item_xy`` [n_items, 2] their coordinates in the
    shared PCA plane (``pca_mean`` [d], ``pca_axes`` [2, d]: ``xy = (unit(u) - mean) @ axes.T``);
    ``in_ptr``/``in_src``/``in_edge`` the encoder graph's edges grouped by target (CSR), so the
    neighbours of a node are found in O(its degree).
    """

    checkpoint: Checkpoint
    path: str
    catalogue: tuple[str, ...]  # item ids in index order (sorted)
    item_index: dict[str, int]
    first_seen: np.ndarray  # [n_items] unix seconds
    names: tuple[str, ...]
    categories: tuple[str, ...]
    unit_items: torch.Tensor  # [n_items, d]
    pca_mean: np.ndarray  # [d]
    pca_axes: np.ndarray  # [2, d]
    item_xy: np.ndarray  # [n_items, 2]
    in_ptr: np.ndarray  # [n_nodes + 1]
    in_src: np.ndarray  # [E] source node of each edge, grouped by target
    in_edge: np.ndarray  # [E] the edge's position in the checkpoint's graph arrays
    edge_weight: np.ndarray  # [E] (checkpoint order)
    edge_alpha: np.ndarray  # [E] (checkpoint order)
    baselines: dict[str, Recommender]
    trained_until: float
    # the score's part weights: the checkpoint's session mix (a replay step asks right after its event)
    mix: ScoreMix = field(default_factory=ScoreMix)
    evidence: GraphEvidence | None = None  # the graph evidence parts read, when the mix uses any

    @property
    def n_items(self) -> int:
        return len(self.catalogue)

    @property
    def fingerprint(self) -> str:
        return self.checkpoint.fingerprint

    @property
    def device(self) -> torch.device:
        return self.unit_items.device

    def node_label(self, node: int) -> str:
        """Item name (or id) of an item node, the category name of a category node."""
        if node < self.n_items:
            return self.names[node] or self.catalogue[node]
        return self.checkpoint.graph.category_ids[node - self.n_items]

    def in_edges(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        """Sources and edge positions of the edges into ``node``."""
        lo, hi = self.in_ptr[node], self.in_ptr[node + 1]
        return self.in_src[lo:hi], self.in_edge[lo:hi]

    def project(self, states: np.ndarray) -> np.ndarray:
        """States [S, d] -> coordinates [S, 2] in the shared plane (directions only, like the scores)."""
        unit = states / np.maximum(np.linalg.norm(states, axis=1, keepdims=True), 1e-12)
        return ((unit - self.pca_mean) @ self.pca_axes.T).astype(np.float32)


def from_checkpoint(checkpoint: Checkpoint, path: str = "<memory>", seed: int = 0) -> ReplayModel:
    z = checkpoint.item_embeddings.detach()
    unit = torch.nn.functional.normalize(z, dim=-1)
    unit_np = unit.cpu().numpy().astype(np.float64)
    pca = PCA(n_components=2, random_state=seed).fit(unit_np)
    graph = checkpoint.graph
    n_items = len(checkpoint.vocab.items)
    n_nodes = n_items + len(graph.category_ids)
    edge_index = graph.edge_index.cpu().numpy()
    order = np.argsort(edge_index[1], kind="stable")
    in_ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(edge_index[1], minlength=n_nodes)[:n_nodes], out=in_ptr[1:])
    catalogue = tuple(checkpoint.vocab.items)
    mix = ScoreMix.from_state(checkpoint.session_weights)  # a step's list is asked right after its event
    first_seen = checkpoint.item_first_seen
    if first_seen is None or len(first_seen) != n_items:
        first_seen = np.full(n_items, -np.inf)
    return ReplayModel(
        checkpoint=checkpoint,
        path=path,
        catalogue=catalogue,
        item_index={item: i for i, item in enumerate(catalogue)},
        first_seen=np.nan_to_num(np.asarray(first_seen, dtype=np.float64), nan=-np.inf),
        names=checkpoint.item_names or catalogue,
        categories=checkpoint.item_categories or ("",) * n_items,
        unit_items=unit,
        pca_mean=pca.mean_.astype(np.float32),
        pca_axes=pca.components_.astype(np.float32),
        item_xy=((unit_np - pca.mean_) @ pca.components_.T).astype(np.float32),
        in_ptr=in_ptr,
        in_src=edge_index[0][order],
        in_edge=order,
        edge_weight=graph.edge_weight.cpu().numpy(),
        edge_alpha=graph.alpha.cpu().numpy(),
        baselines={
            name: restore(name, checkpoint.baselines[name], catalogue)
            for name in SNAPSHOT_BASELINES
            if name in checkpoint.baselines
        },
        trained_until=float(checkpoint.trained_until),
        mix=mix,
        evidence=(
            GraphEvidence.from_snapshots(checkpoint.baselines, n_items, checkpoint.item_categories)
            if mix.uses_evidence
            else None
        ),
    )


def load_replay_model(path: str | Path, device: str = "auto") -> ReplayModel:
    """Read a checkpoint (plain tensors only, never unpickled) and prepare it for replay."""
    checkpoint = Checkpoint.load(path, resolve_device(device))
    return from_checkpoint(checkpoint, str(path))
