"""RecentEvents: each user's last few events, so co-occurrence links reach across slices."""

from __future__ import annotations

import numpy as np

from engine.graph.columns import factorize, grow_rows


class RecentEvents:
    """Per user, the last ``k`` events (item, time, session id, strength), oldest first.

    :meth:`co_occurrences` pairs each new event with up to ``max_links`` earlier events of its user,
    taking the earlier ones from this history where they came in previous slices, then keeps the last
    ``k`` events of each user for the next slice. Adding events in one slice or many gives the same pairs.
    """

    def __init__(self, k: int) -> None:
        self.k = max(k, 1)
        self.item = np.empty((0, self.k), dtype=np.int64)  # [users, k]
        self.time = np.empty((0, self.k), dtype=np.float64)  # [users, k]
        self.session = np.empty((0, self.k), dtype=object)  # [users, k] session id or None
        self.strength = np.empty((0, self.k), dtype=np.float64)  # [users, k]
        self.length = np.empty(0, dtype=np.int64)  # [users] events held

    def grow(self, n_users: int) -> None:
        """Room for users ``0..n_users-1``."""
        self.item = grow_rows(self.item, n_users, -1)
        self.time = grow_rows(self.time, n_users, 0.0)
        self.session = grow_rows(self.session, n_users, None)
        self.strength = grow_rows(self.strength, n_users, 0.0)
        self.length = grow_rows(self.length, n_users, 0)

    def co_occurrences(
        self,
        user: np.ndarray,
        item: np.ndarray,
        times: np.ndarray,
        session: np.ndarray | None,
        strength: np.ndarray,
        max_links: int,
        window_s: float,
        respect_sessions: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pairs of a time-sorted slice: ``(low item, high item, time, amount)``, each [P].

        An event at ``t`` pairs with each of the ``max_links`` events before it of its user that is a
        different item, at most ``window_s`` earlier and, with ``respect_sessions``, in the same session
        when both have one (``session``: [n] object, None where missing; None for no column). The pair's
        time is the later event's and its amount the mean of the two strengths.
        """
        K = self.k
        slice_users = np.unique(user)
        lens = self.length[slice_users]
        rows = np.repeat(slice_users, lens)
        cols = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        n_carry = len(rows)
        # Each user's carried history then its new events, grouped by user: [M]
        all_user = np.concatenate([rows, user])
        perm = np.lexsort((np.concatenate([cols - K, np.arange(len(user))]), all_user))
        u = all_user[perm]
        it = np.concatenate([self.item[rows, cols], item])[perm]
        t = np.concatenate([self.time[rows, cols], times])[perm]
        st = np.concatenate([self.strength[rows, cols], strength])[perm]
        if session is None:
            session = np.full(len(user), None, dtype=object)
        session_ids = np.concatenate([self.session[rows, cols], session])[perm]  # [M] object
        # Sessions as codes, -1 for none (matches any). Carried events are only compared with new ones,
        # so coding them together with the slice suffices.
        s = factorize(session_ids)[0]  # [M]
        is_new = perm >= n_carry
        M = len(u)

        lows, highs, ts, amounts = [], [], [], []
        for lag in range(1, min(max_links, M - 1) + 1):
            ok = (u[lag:] == u[:-lag]) & is_new[lag:] & (it[lag:] != it[:-lag])
            ok &= t[lag:] - t[:-lag] <= window_s
            if respect_sessions:
                s_cur, s_prev = s[lag:], s[:-lag]
                ok &= (s_cur == s_prev) | (s_cur == -1) | (s_prev == -1)
            a, b = it[:-lag][ok], it[lag:][ok]
            lows.append(np.minimum(a, b))
            highs.append(np.maximum(a, b))
            ts.append(t[lag:][ok])
            amounts.append((st[:-lag][ok] + st[lag:][ok]) / 2)

        if M:
            self._keep_last(u, it, t, session_ids, st)
        if not lows:
            e_i, e_f = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
            return e_i, e_i.copy(), e_f, e_f.copy()
        return np.concatenate(lows), np.concatenate(highs), np.concatenate(ts), np.concatenate(amounts)

    def _keep_last(
        self, u: np.ndarray, it: np.ndarray, t: np.ndarray, session_ids: np.ndarray, st: np.ndarray
    ) -> None:
        """Store the last ``k`` events of each user group in ``u`` (grouped, time-ordered): [M] each."""
        K, M = self.k, len(u)
        ends = np.r_[np.flatnonzero(u[1:] != u[:-1]), M - 1]  # last position of each user
        sizes = np.diff(np.r_[-1, ends])
        group = np.repeat(np.arange(len(ends)), sizes)
        from_end = ends[group] - np.arange(M)
        keep = from_end < K
        kept = np.minimum(sizes, K)
        col = (kept[group] - 1 - from_end)[keep]
        row = u[keep]
        self.item[row, col] = it[keep]
        self.time[row, col] = t[keep]
        self.session[row, col] = session_ids[keep]
        self.strength[row, col] = st[keep]
        self.length[u[ends]] = kept
