"""GraphDelta: what one ``InterestGraph.add_events`` (or ``prune``) call changed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Edge kinds: item-item co-occurrence, and item -> category membership.
CO = "co"
IN = "in"
EDGE_COLUMNS: tuple[str, ...] = ("source", "target", "kind", "weight")


def edge_frame(
    source: np.ndarray | list[str] | None = None,
    target: np.ndarray | list[str] | None = None,
    kind: str = CO,
    weight: np.ndarray | list[float] | None = None,
) -> pd.DataFrame:
    """A frame of edges: ``source``/``target`` ids (str), ``kind`` ("co" or "in"), ``weight`` (float64)."""
    src = np.asarray([] if source is None else source, dtype=object)
    return pd.DataFrame(
        {
            "source": pd.Series(src, dtype="str"),
            "target": pd.Series(np.asarray([] if target is None else target, dtype=object), dtype="str"),
            "kind": pd.Series([kind] * len(src), dtype="str"),
            "weight": np.asarray([] if weight is None else weight, dtype=np.float64),
        }
    )


def concat_edges(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Edge frames stacked (an empty edge frame when there are none)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return edge_frame()
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class GraphDelta:
    """Changes of the graph in one call, as plain pandas / Python.

    Each edge frame has columns ``source``, ``target`` (item ids; for kind "in" the target is a
    category id), ``kind`` ("co": item-item co-occurrence, stored once with source < target in graph
    index order; "in": item -> category membership) and ``weight`` (the weight after the change; for
    removed edges the decayed weight at removal). An edge reinforced several times in one call appears
    once. ``time`` is the graph's latest event time after the call (unix seconds, NaN when empty).
    """

    added: pd.DataFrame = field(default_factory=edge_frame)
    reinforced: pd.DataFrame = field(default_factory=edge_frame)
    removed: pd.DataFrame = field(default_factory=edge_frame)
    new_items: list[str] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)
    time: float = float("nan")

    @property
    def is_empty(self) -> bool:
        return not (
            len(self.added)
            or len(self.reinforced)
            or len(self.removed)
            or self.new_items
            or self.new_categories
        )

    def summary(self) -> dict[str, int]:
        """Counts for logs and the dashboard."""
        return {
            "added": len(self.added),
            "reinforced": len(self.reinforced),
            "removed": len(self.removed),
            "new_items": len(self.new_items),
            "new_categories": len(self.new_categories),
        }
