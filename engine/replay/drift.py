"""How far a user's state moves: per-step cosine drift and change points of the state sequence."""

from __future__ import annotations

import numpy as np
import ruptures


def unit(states: np.ndarray) -> np.ndarray:
    return states / np.maximum(np.linalg.norm(states, axis=1, keepdims=True), 1e-12)


def drift(states: np.ndarray, ema_rate: float) -> dict[str, np.ndarray]:
    r"""Cosine distances of each state :math:`u_t` to the previous state, the first state, and to an
    exponential moving average of the past states :math:`m_{t} = \rho m_{t-1} + (1-\rho) \hat u_t`
    (:math:`m_0 = \hat u_0`, ``ema_rate`` = :math:`\rho`); NaN at step 0 where there is no past.

    Shapes: states [L, d] -> three arrays [L].
    """
    u = unit(states.astype(np.float64))
    L = len(u)
    prev = np.full(L, np.nan)
    ema = np.full(L, np.nan)
    start = 1.0 - u @ u[0] if L else np.zeros(0)
    if L > 1:
        prev[1:] = 1.0 - np.einsum("ld,ld->l", u[1:], u[:-1])
    mean = u[0].copy() if L else None
    for t in range(1, L):
        assert mean is not None
        ema[t] = 1.0 - float(u[t] @ mean) / max(float(np.linalg.norm(mean)), 1e-12)
        mean = ema_rate * mean + (1.0 - ema_rate) * u[t]
    if L:
        start[0] = np.nan
    return {"drift_prev": prev, "drift_start": start, "drift_ema": ema}


def changepoints(states: np.ndarray, penalty: float, min_size: int) -> np.ndarray:
    """Steps where a new segment of the unit state sequence starts (Pelt with a linear kernel, i.e. an
    l2 cost on the states, via ``ruptures.KernelCPD``); empty when the sequence is too short.

    Shapes: states [L, d] -> sorted step indices [C] int64 (never 0).
    """
    L = len(states)
    if len(states) < 2 * min_size:
        return np.zeros(0, dtype=np.int64)
    algo = ruptures.KernelCPD(kernel="linear", min_size=min_size, jump=1).fit(unit(states.astype(np.float64)))
    ends = algo.predict(pen=penalty)  # segment ends, exclusive; the last is L
    return np.array([end for end in ends if end < L], dtype=np.int64)
