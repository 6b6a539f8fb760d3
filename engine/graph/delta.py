"""GraphDelta: what one ``InterestGraph.add_events`` (or ``prune``) call changed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

# Edge kinds: item-item co-occurrence, and item -> category membership.
CO = "co"
IN = "in"
EDGE_COLUMNS: tuple[str, ...] = ("source", "target", "kind", "weight")


def _objects(values: np.ndarray | Sequence[str] | None) -> np.ndarray:
    return np.asarray([] if values is None else values, dtype=object)


@dataclass(frozen=True)
class EdgeArrays:
    """Edges as parallel numpy arrays: ``source``/``target`` ids and ``kind`` ([n] object, str) and
    ``weight`` ([n] float64). Cheap to build; :meth:`frame` turns them into a DataFrame."""

    source: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    weight: np.ndarray

    @classmethod
    def of(
        cls,
        source: np.ndarray | Sequence[str] | None = None,
        target: np.ndarray | Sequence[str] | None = None,
        kind: str = CO,
        weight: np.ndarray | Sequence[float] | None = None,
    ) -> EdgeArrays:
        src = _objects(source)
        return cls(
            src,
            _objects(target),
            np.full(len(src), kind, dtype=object),
            np.asarray([] if weight is None else weight, dtype=np.float64),
        )

    @classmethod
    def concat(cls, parts: Sequence[EdgeArrays]) -> EdgeArrays:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.of()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in EDGE_COLUMNS))

    def __len__(self) -> int:
        return len(self.source)

    def frame(self) -> pd.DataFrame:
        """Columns ``source``, ``target``, ``kind`` (str) and ``weight`` (float64)."""
        return pd.DataFrame(
            {
                "source": pd.Series(self.source, dtype="str"),
                "target": pd.Series(self.target, dtype="str"),
                "kind": pd.Series(self.kind, dtype="str"),
                "weight": self.weight,
            }
        )


def edge_frame(
    source: np.ndarray | Sequence[str] | None = None,
    target: np.ndarray | Sequence[str] | None = None,
    kind: str = CO,
    weight: np.ndarray | Sequence[float] | None = None,
) -> pd.DataFrame:
    """A frame of edges: ``source``/``target`` ids (str), ``kind`` ("co" or "in"), ``weight`` (float64)."""
    return EdgeArrays.of(source, target, kind, weight).frame()


@dataclass(frozen=True)
class GraphDelta:
    """Changes of the graph in one call.

    ``added``, ``reinforced`` and ``removed`` are DataFrames (built on first access from the raw
    :class:`EdgeArrays` in ``added_edges`` etc.) with columns ``source``, ``target`` (item ids; for
    kind "in" the target is a category id), ``kind`` ("co": item-item co-occurrence, each undirected edge
    once; "in": item -> category membership) and ``weight`` (the weight after the change; for removed
    edges the decayed weight at removal). An edge reinforced several times in one call appears once.
    ``time`` is the graph's latest event time after the call (unix seconds, NaN when empty).
    """

    added_edges: EdgeArrays = field(default_factory=EdgeArrays.of)
    reinforced_edges: EdgeArrays = field(default_factory=EdgeArrays.of)
    removed_edges: EdgeArrays = field(default_factory=EdgeArrays.of)
    new_items: list[str] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)
    time: float = math.nan

    @cached_property
    def added(self) -> pd.DataFrame:
        return self.added_edges.frame()

    @cached_property
    def reinforced(self) -> pd.DataFrame:
        return self.reinforced_edges.frame()

    @cached_property
    def removed(self) -> pd.DataFrame:
        return self.removed_edges.frame()

    @property
    def is_empty(self) -> bool:
        return not (
            len(self.added_edges)
            or len(self.reinforced_edges)
            or len(self.removed_edges)
            or self.new_items
            or self.new_categories
        )

    def summary(self) -> dict[str, int]:
        """Counts for logs and the dashboard."""
        return {
            "added": len(self.added_edges),
            "reinforced": len(self.reinforced_edges),
            "removed": len(self.removed_edges),
            "new_items": len(self.new_items),
            "new_categories": len(self.new_categories),
        }
