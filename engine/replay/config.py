"""Typed settings of a replay trace."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

DAY = 86_400.0


@dataclass(frozen=True)
class ReplayConfig:
    """How a trace is computed; recorded in the trace's meta so a trace says how it was made."""

    k: int = 20  # list length: the headline cut-off of the evaluation
    ema_rate: float = 0.9  # drift_ema compares a state to an EMA of past states with this rate
    # Change points: Pelt on the unit state sequence with an l2 cost; the penalty per change point was
    # chosen on generated data with planted drifts (seeds 11-15, not the benchmark's), see
    # benchmarks/changepoints.py. Larger = fewer points.
    changepoint_penalty: float = 1.5
    changepoint_min_size: int = 5  # events between two change points at least: one event is no drift
    interest_half_life_s: float = 14 * DAY  # decay of the per-category interest (the graph's default)
    neighbours: int = 4  # strongest encoder-graph neighbours shown per touched item
    chunk: int = 256  # steps ranked at once: bounds memory at chunk x catalogue floats per model
    seed: int = 0  # recorded: same model, data, user and seed give the same trace

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        if not 0.0 <= self.ema_rate < 1.0:
            raise ValueError(f"ema_rate must be in [0, 1), got {self.ema_rate}")
        if self.changepoint_penalty <= 0 or self.changepoint_min_size < 1:
            raise ValueError("changepoint_penalty must be positive and changepoint_min_size >= 1")
        if self.interest_half_life_s <= 0 or self.neighbours < 0 or self.chunk < 1:
            raise ValueError("interest_half_life_s and chunk must be positive, neighbours >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
