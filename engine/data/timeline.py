"""Timeline: the validated, time-sorted event table every other part of the engine reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.data.report import ValidationReport

# The unix epoch in microseconds, like the timestamp column: a nanosecond epoch would force a conversion
# that overflows for times after 2262.
EPOCH = pd.Timestamp(0, tz="UTC").as_unit("us")


@dataclass(frozen=True)
class Timeline:
    """Validated events sorted by time (ties keep file order).

    ``events`` columns: ``user_id`` (str), ``item_id`` (str), ``timestamp`` (datetime, UTC),
    ``event_type`` (categorical: view, like, cart, purchase, then any others kept as found),
    ``category`` / ``item_name`` / ``session_id`` / ``categories`` (str or missing) and
    ``source_row`` (int, 1-based data row in the source file). The index is 0..n-1.
    """

    events: pd.DataFrame
    report: ValidationReport = field(default_factory=ValidationReport)
    source: str = "<memory>"
    # memo of fingerprint(): hashing every event takes ~0.3 s per 50k events, and the dashboard asks often
    _fingerprint: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.events)

    @property
    def n_users(self) -> int:
        return int(self.events["user_id"].nunique())

    @property
    def n_items(self) -> int:
        return int(self.events["item_id"].nunique())

    @property
    def n_categories(self) -> int:
        return int(self.events["category"].nunique(dropna=True))

    def seconds(self) -> np.ndarray:
        """Event times as float64 unix seconds, shape [n_events]."""
        ts = self.events["timestamp"]
        return (ts.dt.as_unit("us") - EPOCH).dt.total_seconds().to_numpy(dtype=np.float64)

    def subset(self, mask: np.ndarray | pd.Series, source: str | None = None) -> Timeline:
        """A new timeline of the rows where ``mask`` is true (same report, index reset)."""
        events = self.events[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        return Timeline(events, self.report, source or self.source)

    def item_categories(self) -> pd.Series:
        """Item id -> its most recently seen category (missing where never given)."""
        last = self.events.drop_duplicates("item_id", keep="last")
        return pd.Series(last["category"].to_numpy(), index=last["item_id"].to_numpy(), name="category")

    def item_names(self) -> pd.Series:
        """Item id -> display name: the item name where given, else the id."""
        last = self.events.drop_duplicates("item_id", keep="last")
        names = last["item_name"].fillna(last["item_id"])
        return pd.Series(names.to_numpy(), index=last["item_id"].to_numpy(), name="item_name")

    def fingerprint(self) -> str:
        """A short stable hash of the events (ids, times, types): checkpoints record it."""
        if not self._fingerprint:
            cols = ["user_id", "item_id", "timestamp", "event_type"]
            hashed = pd.util.hash_pandas_object(self.events[cols].astype(str), index=False)
            self._fingerprint.append(hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()[:16])
        return self._fingerprint[0]

    def summary(self) -> dict[str, Any]:
        """Plain counts for the CLI and the dashboard."""
        ev = self.events
        counts = ev["event_type"].value_counts(sort=False)
        return {
            "source": self.source,
            "events": len(ev),
            "users": self.n_users,
            "items": self.n_items,
            "categories": self.n_categories,
            "event_types": {str(k): int(v) for k, v in counts.items() if v > 0},
            "start": ev["timestamp"].min().isoformat() if len(ev) else None,
            "end": ev["timestamp"].max().isoformat() if len(ev) else None,
            "days": float((ev["timestamp"].max() - ev["timestamp"].min()).total_seconds() / 86400)
            if len(ev)
            else 0.0,
        }
