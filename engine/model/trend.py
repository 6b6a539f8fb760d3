"""Item trend: each item's recent activity, decayed, read at any time from past events only.

The level of item i at time s is its interest-graph node strength with decay, on a log scale:

    lambda_i(s) = log(1 + sum_{e on i, t_e < s} 2^{-(s - t_e) / h})

Training reads it at bucket starts (``boundaries``), so a prediction at time tau sees only events
before the start of tau's bucket: no look-ahead. Scoring reads it at the end of the observed events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BUCKETS = 100  # trend snapshots over the training span: ~2 days apart on MovieLens' 7 months


@dataclass(frozen=True)
class ItemTrend:
    """``levels[b]`` = lambda(boundaries[b]) for every item, shape [B, n_items] float32."""

    boundaries: np.ndarray  # [B] seconds, increasing
    levels: np.ndarray  # [B, n_items]
    half_life_s: float

    @classmethod
    def from_events(
        cls,
        items: np.ndarray,
        seconds: np.ndarray,
        n_items: int,
        half_life_s: float,
        boundaries: np.ndarray,
    ) -> ItemTrend:
        """Levels at each boundary from events (item rows [n], times [n]); events need not be sorted."""
        order = np.argsort(seconds, kind="stable")
        items, seconds = items[order], seconds[order]
        levels = np.zeros((len(boundaries), n_items), dtype=np.float32)
        decayed = np.zeros(n_items, dtype=np.float64)
        previous, start = -np.inf, 0
        for b, boundary in enumerate(boundaries):
            if np.isfinite(previous):
                decayed *= 2.0 ** (-(boundary - previous) / half_life_s)
            end = int(np.searchsorted(seconds, boundary, side="left"))  # events strictly before
            if end > start:
                weights = 2.0 ** (-(boundary - seconds[start:end]) / half_life_s)
                decayed += np.bincount(items[start:end], weights=weights, minlength=n_items)
            levels[b] = np.log1p(decayed)
            previous, start = boundary, end
        return cls(np.asarray(boundaries, dtype=np.float64), levels, float(half_life_s))

    @classmethod
    def over_span(
        cls,
        items: np.ndarray,
        seconds: np.ndarray,
        n_items: int,
        half_life_share: float,
        buckets: int = BUCKETS,
    ) -> ItemTrend:
        """Snapshots at ``buckets`` even times over the events' span plus one just after the last event;
        the half-life is ``half_life_share`` of the span (at least an hour)."""
        if not len(seconds):
            return cls(np.zeros(1), np.zeros((1, n_items), dtype=np.float32), 3600.0)
        first, last = float(seconds.min()), float(seconds.max())
        half_life = max((last - first) * half_life_share, 3600.0)
        boundaries = np.r_[np.linspace(first, last, buckets, endpoint=False), last + 1.0]
        return cls.from_events(items, seconds, n_items, half_life, boundaries)

    def bucket_of(self, seconds: np.ndarray) -> np.ndarray:
        """The snapshot a prediction made at ``seconds`` may use: the last boundary at or before it.

        Times must not precede the first boundary (``over_span`` starts at the first event, whose
        snapshot is empty)."""
        return np.clip(
            np.searchsorted(self.boundaries, seconds, side="right") - 1, 0, len(self.boundaries) - 1
        )

    @property
    def latest(self) -> np.ndarray:
        """Levels after every event, shape [n_items]: what scoring "now" uses."""
        return self.levels[-1]
