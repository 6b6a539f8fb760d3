r"""Percentile bootstrap confidence intervals of per-user means.

Users are resampled with replacement B times; each replicate's mean of every metric is taken over the
same resampled users, and the interval is the (alpha/2, 1 - alpha/2) quantile of the replicate means.

.. math:: \bar m^{(b)} = \frac{\sum_u w^{(b)}_u m_u}{\sum_u w^{(b)}_u}, \quad
          w^{(b)} \sim \mathrm{Multinomial}(N, \tfrac{1}{N}\mathbf{1}), \quad
          \mathrm{CI}_{95} = [q_{0.025}(\bar m^{(b)}), q_{0.975}(\bar m^{(b)})]

Replicates are drawn as counts and applied as one matrix product, so 1,000 replicates of 100k users cost
a few hundred MB at most (in blocks). A fixed seed draws the same resamples for every model, so intervals
of two models on the same users are comparable (paired). NaN values (undefined for a user) are left out
of that replicate's mean.

Per-event metrics of the ``stream`` protocol are resampled by user too (a cluster bootstrap: a user's
events are not independent): :func:`bootstrap_ratios` gives the replicate means of an event average as
:math:`\sum_u w^{(b)}_u S_u / \sum_u w^{(b)}_u n_u` from per-user sums :math:`S_u` over :math:`n_u`
events, on the same draws as :func:`bootstrap_means` with the same seed.
"""

from __future__ import annotations

import numpy as np

DEFAULT_REPLICATES = 1000
BLOCK_CELLS = 20_000_000  # replicate-weight cells per block (160 MB float64)


def bootstrap_means(values: np.ndarray, replicates: int = DEFAULT_REPLICATES, seed: int = 0) -> np.ndarray:
    """Replicate means, shape [n_metrics, replicates], of ``values`` [n_metrics, n_users] (or [n_users])."""
    matrix = np.atleast_2d(np.asarray(values, dtype=np.float64))
    valid = np.isfinite(matrix)
    return bootstrap_ratios(np.where(valid, matrix, 0.0), valid.astype(np.float64), replicates, seed)


def bootstrap_ratios(
    sums: np.ndarray, counts: np.ndarray, replicates: int = DEFAULT_REPLICATES, seed: int = 0
) -> np.ndarray:
    """Replicate ratios ``sum_u w_u sums_u / sum_u w_u counts_u``, [n_metrics, replicates], over users
    resampled with replacement; ``sums`` and ``counts`` are [n_metrics, n_users] (or [n_users])."""
    filled = np.atleast_2d(np.asarray(sums, dtype=np.float64))
    counts = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    n_users = filled.shape[1]
    out = np.full((filled.shape[0], replicates), np.nan)
    if n_users == 0 or replicates == 0:
        return out
    rng = np.random.default_rng(seed)
    block = max(1, BLOCK_CELLS // n_users)
    for start in range(0, replicates, block):
        size = min(block, replicates - start)
        draws = rng.integers(0, n_users, size=(size, n_users))
        flat = (np.arange(size)[:, None] * n_users + draws).ravel()
        weights = np.bincount(flat, minlength=size * n_users).reshape(size, n_users).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, start : start + size] = (filled @ weights.T) / (counts @ weights.T)
    return out


def bootstrap_ci(
    values: np.ndarray, replicates: int = DEFAULT_REPLICATES, level: float = 0.95, seed: int = 0
) -> np.ndarray:
    """``[n_metrics, 2]`` lower and upper bounds of the ``level`` percentile interval of the mean."""
    return percentile_interval(bootstrap_means(values, replicates, seed), level)


def percentile_interval(means: np.ndarray, level: float = 0.95) -> np.ndarray:
    """``[n_metrics, 2]`` bounds of the ``level`` percentile interval of replicate ``means`` [n_metrics, B].

    Replicates of a paired difference (one model's replicate means minus another's, over the same
    resamples) give the paired interval of that difference.
    """
    means = np.atleast_2d(means)
    alpha = (1.0 - level) / 2.0
    bounds = np.full((means.shape[0], 2), np.nan)
    defined = ~np.isnan(means).all(axis=1)
    if defined.any():
        bounds[defined] = np.nanquantile(means[defined], [alpha, 1.0 - alpha], axis=1).T
    return bounds
