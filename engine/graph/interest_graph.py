"""InterestGraph: items and categories linked by decaying co-occurrence, built incrementally from events."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.graph.columns import IdMap, column_values, event_seconds, factorize, grow_rows, last_per_code
from engine.graph.config import GraphConfig
from engine.graph.delta import CO, IN, EdgeArrays, GraphDelta
from engine.graph.history import RecentEvents
from engine.graph.store import KeyedStore, decay_factor, pair_keys, split_keys

if TYPE_CHECKING:
    from torch_geometric.data import Data, HeteroData

# Anything accepted as a point in time: unix seconds, a timestamp, or None for "the latest event".
TimeLike = float | int | pd.Timestamp | None
IdList = list[str] | np.ndarray | pd.Index


class InterestGraph:
    """The interest graph: nodes are items and categories; edges are item-item co-occurrence within a
    user's session / time window, and item -> category membership.

    Co-occurrence weights grow with event strength and decay lazily with time: each edge stores its
    weight ``w`` at its last update ``t0``, and a read at ``now`` sees

    .. math::
        w(\\text{now}) = w(t_0) \\cdot 2^{-(\\text{now} - t_0) / T_{1/2}}

    A co-occurrence of events with strengths ``s_prev``, ``s_cur`` at ``t`` sets
    ``w <- w(t) + (s_prev + s_cur) / 2, t0 <- t``. Edges whose decayed weight falls under
    ``config.prune_threshold`` are removed by :meth:`prune` (also run automatically every
    ``config.prune_every_s`` of data time) and reported in the returned :class:`GraphDelta`; reads
    (:meth:`edges`, exports) leave out edges under the threshold even before a prune.

    The graph also keeps, per user, the decayed sum of event strengths on each item they touched
    (:meth:`user_items`), and the user's last ``max_links`` events so the next slice links to them.

    Example::

        g = InterestGraph(GraphConfig())
        delta = g.add_events(timeline.events)        # or repeatedly, with later slices
        data = g.to_pyg(item_ids=catalogue)          # torch_geometric.data.Data
        view = g.user_subgraph("u1", top_neighbours=10)
    """

    def __init__(self, config: GraphConfig | None = None) -> None:
        self.config = config or GraphConfig()
        self._items = IdMap()
        self._categories = IdMap()
        self._users = IdMap()
        self._item_category = np.empty(0, dtype=np.int64)  # [items] category index, -1 none
        self._item_label = np.empty(0, dtype=object)  # [items] name or None
        self._recent = RecentEvents(self.config.max_links)  # each user's last events, for linking
        self._edges = KeyedStore()  # key (low item << 32 | high item) -> co-occurrence weight
        self._user_items = KeyedStore()  # key (user << 32 | item) -> interest weight
        self._latest = math.nan
        self._last_prune = math.nan

    # ---- building -------------------------------------------------------------------------------------
    def add_events(self, frame: pd.DataFrame) -> GraphDelta:
        """Add a time-sorted slice of events (columns ``user_id``, ``item_id``, ``timestamp``,
        ``event_type``; optional ``category``, ``session_id``, ``item_name``), later than (or at) every
        event added before. Returns what changed (edges added / reinforced / removed, new nodes).

        Adding a frame in one call or in consecutive slices gives the same graph (up to float rounding)
        as long as no prune runs in between.
        """
        if len(frame) == 0:
            return GraphDelta(time=self._latest)
        cfg = self.config
        times = event_seconds(frame["timestamp"])
        if np.any(np.diff(times) < 0):
            order = np.argsort(times, kind="stable")  # ties keep frame order
            frame, times = frame.iloc[order], times[order]
        if times[0] < self._latest:
            raise ValueError(
                f"events must be added in time order: slice starts at {times[0]}, graph is at {self._latest}"
            )

        user_codes, user_uniques = factorize(column_values(frame, "user_id"))
        users, _ = self._users.add(user_uniques)
        item_codes, item_uniques = factorize(column_values(frame, "item_id"))
        items, new_items = self._items.add(item_uniques)
        self._grow_nodes()
        user = users[user_codes]  # [n]
        item = items[item_codes]  # [n]
        strength = self._strengths(column_values(frame, "event_type"))  # [n]
        session = column_values(frame, "session_id") if cfg.respect_sessions else None  # [n] str or None

        names = column_values(frame, "item_name")
        if names is not None:
            codes, last_names = last_per_code(item_codes, names)
            self._item_label[items[codes]] = last_names
        removed_in, added_in, new_categories = self._update_categories(
            column_values(frame, "category"), item_codes, items
        )

        user_keys = pair_keys(user, item)
        self._user_items.accumulate(user_keys, times, strength, cfg.half_life_s)
        low, high, t_pair, amount = self._recent.co_occurrences(
            user, item, times, session, strength, cfg.max_links, cfg.window_s, cfg.respect_sessions
        )
        keys, slots, existed = self._edges.accumulate(pair_keys(low, high), t_pair, amount, cfg.half_life_s)
        self._latest = float(times[-1])

        weights = self._edges.weight[slots]
        added = [self._co_frame(keys[~existed], weights[~existed]), added_in]
        reinforced = self._co_frame(keys[existed], weights[existed])
        removed = [removed_in]
        if math.isnan(self._last_prune):
            self._last_prune = float(times[0])
        if cfg.prune_every_s is not None and self._latest - self._last_prune >= cfg.prune_every_s:
            removed.append(self.prune().removed_edges)
        return GraphDelta(
            added_edges=EdgeArrays.concat(added),
            reinforced_edges=reinforced,
            removed_edges=EdgeArrays.concat(removed),
            new_items=new_items,
            new_categories=new_categories,
            time=self._latest,
        )

    def prune(self, now: TimeLike = None) -> GraphDelta:
        """Remove the co-occurrence edges whose weight decayed to ``now`` (default: latest event time)
        is under ``config.prune_threshold``; the delta lists them in ``removed``."""
        t = self._resolve_time(now)
        self._last_prune = t
        if not len(self._edges) or math.isnan(t):
            return GraphDelta(time=self._latest)
        weight = self._edges.decayed(t, self.config.half_life_s)
        dead = weight < self.config.prune_threshold
        keys = self._edges.remove(dead)
        return GraphDelta(removed_edges=self._co_frame(keys, weight[dead]), time=self._latest)

    # ---- reading --------------------------------------------------------------------------------------
    @property
    def num_items(self) -> int:
        return self._items.size

    @property
    def num_categories(self) -> int:
        return self._categories.size

    @property
    def num_users(self) -> int:
        return self._users.size

    @property
    def num_edges(self) -> int:
        """Stored item-item co-occurrence edges (each undirected edge once; pruning removes them)."""
        return len(self._edges)

    @property
    def item_ids(self) -> list[str]:
        """Item ids in graph index order (order of first appearance)."""
        return self._items.ids().tolist()

    @property
    def category_ids(self) -> list[str]:
        """Category ids in graph index order (order of first appearance)."""
        return self._categories.ids().tolist()

    @property
    def latest_time(self) -> float:
        """Time of the latest event added, unix seconds (NaN before any)."""
        return self._latest

    def item_index(self, item_ids: IdList) -> np.ndarray:
        """Graph index of each item id, -1 for ids the graph has not seen: [n] int64."""
        get = self._items.index.get
        ids = [str(v) for v in item_ids]
        return np.fromiter((get(v, -1) for v in ids), np.int64, len(ids))

    def item_category_index(self) -> np.ndarray:
        """Category index of each item in graph order, -1 where none: [num_items] int64."""
        return self._item_category[: self.num_items].copy()

    def item_categories(self) -> dict[str, str]:
        """Item id -> its category id (latest non-missing one seen), for items that have one."""
        cats = self._item_category[: self.num_items]
        has = np.flatnonzero(cats >= 0)
        return dict(
            zip(self._items.ids()[has].tolist(), self._categories.ids()[cats[has]].tolist(), strict=True)
        )

    def item_labels(self, item_ids: IdList | None = None) -> dict[str, str]:
        """Item id -> display label (latest ``item_name`` seen, else the id), for all items or the given
        known ones."""
        if item_ids is None:
            ids, labels = self._items.ids(), self._item_label[: self.num_items]
        else:
            idx = self.item_index(item_ids)
            idx = idx[idx >= 0]
            ids, labels = self._items.ids()[idx], self._item_label[idx]
        return {
            i: (lab if lab is not None else i) for i, lab in zip(ids.tolist(), labels.tolist(), strict=True)
        }

    def co_edge_arrays(
        self, now: TimeLike = None, touching: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Co-occurrence edges at or above the threshold at ``now``, each once: ``(low, high, weight)``
        with graph item indices ``low < high`` ([E] int64) and decayed weights ([E] float64). With
        ``touching`` (graph item indices), only the edges with an end among them."""
        t = self._resolve_time(now)
        n = len(self._edges)
        if n == 0 or math.isnan(t):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), np.empty(0, dtype=np.float64)
        low, high = split_keys(self._edges.keys[:n])
        weight, time = self._edges.weight[:n], self._edges.time[:n]
        if touching is not None:
            mark = np.zeros(self.num_items, dtype=bool)  # [items]: a gather beats np.isin on big E
            mark[touching[touching >= 0]] = True
            near = mark[low] | mark[high]
            low, high, weight, time = low[near], high[near], weight[near], time[near]
        weight = weight * decay_factor(t - time, self.config.half_life_s)
        alive = weight >= self.config.prune_threshold
        return low[alive], high[alive], weight[alive]

    def edges(self, now: TimeLike = None, include_categories: bool = True) -> pd.DataFrame:
        """All edges as a frame (``source``, ``target``, ``kind``, ``weight`` decayed to ``now``), each
        co-occurrence edge once; edges decayed under the prune threshold are left out."""
        low, high, weight = self.co_edge_arrays(now)
        ids = self._items.ids()
        parts = [EdgeArrays.of(ids[low], ids[high], CO, weight)]
        if include_categories:
            parts.append(self._membership_frame(np.arange(self.num_items)))
        return EdgeArrays.concat(parts).frame()

    def neighbours(self, item_id: str, k: int = 10, now: TimeLike = None) -> pd.DataFrame:
        """The ``k`` strongest co-occurrence neighbours of one item: columns ``item_id``, ``weight``."""
        idx = self._items.index.get(str(item_id), -1)
        low, high, weight = self.co_edge_arrays(now, touching=np.array([idx]))
        other = np.where(low == idx, high, low)
        order = np.lexsort((other, -weight))[:k]
        return pd.DataFrame(
            {
                "item_id": pd.Series(self._items.ids()[other[order]], dtype="str"),
                "weight": weight[order],
            }
        )

    def user_items(self, user_id: str, now: TimeLike = None) -> pd.DataFrame:
        """Items one user touched: columns ``item_id``, ``weight`` (the user's event strengths on it,
        decayed like edges), ``last_time`` (unix seconds); strongest first."""
        u = self._users.index.get(str(user_id), -1)
        store = self._user_items
        mine = store.slots_between(u << 32, (u + 1) << 32) if u >= 0 else np.empty(0, dtype=np.int64)
        items = split_keys(store.keys[mine])[1]
        t = self._resolve_time(now)
        weight = store.weight[mine] * decay_factor(t - store.time[mine], self.config.half_life_s)
        order = np.lexsort((items, -weight))
        return pd.DataFrame(
            {
                "item_id": pd.Series(self._items.ids()[items[order]], dtype="str"),
                "weight": weight[order],
                "last_time": store.time[mine][order],
            }
        )

    # ---- exports --------------------------------------------------------------------------------------
    def to_pyg(self, item_ids: IdList | None = None, now: TimeLike = None) -> Data:
        """A homogeneous ``torch_geometric.data.Data``; see :func:`engine.graph.export.to_pyg`."""
        from engine.graph.export import to_pyg

        return to_pyg(self, item_ids, now)

    def to_hetero(self, item_ids: IdList | None = None, now: TimeLike = None) -> HeteroData:
        """A ``torch_geometric.data.HeteroData``; see :func:`engine.graph.export.to_hetero`."""
        from engine.graph.export import to_hetero

        return to_hetero(self, item_ids, now)

    def user_subgraph(self, user_id: str, now: TimeLike = None, top_neighbours: int = 10) -> dict[str, Any]:
        """Plain-Python view of one user's interests; see :func:`engine.graph.subgraph.user_subgraph`."""
        from engine.graph.subgraph import user_subgraph

        return user_subgraph(self, user_id, now, top_neighbours)

    # ---- helpers --------------------------------------------------------------------------------------
    def _resolve_time(self, now: TimeLike) -> float:
        if now is None:
            return self._latest
        if isinstance(now, pd.Timestamp):
            return float(now.timestamp())
        return float(now)

    def _grow_nodes(self) -> None:
        self._item_category = grow_rows(self._item_category, self._items.size, -1)
        self._item_label = grow_rows(self._item_label, self._items.size, None)
        self._recent.grow(self._users.size)

    def _strengths(self, event_type: np.ndarray | None) -> np.ndarray:
        if event_type is None:
            raise ValueError("events need an event_type column")
        codes, uniques = factorize(event_type)
        table = np.array([self.config.strength(str(v)) for v in uniques] + [self.config.default_strength])
        return table[codes]  # code -1 (missing) picks the default, last in the table

    def _update_categories(
        self, category: np.ndarray | None, item_codes: np.ndarray, items: np.ndarray
    ) -> tuple[EdgeArrays, EdgeArrays, list[str]]:
        """Membership changes of this slice: (removed "in" edges, added "in" edges, new category ids).

        Every category seen becomes a node (in order of first appearance); an item belongs to the
        latest non-missing category given for it.
        """
        if not self.config.category_edges or category is None:
            return EdgeArrays.of(kind=IN), EdgeArrays.of(kind=IN), []
        cat_codes, cat_uniques = factorize(category)
        cat_index, new_categories = self._categories.add(cat_uniques.astype(str).astype(object))
        codes, last = last_per_code(item_codes, cat_codes)
        if not len(codes):
            return EdgeArrays.of(kind=IN), EdgeArrays.of(kind=IN), new_categories
        item_idx = items[codes]
        new_cat = cat_index[last.astype(np.int64)]
        old_cat = self._item_category[item_idx]
        changed = old_cat != new_cat
        moved = changed & (old_cat >= 0)
        removed = self._membership_frame(item_idx[moved])
        self._item_category[item_idx] = new_cat
        added = self._membership_frame(item_idx[changed])
        return removed, added, new_categories

    def _co_frame(self, keys: np.ndarray, weight: np.ndarray) -> EdgeArrays:
        low, high = split_keys(keys)
        ids = self._items.ids()
        return EdgeArrays.of(ids[low], ids[high], CO, weight)

    def _membership_frame(self, item_idx: np.ndarray) -> EdgeArrays:
        cats = self._item_category[item_idx]
        has = cats >= 0
        n = int(has.sum())
        return EdgeArrays.of(
            self._items.ids()[item_idx[has]],
            self._categories.ids()[cats[has]],
            IN,
            np.full(n, self.config.category_weight),
        )
