r"""Segments: users clustered by the direction of their state (k-means on unit states).

Scores are cosines, so two users with states pointing the same way get the same lists whatever their
lengths; the states are normalised to unit length before clustering. Without a given ``k``, k is chosen
over ``k_range`` by the mean silhouette

.. math:: s = \frac{1}{n} \sum_i \frac{b_i - a_i}{\max(a_i, b_i)}

(:math:`a_i` the mean distance to the own cluster, :math:`b_i` to the nearest other one), the highest
wins, ties to the smaller k. k-means is fitted on a seeded sample of at most ``fit_sample`` users and the
silhouette on at most ``silhouette_sample``, so choosing k costs the same for 10 thousand and 10 million
users; every user is then assigned to the nearest centre, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from engine.data.errors import DataError


@dataclass(frozen=True)
class SegmentConfig:
    k: int | None = None  # None: chosen by silhouette over k_range
    k_range: tuple[int, int] = (2, 10)  # inclusive bounds of the k search
    fit_sample: int = 20_000  # users k-means is fitted on: enough for stable centres of <= 10 segments
    silhouette_sample: int = 4_000  # silhouette is O(n^2): a sample keeps choosing k to seconds
    n_init: int = 4  # k-means restarts per k; the best inertia is kept
    seed: int = 0


@dataclass(frozen=True)
class Segmentation:
    """Centres [k, d] of the segments in the space of unit states (k-means means, so shorter than 1) and
    the silhouette of every k tried."""

    centres: np.ndarray
    silhouettes: dict[int, float] = field(default_factory=dict)
    chosen_by: str = "given"  # "given", "silhouette" or "too few users"

    @property
    def k(self) -> int:
        return len(self.centres)

    def assign(self, states: np.ndarray) -> np.ndarray:
        """Segment [U] of each state [U, d]: the nearest centre to its unit state, as k-means assigns
        (ties: the lower segment)."""
        if len(states) == 0:
            return np.empty(0, dtype=np.int64)
        points = unit(states)  # [U, d]
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every centre
        distances = (self.centres**2).sum(axis=1)[None, :] - 2.0 * points @ self.centres.T  # [U, k]
        return np.argmin(distances, axis=1).astype(np.int64)


def unit(states: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero state stays zero)."""
    states = np.asarray(states, dtype=np.float64)
    norms = np.linalg.norm(states, axis=1, keepdims=True)
    return np.divide(states, norms, out=np.zeros_like(states), where=norms > 0)


def fit_segments(states: np.ndarray, config: SegmentConfig | None = None) -> Segmentation:
    """Choose k (unless given) and fit k-means on the unit states [U, d] (a sample of them when many)."""
    config = config or SegmentConfig()
    rng = np.random.default_rng(config.seed)
    if len(states) == 0:
        raise DataError("no user states to segment")
    sample = unit(states)
    if len(sample) > config.fit_sample:
        sample = sample[np.sort(rng.choice(len(sample), config.fit_sample, replace=False))]
    distinct = len(np.unique(np.round(sample, 6), axis=0))
    if config.k is not None:
        if config.k < 1:
            raise DataError(f"the number of segments must be at least 1, got {config.k}")
        if config.k > distinct:
            raise DataError(f"{config.k} segments asked for, but only {distinct} users differ in state")
        return Segmentation(_kmeans(sample, config.k, config).cluster_centers_, chosen_by="given")
    lo, hi = config.k_range
    candidates = range(max(lo, 2), min(hi, distinct - 1) + 1)
    if not candidates:  # silhouette needs 2 <= k < distinct points
        return Segmentation(_kmeans(sample, 1, config).cluster_centers_, chosen_by="too few users")
    scored = sample
    if len(scored) > config.silhouette_sample:
        scored = sample[rng.choice(len(sample), config.silhouette_sample, replace=False)]
    silhouettes: dict[int, float] = {}
    fits = {}
    for k in candidates:
        fits[k] = _kmeans(sample, k, config)
        labels = fits[k].predict(scored)
        silhouettes[k] = float(silhouette_score(scored, labels)) if len(set(labels)) > 1 else -1.0
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    return Segmentation(fits[best].cluster_centers_, silhouettes, "silhouette")


def assign_batches(segmentation: Segmentation, batches: Iterable[np.ndarray]) -> np.ndarray:
    """Segments of the states of every batch, concatenated."""
    parts = [segmentation.assign(b) for b in batches]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _kmeans(points: np.ndarray, k: int, config: SegmentConfig) -> KMeans:
    return KMeans(n_clusters=k, n_init=config.n_init, random_state=config.seed).fit(points)
