"""Alignment of an edited user's events (b) with the original ones (a).

``origin_step_b[j]`` is the original step that edited step j aligns to: an original event (kept,
retyped, replaced or moved) aligns to its own step; an inserted event to the last original event
before it in the edited order that is still in its place, i.e. not moved (-1 when there is none); so
an insert without a timestamp aligns to its ``after`` step unless that step was deleted or moved.
Deleted original steps have no counterpart. When
several edited steps align to one original step, the last of them is its counterpart: the original
state after step s is compared with the edited state just before the next original event.
"""

from __future__ import annotations

import numpy as np

from engine.data.errors import DataError

NO_COUNTERPART = -1


def check_origin(origin_step_b: np.ndarray, n_a: int) -> np.ndarray:
    """``origin_step_b`` as int64 ``[n_b]``, DataError if a value is outside -1..n_a-1."""
    origin = np.asarray(origin_step_b, dtype=np.int64).reshape(-1)  # [n_b]
    bad = (origin < -1) | (origin >= n_a)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise DataError(f"origin step {int(origin[j])} of edited step {j} is outside -1..{n_a - 1}")
    return origin


def counterparts(origin_step_b: np.ndarray, n_a: int) -> np.ndarray:
    """For each original step, the edited step aligned to it (the last one), or -1; shape ``[n_a]``."""
    origin = check_origin(origin_step_b, n_a)
    out = np.full(n_a, NO_COUNTERPART, dtype=np.int64)
    aligned = origin >= 0
    np.maximum.at(out, origin[aligned], np.flatnonzero(aligned))  # last = largest edited step
    return out


def first_change(origin_step_b: np.ndarray, unchanged_b: np.ndarray, n_a: int) -> int | None:
    """The first original step whose aligned prefix differs between a and b; None when none does.

    Original step s is unchanged when its counterpart is edited step s itself and edited steps 0..s
    are the original events 0..s untouched (``unchanged_b[j]``: edited step j is its origin's event,
    same item, type and time). A step without a counterpart (deleted) counts as changed.
    """
    origin = check_origin(origin_step_b, n_a)
    unchanged = np.asarray(unchanged_b, dtype=bool).reshape(-1)  # [n_b]
    intact = (origin == np.arange(len(origin))) & unchanged  # [n_b]
    first_break = int(np.argmin(intact)) if not intact.all() else len(intact)
    steps = np.arange(n_a)
    same = (steps < first_break) & (counterparts(origin, n_a) == steps)  # [n_a]
    return None if same.all() else int(np.argmin(same))
