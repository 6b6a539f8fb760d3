"""InterestGraph: items and categories linked by decaying co-occurrence, built incrementally from events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.graph.config import GraphConfig
from engine.graph.delta import GraphDelta

if TYPE_CHECKING:
    from torch_geometric.data import Data, HeteroData

# Anything accepted as a point in time: unix seconds, a timestamp, or None for "the latest event".
TimeLike = float | int | pd.Timestamp | None


class InterestGraph:
    """The interest graph: nodes are items and categories; edges are item-item co-occurrence within a
    user's session / time window, and item -> category membership.

    Co-occurrence weights grow with event strength and decay lazily with time: each edge stores its
    weight ``w`` at its last update ``t0``, and a read at ``now`` sees

    .. math::
        w(\\text{now}) = w(t_0) \\cdot 2^{-(\\text{now} - t_0) / T_{1/2}}

    A new co-occurrence of strength ``s`` at ``t`` sets ``w <- w(t) + s, t0 <- t``. Edges whose decayed
    weight falls under ``config.prune_threshold`` are removed by :meth:`prune` (also run automatically
    every ``config.prune_every_s`` of data time) and reported in the returned :class:`GraphDelta`.

    Example::

        g = InterestGraph(GraphConfig())
        delta = g.add_events(timeline.events)        # or repeatedly, with later slices
        data = g.to_pyg(item_ids=catalogue)          # torch_geometric.data.Data
        view = g.user_subgraph("u1", top_neighbours=10)
    """

    def __init__(self, config: GraphConfig | None = None) -> None:
        self.config = config or GraphConfig()
        raise NotImplementedError

    # ---- building -------------------------------------------------------------------------------------
    def add_events(self, frame: pd.DataFrame) -> GraphDelta:
        """Add a time-sorted slice of events (columns ``user_id``, ``item_id``, ``timestamp``,
        ``event_type``; optional ``category``, ``session_id``, ``item_name``), later than (or at) every
        event added before. Returns what changed (edges added / reinforced / removed, new nodes).

        Adding a frame in one call or in consecutive slices gives the same graph (up to float rounding)
        as long as no prune runs in between.
        """
        raise NotImplementedError

    def prune(self, now: TimeLike = None) -> GraphDelta:
        """Remove the co-occurrence edges whose weight decayed to ``now`` (default: latest event time)
        is under ``config.prune_threshold``; the delta lists them in ``removed``."""
        raise NotImplementedError

    # ---- reading --------------------------------------------------------------------------------------
    @property
    def num_items(self) -> int:
        raise NotImplementedError

    @property
    def num_categories(self) -> int:
        raise NotImplementedError

    @property
    def num_edges(self) -> int:
        """Stored item-item co-occurrence edges (each undirected edge once)."""
        raise NotImplementedError

    @property
    def item_ids(self) -> list[str]:
        """Item ids in graph index order (order of first appearance)."""
        raise NotImplementedError

    @property
    def category_ids(self) -> list[str]:
        """Category ids in graph index order (order of first appearance)."""
        raise NotImplementedError

    @property
    def latest_time(self) -> float:
        """Time of the latest event added, unix seconds (NaN before any)."""
        raise NotImplementedError

    def item_categories(self) -> dict[str, str]:
        """Item id -> its category id (latest non-missing one seen), for items that have one."""
        raise NotImplementedError

    def item_labels(self) -> dict[str, str]:
        """Item id -> display label (latest ``item_name`` seen, else the id)."""
        raise NotImplementedError

    def edges(self, now: TimeLike = None, include_categories: bool = True) -> pd.DataFrame:
        """All edges as a frame (``source``, ``target``, ``kind``, ``weight`` decayed to ``now``), each
        co-occurrence edge once; edges decayed under the prune threshold are left out."""
        raise NotImplementedError

    def neighbours(self, item_id: str, k: int = 10, now: TimeLike = None) -> pd.DataFrame:
        """The ``k`` strongest co-occurrence neighbours of one item: columns ``item_id``, ``weight``."""
        raise NotImplementedError

    def user_items(self, user_id: str, now: TimeLike = None) -> pd.DataFrame:
        """Items one user touched: columns ``item_id``, ``weight`` (the user's event strengths on it,
        decayed like edges), ``last_time``; strongest first."""
        raise NotImplementedError

    # ---- exports --------------------------------------------------------------------------------------
    def to_pyg(self, item_ids: list[str] | np.ndarray | pd.Index | None = None, now: TimeLike = None) -> Data:
        """A homogeneous ``torch_geometric.data.Data``; see :func:`engine.graph.export.to_pyg`."""
        raise NotImplementedError

    def to_hetero(
        self, item_ids: list[str] | np.ndarray | pd.Index | None = None, now: TimeLike = None
    ) -> HeteroData:
        """A ``torch_geometric.data.HeteroData``; see :func:`engine.graph.export.to_hetero`."""
        raise NotImplementedError

    def user_subgraph(self, user_id: str, now: TimeLike = None, top_neighbours: int = 10) -> dict[str, Any]:
        """Plain-Python view of one user's interests; see :func:`engine.graph.subgraph.user_subgraph`."""
        raise NotImplementedError
