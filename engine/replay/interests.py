"""A user's interest per category over a replay: decayed, type-weighted event counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.graph import GraphConfig
from engine.replay.trace import NO_CATEGORY


def event_strengths(event_types: pd.Series, config: GraphConfig) -> np.ndarray:
    """Each event's strength as the interest graph weighs it (purchase > cart > like > view)."""
    return np.array(
        [config.strengths.get(str(t), config.default_strength) for t in event_types], dtype=np.float64
    )


def decayed_strengths(
    keys: np.ndarray, strengths: np.ndarray, seconds: np.ndarray, half_life_s: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Strength of each key after each step:
    :math:`s_c(t) = \sum_{j \le t,\, key_j = c} w_j\, 2^{-(\tau_t - \tau_j)/h}`.

    Shapes: keys, strengths, seconds [L] -> (distinct keys [C] in first-seen order, strengths [L, C]).
    """
    distinct, codes = np.unique(keys, return_inverse=True)
    first = np.array([np.flatnonzero(codes == c)[0] for c in range(len(distinct))], dtype=np.int64)
    order = np.argsort(first, kind="stable")  # columns in first-seen order
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    codes = remap[codes]
    out = np.zeros((len(keys), len(distinct)))
    level = np.zeros(len(distinct))
    for t in range(len(keys)):
        if t:
            level *= 2.0 ** (-(seconds[t] - seconds[t - 1]) / half_life_s)
        level[codes[t]] += strengths[t]
        out[t] = level
    return distinct[order], out


def interest_table(
    categories: pd.Series,
    event_types: pd.Series,
    seconds: np.ndarray,
    config: GraphConfig,
    half_life_s: float,
) -> pd.DataFrame:
    """Tidy ``step, category, strength, share`` for every category touched up to each step."""
    keys = categories.fillna(NO_CATEGORY).astype(str).to_numpy()
    names, levels = decayed_strengths(keys, event_strengths(event_types, config), seconds, half_life_s)
    L, C = levels.shape
    total = levels.sum(1, keepdims=True)
    share = levels / np.maximum(total, 1e-300)
    table = pd.DataFrame(
        {
            "step": np.repeat(np.arange(L), C),
            "category": np.tile(names, L),
            "strength": levels.ravel(),
            "share": share.ravel(),
        }
    )
    touched = np.repeat(np.arange(L), C) >= np.tile(_first_steps(keys, names), L)
    return table[touched].reset_index(drop=True)


def _first_steps(keys: np.ndarray, names: np.ndarray) -> np.ndarray:
    first: dict[str, int] = {}
    for t, key in enumerate(keys):
        first.setdefault(key, t)
    return np.array([first[name] for name in names], dtype=np.int64)
