"""Events grouped into per-user, time-ordered sequences, and length-bucketed padded batches of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.model.memory import event_type_codes


@dataclass(frozen=True)
class SequenceBatch:
    """Padded sequences of B users (right padding; ``lengths`` valid positions each).

    ``items`` [B, L] rows of the item-embedding table, ``types`` [B, L] event-type codes, ``times`` [B, L]
    float32 seconds relative to the batch's earliest event, ``repeat`` [B, L] whether the user had
    already touched the item earlier, ``lengths`` [B], ``rows`` [B, L] each position's event row in the
    UserSequences arrays (0 at padding).
    """

    items: Tensor
    types: Tensor
    times: Tensor
    repeat: Tensor
    lengths: Tensor
    rows: Tensor

    def to(self, device: torch.device | str) -> SequenceBatch:
        return SequenceBatch(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class UserSequences:
    """All events grouped by user, each user's events in time order (ties in file order).

    ``users`` [U] ids (first-appearance order); user ``u``'s events are rows
    ``offsets[u]:offsets[u+1]`` of ``items`` / ``types`` / ``seconds`` / ``repeat`` (all [n_events]).
    """

    users: np.ndarray
    offsets: np.ndarray
    items: np.ndarray
    types: np.ndarray
    seconds: np.ndarray
    repeat: np.ndarray

    @classmethod
    def from_events(
        cls, events: pd.DataFrame, seconds: np.ndarray, item_rows: dict[str, int]
    ) -> UserSequences:
        """Group time-sorted ``events``; items missing from ``item_rows`` are dropped (no embedding)."""
        codes = events["item_id"].map(item_rows)
        known = codes.notna().to_numpy()
        user_codes, users = pd.factorize(events["user_id"].to_numpy()[known])
        order = np.argsort(user_codes, kind="stable")  # stable: keeps time order inside a user
        items = codes.to_numpy()[known].astype(np.int64)[order]
        types = event_type_codes(events["event_type"].to_numpy()[known])[order]
        counts = np.bincount(user_codes, minlength=len(users))
        offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
        sorted_users = user_codes[order]
        # an event repeats when the same (user, item) pair occurred earlier
        repeat = pd.DataFrame({"u": sorted_users, "i": items}).duplicated().to_numpy()
        return cls(np.asarray(users, dtype=object), offsets, items, types, seconds[known][order], repeat)

    def __len__(self) -> int:
        return len(self.users)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def batch(self, rows: Sequence[int] | np.ndarray, origin: float | None = None) -> SequenceBatch:
        """Pad the sequences of users ``rows`` into one batch; times relative to ``origin`` seconds
        (default: the batch's earliest event; float32 keeps ~1 s resolution over half a year)."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        _B, L = len(rows), max(int(lengths.max(initial=0)), 1)
        positions = np.arange(L)
        valid = positions[None, :] < lengths[:, None]  # [B, L]
        source = np.where(valid, self.offsets[rows][:, None] + positions[None, :], 0)  # [B, L]
        items = np.where(valid, self.items[source], 0)
        types = np.where(valid, self.types[source], 0)
        seconds = np.where(valid, self.seconds[source], np.inf)
        base = origin if origin is not None else (seconds.min() if valid.any() else 0.0)
        times = np.where(valid, seconds - base, 0.0)
        # pad times with each row's last time so padded gaps are 0 (they are masked anyway)
        last = np.take_along_axis(times, np.maximum(lengths - 1, 0)[:, None], axis=1)
        times = np.where(valid, times, last)
        repeat = np.where(valid, self.repeat[source], False)
        return SequenceBatch(
            torch.from_numpy(items),
            torch.from_numpy(types),
            torch.from_numpy(times.astype(np.float32)),
            torch.from_numpy(repeat),
            torch.from_numpy(lengths.astype(np.int64)),
            torch.from_numpy(source.astype(np.int64)),
        )


def length_batches(
    lengths: np.ndarray, tokens_per_batch: int, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Split users into batches of similar length with about ``tokens_per_batch`` padded positions each.

    Users are sorted by length (randomly within equal lengths when ``rng`` is given) so padding stays
    small; the batch order is shuffled by ``rng``. Users without events are left out.
    """
    users = np.flatnonzero(lengths > 0)
    tiebreak = rng.random(len(users)) if rng is not None else np.arange(len(users))
    users = users[np.lexsort((tiebreak, lengths[users]))]
    batches: list[np.ndarray] = []
    start = 0
    while start < len(users):
        end = start + 1
        # batch width is the longest (last) user's length, since users are sorted ascending
        while end < len(users) and (end + 1 - start) * lengths[users[end]] <= tokens_per_batch:
            end += 1
        batches.append(users[start:end])
        start = end
    if rng is not None:
        rng.shuffle(batches)
    return batches
