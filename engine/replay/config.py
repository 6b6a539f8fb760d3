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
    # Change points: Pelt on the unit state sequence with an l2 cost. Larger penalty = fewer points.
    # benchmarks/changepoints.py (results/changepoints.md), generated data with planted drift, tuning
    # seeds 11-15 (1,500 users): detections within +-10 events of a planted drift score best at 10,
    # P 0.69 / R 0.53 / F1 0.60 (7-12 all within 0.02), where the earlier guess 1.5 had F1 0.24 (P 0.14,
    # chance level) and a threshold on drift_prev at best 0.29; held out once: seed 21 F1 0.62, seed 7
    # 0.65, and 0.81 on seed 7 with the demo's fully trained model.
    changepoint_penalty: float = 10.0
    # events between two change points at least: one event is no drift. Checked at penalty 10: min_size
    # 3/5/10/20 give F1 0.60/0.60/0.60/0.61; a longer minimum only hides the changes of short timelines
    changepoint_min_size: int = 5
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
