"""KeyedStore: int64 key -> (weight, last-update time) with lazy exponential decay, all in numpy arrays.

Keys live in growable arrays (one slot per key); lookups binary-search two sorted copies of the keys
(``np.searchsorted``): a large main index and a small one of recent keys, merged into the main one
when it grows past an eighth of it. Inserting m keys costs O(m log m + recent) memory moves, merging
O(E), amortised O(log E) per key; no Python object is kept per key.
"""

from __future__ import annotations

import numpy as np

# Merge the recent-keys index into the main one once it holds this many keys plus an eighth of the main
# one: inserts then move O(E / 8) memory at most, and merges (O(E)) are rare.
_RECENT_MIN = 4096
_RECENT_SHARE = 8


_LOW32 = np.int64(0xFFFFFFFF)


def pair_keys(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Two non-negative int32-range index arrays packed into one int64 key each."""
    return (np.asarray(high, dtype=np.int64) << 32) | np.asarray(low, dtype=np.int64)


def split_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`pair_keys`."""
    return keys >> 32, keys & _LOW32


def decay_factor(age_s: np.ndarray | float, half_life_s: float) -> np.ndarray:
    """``2 ** (-age / half_life)``; a negative age (reading before the last update) counts as 0."""
    return np.exp2(-np.maximum(np.asarray(age_s, dtype=np.float64), 0.0) / half_life_s)


def _merge(
    sorted_keys: np.ndarray, sorted_slots: np.ndarray, keys: np.ndarray, slots: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A sorted index with (absent) ``keys`` added: O(len(index) + m log m)."""
    order = np.argsort(keys)
    keys, slots = np.asarray(keys, dtype=np.int64)[order], slots[order]
    pos = np.searchsorted(sorted_keys, keys)
    return np.insert(sorted_keys, pos, keys), np.insert(sorted_slots, pos, slots)


class KeyedStore:
    """Decaying weights under int64 keys. Slots ``0..size-1`` are live; removal compacts them."""

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self.keys = np.empty(capacity, dtype=np.int64)
        self.weight = np.empty(capacity, dtype=np.float64)  # weight at ``time``
        self.time = np.empty(capacity, dtype=np.float64)  # last update, unix seconds
        empty = np.empty(0, dtype=np.int64)
        self._main_keys, self._main_slots = empty, empty  # sorted keys, their slots
        self._recent_keys, self._recent_slots = empty, empty

    def __len__(self) -> int:
        return self.size

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Slot of each key, -1 where absent: [n] int64."""
        keys = np.asarray(keys, dtype=np.int64)
        slots = np.full(len(keys), -1, dtype=np.int64)
        for sorted_keys, sorted_slots in (
            (self._main_keys, self._main_slots),
            (self._recent_keys, self._recent_slots),
        ):
            if len(sorted_keys):
                pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
                hit = sorted_keys[pos] == keys
                slots[hit] = sorted_slots[pos[hit]]
        return slots

    def slots_between(self, low: int, high: int) -> np.ndarray:
        """Slots of the keys ``low <= key < high``, in key order: O(log E + found)."""
        found = []
        for sorted_keys, sorted_slots in (
            (self._main_keys, self._main_slots),
            (self._recent_keys, self._recent_slots),
        ):
            a, b = np.searchsorted(sorted_keys, [low, high])
            found.append(sorted_slots[a:b])
        slots = np.concatenate(found)
        return slots[np.argsort(self.keys[slots])]

    def insert(self, keys: np.ndarray, weight: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Append new (absent, unique) keys; returns their slots."""
        n = len(keys)
        self._grow(self.size + n)
        slots = np.arange(self.size, self.size + n, dtype=np.int64)
        self.keys[slots] = keys
        self.weight[slots] = weight
        self.time[slots] = time
        self.size += n
        self._recent_keys, self._recent_slots = _merge(self._recent_keys, self._recent_slots, keys, slots)
        if len(self._recent_keys) > _RECENT_MIN + len(self._main_keys) // _RECENT_SHARE:
            self._main_keys, self._main_slots = _merge(
                self._main_keys, self._main_slots, self._recent_keys, self._recent_slots
            )
            self._recent_keys = self._recent_slots = np.empty(0, dtype=np.int64)
        return slots

    def accumulate(
        self, keys: np.ndarray, times: np.ndarray, amounts: np.ndarray, half_life_s: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Add ``amounts`` at ``times`` to the (possibly repeated) ``keys``, decaying exactly as if the
        additions were applied one by one in time order: ``w <- w * 2^(-(t - t0)/T) + amount``.

        Returns ``(unique_keys, slots, existed)``: each distinct key once, its slot, and whether it was
        in the store before this call. Times must not precede a key's last update.
        """
        keys = np.asarray(keys, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        order = np.argsort(keys, kind="stable")
        k_sorted = keys[order]
        starts = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]]) if len(keys) else np.empty(0, int)
        unique_keys = k_sorted[starts]
        t_sorted = times[order]
        last_t = np.maximum.reduceat(t_sorted, starts) if len(keys) else np.empty(0)
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(keys)]))
        # Each addition decayed to the group's last time, then summed: the sequential result.
        decayed = np.asarray(amounts, dtype=np.float64)[order] * decay_factor(
            last_t[group] - t_sorted, half_life_s
        )
        total = np.add.reduceat(decayed, starts) if len(keys) else np.empty(0)

        slots = self.lookup(unique_keys)
        existed = slots >= 0
        old = slots[existed]
        self.weight[old] = (
            self.weight[old] * decay_factor(last_t[existed] - self.time[old], half_life_s) + total[existed]
        )
        self.time[old] = np.maximum(self.time[old], last_t[existed])
        slots[~existed] = self.insert(unique_keys[~existed], total[~existed], last_t[~existed])
        return unique_keys, slots, existed

    def decayed(self, now: float, half_life_s: float) -> np.ndarray:
        """Every live weight decayed to ``now``: [size] float64."""
        n = self.size
        return self.weight[:n] * decay_factor(now - self.time[:n], half_life_s)

    def remove(self, mask: np.ndarray) -> np.ndarray:
        """Drop the slots where ``mask`` ([size] bool) is true; returns their keys. Slots are renumbered."""
        keep = ~np.asarray(mask, dtype=bool)
        removed = self.keys[: self.size][~keep].copy()
        if len(removed):
            n_keep = int(keep.sum())
            for arr in (self.keys, self.weight, self.time):
                arr[:n_keep] = arr[: self.size][keep]
            self.size = n_keep
            self._rebuild_index()
        return removed

    def _rebuild_index(self) -> None:
        live = self.keys[: self.size]
        order = np.argsort(live)
        self._main_keys, self._main_slots = live[order], order.astype(np.int64)
        self._recent_keys = self._recent_slots = np.empty(0, dtype=np.int64)

    def _grow(self, needed: int) -> None:
        if needed <= len(self.keys):
            return
        capacity = max(needed, 2 * len(self.keys))
        for name in ("keys", "weight", "time"):
            old = getattr(self, name)
            new = np.empty(capacity, dtype=old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)
